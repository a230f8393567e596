"""Tracking numbers issued on the unit, online or offline: ``STATION-YYMMDD-SEQUENCE-C``.

``SEQUENCE`` is six digits: the unit's two-digit number at its station (setting
``kiosk.unit_no`` pushed by the hub, else derived from the device id; see
docs/decisions/kiosk-tracking-numbers.md) followed by a four-digit daily counter from the
store (:meth:`LocalStore.next_sequence`, atomic across processes). ``C`` is a Luhn mod 36
check character over everything before it (alphabet 0-9A-Z): it catches every single
mistyped character and every swap of two adjacent characters. The form is the wire
vocabulary's (``khidmat_wire.vocabulary.TRACKING_NO``); a typed number is read with the
vocabulary's :func:`~khidmat_wire.vocabulary.parse_tracking_no`. Pure; thread-safe.
"""

from __future__ import annotations

from datetime import datetime

from khidmat_wire.vocabulary import (
    TrackingNoError,
    check_char,
    is_tracking_no,
    parse_tracking_no,
    unit_number_of,
)

__all__ = [
    "DAILY_LIMIT",
    "TrackingError",
    "make_tracking_no",
    "parse_tracking_no",
    "unit_number",
]

#: Complaints one unit may number per day.
DAILY_LIMIT = 9999


TrackingError = TrackingNoError
"""A tracking number that is malformed or fails its check character (the vocabulary's)."""


def unit_number(device_id: str, setting: str | None) -> int:
    """The unit's number 0..99 at its station: the hub's setting, else from the device id."""
    if setting is not None:
        if not setting.isdigit() or not 0 <= int(setting) <= 99:
            raise TrackingError(f"setting kiosk.unit_no = {setting!r}: must be 0..99")
        return int(setting)
    return unit_number_of(device_id)


def make_tracking_no(station: str, when: datetime, unit_no: int, counter: int) -> str:
    """The tracking number for the ``counter``-th complaint of the day on unit ``unit_no``."""
    if not 1 <= counter <= DAILY_LIMIT:
        raise TrackingError(f"daily counter {counter} outside 1..{DAILY_LIMIT}")
    payload = f"{station}-{when:%y%m%d}-{unit_no:02d}{counter:04d}"
    number = f"{payload}-{check_char(payload)}"
    if not is_tracking_no(number):
        raise TrackingError(f"station code {station!r} cannot make a tracking number")
    return number
