"""Which clock a record's times come from: the unit's, when it is sane, else the hub's.

A unit stamps every record with its own clock (``device_time_ms``). A Pi without a
real-time clock that booted offline is years behind, and a hostile unit can send any
value (0 made a complaint due in 1970, escalated at once). Device times inside a window
around the hub's clock are believed; outside it the hub's receive time is used and the
caller records the reason. Pure functions; thread-safe.
"""

from __future__ import annotations

DEVICE_TIME_PAST_MS = 30 * 86_400_000
"""A record may arrive up to 30 days after it was made (a unit offline for weeks)."""
DEVICE_TIME_FUTURE_MS = 5 * 60_000
"""A unit's clock may run up to 5 minutes ahead of the hub's."""


def device_time_problem(device_time_ms: int, received_ms: int) -> str | None:
    """Why ``device_time_ms`` cannot be believed at ``received_ms`` (hub clock), or None."""
    if device_time_ms < received_ms - DEVICE_TIME_PAST_MS:
        days = (received_ms - device_time_ms) / 86_400_000
        return f"unit clock {days:.0f} days behind the hub's (beyond 30): hub time used"
    if device_time_ms > received_ms + DEVICE_TIME_FUTURE_MS:
        minutes = (device_time_ms - received_ms) / 60_000
        return f"unit clock {minutes:.0f} minutes ahead of the hub's (beyond 5): hub time used"
    return None


def believed_time_ms(device_time_ms: int, received_ms: int) -> int:
    """The device time when it is sane and not ahead of the hub; else the hub's time."""
    if device_time_problem(device_time_ms, received_ms) is not None:
        return received_ms
    return min(device_time_ms, received_ms)
