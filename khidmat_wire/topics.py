"""MQTT topics: ``khidmat/v1/dev/<device_id>/up|down/<kind>`` and ``.../state``, and the
federation's ``khidmat/v1/fed/<province>/ask`` and ``.../fed/<province>/answer/<asker>``.

The device id is part of every topic so that the broker's ACL can confine a unit to its
own topics with ``%u`` patterns (the MQTT username is the device id). Likewise every
federation topic begins with the province that publishes it, so each broker's ACL lets a
province's bridge identity publish only under its own name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from khidmat_wire.errors import WireError
from khidmat_wire.vocabulary import DEVICE_ID, PROVINCE

PREFIX = "khidmat/v1/dev"
DEVICE_ID_PATTERN = re.compile(DEVICE_ID)
"""Device ids: 3 to 48 characters, lower-case letters, digits and '-' (no MQTT wildcards)."""
HUB_WORKERS_MAX = 8
"""Most hub worker processes (``[hub] workers``): the broker binds a client id to its
username, so worker N logs in as an identity of its own (``hub``, ``hub-1`` .. ``hub-7``),
and provisioning writes exactly these identities."""

UP_KINDS: tuple[str, ...] = (
    "complaint",
    "feedback",
    "lookup",
    "scan",
    "enrolment",
    "telemetry",
    "event",
    "signin",
    "hotel-guest",
    "licence-lookup",
)
DOWN_KINDS: tuple[str, ...] = (
    "ack", "complaint-status", "complaint-statuses", "watchlist", "officers", "config",
    "command", "alert", "signin-result", "licence-status", "federated",
)  # fmt: skip


class Direction(StrEnum):
    UP = "up"  # device to hub
    DOWN = "down"  # hub to device
    STATE = "state"  # retained birth / last will


@dataclass(frozen=True, slots=True)
class Topic:
    device_id: str
    direction: Direction
    kind: str | None  # None for the state topic


def build_topic(device_id: str, direction: Direction | str, kind: str | None = None) -> str:
    """Build a topic; raises WireError for an unknown kind or a bad device id."""
    direction = Direction(direction)
    check_device_id(device_id)
    if direction is Direction.STATE:
        if kind is not None:
            raise WireError("topic", "the state topic has no kind")
        return f"{PREFIX}/{device_id}/state"
    kinds = UP_KINDS if direction is Direction.UP else DOWN_KINDS
    if kind not in kinds:
        raise WireError(
            "topic", f"unknown {direction.value} kind {kind!r}; expected one of {', '.join(kinds)}"
        )
    return f"{PREFIX}/{device_id}/{direction.value}/{kind}"


def parse_topic(topic: str) -> Topic:
    """Parse a Khidmat topic; raises WireError naming what is wrong."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:3]) != PREFIX:
        raise WireError("topic", f"not a Khidmat v1 device topic: {topic[:120]!r}")
    device_id = parts[3]
    check_device_id(device_id)
    if parts[4] == "state" and len(parts) == 5:
        return Topic(device_id, Direction.STATE, None)
    if len(parts) != 6 or parts[4] not in ("up", "down"):
        raise WireError(
            "topic", f"expected .../<device_id>/up|down/<kind> or .../state: {topic[:120]!r}"
        )
    direction = Direction(parts[4])
    kinds = UP_KINDS if direction is Direction.UP else DOWN_KINDS
    if parts[5] not in kinds:
        raise WireError("topic", f"unknown {direction.value} kind {parts[5]!r}")
    return Topic(device_id, direction, parts[5])


def check_device_id(device_id: str) -> str:
    if not isinstance(device_id, str) or DEVICE_ID_PATTERN.fullmatch(device_id) is None:
        raise WireError(
            "device_id",
            f"must be 3-48 of a-z, 0-9 and '-', starting with a letter or digit: {str(device_id)[:60]!r}",
        )
    return device_id


def up_filter(device_id: str = "+") -> str:
    """Subscription filter for device-to-hub records (all devices by default)."""
    return f"{PREFIX}/{device_id}/up/#"


def down_filter(device_id: str) -> str:
    """Subscription filter for one device's downlink."""
    return f"{PREFIX}/{check_device_id(device_id)}/down/#"


def state_filter() -> str:
    return f"{PREFIX}/+/state"


# ------------------------------------------------------------------ federation

FED_PREFIX = "khidmat/v1/fed"
FED_KINDS: tuple[str, ...] = ("fed-ask", "fed-answer")
"""Province-to-province kinds: a gate search's probes asked of the other provinces, and
one province's answer to one asker."""
_PROVINCE = re.compile(PROVINCE)


@dataclass(frozen=True, slots=True)
class FedTopic:
    province: str
    """The province that published (the first level after the prefix)."""
    kind: str
    """fed-ask or fed-answer."""
    asker: str | None
    """The province an answer is for (None for an ask)."""


def check_province(name: str) -> str:
    """``name`` when it is a province name (khidmat_wire.vocabulary.PROVINCE); WireError else."""
    if not isinstance(name, str) or _PROVINCE.fullmatch(name) is None:
        raise WireError(
            "province", f"must be 3-24 of a-z and 0-9, starting with a letter: {str(name)[:40]!r}"
        )
    return name


def fed_ask_topic(province: str) -> str:
    """Where ``province`` asks the other provinces: ``khidmat/v1/fed/<province>/ask``."""
    return f"{FED_PREFIX}/{check_province(province)}/ask"


def fed_answer_topic(province: str, asker: str) -> str:
    """Where ``province`` answers ``asker``: ``khidmat/v1/fed/<province>/answer/<asker>``."""
    return f"{FED_PREFIX}/{check_province(province)}/answer/{check_province(asker)}"


def parse_fed_topic(topic: str) -> FedTopic:
    """Parse a federation topic; WireError naming what is wrong."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:3]) != FED_PREFIX:
        raise WireError("topic", f"not a Khidmat v1 federation topic: {topic[:120]!r}")
    province = check_province(parts[3])
    if len(parts) == 5 and parts[4] == "ask":
        return FedTopic(province, "fed-ask", None)
    if len(parts) == 6 and parts[4] == "answer":
        return FedTopic(province, "fed-answer", check_province(parts[5]))
    raise WireError(
        "topic", f"expected .../fed/<province>/ask or .../answer/<province>: {topic[:120]!r}"
    )


def fed_ask_filter() -> str:
    """Subscription filter for every province's asks (a hub skips its own)."""
    return f"{FED_PREFIX}/+/ask"


def fed_answer_filter(asker: str) -> str:
    """Subscription filter for every province's answers to ``asker``."""
    return f"{FED_PREFIX}/+/answer/{check_province(asker)}"
