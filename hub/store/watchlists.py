"""Watchlist tables of the hub database: ``watchlist_versions`` (membership per version)
and ``gate_watchlists`` (what each gate was sent and reports installed).

The schema, its migrations and every query on these tables; :mod:`hub.watchlists` builds,
signs and queues the lists over them. Memberships are kept as JSON (person id -> digest).
Functions taking a ``conn`` run inside the caller's write transaction. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one statement per call.
"""

from __future__ import annotations

import json

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.watchlists"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE watchlist_versions (
        version INTEGER PRIMARY KEY,
        issued_ms INTEGER NOT NULL,
        criteria TEXT NOT NULL,
        members TEXT NOT NULL,
        entries INTEGER NOT NULL
    );
    CREATE TABLE gate_watchlists (
        device_id TEXT PRIMARY KEY,
        sent_version INTEGER,
        sent_ms INTEGER,
        installed_version INTEGER,
        installed_ms INTEGER,
        note TEXT NOT NULL DEFAULT ''
    )
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def add_version_if_changed(
    db: Database,
    members: dict[str, str],
    *,
    criteria: dict[str, object],
    entries: int,
    now_ms: int,
    keep: int,
) -> int:
    """The current version: the newest when its membership equals ``members``, else a new
    one (older versions beyond the newest ``keep`` are dropped). One write transaction."""
    with db.write() as conn:
        row = conn.execute(
            "SELECT version, members FROM watchlist_versions ORDER BY version DESC LIMIT 1"
        ).fetchone()
        if row is not None and json.loads(row["members"]) == members:
            return int(row["version"])
        version = (row["version"] if row else 0) + 1
        conn.execute(
            "INSERT INTO watchlist_versions VALUES (?, ?, ?, ?, ?)",
            (version, now_ms, json.dumps(criteria), json.dumps(members, sort_keys=True), entries),
        )
        conn.execute("DELETE FROM watchlist_versions WHERE version <= ?", (version - keep,))
    return version


def versions(db: Database) -> set[int]:
    return {r[0] for r in db.query("SELECT version FROM watchlist_versions")}


def current_version(db: Database) -> int:
    return int(db.scalar("SELECT max(version) FROM watchlist_versions") or 0)


def members(db: Database, version: int) -> dict[str, str]:
    """person id -> digest of that version's entries ({} when the version is not kept)."""
    rows = db.query("SELECT members FROM watchlist_versions WHERE version = ?", (version,))
    return json.loads(rows[0][0]) if rows else {}


def gates(db: Database) -> list[tuple[str, int | None, int | None, int | None, int | None, str]]:
    """(device_id, sent_version, sent_ms, installed_version, installed_ms, note) per gate."""
    rows = db.query(
        "SELECT device_id, sent_version, sent_ms, installed_version, installed_ms, note "
        "FROM gate_watchlists ORDER BY device_id"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def mark_sent(conn: Connection, device_id: str, version: int, now_ms: int) -> None:
    conn.execute(
        "INSERT INTO gate_watchlists (device_id, sent_version, sent_ms) VALUES (?, ?, ?) "
        "ON CONFLICT(device_id) DO UPDATE SET sent_version = excluded.sent_version, "
        "sent_ms = excluded.sent_ms",
        (device_id, version, now_ms),
    )


def mark_installed(
    conn: Connection, device_id: str, version: int | None, now_ms: int, note: str
) -> None:
    conn.execute(
        "INSERT INTO gate_watchlists (device_id, installed_version, installed_ms, note) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET "
        "installed_version = excluded.installed_version, installed_ms = excluded.installed_ms, "
        "note = excluded.note",
        (device_id, version, now_ms, note),
    )


def mark_rejected(conn: Connection, device_id: str, note: str) -> None:
    """Forget what was sent (keep what the gate last reported installed)."""
    conn.execute(
        "INSERT INTO gate_watchlists (device_id, note) VALUES (?, ?) ON CONFLICT(device_id) "
        "DO UPDATE SET sent_version = NULL, sent_ms = NULL, note = excluded.note",
        (device_id, note),
    )
