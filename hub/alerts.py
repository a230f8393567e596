"""Operator alerts: identification hits and fleet problems, acknowledged and closed.

:class:`AlertBoard` owns the ``alerts`` table. An alert has a ``key`` (e.g.
``offline:qta01-gate-1``); raising a key that already has an open alert only bumps its
``last_ms`` and count, so a duty that re-checks every 30 s raises one alert, not one per
check. Operators acknowledge (seen, being handled) and close (with a reason); a fleet
condition that clears closes its alert with ``cleared`` as the actor.
Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from hub.store import HubStore
from khidmat_base.clock import now_ms as _now_ms

SEVERITIES = ("info", "warning", "critical")

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


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    key: str
    kind: str
    severity: str
    device_id: str
    title: str
    detail: str
    raised_ms: int
    last_ms: int
    times: int
    acked_ms: int | None
    acked_by: str | None
    closed_ms: int | None
    closed_by: str | None
    close_reason: str | None

    @property
    def state(self) -> str:
        if self.closed_ms is not None:
            return "closed"
        return "acknowledged" if self.acked_ms is not None else "new"


class AlertBoard:
    def __init__(self, store: HubStore) -> None:
        self.db = store.db
        self.db.migrate("hub.alerts", MIGRATIONS)

    def raise_alert(
        self,
        key: str,
        kind: str,
        severity: str,
        device_id: str,
        title: str,
        detail: str,
        *,
        conn: sqlite3.Connection | None = None,
        now_ms: int | None = None,
    ) -> bool:
        """Open an alert, or bump the open one with this key. True when a new one opened."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")
        now_ms = _now_ms() if now_ms is None else now_ms
        if conn is None:
            with self.db.write() as own:
                return _raise(own, key, kind, severity, device_id, title, detail, now_ms)
        return _raise(conn, key, kind, severity, device_id, title, detail, now_ms)

    def clear(self, key: str, *, now_ms: int | None = None) -> bool:
        """Close the open alert with this key because its condition cleared."""
        now_ms = _now_ms() if now_ms is None else now_ms
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE alerts SET closed_ms = ?, closed_by = 'cleared', close_reason = 'condition cleared' "
                "WHERE key = ? AND closed_ms IS NULL",
                (now_ms, key),
            )
            return cursor.rowcount > 0

    def acknowledge(self, alert_id: int, *, officer: str) -> None:
        """Mark an alert seen; KeyError when there is no open alert with this id."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE alerts SET acked_ms = ?, acked_by = ? WHERE id = ? AND closed_ms IS NULL",
                (_now_ms(), officer, alert_id),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no open alert {alert_id}")

    def close(self, alert_id: int, *, officer: str, reason: str) -> None:
        """Close an alert with a reason; KeyError when there is no open alert with this id."""
        if not reason.strip():
            raise ValueError("closing an alert needs a reason")
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE alerts SET closed_ms = ?, closed_by = ?, close_reason = ? "
                "WHERE id = ? AND closed_ms IS NULL",
                (_now_ms(), officer, reason.strip(), alert_id),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no open alert {alert_id}")

    def list(
        self, *, include_closed: bool = False, kind: str = "", limit: int = 500
    ) -> list[Alert]:
        where = [] if include_closed else ["closed_ms IS NULL"]
        params: list[object] = []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        sql = "SELECT * FROM alerts" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.db.query(sql + " ORDER BY raised_ms DESC LIMIT ?", (*params, limit))
        return [Alert(*r) for r in rows]

    def open_keys(self, prefix: str = "") -> set[str]:
        return {
            r[0]
            for r in self.db.query(
                "SELECT key FROM alerts WHERE closed_ms IS NULL AND key LIKE ?", (prefix + "%",)
            )
        }


def _raise(
    conn: sqlite3.Connection,
    key: str,
    kind: str,
    severity: str,
    device_id: str,
    title: str,
    detail: str,
    now_ms: int,
) -> bool:
    cursor = conn.execute(
        "UPDATE alerts SET last_ms = ?, times = times + 1, detail = ? WHERE key = ? AND closed_ms IS NULL",
        (now_ms, detail, key),
    )
    if cursor.rowcount:
        return False
    conn.execute(
        "INSERT INTO alerts (key, kind, severity, device_id, title, detail, raised_ms, last_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key, kind, severity, device_id, title, detail, now_ms, now_ms),
    )
    return True
