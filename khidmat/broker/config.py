"""Read the part of ``mosquitto.conf`` that Khidmat writes, so one file drives either broker.

``khidmat provision`` and the test fixtures write a Mosquitto config; the embedded
broker reads the same file. Every directive Khidmat writes is understood; any other
directive is an error naming its line, never silently ignored (a setting the operator
relies on must not vanish). Pure parsing, thread-safe, linear in the file size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_QUEUED = 1000
DEFAULT_MAX_INFLIGHT = 20
DEFAULT_AUTOSAVE_S = 1800.0

IGNORED_DIRECTIVES = frozenset({"per_listener_settings", "log_type", "connection_messages", "user"})
"""Understood and deliberately without effect here: one global auth setup (Khidmat never
writes per-listener auth), a fixed log level, connection lines always logged, and no
privilege drop (the embedded broker runs as whoever starts it)."""


class BrokerConfigError(ValueError):
    """The config file cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Listener:
    """One TCP listener; ``tls`` is (cafile, certfile, keyfile) or None for plain TCP."""

    port: int
    host: str | None = None  # None: every interface
    tls: tuple[Path, Path, Path] | None = None
    require_certificate: bool = False


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """What the embedded broker needs; durations in seconds, 0 meaning "never"."""

    listeners: tuple[Listener, ...]
    allow_anonymous: bool = False
    password_file: Path | None = None
    acl_file: Path | None = None
    pid_file: Path | None = None
    persistence_dir: Path | None = None  # None: state lives in memory only
    autosave_s: float = DEFAULT_AUTOSAVE_S
    persistent_client_expiration_s: float = 0.0
    max_queued_messages: int = DEFAULT_MAX_QUEUED
    max_inflight_messages: int = DEFAULT_MAX_INFLIGHT
    log_file: Path | None = None  # None: standard error
    source: Path | None = None


@dataclass
class _ListenerDraft:
    port: int
    host: str | None
    tls_files: dict[str, Path] = field(default_factory=dict)
    require_certificate: bool = False

    def build(self, where: str) -> Listener:
        if not self.tls_files:
            return Listener(self.port, self.host)
        missing = {"cafile", "certfile", "keyfile"} - set(self.tls_files)
        if missing:
            raise BrokerConfigError(f"{where}: TLS listener {self.port} lacks {', '.join(sorted(missing))}")  # fmt: skip
        files = self.tls_files
        return Listener(
            self.port, self.host, (files["cafile"], files["certfile"], files["keyfile"]),
            self.require_certificate,
        )  # fmt: skip


def parse_duration_s(text: str) -> float:
    """Mosquitto's ``<n>[hdwmy]`` durations (``7d``) or plain seconds."""
    match = re.fullmatch(r"(\d+)([hdwmy]?)", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"": 1, "h": 3600, "d": 86400, "w": 604800, "m": 2_592_000, "y": 31_536_000}
    return float(int(match.group(1)) * scale[match.group(2)])


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"expected true or false, got {value!r}")
    return value == "true"


def parse_config(text: str, *, source: Path | None = None) -> BrokerConfig:
    """Parse config text; relative paths are taken from the current directory, like Mosquitto."""
    name = str(source) if source else "<config>"
    drafts: list[_ListenerDraft] = []
    values: dict[str, object] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{name}:{number}"
        key, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if key == "listener":
                parts = rest.split()
                if not 1 <= len(parts) <= 2:
                    raise ValueError("listener takes a port and an optional address")
                drafts.append(_ListenerDraft(int(parts[0]), parts[1] if len(parts) == 2 else None))
            elif key in ("cafile", "certfile", "keyfile"):
                if not drafts:
                    raise ValueError(f"{key} before any listener")
                drafts[-1].tls_files[key] = Path(rest)
            elif key == "require_certificate":
                if not drafts:
                    raise ValueError("require_certificate before any listener")
                drafts[-1].require_certificate = _flag(rest)
            elif key == "allow_anonymous":
                values["allow_anonymous"] = _flag(rest)
            elif key in ("password_file", "acl_file", "pid_file"):
                values[key] = Path(rest)
            elif key == "persistence":
                values["persistence"] = _flag(rest)
            elif key == "persistence_location":
                values["persistence_location"] = Path(rest)
            elif key == "autosave_interval":
                values["autosave_s"] = float(int(rest))
            elif key == "persistent_client_expiration":
                values["persistent_client_expiration_s"] = parse_duration_s(rest)
            elif key in ("max_queued_messages", "max_inflight_messages"):
                values[key] = int(rest)
            elif key == "log_dest":
                kind, _, path = rest.partition(" ")
                if kind == "file" and path.strip():
                    values["log_file"] = Path(path.strip())
                elif kind not in ("stderr", "stdout"):
                    raise ValueError("log_dest must be file <path>, stderr or stdout")
            elif key in IGNORED_DIRECTIVES:
                continue
            else:
                raise ValueError(f"directive {key!r} is not supported by the embedded broker")
        except ValueError as error:
            raise BrokerConfigError(f"{where}: {error}") from None
    if not drafts:
        raise BrokerConfigError(f"{name}: no listener")
    persistence_dir = None
    if values.pop("persistence", False):
        persistence_dir = values.pop("persistence_location", None) or Path(".")
    values.pop("persistence_location", None)
    return BrokerConfig(
        listeners=tuple(draft.build(name) for draft in drafts),
        persistence_dir=persistence_dir,  # type: ignore[arg-type]
        source=source,
        **values,  # type: ignore[arg-type]
    )


def load_config(path: Path) -> BrokerConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BrokerConfigError(f"cannot read {path}: {error.strerror}") from None
    return parse_config(text, source=path)
