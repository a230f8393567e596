"""The hub's configuration file (TOML), written by ``khidmat provision init``.

Relative paths resolve against the file's directory (the deployment directory)::

    [hub]
    database = "hub.db"         # or "postgresql://khidmat@db.example:5432/hub" (a server
                                # shared by hub processes on several machines)
    signing_key_file = "keys/watchlist-signing.pem"
    workers = 1                 # > 1: MQTT v5 shared subscription across worker processes
    urgent_ack_s = 300          # an urgent complaint's alert unacknowledged this long escalates
    urgent_check_s = 2          # how often unacknowledged urgent alerts are looked for

    [broker]
    host = "127.0.0.1"
    port = 8883
    tls = true
    ca_file = "ca/ca.crt"
    username = "hub"
    password_file = "secrets/hub.password"
    protocol = 5

    [complaints]                # optional: turnaround guarantees
    escalation_step_hours = 24  # between escalation levels (default: the category's period)
    [complaints.due_hours]      # override a category's own (khidmat_wire.vocabulary)
    theft = 24
    fraud = 168

    [watchlist]                 # optional: who is on the gates' list
    statuses = ["wanted", "proclaimed-offender"]
    offences = []               # not empty: only people with one of these offences

    [sms]                       # optional: texts to citizens through a GSM modem
    port = "/dev/ttyUSB2"       # '' or absent: texts stay queued
    quiet_from_h = 21           # Pakistan time; urgent texts go anyway
    quiet_to_h = 8
    duty_officer = "0300-1234567"   # texted at once about each urgent complaint

    [tracking]                  # optional: the public tracking page (khidmat tracking)
    host = "127.0.0.1"          # loopback by default; a TLS reverse proxy faces the public
    port = 8090
    mobile_digits = 4           # second factor: the last digits of the citizen's mobile
    client_limit = 30           # lookups per client address per client_window_s
    client_window_s = 60
    number_limit = 5            # failed lookups of one number per number_window_s
    number_window_s = 3600
    trusted_proxies = []        # reverse proxies whose X-Forwarded-For names the client
    [hotels]                    # optional: Hotel Eye (docs/station.md)
    retention_days = 90         # guest stays are dropped this long after check-in
    purge_check_s = 3600        # how often the hub drops expired stays
    name_match_min = 90         # fuzzy name score 0..100 that raises a possible-match alert

    [fleet]                     # optional: alert thresholds
    backlog_records = 500
    backlog_age_s = 3600
    watchlist_stale_s = 86400

    [federation]                # optional: cross-province searches (hub.federation.settings)
    province = "balochistan"
    provinces = ["punjab", "sindh", "islamabad"]
    policy = "no-hit"           # or "every"
    deadline_s = 1.5
    desk = "Balochistan CRO desk, Quetta"
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path

from hub.complaint_rules import DuePolicy, default_due_hours
from hub.federation.settings import FederationSettings, parse_federation
from hub.hotels import HotelSettings
from hub.sms.outbox import SmsSettings
from hub.tracking_web.settings import MOBILE_DIGITS_RANGE, TrackingSettings
from khidmat_base.config import BrokerSection, ConfigError, section
from khidmat_base.database import is_server_url
from khidmat_wire.topics import HUB_WORKERS_MAX
from khidmat_wire.vocabulary import is_mobile


@dataclass(frozen=True, slots=True)
class HubSection:
    database: Path | str
    """The SQLite file, or a ``postgresql://`` URL (libpq reads a password from
    ``~/.pgpass`` or ``PGPASSFILE``, so the URL need not hold one)."""
    data_dir: Path = Path(".")
    """Where the hub writes files (reports/, exports/, gallery files): the SQLite file's
    folder, or the configuration file's folder when the database is a server."""
    signing_key_file: Path | None = None
    workers: int = 1
    escalation_check_s: float = 30.0
    offline_alert_s: float = 300.0
    watchlist_check_s: float = 30.0
    #: How long a gate may use its watchlist key without hearing from the hub, seconds.
    watchlist_key_grace_s: float = 3 * 86400.0
    fleet_check_s: float = 30.0
    urgent_ack_s: float = 300.0
    """Seconds an operator has to acknowledge an urgent complaint's console alert before
    the complaint escalates one level (and again every ``urgent_ack_s`` while unacknowledged)."""
    urgent_check_s: float = 2.0
    """How often unacknowledged urgent alerts are looked for (one indexed query)."""
    hit_threshold: float | None = None
    """Score at or above which a hub search is a hit; None: set from the gallery size for a
    false-positive identification rate of 1e-3 (matcher_cy.decision)."""


