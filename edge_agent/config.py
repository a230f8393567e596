"""The unit's configuration file (TOML), as written by ``khidmat provision device``.

Relative paths in the file are resolved against the file's own directory, so a bundle
can be unpacked anywhere on the data partition. :func:`load_unit_config` raises
:class:`ConfigError` naming the offending key. Pure; thread-safe.

Example::

    [device]
    id = "qta01-gate-7f3a"
    role = "gate"              # desk | gate | enrol
    station = "QTA01"
    name = "Quetta Cantt gate 1"
    data_dir = "data"          # local store: <data_dir>/unit.db

    [broker]
    host = "hub.example"
    port = 8883
    tls = true
    ca_file = "ca.crt"
    username = "qta01-gate-7f3a"
    password_file = "mqtt.password"
    protocol = 5               # 5 or 311
    keepalive_s = 30

    [hub]
    public_key_file = "hub-watchlist.pub"   # Ed25519, PEM

    [sensor]
    backend = "serial"         # serial | sim | none
    port = "/dev/serial0"
    model = "r307"             # r307 | r503 | as608
    baud = 115200              # the fastest R307/AS608/R503 rate; the hub's sensor.baud overrides
    packet_size = 128
    password = 0

    [gpio]
    backend = "native"         # native | mock
    pins = { led_green = 17, led_red = 27, led_amber = 22, buzzer = 23, relay = 24, tamper = 25, button = 5 }

    [printer]                  # desk units: the receipt printer (docs/kiosk.md, Printed receipt)
    backend = "device"         # device | serial | sim | none
    port = "/dev/usb/lp0"      # usblp device; or /dev/ttyUSB0 with backend = "serial"
    baud = 19200               # serial only
    width_px = 576             # 576 for 80 mm paper, 384 for 58 mm
    track_url = "https://track.khidmat.example/"   # printed, and in the QR code

    [agent]
    telemetry_interval_s = 60
    resend_after_s = 10
    max_backoff_s = 300
    catchup_per_s = 200
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from khidmat_base.config import BrokerSection, ConfigError, section
from khidmat_wire.errors import WireError
from khidmat_wire.topics import check_device_id

ROLES = ("desk", "gate", "enrol", "hotel")
DEFAULT_PINS: dict[str, int] = {
    "led_green": 17,
    "led_red": 27,
    "led_amber": 22,
    "buzzer": 23,
    "relay": 24,
    "tamper": 25,
    "button": 5,
}


@dataclass(frozen=True, slots=True)
class DeviceSection:
    id: str
    role: str
    station: str
    data_dir: Path
    name: str = ""
    #: RAM-only files (the watchlist key, the prepared watchlist); None: /dev/shm/khidmat-<id>.
    runtime_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class HubSection:
    public_key_file: Path | None = None


@dataclass(frozen=True, slots=True)
class SensorSection:
    backend: str = "none"
    port: str = "/dev/serial0"
    model: str = "r307"
    baud: int = 115200
    """Rate set on the module at start (it is found at whatever rate it has; a module that
    will not take this rate keeps working at its own, and telemetry reports the rate used)."""
    packet_size: int = 128
    password: int = 0


@dataclass(frozen=True, slots=True)
class PrinterSection:
    """The desk's thermal receipt printer (ESC/POS); ``none``: the unit has none."""

    backend: str = "none"
    port: str = "/dev/usb/lp0"
    baud: int = 19200
    width_px: int = 576
    #: The hub's public tracking page (docs/tracking-web.md); the receipt's QR code carries
    #: it with ``?n=<tracking number>``, which the page fills into its form.
    #: ("" : the QR code carries the tracking number alone).
    track_url: str = ""


@dataclass(frozen=True, slots=True)
class GpioSection:
    backend: str = "mock"
    pins: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PINS))


