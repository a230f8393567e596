"""The deployment directory (``DIR``) that ``khidmat provision init`` makes: where every file
lives, and the broker settings chosen at init (``DIR/provision.toml``).

Layout::

    DIR/provision.toml            broker settings chosen at init (read by every command)
    DIR/hub.toml                  the hub process's config
    DIR/hub.db                    the hub's SQLite database (provisioning owns `devices`)
    DIR/ca/ca.crt, ca.key         the deployment CA (key 0600, directory 0700)
    DIR/tls/server.crt, .key      the broker's TLS certificate (key 0600)
    DIR/keys/watchlist-signing.pem, .pub   the hub's Ed25519 signing key (private 0600)
    DIR/secrets/hub.password      the hub's MQTT password (0600)
    DIR/mosquitto.conf, mosquitto.passwd (0600), mosquitto.acl   regenerated from hub.db
    DIR/broker/                   Mosquitto persistence, log and pid file
    DIR/units/<device_id>/        one bundle per provisioned unit
    DIR/federation.toml           the province's federation settings (provision province)
    DIR/federation/               federation CA cert, listener and bridge certificates

Pure path arithmetic plus one small TOML read/write; thread-safe.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khidmat_base.database import is_server_url
from provisioning.files import write_public
from provisioning.toml_text import toml_document

DEFAULT_HOST = "localhost"
DEFAULT_TLS_PORT = 8883
DEFAULT_SANS: tuple[str, ...] = ("localhost", "127.0.0.1")


class DeploymentError(RuntimeError):
    """DIR is missing, not initialised, or its provision.toml is unusable."""


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """How the broker listens and how units and the hub reach it."""

    host: str = DEFAULT_HOST
    """Name (or IP) units and the hub connect to; always in the server certificate."""
    port: int = DEFAULT_TLS_PORT
    """TLS listener port."""
    bind: str = ""
    """TLS listener address; empty = all interfaces."""
    loopback_port: int = 0
    """Plain (non-TLS) listener on 127.0.0.1 for the demo and tests; 0 = none."""
    require_client_cert: bool = False
    """Units must present a client certificate signed by the CA (in addition to a password)."""
    sans: list[str] = field(default_factory=lambda: list(DEFAULT_SANS))
    """Host names and IP addresses in the server certificate (``host`` is added)."""
    run_as: str = field(default_factory=lambda: pwd.getpwuid(os.geteuid()).pw_name)
    """Mosquitto's ``user``: the account that owns DIR, so it can read the 0600 files."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """Paths inside one deployment directory."""

    root: Path

    @property
    def settings_path(self) -> Path:
        return self.root / "provision.toml"

    @property
    def hub_toml(self) -> Path:
        return self.root / "hub.toml"

    @property
    def hub_db(self) -> Path:
        return self.root / "hub.db"

    @property
    def hub_database(self) -> Path | str:
        """Where the hub's database (and so the registry) is: hub.db, or the PostgreSQL
        server's URL when hub.toml's ``[hub] database`` names one."""
        try:
            raw = tomllib.loads(self.hub_toml.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return self.hub_db
        hub = raw.get("hub")
        value = hub.get("database") if isinstance(hub, dict) else None
        return value if isinstance(value, str) and is_server_url(value) else self.hub_db

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.root / "tls" / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.root / "tls" / "server.key"

    @property
    def signing_key(self) -> Path:
        return self.root / "keys" / "watchlist-signing.pem"

    @property
    def signing_public_key(self) -> Path:
        return self.root / "keys" / "watchlist-signing.pub"

    @property
    def hub_password(self) -> Path:
        return self.root / "secrets" / "hub.password"

    @property
    def mosquitto_conf(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def password_file(self) -> Path:
        return self.root / "mosquitto.passwd"

    @property
    def acl_file(self) -> Path:
        return self.root / "mosquitto.acl"

    @property
    def broker_dir(self) -> Path:
        return self.root / "broker"

    @property
    def pid_file(self) -> Path:
        return self.broker_dir / "mosquitto.pid"

    @property
    def log_file(self) -> Path:
        return self.broker_dir / "mosquitto.log"

    @property
    def federation_toml(self) -> Path:
        return self.root / "federation.toml"

    @property
    def federation_dir(self) -> Path:
        return self.root / "federation"

    @property
    def units_dir(self) -> Path:
        return self.root / "units"

    @property
    def lock_file(self) -> Path:
        return self.root / ".provision.lock"

    @contextmanager
    def locked(self, *, create: bool = False) -> Iterator[None]:
        """Hold DIR's provisioning lock (``flock``; blocks while another command holds it).

        ``create`` (init only) makes DIR first; otherwise DIR must be initialised. Every
        command that writes DIR takes it, so two technicians' ``device`` and
        ``revoke`` runs cannot interleave their broker-file rewrites.
        """
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        elif not self.initialised:
            raise DeploymentError(
                f"{self.root} is not a deployment directory (run: khidmat provision init --dir {self.root})"
            )
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    @property
    def initialised(self) -> bool:
        return self.settings_path.exists()

    def load_settings(self) -> BrokerSettings:
        """Read provision.toml; raises DeploymentError if DIR was not initialised."""
        if not self.initialised:
            raise DeploymentError(
                f"{self.root} is not a deployment directory (run: khidmat provision init --dir {self.root})"
            )
        try:
            raw = tomllib.loads(self.settings_path.read_text(encoding="utf-8"))
            return BrokerSettings(**raw["broker"])
        except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
            raise DeploymentError(f"{self.settings_path}: unusable ({error})") from None

    def save_settings(self, settings: BrokerSettings) -> None:
        write_public(
            self.settings_path,
            toml_document(
                {"broker": asdict(settings)},
                header="Written by `khidmat provision init`; read by every provision command.\n"
                "Changing host or sans needs a new server certificate (run init again in a new DIR).",
            ),
        )