@dataclass(frozen=True, slots=True)
class WatchlistCriteria:
    """Who goes on the gates' list: these statuses, and (when given) one of these offences."""

    statuses: tuple[str, ...] = ("wanted", "proclaimed-offender")
    offences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FleetSection:
    backlog_records: int = 500
    backlog_age_s: float = 3600.0
    watchlist_stale_s: float = 86_400.0


@dataclass(frozen=True, slots=True)
class HubConfig:
    path: Path
    hub: HubSection
    broker: BrokerSection
    complaints: DuePolicy = DuePolicy()
    fleet: FleetSection = FleetSection()
    watchlist: WatchlistCriteria = WatchlistCriteria()
    sms: SmsSettings = SmsSettings()
    tracking: TrackingSettings = TrackingSettings()
    hotels: HotelSettings = HotelSettings()
    federation: FederationSettings | None = None
    """None: this hub searches its own province only."""


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
        if key not in (
            "hub", "broker", "complaints", "fleet", "watchlist", "sms", "tracking", "hotels",
            "federation",
        ):  # fmt: skip
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
            if key == "database" and is_server_url(value):
                hub_values[key] = value
                hub_values["data_dir"] = base
                continue
            hub_values[key] = Path(value) if Path(value).is_absolute() else base / value
            if key == "database":
                hub_values["data_dir"] = hub_values[key].parent  # type: ignore[union-attr]
        elif key == "workers":
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 1 <= value <= HUB_WORKERS_MAX
            ):
                # one broker identity per worker (hub, hub-1, ...), as provisioning writes
                raise ConfigError(f"[hub] workers: must be an integer 1..{HUB_WORKERS_MAX}")
            hub_values[key] = value
        elif key in (
            "escalation_check_s",
            "offline_alert_s",
            "watchlist_check_s",
            "watchlist_key_grace_s",
            "fleet_check_s",
            "urgent_ack_s",
            "urgent_check_s",
            "hit_threshold",
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(f"[hub] {key}: must be a positive number")
            hub_values[key] = float(value)
        else:
            raise ConfigError(f"[hub] {key}: unknown key")
    broker = section(BrokerSection, raw.get("broker"), "broker", base)
    if broker.protocol not in (5, 311):
        raise ConfigError("[broker] protocol: must be 5 or 311")
    if hub_values.get("workers", 1) != 1 and broker.protocol != 5:
        raise ConfigError(
            "[hub] workers: more than one worker needs MQTT v5 (shared subscriptions)"
        )
    return HubConfig(
        path,
        HubSection(**hub_values),  # type: ignore[arg-type]
        broker,
        _complaints(raw.get("complaints") or {}),
        _fleet(raw.get("fleet") or {}),
        _watchlist(raw.get("watchlist") or {}),
        _sms(raw.get("sms") or {}, base),
        _tracking(raw.get("tracking") or {}),
        _hotels(raw.get("hotels") or {}),
        parse_federation(raw["federation"]) if "federation" in raw else None,
    )


def _tracking(raw: dict[str, object]) -> TrackingSettings:
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key == "host":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError("[tracking] host: must be an address to listen on")
            values[key] = value.strip()
        elif key == "port":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
                raise ConfigError("[tracking] port: must be a port number 1..65535")
            values[key] = value
        elif key == "mobile_digits":
            low, high = MOBILE_DIGITS_RANGE
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"[tracking] mobile_digits: must be an integer {low}..{high}")
            values[key] = value
        elif key in ("client_limit", "number_limit"):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"[tracking] {key}: must be a positive integer")
            values[key] = value
        elif key in ("client_window_s", "number_window_s"):
            values[key] = _positive("tracking", key, value)
        elif key == "trusted_proxies":
            if not isinstance(value, list) or not all(_is_address(v) for v in value):
                raise ConfigError("[tracking] trusted_proxies: must be a list of IP addresses")
            values[key] = tuple(str(ipaddress.ip_address(v)) for v in value)
        else:
            raise ConfigError(f"[tracking] {key}: unknown key")
    return TrackingSettings(**values)  # type: ignore[arg-type]


