"""Operator alerts: identification hits and fleet problems, acknowledged and closed.

:class:`AlertBoard` works the ``alerts`` table (schema and queries: :mod:`hub.store.alerts`).
An alert has a ``key`` (e.g.
``offline:qta01-gate-1``); raising a key that already has an open alert only bumps its
``last_ms`` and count, so a duty that re-checks every 30 s raises one alert, not one per
check. Operators acknowledge (seen, being handled) and close (with a reason); a fleet
condition that clears closes its alert with ``cleared`` as the actor.
Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.store import HubStore
from hub.store import alerts as table
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection

SEVERITIES = ("info", "warning", "critical")


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
        table.migrate(self.db)

    def raise_alert(
        self,
        key: str,
        kind: str,
        severity: str,
        device_id: str,
        title: str,
        detail: str,
        *,
        conn: Connection | None = None,
        now_ms: int | None = None,
    ) -> bool:
        """Open an alert, or bump the open one with this key. True when a new one opened."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")
        now_ms = _now_ms() if now_ms is None else now_ms
        if conn is None:
            with self.db.write() as own:
                return table.raise_or_bump(
                    own, key, kind, severity, device_id, title, detail, now_ms
                )
        return table.raise_or_bump(conn, key, kind, severity, device_id, title, detail, now_ms)

    def clear(self, key: str, *, now_ms: int | None = None) -> bool:
        """Close the open alert with this key because its condition cleared."""
        now_ms = _now_ms() if now_ms is None else now_ms
        return table.clear(self.db, key, now_ms)

    def acknowledge(self, alert_id: int, *, officer: str) -> None:
        """Mark an alert seen; KeyError when there is no open alert with this id."""
        if not table.acknowledge(self.db, alert_id, officer, _now_ms()):
            raise KeyError(f"no open alert {alert_id}")

    def close(self, alert_id: int, *, officer: str, reason: str) -> None:
        """Close an alert with a reason; KeyError when there is no open alert with this id."""
        if not reason.strip():
            raise ValueError("closing an alert needs a reason")
        if not table.close(self.db, alert_id, officer, reason.strip(), _now_ms()):
            raise KeyError(f"no open alert {alert_id}")

    def list(
        self, *, include_closed: bool = False, kind: str = "", limit: int = 500
    ) -> list[Alert]:
        rows = table.find(self.db, include_closed=include_closed, kind=kind, limit=limit)
        return [Alert(*r) for r in rows]

    def open_keys(self, prefix: str = "") -> set[str]:
        return table.open_keys(self.db, prefix)
