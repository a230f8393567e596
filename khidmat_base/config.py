"""Config files' sections: one TOML table read into a frozen dataclass, with clear errors.

Shared by the unit's config (edge_agent.config) and the hub's (hub.config): both have a
``[broker]`` section (:class:`BrokerSection`) and read tables with :func:`section`. Pure;
thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class BrokerSection:
    """A config's ``[broker]`` table: where the MQTT broker is and how to log in."""

    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    username: str = ""
    password_file: Path | None = None
    protocol: int = 5
    keepalive_s: int = 30

    def password(self) -> str | None:
        """The MQTT password, read from its file (None when there is none)."""
        if self.password_file is None:
            return None
        return self.password_file.read_text(encoding="utf-8").strip()


PATH_KEYS = frozenset(
    {
        "data_dir",
        "runtime_dir",
        "ca_file",
        "cert_file",
        "key_file",
        "password_file",
        "public_key_file",
    }
)
"""Keys whose values are paths, resolved against the config file's directory."""


def section(cls: type, raw: Any, name: str, base: Path) -> Any:
    """The dataclass ``cls`` filled from the TOML table ``raw`` (``[name]``; None: defaults).

    Unknown keys, missing required keys and values of the wrong type raise
    :class:`ConfigError` naming ``[name] key``; relative paths (:data:`PATH_KEYS`) are
    resolved against ``base``.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"[{name}] {key}: unknown key (expected one of {', '.join(known)})")
        if key in PATH_KEYS:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"[{name}] {key}: must be a non-empty path string")
            path = Path(value)
            value = path if path.is_absolute() else (base / path)
        values[key] = value
    try:
        section = cls(**values)
    except TypeError as error:
        raise ConfigError(f"[{name}] {error}") from None
    for f in fields(cls):
        value = getattr(section, f.name)
        expected = f.type if isinstance(f.type, str) else f.type.__name__
        if expected in ("int", "float") and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            raise ConfigError(f"[{name}] {f.name}: must be a number")
        if expected == "int" and not isinstance(value, int):
            raise ConfigError(f"[{name}] {f.name}: must be an integer")
        if expected == "str" and not isinstance(value, str):
            raise ConfigError(f"[{name}] {f.name}: must be a string")
        if expected == "bool" and not isinstance(value, bool):
            raise ConfigError(f"[{name}] {f.name}: must be true or false")
    return section
