"""The clock port: the system clock tells the wall time; its settable twin moves only when told."""

from __future__ import annotations

import time

from khidmat_base.clock import SYSTEM_CLOCK, Clock, SettableClock, now_ms


def test_system_clock_reads_the_wall_clock_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    read = now_ms()
    after = time.time_ns() // 1_000_000
    assert before <= read <= after
    assert before <= SYSTEM_CLOCK.now_ms() <= after + 1000


def test_settable_clock_stands_still_until_set_or_advanced() -> None:
    clock: Clock = SettableClock(1_700_000_000_000)
    assert clock.now_ms() == clock.now_ms() == 1_700_000_000_000
    assert isinstance(clock, SettableClock)
    assert clock.advance(1500) == 1_700_000_001_500
    clock.set(1_600_000_000_000)  # wall clocks jump back too
    assert clock.now_ms() == 1_600_000_000_000
