"""The hub's configuration file (TOML), written by ``khidmat provision init``.

Relative paths resolve against the file's directory (the deployment directory)::

    [hub]
    database = "hub.db"
    signing_key_file = "keys/watchlist-signing.pem"
    workers = 1                 # > 1: MQTT v5 shared subscription across worker processes

    [broker]
    host = "127.0.0.1"
    port = 8883
    tls = true
    ca_file = "ca/ca.crt"
    username = "hub"
    password_file = "secrets/hub.password"
    protocol = 5
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from edge_agent.config import BrokerSection, ConfigError, _section


@dataclass(frozen=True, slots=True)
class HubSection:
    database: Path
    signing_key_file: Path | None = None
    workers: int = 1
    escalation_check_s: float = 30.0
    offline_alert_s: float = 300.0


@dataclass(frozen=True, slots=True)
class HubConfig:
    path: Path
    hub: HubSection
    broker: BrokerSection


def load_hub_config(path: str | Path) -> HubConfig:
    """Read and validate the hub config; ConfigError names the offending key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for key in raw:
        if key not in ("hub", "broker"):
            raise ConfigError(f"[{key}]: unknown section")
    hub_raw = dict(raw.get("hub") or {})
    if "database" not in hub_raw:
        raise ConfigError("[hub] database: missing")
    base = path.parent
    hub_values: dict[str, object] = {}
    for key, value in hub_raw.items():
        if key in ("database", "signing_key_file"):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"[hub] {key}: must be a path string")
            hub_values[key] = Path(value) if Path(value).is_absolute() else base / value
        elif key == "workers":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 64:
                raise ConfigError("[hub] workers: must be an integer 1..64")
            hub_values[key] = value
        elif key in ("escalation_check_s", "offline_alert_s"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(f"[hub] {key}: must be a positive number")
            hub_values[key] = float(value)
        else:
            raise ConfigError(f"[hub] {key}: unknown key")
    broker = _section(BrokerSection, raw.get("broker"), "broker", base)
    if broker.protocol not in (5, 311):
        raise ConfigError("[broker] protocol: must be 5 or 311")
    if hub_values.get("workers", 1) != 1 and broker.protocol != 5:
        raise ConfigError(
            "[hub] workers: more than one worker needs MQTT v5 (shared subscriptions)"
        )
    return HubConfig(path, HubSection(**hub_values), broker)  # type: ignore[arg-type]
