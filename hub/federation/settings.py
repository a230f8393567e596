"""The hub config's ``[federation]`` section: this province, the others, policy, deadline.

::

    [federation]                  # optional: cross-province searches (docs/architecture.md)
    province = "balochistan"      # this hub's province (khidmat_wire.vocabulary.PROVINCE)
    provinces = ["punjab", "sindh", "islamabad"]   # the others, asked over the bridges
    policy = "no-hit"             # no-hit: forward a gate search only when home found nobody;
                                  # every: forward every gate search
    deadline_s = 1.5              # the gate's federated verdict goes out by then at the latest
    desk = "Balochistan CRO desk, Quetta: 081-9201234"   # whom other provinces' officers call
    asks_per_s = 20               # each other province's asks answered at most this fast
                                  # (bursts of twice as many); the rest are dropped

Pure data and parsing; thread-safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from khidmat_base.config import ConfigError
from khidmat_wire.vocabulary import FEDERATION_POLICIES, PROVINCE

DEADLINE_S = 1.5
"""Default seconds a gate search waits for the other provinces (the verdict then goes out
with what arrived)."""
DEADLINE_MAX_S = 30.0
DESK_MAX = 200
ASKS_PER_S = 20.0
"""Default rate of another province's asks this hub answers (each costs a search of the
record store, on the same galleries as the home gates' searches)."""


@dataclass(frozen=True, slots=True)
class FederationSettings:
    province: str
    provinces: tuple[str, ...]
    """The other provinces (never this one)."""
    policy: str = "no-hit"
    deadline_s: float = DEADLINE_S
    desk: str = ""
    asks_per_s: float = ASKS_PER_S
    """Asks answered per second and asking province (bursts of twice as many); those over
    it are dropped, counted and logged, and the asker names this province as not answered."""


def parse_federation(raw: object) -> FederationSettings:
    """The section checked; ConfigError names the offending key."""
    if not isinstance(raw, dict):
        raise ConfigError("[federation]: must be a table")
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key == "province":
            if not isinstance(value, str) or re.fullmatch(PROVINCE, value) is None:
                raise ConfigError("[federation] province: must be 3-24 of a-z and 0-9")
            values[key] = value
        elif key == "provinces":
            if (
                not isinstance(value, list)
                or not value
                or len(value) > 16
                or not all(isinstance(v, str) and re.fullmatch(PROVINCE, v) for v in value)
                or len(set(value)) != len(value)
            ):
                raise ConfigError("[federation] provinces: a list of 1-16 distinct province names")
            values[key] = tuple(value)
        elif key == "policy":
            if value not in FEDERATION_POLICIES:
                raise ConfigError(f"[federation] policy: one of {', '.join(FEDERATION_POLICIES)}")
            values[key] = value
        elif key == "deadline_s":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 < value <= DEADLINE_MAX_S
            ):
                raise ConfigError(
                    f"[federation] deadline_s: seconds, over 0 and at most {DEADLINE_MAX_S:g}"
                )
            values[key] = float(value)
        elif key == "asks_per_s":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError("[federation] asks_per_s: must be a positive number")
            values[key] = float(value)
        elif key == "desk":
            if not isinstance(value, str) or len(value) > DESK_MAX:
                raise ConfigError(f"[federation] desk: text of at most {DESK_MAX} characters")
            values[key] = value
        else:
            raise ConfigError(f"[federation] {key}: unknown key")
    for key in ("province", "provinces"):
        if key not in values:
            raise ConfigError(f"[federation] {key}: missing")
    if values["province"] in values["provinces"]:  # type: ignore[operator]
        raise ConfigError("[federation] provinces: list the other provinces, not this one")
    return FederationSettings(**values)  # type: ignore[arg-type]
