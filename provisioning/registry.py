"""The hub's device registry: the ``devices`` table in the deployment's hub database.

Provisioning writes it (register, retire); the hub reads it (get, list) and records when it
last heard from a unit (touch_last_seen). The broker's password and ACL files are
regenerated from it, so a retired device loses access at the next broker reload.

Schema (migration component ``provisioning.registry``; the first step adopts a table made
by an older build, which created it without a migration)::

    devices(device_id TEXT PRIMARY KEY, role, station, name,
            provisioned_at_ms INTEGER NOT NULL, retired_at_ms INTEGER NULL,
            last_seen_ms INTEGER NULL, has_client_cert INTEGER NOT NULL,
            replaces TEXT NULL,                 -- the unit this one replaced
            mqtt_password_hash TEXT NOT NULL)   -- mosquitto $7$ hash, never the password

Times are Unix epoch milliseconds (UTC). The database is the hub's
(:func:`khidmat_base.database.open_database`: a SQLite file or a PostgreSQL URL; every
write one serialized transaction), so several processes (hub, provisioning) share it
without "database is locked" surprises; the hub passes its own database so both use one
connection. Thread-safe (the database's
lock serialises calls; each call is a few hundred microseconds).

Example::

    with Registry(Path("deploy/hub.db")) as registry:
        for device in registry.list():
            print(device.device_id, device.active)
        registry.touch_last_seen("qta01-gate-7f3a", now_ms)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge_agent.config import ROLES
from khidmat_base.clock import now_ms
from khidmat_base.database import Connection, integrity_errors, open_database
from khidmat_base.sql_dialect import table_exists
from khidmat_base.sqlite import Database

__all__ = ["Device", "Registry", "RegistryError", "now_ms", "role_in"]

COMPONENT = "provisioning.registry"
_DEVICES_COLUMNS = f"""
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
"""
MIGRATIONS: tuple[str, ...] = (
    f"CREATE TABLE IF NOT EXISTS devices ({_DEVICES_COLUMNS})",
    # 2: the role check admits every role of edge_agent.config.ROLES (hotel units came
    # after the table): SQLite cannot alter a CHECK, so the table is copied
    f"CREATE TABLE devices_roles ({_DEVICES_COLUMNS}); "
    "INSERT INTO devices_roles SELECT device_id, role, station, name, provisioned_at_ms, "
    "retired_at_ms, last_seen_ms, has_client_cert, replaces, mqtt_password_hash FROM devices; "
    "DROP TABLE devices; ALTER TABLE devices_roles RENAME TO devices",
)

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
    """The ``devices`` table of the hub database (created with its migration if missing).

    ``db``: the hub's open :class:`Database` (shared, not closed here) or a path to open.
    """

    def __init__(self, db: Database | Path | str) -> None:
        self._owned = isinstance(db, (str, Path))
        self._db = open_database(db) if isinstance(db, (str, Path)) else db
        self.path = Path(self._db.location) if self._db.dialect == "sqlite" else None
        """The SQLite file (None on PostgreSQL)."""
        self._db.migrate(COMPONENT, MIGRATIONS)

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
            with self._db.write() as db:
                if db.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)).fetchone():
                    raise RegistryError(f"device {device_id!r} is already registered")
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
        except integrity_errors() as error:
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
        with self._db.write() as db:
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
        rows = self._db.query(f"SELECT {_COLUMNS} FROM devices WHERE device_id = ?", (device_id,))
        return _device(tuple(rows[0])) if rows else None

    def list(self, *, include_retired: bool = True) -> list[Device]:
        """All devices ordered by provisioning time, then id."""
        where = "" if include_retired else " WHERE retired_at_ms IS NULL"
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM devices{where} ORDER BY provisioned_at_ms, device_id"
        )
        return [_device(tuple(row)) for row in rows]

    def touch_last_seen(self, device_id: str, seen_ms: int) -> bool:
        """Record that the hub heard from a device at ``seen_ms`` (never moves backwards).

        Returns False when the id is unknown. One short write transaction: callers that
        see many messages should call it at most every few seconds per device.
        """
        with self._db.write() as db:
            cursor = db.execute(
                "UPDATE devices SET last_seen_ms = CASE WHEN COALESCE(last_seen_ms, 0) > ? "
                "THEN last_seen_ms ELSE ? END WHERE device_id = ?",
                (seen_ms, seen_ms, device_id),
            )
            return cursor.rowcount > 0

    def active_password_hashes(self) -> dict[str, str]:
        """``{device_id: mosquitto hash}`` of every device that is not retired."""
        rows = self._db.query(
            "SELECT device_id, mqtt_password_hash FROM devices WHERE retired_at_ms IS NULL"
        )
        return {r[0]: r[1] for r in rows}

    def close(self) -> None:
        """Close the connection when this registry opened it (idempotent)."""
        if self._owned:
            self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def role_in(conn: Connection, device_id: str) -> str | None:
    """The unit's role in the registry, read inside the caller's transaction on the hub
    database; None when it is not registered (or no registry was ever made there)."""
    if not table_exists(conn, "devices"):
        return None
    row = conn.execute("SELECT role FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return None if row is None else str(row[0])


def station_in(conn: Connection, device_id: str) -> str | None:
    """The unit's station in the registry, read inside the caller's transaction on the hub
    database; None when it is not registered (or no registry was ever made there)."""
    if not table_exists(conn, "devices"):
        return None
    row = conn.execute("SELECT station FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return None if row is None or not row[0] else str(row[0])
