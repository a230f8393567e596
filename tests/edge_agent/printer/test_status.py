"""DLE EOT answers to printer states, per the ESC/POS reference bit table."""

from __future__ import annotations

import pytest

from edge_agent.printer.status import PRINTABLE, STATES, is_status_byte, state_of, status_bytes


@pytest.mark.parametrize("state", [s for s in STATES if s != "offline"])
def test_every_state_survives_the_status_bytes(state: str) -> None:
    answers = status_bytes(state)
    assert all(is_status_byte(a) for a in answers)
    assert state_of(*answers) == state


def test_epson_bit_table() -> None:
    # DLE EOT 1 = 0x16 online; 2 = 0x12 nothing wrong; 4 = 0x12 paper present
    assert state_of(0x16, 0x12, 0x12) == "ok"
    assert state_of(0x1E, 0x12, 0x12) == "offline"  # bit 3 of the printer status
    assert state_of(0x16, 0x12, 0x1E) == "paper-low"  # bits 2-3: near end
    assert state_of(0x16, 0x32, 0x72) == "paper-out"  # bits 5-6: paper end
    assert state_of(0x1E, 0x16, 0x12) == "cover-open"
    assert state_of(0x1E, 0x52, 0x12) == "error"


def test_no_answer_or_noise_is_offline() -> None:
    assert state_of(None, 0x12, 0x12) == "offline"
    assert state_of(0x16, 0xFF, 0x12) == "offline"  # not a status byte (fixed bits wrong)
    assert "offline" not in PRINTABLE and "paper-low" in PRINTABLE
