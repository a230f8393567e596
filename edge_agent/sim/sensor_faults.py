"""Faults the simulated sensor can be told to commit, for tests and demonstrations.

Each injected fault applies to the next ``count`` commands it fits (optionally only one
instruction code), then is used up. Thread-safe: tests inject from their own thread while
the simulator's I/O thread takes faults.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass


class Fault(enum.StrEnum):
    """What goes wrong.

    - ``bad_checksum``: the reply's checksum is off by one.
    - ``short_reply``: the reply is a bare 12-byte ack with PACKET_RECEIVE_ERROR (0x01),
      shorter than what Search, Match, TemplateNum, ReadSysPara or ReadIndexTable send,
      and without the data packets of UpImage/UpChar.
    - ``no_reply``: the command is swallowed; nothing comes back.
    - ``line_noise``: a few random bytes precede the reply.
    - ``no_finger``: GenImg answers NO_FINGER although a finger is placed.
    - ``messy_image``: GenImg takes a smeared image, and Img2Tz on it answers IMAGE_MESSY.
    """

    BAD_CHECKSUM = "bad_checksum"
    SHORT_REPLY = "short_reply"
    NO_REPLY = "no_reply"
    LINE_NOISE = "line_noise"
    NO_FINGER = "no_finger"
    MESSY_IMAGE = "messy_image"


#: Faults that act on how a reply travels (any command); the rest act on GenImg.
TRANSPORT_FAULTS = frozenset(
    {Fault.BAD_CHECKSUM, Fault.SHORT_REPLY, Fault.NO_REPLY, Fault.LINE_NOISE}
)


@dataclass(slots=True)
class _Pending:
    fault: Fault
    remaining: int
    command: int | None


class FaultPlan:
    """Faults waiting to happen, in injection order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._fired: list[tuple[Fault, int]] = []

    def inject(self, fault: Fault | str, *, count: int = 1, command: int | None = None) -> None:
        """Commit ``fault`` on the next ``count`` fitting commands (``command``: only that code)."""
        fault = Fault(fault)
        if count < 1:
            raise ValueError("count must be at least 1")
        if fault not in TRANSPORT_FAULTS and command not in (None, 0x01):
            raise ValueError(f"{fault} acts on GenImg (0x01) only")
        with self._lock:
            self._pending.append(_Pending(fault, count, command))

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()

    def take(self, faults: frozenset[Fault] | set[Fault], command: int) -> Fault | None:
        """The first pending fault among ``faults`` that fits ``command``, using one count."""
        with self._lock:
            for item in self._pending:
                if item.fault in faults and item.command in (None, command):
                    item.remaining -= 1
                    if item.remaining == 0:
                        self._pending.remove(item)
                    self._fired.append((item.fault, int(command)))
                    return item.fault
        return None

    @property
    def pending(self) -> list[tuple[str, int, int | None]]:
        """(fault, remaining, command) of faults not used up yet."""
        with self._lock:
            return [(p.fault.value, p.remaining, p.command) for p in self._pending]

    @property
    def fired(self) -> list[tuple[str, int]]:
        """(fault, command code) of every fault committed so far, in order."""
        with self._lock:
            return [(f.value, c) for f, c in self._fired]
