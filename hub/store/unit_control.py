"""Unit settings and command tables of the hub database: ``unit_settings`` (the value of
each setting per unit, with the settings version it was set in), ``unit_config`` (per
unit: the version sent and the version the unit reported applied) and ``unit_commands``
(each command sent, by whom, and its result).

The schema, its migrations and every query on these tables; :mod:`hub.unit_control`
validates and sends. Changes are audited in ``operations_audit`` (:mod:`hub.store.roster`).
Functions taking a ``conn`` run inside the caller's write transaction. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one statement per call.
"""

from __future__ import annotations

import sqlite3

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.unit_control"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE unit_settings (
        device_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (device_id, key)
    );
    CREATE TABLE unit_config (
        device_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        sent_ms INTEGER NOT NULL,
        applied_version INTEGER,
        applied_ms INTEGER
    );
    CREATE TABLE unit_commands (
        record_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        command TEXT NOT NULL,
        by TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        severity TEXT,
        detail TEXT,
        result_ms INTEGER
    );
    CREATE INDEX unit_commands_device ON unit_commands (device_id, at_ms)
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def settings_of(conn_or_db: Connection | Database, device_id: str) -> dict[str, str]:
    sql = "SELECT key, value FROM unit_settings WHERE device_id = ? ORDER BY key"
    if hasattr(conn_or_db, "query"):  # a database (either kind), not a connection
        rows = conn_or_db.query(sql, (device_id,))
    else:
        rows = conn_or_db.execute(sql, (device_id,)).fetchall()
    return {r[0]: r[1] for r in rows}


def values_of(conn: Connection, key: str, device_ids: list[str]) -> dict[str, str]:
    """device -> value of ``key`` among ``device_ids``."""
    marks = ",".join("?" * len(device_ids))
    return {
        r[0]: r[1]
        for r in conn.execute(
            f"SELECT device_id, value FROM unit_settings WHERE key = ? AND device_id IN ({marks})",
            (key, *device_ids),
        )
    }


def put(conn: Connection, device_id: str, key: str, value: str, version: int) -> None:
    conn.execute(
        "INSERT INTO unit_settings VALUES (?, ?, ?, ?) ON CONFLICT(device_id, key) DO UPDATE "
        "SET value = excluded.value, version = excluded.version",
        (device_id, key, value, version),
    )


def config_state(conn_or_db: Connection | Database, device_id: str) -> sqlite3.Row | None:
    sql = "SELECT * FROM unit_config WHERE device_id = ?"
    if hasattr(conn_or_db, "query"):  # a database (either kind), not a connection
        rows = conn_or_db.query(sql, (device_id,))
        return rows[0] if rows else None
    return conn_or_db.execute(sql, (device_id,)).fetchone()


def all_config(db: Database) -> list[sqlite3.Row]:
    return db.query("SELECT * FROM unit_config ORDER BY device_id")


def record_sent(conn: Connection, device_id: str, version: int, now_ms: int) -> None:
    conn.execute(
        "INSERT INTO unit_config (device_id, version, sent_ms) VALUES (?, ?, ?) "
        "ON CONFLICT(device_id) DO UPDATE SET version = excluded.version, sent_ms = excluded.sent_ms",
        (device_id, version, now_ms),
    )


def mark_applied(conn: Connection, device_id: str, version: int, now_ms: int) -> None:
    conn.execute(
        "UPDATE unit_config SET applied_version = CASE WHEN coalesce(applied_version, 0) > ? "
        "THEN applied_version ELSE ? END, applied_ms = ? WHERE device_id = ?",
        (version, version, now_ms, device_id),
    )


def add_command(
    conn: Connection, record_id: str, device_id: str, command: str, by: str, now_ms: int
) -> None:
    conn.execute(
        "INSERT INTO unit_commands (record_id, device_id, command, by, at_ms) VALUES (?, ?, ?, ?, ?)",
        (record_id, device_id, command, by, now_ms),
    )


def set_result(conn: Connection, record_id: str, severity: str, detail: str, now_ms: int) -> None:
    conn.execute(
        "UPDATE unit_commands SET severity = ?, detail = ?, result_ms = ? WHERE record_id = ?",
        (severity, detail, now_ms, record_id),
    )


def commands(db: Database, device_id: str | None, limit: int) -> list[sqlite3.Row]:
    """Newest first."""
    where = "WHERE device_id = ? " if device_id else ""
    args: tuple[object, ...] = (device_id, limit) if device_id else (limit,)
    return db.query(f"SELECT * FROM unit_commands {where}ORDER BY at_ms DESC LIMIT ?", args)


def command(db: Database, record_id: str) -> sqlite3.Row | None:
    rows = db.query("SELECT * FROM unit_commands WHERE record_id = ?", (record_id,))
    return rows[0] if rows else None
