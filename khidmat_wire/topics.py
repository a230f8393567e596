"""MQTT topics: ``khidmat/v1/dev/<device_id>/up|down/<kind>`` and ``.../state``.

The device id is part of every topic so that the broker's ACL can confine a unit to its
own topics with ``%u`` patterns (the MQTT username is the device id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from khidmat_wire.errors import WireError

PREFIX = "khidmat/v1/dev"
DEVICE_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{2,47}")
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
    "ack", "complaint-status", "watchlist", "officers", "config", "command", "alert",
    "signin-result", "licence-status",
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
