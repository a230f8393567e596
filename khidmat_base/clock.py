"""The clock port: wall-clock milliseconds since the Unix epoch, read in one place.

Records carry times from :func:`now_ms`. Code that stamps records takes a :class:`Clock`
(default :data:`SYSTEM_CLOCK`) so a test or a scenario day can hand it a
:class:`SettableClock` and move time by hand. Reading a clock costs well under a
microsecond; both clocks are thread-safe.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Protocol

PKT = timedelta(hours=5)
"""Pakistan Standard Time's offset from UTC (no daylight saving): the stations' local time."""


class Clock(Protocol):
    """Something that tells the time in milliseconds since the Unix epoch (UTC)."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The machine's wall clock (``time.time``); stateless."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        return time.time_ns() // 1_000_000


class SettableClock:
    """A clock that stands still until told otherwise: the twin of :class:`SystemClock`."""

    def __init__(self, start_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self._ms = int(start_ms)

    def now_ms(self) -> int:
        """The time it was last set to, in milliseconds since the Unix epoch."""
        with self._lock:
            return self._ms

    def set(self, ms: int) -> None:
        """Jump to ``ms`` (backwards too: wall clocks do)."""
        with self._lock:
            self._ms = int(ms)

    def advance(self, ms: int) -> int:
        """Move forward ``ms`` milliseconds; returns the new time."""
        with self._lock:
            self._ms += int(ms)
            return self._ms


SYSTEM_CLOCK: Clock = SystemClock()
"""The one system clock (stateless, so sharing it is safe)."""


def now_ms() -> int:
    """The system clock's time in milliseconds since the Unix epoch."""
    return SYSTEM_CLOCK.now_ms()
