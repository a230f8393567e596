"""Validated names: roles, station codes, unit names, device ids and the paths built from them.

Everything a technician types that ends up in a file name, an MQTT username, an ACL line or
a TOML file passes through here first, so a path can never leave its directory and an ACL
line can never be split. Pure functions; thread-safe.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from edge_agent.config import ROLES
from khidmat_wire.errors import WireError
from khidmat_wire.topics import check_device_id

STATION_PATTERN = re.compile(r"^[A-Z0-9]{2,12}$")
"""Station codes: 2 to 12 upper-case letters and digits (``QTA01``); input is upper-cased."""

NAME_MAX_CHARS = 80
"""Longest free-text unit name (``Quetta Cantt gate 1``)."""

RESERVED_USERNAMES = frozenset({"hub"})
"""MQTT usernames that are never device ids (the hub's own account)."""

DEVICE_SUFFIX_BYTES = 2
"""Random bytes in a generated device id (4 hex digits; collisions are retried)."""


class InvalidName(ValueError):
    """A role, station, name or device id that cannot be used; the message says why."""


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`edge_agent.config.ROLES`."""
    if role not in ROLES:
        raise InvalidName(f"role must be one of {', '.join(ROLES)}: {role!r}")
    return role


def normalise_station(station: str) -> str:
    """Upper-case and validate a station code; raises InvalidName."""
    code = station.strip().upper()
    if not STATION_PATTERN.fullmatch(code):
        raise InvalidName(f"station code must be 2-12 letters and digits: {station[:40]!r}")
    return code


def check_name(name: str) -> str:
    """A unit's display name: at most 80 characters, no control characters."""
    if len(name) > NAME_MAX_CHARS:
        raise InvalidName(f"name longer than {NAME_MAX_CHARS} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise InvalidName("name must not contain control characters")
    return name


def check_unit_id(device_id: str) -> str:
    """A device id usable as MQTT username, ACL subject and directory name."""
    try:
        check_device_id(device_id)
    except WireError as error:
        raise InvalidName(f"device id {error.reason}") from None
    if device_id in RESERVED_USERNAMES:
        raise InvalidName(f"device id {device_id!r} is reserved")
    return device_id


def new_device_id(role: str, station: str) -> str:
    """A fresh id ``<station>-<role>-<4 hex>``, e.g. ``qta01-gate-7f3a`` (not yet registered)."""
    suffix = secrets.token_hex(DEVICE_SUFFIX_BYTES)
    return check_unit_id(f"{normalise_station(station).lower()}-{check_role(role)}-{suffix}")


def child_path(root: Path, name: str) -> Path:
    """``root / name`` for a single validated component; raises InvalidName if it would escape.

    ``name`` must already be a device id (no separators); the resolved result is checked
    to lie directly inside ``root`` as a second line of defence against symlinks.
    """
    check_unit_id(name)
    root_resolved = root.resolve()
    candidate = (root_resolved / name).resolve()
    if candidate.parent != root_resolved:
        raise InvalidName(f"{name!r} would leave {root}")
    return candidate
