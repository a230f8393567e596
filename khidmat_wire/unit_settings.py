"""The settings a unit reads from the hub, defined once for the hub, the CLI and the units.

Each setting has a key (as stored in the unit's ``settings`` table and sent in a
``config`` message), the unit roles it applies to, a check of its text value and a
meaning. The hub refuses any other key or value (``khidmat unit set``); the unit applies
what the hub sends: the desk reads ``kiosk.unit_no`` for each tracking number, the gate
its thresholds for each scan, the kiosk ``kiosk.idle_timeout_s`` at each poll and
``kiosk.default_language`` at start and at each reset, and ``sensor.baud`` when it opens
the sensor (its next start). Pure data and functions; thread-safe; imports nothing of Khidmat's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from khidmat_wire.vocabulary import HOTEL_ID


@dataclass(frozen=True, slots=True)
class UnitSetting:
    key: str
    roles: tuple[str, ...]
    check: Callable[[str], str]
    """Returns "" for a valid value, else why not."""
    meaning: str


def _int_range(lo: int, hi: int, step: int = 1) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,7}", value) or not lo <= int(value) <= hi:
            return f"a whole number from {lo} to {hi}"
        if int(value) % step:
            return f"a multiple of {step}"
        return ""

    return check


def _unit_fraction(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return "a number between 0 and 1"
    return (
        ""
        if re.fullmatch(r"[0-9.]{1,12}", value) and 0 < number <= 1
        else "a number between 0 and 1"
    )


def _pattern(pattern: str, what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        return "" if re.fullmatch(pattern, value) else f"must be {what}"

    return check


def _choice(*choices: str) -> Callable[[str], str]:
    return lambda value: "" if value in choices else "one of " + ", ".join(choices)


BAUD_RATES: tuple[int, ...] = (9600, 19200, 38400, 57600, 115200)
"""Rates R307/AS608/R503 sensors accept (N x 9600, N = 1..12; these are the common ones)."""

HOTEL_CODE_SETTING = "hotel.code"
"""A hotel unit's hotel: its registration code at the hub (``khidmat hotel add --unit``
sets it), put in every ``hotel-guest`` record the unit sends."""
UNIT_NO_SETTING = "kiosk.unit_no"
"""The desk's unit number at its station (the first two digits of its tracking numbers'
sequence): the desk numbers with it, the hub checks a complaint's number against it."""

SETTINGS: tuple[UnitSetting, ...] = (
    UnitSetting(
        UNIT_NO_SETTING, ("desk",), _int_range(1, 99),
        "desk unit number in tracking numbers, unique within the station",
    ),
    UnitSetting(
        "gate.red_threshold", ("gate",), _unit_fraction,
        "score at or above which a gate verdict is red (0 < yellow <= red <= 1)",
    ),
    UnitSetting(
        "gate.yellow_threshold", ("gate",), _unit_fraction,
        "score at or above which a gate verdict is yellow",
    ),
    UnitSetting(
        "sensor.baud", ("gate", "enrol"), _int_range(9600, 115200, 9600),
        "fingerprint sensor serial rate to use from the next start (bits/s)",
    ),
    UnitSetting(
        "kiosk.idle_timeout_s", ("desk", "gate", "enrol", "hotel"), _int_range(30, 3600),
        "seconds without a key or touch before the screen resets",
    ),
    UnitSetting(
        "kiosk.default_language", ("desk", "gate", "enrol", "hotel"), _choice("en", "ur"),
        "language the screen starts in and returns to",
    ),
    UnitSetting(
        HOTEL_CODE_SETTING, ("hotel",), _pattern(HOTEL_ID, "a hotel code: 2-32 of A-Z, 0-9, -"),
        "the hotel this hotel unit reports guests for (its code at the hub)",
    ),
)  # fmt: skip
BY_KEY: dict[str, UnitSetting] = {s.key: s for s in SETTINGS}


def check(key: str, value: str, role: str) -> str:
    """ "" when ``key=value`` is a valid setting for a unit of ``role``, else why not."""
    setting = BY_KEY.get(key)
    if setting is None:
        return f"unknown setting {key[:64]!r}; known: {', '.join(BY_KEY)}"
    if role not in setting.roles:
        return f"{key} applies to {', '.join(setting.roles)} units, not {role}"
    problem = setting.check(value)
    return f"{key}: {problem}" if problem else ""
