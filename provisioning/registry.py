"""The hub's device registry: the ``devices`` table in the deployment's SQLite database.

Provisioning writes it (register, retire); the hub reads it (get, list) and records when it
last heard from a unit (touch_last_seen). The broker's password and ACL files are
regenerated from it, so a retired device loses access at the next broker reload.

Schema (created if missing, inside ``BEGIN IMMEDIATE``)::

    devices(device_id TEXT PRIMARY KEY, role, station, name,
            provisioned_at_ms INTEGER NOT NULL, retired_at_ms INTEGER NULL,
            last_seen_ms INTEGER NULL, has_client_cert INTEGER NOT NULL,
            replaces TEXT NULL,                 -- the unit this one replaced
            mqtt_password_hash TEXT NOT NULL)   -- mosquitto $7$ hash, never the password

Times are Unix epoch milliseconds (UTC). The database runs in WAL mode; every write is one
``BEGIN IMMEDIATE`` transaction, so several processes (hub, provisioning) can share the
file without "database is locked" surprises. A :class:`Registry` holds one connection and
is thread-safe (a lock serialises calls; each call is a few hundred microseconds).

Example::

    with Registry(Path("deploy/hub.db")) as registry:
        for device in registry.list():
            print(device.device_id, device.active)
        registry.touch_last_seen("qta01-gate-7f3a", now_ms)
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edge_agent.config import ROLES
from khidmat_base.clock import now_ms

__all__ = ["Device", "Registry", "RegistryError", "now_ms"]

BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's write transaction before failing."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ({", ".join(repr(r) for r in ROLES)})),
    station TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    provisioned_at_ms INTEGER NOT NULL,
    retired_at_ms INTEGER,
    last_seen_ms INTEGER,
    has_client_cert INTEGER NOT NULL DEFAULT 0,
    replaces TEXT,
    mqtt_password_hash TEXT NOT NULL
)
"""

_COLUMNS = (
    "device_id, role, station, name, provisioned_at_ms, retired_at_ms, last_seen_ms, "
    "has_client_cert, replaces"
)


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (duplicate id, unknown device)."""


@dataclass(frozen=True, slots=True)
class Device:
    """One registered unit (credentials are not part of it)."""

    device_id: str
    role: str
    station: str
    name: str
    provisioned_at_ms: int
    retired_at_ms: int | None
    last_seen_ms: int | None
    has_client_cert: bool
    replaces: str | None = None
    """The id of the unit this one replaced (same station and role), if any."""

    @property
    def active(self) -> bool:
        """True until the device is retired (revoked)."""
        return self.retired_at_ms is None


def _device(row: tuple) -> Device:
    return Device(*row[:7], has_client_cert=bool(row[7]), replaces=row[8])


class Registry:
    """The ``devices`` table of ``path`` (created with the table if missing)."""

    def __init__(self, path: Path, *, timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._write() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def register(
        self,
        device_id: str,
        *,
        role: str,
        station: str,
        name: str,
        mqtt_password_hash: str,
        has_client_cert: bool,
        replaces: str | None = None,
        at_ms: int | None = None,
    ) -> Device:
        """Add a new device; raises RegistryError if the id was ever registered."""
        at_ms = now_ms() if at_ms is None else at_ms
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO devices (device_id, role, station, name, provisioned_at_ms, "
                    "has_client_cert, mqtt_password_hash, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        device_id,
                        role,
                        station,
                        name,
                        at_ms,
                        int(has_client_cert),
                        mqtt_password_hash,
                        replaces,
                    ),
                )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) or "PRIMARY KEY" in str(error):
                raise RegistryError(f"device {device_id!r} is already registered") from None
            raise RegistryError(f"cannot register {device_id!r}: {error}") from None
        device = self.get(device_id)
        assert device is not None
        return device

    def retire(self, device_id: str, *, at_ms: int | None = None) -> Device:
        """Mark a device retired (idempotent: the first retirement time is kept).

        Raises RegistryError for an unknown id.
        """
        at_ms = now_ms() if at_ms is None else at_ms
        with self._write() as db:
            cursor = db.execute(
                "UPDATE devices SET retired_at_ms = COALESCE(retired_at_ms, ?) WHERE device_id = ?",
                (at_ms, device_id),
            )
            if cursor.rowcount == 0:
                raise RegistryError(f"no such device: {device_id!r}")
        device = self.get(device_id)
        assert device is not None
        return device

    def get(self, device_id: str) -> Device | None:
        """The device with this id, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
        return None if row is None else _device(row)

    def list(self, *, include_retired: bool = True) -> list[Device]:
        """All devices ordered by provisioning time, then id."""
        where = "" if include_retired else " WHERE retired_at_ms IS NULL"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM devices{where} ORDER BY provisioned_at_ms, device_id"
            ).fetchall()
        return [_device(row) for row in rows]

    def touch_last_seen(self, device_id: str, seen_ms: int) -> bool:
        """Record that the hub heard from a device at ``seen_ms`` (never moves backwards).

        Returns False when the id is unknown. One short write transaction: callers that
        see many messages should call it at most every few seconds per device.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE devices SET last_seen_ms = MAX(COALESCE(last_seen_ms, 0), ?) "
                "WHERE device_id = ?",
                (seen_ms, device_id),
            )
            return cursor.rowcount > 0

    def active_password_hashes(self) -> dict[str, str]:
        """``{device_id: mosquitto hash}`` of every device that is not retired."""
        with self._lock:
            rows = self._db.execute(
                "SELECT device_id, mqtt_password_hash FROM devices WHERE retired_at_ms IS NULL"
            ).fetchall()
        return dict(rows)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
