"""The printer's real-time status (``DLE EOT 1/2/4`` answers) as one state word. Pure.

Each answer is one byte whose bits 0, 1, 4 and 7 are fixed at 0, 1, 1, 0 (so
``byte & 0x93 == 0x12`` tells a status byte from noise). Per Epson's ESC/POS reference:

- ``DLE EOT 1`` (printer): bit 3 = offline.
- ``DLE EOT 2`` (offline cause): bit 2 = cover open, bit 5 = stopped at paper end,
  bit 6 = an error occurred.
- ``DLE EOT 4`` (roll paper sensor): bits 2-3 = paper near its end, bits 5-6 = paper end.

States, in the order they win: ``offline`` (no answer, or the port is gone), ``paper-out``,
``cover-open``, ``error``, then ``paper-low`` (prints; the officer should change the roll
soon) and ``ok``. :data:`PRINTABLE` are those a receipt may be printed in.
"""

from __future__ import annotations

STATES = ("ok", "paper-low", "paper-out", "cover-open", "error", "offline")
PRINTABLE = frozenset({"ok", "paper-low"})

STATUS_MASK = 0x93
STATUS_FIXED = 0x12


def is_status_byte(value: int) -> bool:
    return value & STATUS_MASK == STATUS_FIXED


def state_of(printer: int | None, offline: int | None, paper: int | None) -> str:
    """The state from the three answers (None: that query was not answered)."""
    answers = (printer, offline, paper)
    if any(a is None or not is_status_byte(a) for a in answers):
        return "offline"
    assert printer is not None and offline is not None and paper is not None
    if paper & 0x60 or offline & 0x20:
        return "paper-out"
    if offline & 0x04:
        return "cover-open"
    if offline & 0x40:
        return "error"
    if printer & 0x08:
        return "offline"
    if paper & 0x0C:
        return "paper-low"
    return "ok"


def status_bytes(state: str) -> tuple[int, int, int]:
    """The three answers a printer in ``state`` gives (the simulator's side of the table)."""
    printer, offline, paper = STATUS_FIXED, STATUS_FIXED, STATUS_FIXED
    if state == "paper-out":
        printer |= 0x08
        offline |= 0x20
        paper |= 0x6C
    elif state == "cover-open":
        printer |= 0x08
        offline |= 0x04
    elif state == "error":
        printer |= 0x08
        offline |= 0x40
    elif state == "paper-low":
        paper |= 0x0C
    elif state != "ok":
        raise ValueError(f"no status bytes for {state!r}")
    return printer, offline, paper
