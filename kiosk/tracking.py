"""Tracking numbers issued on the unit, online or offline: ``STATION-YYMMDD-SEQUENCE-C``.

``SEQUENCE`` is six digits: the unit's two-digit number at its station (setting
``kiosk.unit_no`` pushed by the hub, else derived from the device id; see
docs/decisions/kiosk-tracking-numbers.md) followed by a four-digit daily counter from the
store (:meth:`LocalStore.next_sequence`, atomic across processes). ``C`` is a Luhn mod 36
check character over everything before it (alphabet 0-9A-Z): it catches every single
mistyped character and every swap of two adjacent characters. The form is the wire
vocabulary's (``khidmat_wire.vocabulary.TRACKING_NO``). Pure; thread-safe.
"""

from __future__ import annotations

import re
from datetime import datetime

from khidmat_wire.vocabulary import STATION, check_char, is_tracking_no, unit_number_of
from kiosk.text import ascii_digits

#: Complaints one unit may number per day.
DAILY_LIMIT = 9999


class TrackingError(ValueError):
    """A tracking number that is malformed or fails its check character."""


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


#: What a citizen may type between the parts: spaces, dashes of any kind, dots, slashes.
_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
#: A number typed without separators: station, date (6), sequence (6), check (1).
_RUN_TOGETHER_RE = re.compile(f"({STATION}?)([0-9]{{6}})([0-9]{{6}})([0-9A-Z])")


def normalise(text: str) -> str:
    """What a citizen typed, as a tracking number is written: upper case, Urdu digits as
    0-9, parts joined by single dashes ("demo 261206 560001 i" -> "DEMO-261206-560001-I";
    typed with no separators at all, the parts are found by their lengths)."""
    parts = [p for p in _SEPARATORS_RE.split(ascii_digits(text).upper()) if p]
    if len(parts) == 1 and (run := _RUN_TOGETHER_RE.fullmatch(parts[0])) is not None:
        parts = list(run.groups())
    return "-".join(parts)


def parse_tracking_no(text: str) -> str:
    """Validate a typed tracking number; returns it normalised or raises TrackingError."""
    number = normalise(text)
    if not is_tracking_no(number):
        raise TrackingError("format")
    payload, _, check = number.rpartition("-")
    if check_char(payload) != check:
        raise TrackingError("check")
    return number