def _hotels(raw: dict[str, object]) -> HotelSettings:
    values: dict[str, float] = {}
    for key, value in raw.items():
        if key in ("retention_days", "purge_check_s"):
            values[key] = _positive("hotels", key, value)
        elif key == "name_match_min":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 50 <= value <= 100
            ):
                raise ConfigError("[hotels] name_match_min: must be a score 50..100")
            values[key] = float(value)
        else:
            raise ConfigError(f"[hotels] {key}: unknown key")
    return HotelSettings(**values)  # type: ignore[arg-type]


def _sms(raw: dict[str, object], base: Path) -> SmsSettings:
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key == "port":
            if not isinstance(value, str):
                raise ConfigError("[sms] port: must be a path string")
            values[key] = "" if not value else str(value if value.startswith("/") else base / value)
        elif key == "duty_officer":
            if not isinstance(value, str) or (value and not is_mobile(value)):
                raise ConfigError("[sms] duty_officer: must be a mobile number 03XX-XXXXXXX")
            values[key] = value
        elif key in ("baud", "max_attempts"):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"[sms] {key}: must be a positive integer")
            values[key] = value
        elif key in ("quiet_from_h", "quiet_to_h"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
                raise ConfigError(f"[sms] {key}: must be an hour 0..23")
            values[key] = value
        elif key in ("check_s", "retry_base_s", "retry_max_s", "register_s"):
            values[key] = _positive("sms", key, value)
        else:
            raise ConfigError(f"[sms] {key}: unknown key")
    return SmsSettings(**values)  # type: ignore[arg-type]


def _is_address(value: object) -> bool:
    try:
        ipaddress.ip_address(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return isinstance(value, str)


def _watchlist(raw: dict[str, object]) -> WatchlistCriteria:
    from khidmat_wire.messages import PERSON_STATUSES

    values: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        if key not in ("statuses", "offences"):
            raise ConfigError(f"[watchlist] {key}: unknown key")
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"[watchlist] {key}: must be a list of strings")
        values[key] = tuple(value)
    statuses = values.get("statuses", WatchlistCriteria().statuses)
    if not statuses or any(s not in PERSON_STATUSES for s in statuses):
        raise ConfigError(f"[watchlist] statuses: one or more of {', '.join(PERSON_STATUSES)}")
    return WatchlistCriteria(statuses, values.get("offences", ()))


def _positive(section: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"[{section}] {key}: must be a positive number")
    return float(value)


def _complaints(raw: dict[str, object]) -> DuePolicy:
    due = default_due_hours()
    step: float | None = None
    for key, value in raw.items():
        if key == "due_hours":
            if not isinstance(value, dict):
                raise ConfigError("[complaints.due_hours]: must be a table of category = hours")
            for category, hours in value.items():
                if category not in due:
                    raise ConfigError(
                        f"[complaints.due_hours] {category}: not a complaint category "
                        f"(one of {', '.join(due)})"
                    )
                due[category] = _positive("complaints.due_hours", category, hours)
        elif key == "default_due_hours":
            raise ConfigError(
                "[complaints] default_due_hours: there is no fallback due time; every category "
                "has its own (set one under [complaints.due_hours])"
            )
        elif key == "escalation_step_hours":
            step = _positive("complaints", key, value)
        else:
            raise ConfigError(f"[complaints] {key}: unknown key")
    return DuePolicy(due, step)


def _fleet(raw: dict[str, object]) -> FleetSection:
    values: dict[str, float | int] = {}
    for key, value in raw.items():
        if key == "backlog_records":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError("[fleet] backlog_records: must be a positive integer")
            values[key] = value
        elif key in ("backlog_age_s", "watchlist_stale_s"):
            values[key] = _positive("fleet", key, value)
        else:
            raise ConfigError(f"[fleet] {key}: unknown key")
    return FleetSection(**values)  # type: ignore[arg-type]