@dataclass(frozen=True, slots=True)
class AgentSection:
    telemetry_interval_s: float = 60.0
    resend_after_s: float = 10.0
    max_backoff_s: float = 300.0
    catchup_per_s: float = 200.0
    batch_size: int = 100
    #: How often acknowledged records' bookkeeping is pruned and the WAL truncated, seconds.
    scrub_interval_s: float = 60.0
    #: How long the bookkeeping of an acknowledged record (id, kind, times; no payload) stays.
    keep_acked_s: float = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class UnitConfig:
    path: Path
    device: DeviceSection
    broker: BrokerSection
    hub: HubSection
    sensor: SensorSection
    gpio: GpioSection
    agent: AgentSection
    printer: PrinterSection = field(default_factory=PrinterSection)

    @property
    def runtime_dir(self) -> Path:
        """The unit's RAM-only directory (a tmpfs; see :mod:`edge_agent.watchlist_key`)."""
        from edge_agent.watchlist_key import default_runtime_dir

        return self.device.runtime_dir or default_runtime_dir(self.device.id)

    @property
    def store_path(self) -> Path:
        """The local SQLite store on the data partition."""
        return self.device.data_dir / "unit.db"


def parse_unit_config(text: str, path: Path) -> UnitConfig:
    """Parse config text as if read from ``path`` (relative paths resolve beside it)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    base = path.parent
    for key in raw:
        if key not in ("device", "broker", "hub", "sensor", "gpio", "agent", "printer"):
            raise ConfigError(f"[{key}]: unknown section")
    if "device" not in raw:
        raise ConfigError("[device]: missing section")
    for key in ("id", "role", "station", "data_dir"):
        if key not in raw["device"]:
            raise ConfigError(f"[device] {key}: missing")
    device = section(DeviceSection, raw["device"], "device", base)
    try:
        check_device_id(device.id)
    except WireError as error:
        raise ConfigError(f"[device] id: {error.reason}") from None
    if device.role not in ROLES:
        raise ConfigError(f"[device] role: must be one of {', '.join(ROLES)}")
    broker = section(BrokerSection, raw.get("broker"), "broker", base)
    if broker.protocol not in (5, 311):
        raise ConfigError("[broker] protocol: must be 5 or 311")
    if not 0 < broker.port < 65536:
        raise ConfigError("[broker] port: must be 1..65535")
    sensor = section(SensorSection, raw.get("sensor"), "sensor", base)
    if sensor.backend not in ("serial", "sim", "none"):
        raise ConfigError("[sensor] backend: must be serial, sim or none")
    gpio = section(GpioSection, raw.get("gpio"), "gpio", base)
    if gpio.backend not in ("native", "mock"):
        raise ConfigError("[gpio] backend: must be native or mock")
    if not isinstance(gpio.pins, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 27 for v in gpio.pins.values()
    ):
        raise ConfigError("[gpio] pins: must map names to BCM pin numbers 0..27")
    agent = section(AgentSection, raw.get("agent"), "agent", base)
    for name in ("telemetry_interval_s", "resend_after_s", "max_backoff_s", "catchup_per_s",
                 "scrub_interval_s"):  # fmt: skip
        if getattr(agent, name) <= 0:
            raise ConfigError(f"[agent] {name}: must be positive")
    printer = section(PrinterSection, raw.get("printer"), "printer", base)
    if printer.backend not in ("device", "serial", "sim", "none"):
        raise ConfigError("[printer] backend: must be device, serial, sim or none")
    if printer.width_px not in (384, 576):
        raise ConfigError("[printer] width_px: must be 576 (80 mm paper) or 384 (58 mm)")
    if not 1200 <= printer.baud <= 921_600:
        raise ConfigError("[printer] baud: must be 1200..921600")
    url = printer.track_url
    if url and (
        not url.startswith(("https://", "http://"))
        or len(url) > 200
        or not all("!" <= ch <= "~" for ch in url)
    ):
        raise ConfigError(
            "[printer] track_url: must be an http(s) address of at most 200 characters"
        )
    hub = section(HubSection, raw.get("hub"), "hub", base)
    return UnitConfig(path, device, broker, hub, sensor, gpio, agent, printer)


def load_unit_config(path: str | Path) -> UnitConfig:
    """Read and validate a unit configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_unit_config(text, path)
