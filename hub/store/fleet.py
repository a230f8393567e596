"""Fleet tables of the hub database: ``device_telemetry`` (the latest per unit) and
``telemetry_history`` (samples for sparklines and heartbeat gaps).

The schema, its migrations and every query on these tables; :mod:`hub.fleet` builds the
console's view and the fleet alerts over them. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one statement per call; :func:`history` reads
every kept sample (at most ``keep`` per unit).
"""

from __future__ import annotations

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database
from khidmat_wire.messages import Telemetry

COMPONENT = "hub.fleet"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE device_telemetry (
        device_id TEXT PRIMARY KEY,
        received_ms INTEGER NOT NULL,
        device_time_ms INTEGER NOT NULL,
        uptime_s REAL NOT NULL,
        cpu_temp_c REAL NOT NULL,
        load1 REAL NOT NULL,
        disk_free_mb REAL NOT NULL,
        outbox_depth INTEGER NOT NULL,
        oldest_unacked_s REAL NOT NULL,
        watchlist_version INTEGER NOT NULL,
        watchlist_age_s REAL NOT NULL,
        sensor_status TEXT NOT NULL
    );
    CREATE TABLE telemetry_history (
        device_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        outbox_depth INTEGER NOT NULL,
        load1 REAL NOT NULL
    );
    CREATE INDEX telemetry_history_device ON telemetry_history (device_id, at_ms)
    """,
    "ALTER TABLE device_telemetry ADD COLUMN sensor_baud INTEGER NOT NULL DEFAULT 0",
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def put_telemetry(
    conn: Connection, device_id: str, received_ms: int, device_time_ms: int, t: Telemetry
) -> None:
    """Keep the unit's latest telemetry (an older sample never replaces a newer one) and add
    the sample to its history."""
    conn.execute(
        "INSERT INTO device_telemetry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(device_id) DO UPDATE SET received_ms = excluded.received_ms, "
        "device_time_ms = excluded.device_time_ms, uptime_s = excluded.uptime_s, "
        "cpu_temp_c = excluded.cpu_temp_c, load1 = excluded.load1, disk_free_mb = excluded.disk_free_mb, "
        "outbox_depth = excluded.outbox_depth, oldest_unacked_s = excluded.oldest_unacked_s, "
        "watchlist_version = excluded.watchlist_version, watchlist_age_s = excluded.watchlist_age_s, "
        "sensor_status = excluded.sensor_status, sensor_baud = excluded.sensor_baud WHERE excluded.device_time_ms >= device_telemetry.device_time_ms",
        (
            device_id,
            received_ms,
            device_time_ms,
            t.uptime_s,
            t.cpu_temp_c,
            t.load1,
            t.disk_free_mb,
            t.outbox_depth,
            t.oldest_unacked_s,
            t.watchlist_version,
            t.watchlist_age_s,
            t.sensor_status,
            t.sensor_baud,
        ),
    )
    conn.execute(
        "INSERT INTO telemetry_history VALUES (?, ?, ?, ?)",
        (device_id, device_time_ms, t.outbox_depth, t.load1),
    )


def latest(db: Database) -> dict[str, dict[str, float | int | str]]:
    """device_id -> its latest telemetry row as a dict (column -> value)."""
    return {r["device_id"]: dict(r) for r in db.query("SELECT * FROM device_telemetry")}


def history(db: Database) -> list[tuple[str, int, int]]:
    """(device_id, outbox_depth, at_ms) of every kept sample, by unit then time."""
    rows = db.query(
        "SELECT device_id, outbox_depth, at_ms FROM telemetry_history ORDER BY device_id, at_ms"
    )
    return [(r[0], r[1], r[2]) for r in rows]


def prune_history(db: Database, keep: int) -> None:
    """Keep the newest ``keep`` samples of each unit (and any as old as the oldest kept)."""
    with db.write() as conn:
        conn.execute(
            "DELETE FROM telemetry_history WHERE at_ms < (SELECT h.at_ms FROM telemetry_history h "
            "WHERE h.device_id = telemetry_history.device_id ORDER BY h.at_ms DESC "
            "LIMIT 1 OFFSET ?)",
            (max(keep, 1) - 1,),
        )
        if keep <= 0:
            conn.execute("DELETE FROM telemetry_history")
