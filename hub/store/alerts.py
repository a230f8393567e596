"""The ``alerts`` table of the hub database: operator alerts, at most one open per key.

The schema, its migrations and every query on it; :mod:`hub.alerts` is the board over them.
Functions taking a ``conn`` run inside the caller's write transaction. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one indexed statement per call.
"""

from __future__ import annotations

import sqlite3

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.alerts"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        device_id TEXT NOT NULL,
        title TEXT NOT NULL,
        detail TEXT NOT NULL,
        raised_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        times INTEGER NOT NULL DEFAULT 1,
        acked_ms INTEGER,
        acked_by TEXT,
        closed_ms INTEGER,
        closed_by TEXT,
        close_reason TEXT
    );
    CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE closed_ms IS NULL;
    CREATE INDEX alerts_raised ON alerts (raised_ms)
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def raise_or_bump(
    conn: Connection,
    key: str,
    kind: str,
    severity: str,
    device_id: str,
    title: str,
    detail: str,
    now_ms: int,
) -> bool:
    """Bump the open alert with ``key`` (its title and detail follow the newest raise, e.g.
    a further escalation level) or open one; True when a new one opened."""
    cursor = conn.execute(
        "UPDATE alerts SET last_ms = ?, times = times + 1, title = ?, detail = ? "
        "WHERE key = ? AND closed_ms IS NULL",
        (now_ms, title, detail, key),
    )
    if cursor.rowcount:
        return False
    conn.execute(
        "INSERT INTO alerts (key, kind, severity, device_id, title, detail, raised_ms, last_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key, kind, severity, device_id, title, detail, now_ms, now_ms),
    )
    return True


def clear(db: Database, key: str, now_ms: int) -> bool:
    """Close the open alert with ``key`` as cleared; False when none was open."""
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE alerts SET closed_ms = ?, closed_by = 'cleared', close_reason = 'condition cleared' "
            "WHERE key = ? AND closed_ms IS NULL",
            (now_ms, key),
        )
        return cursor.rowcount > 0


def acknowledge(db: Database, alert_id: int, officer: str, now_ms: int) -> bool:
    """False when there is no open alert with this id."""
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE alerts SET acked_ms = ?, acked_by = ? WHERE id = ? AND closed_ms IS NULL",
            (now_ms, officer, alert_id),
        )
        return cursor.rowcount > 0


def close(db: Database, alert_id: int, officer: str, reason: str, now_ms: int) -> bool:
    """False when there is no open alert with this id."""
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE alerts SET closed_ms = ?, closed_by = ?, close_reason = ? "
            "WHERE id = ? AND closed_ms IS NULL",
            (now_ms, officer, reason, alert_id),
        )
        return cursor.rowcount > 0


def find(db: Database, *, include_closed: bool, kind: str, limit: int) -> list[sqlite3.Row]:
    """Alerts (open only unless ``include_closed``; of ``kind`` when given), newest first."""
    where = [] if include_closed else ["closed_ms IS NULL"]
    params: list[object] = []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    sql = "SELECT * FROM alerts" + (" WHERE " + " AND ".join(where) if where else "")
    return db.query(sql + " ORDER BY raised_ms DESC LIMIT ?", (*params, limit))


def open_keys(db: Database, prefix: str) -> set[str]:
    """Keys of open alerts that start with ``prefix``."""
    return {
        r[0]
        for r in db.query(
            "SELECT key FROM alerts WHERE closed_ms IS NULL AND key LIKE ?", (prefix + "%",)
        )
    }
