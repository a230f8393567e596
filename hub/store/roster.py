"""Roster tables of the hub database: ``officers``, ``officer_assignments``,
``officer_lists`` (per unit: version and digest sent, version installed),
``officer_signins`` (what the units report) and ``operations_audit`` (who changed what).

The schema, its migrations and every query on these tables; :mod:`hub.roster` decides
who reaches which unit and signs the lists. Functions taking a ``conn`` run inside the
caller's write transaction. Thread-safety: as :class:`khidmat_base.sqlite.Database`.
Cost: one statement per call.
"""

from __future__ import annotations

import sqlite3

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.roster"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE officers (
        badge_key TEXT PRIMARY KEY,
        badge TEXT NOT NULL,
        name TEXT NOT NULL,
        rank TEXT NOT NULL,
        station TEXT NOT NULL,
        roles TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
        pin_hash TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE officer_assignments (
        badge_key TEXT NOT NULL,
        target TEXT NOT NULL,
        PRIMARY KEY (badge_key, target)
    );
    CREATE TABLE officer_lists (
        device_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        digest TEXT NOT NULL,
        officers INTEGER NOT NULL,
        sent_ms INTEGER NOT NULL,
        installed_version INTEGER,
        installed_ms INTEGER,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE officer_signins (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        badge TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX officer_signins_badge ON officer_signins (badge, at_ms);
    CREATE TABLE operations_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        old TEXT NOT NULL,
        new TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE officer_lockouts (
        badge_key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until_ms INTEGER NOT NULL
    )
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


# ------------------------------------------------------------------ officers


def officer(conn: Connection, badge_key: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM officers WHERE badge_key = ?", (badge_key,)).fetchone()


def insert_officer(
    conn: Connection,
    badge: str,
    name: str,
    rank: str,
    station: str,
    roles_json: str,
    pin_hash: str,
    now_ms: int,
) -> None:
    conn.execute(
        "INSERT INTO officers VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
        (badge.lower(), badge, name, rank, station, roles_json, pin_hash, now_ms),
    )


def set_status(conn: Connection, badge_key: str, status: str, now_ms: int) -> None:
    conn.execute(
        "UPDATE officers SET status = ?, updated_ms = ? WHERE badge_key = ?",
        (status, now_ms, badge_key),
    )


def set_pin_hash(conn: Connection, badge_key: str, pin_hash: str, now_ms: int) -> None:
    conn.execute(
        "UPDATE officers SET pin_hash = ?, updated_ms = ? WHERE badge_key = ?",
        (pin_hash, now_ms, badge_key),
    )


def officers(db: Database, *, active_only: bool = False) -> list[sqlite3.Row]:
    where = "WHERE status = 'active' " if active_only else ""
    return db.query(f"SELECT * FROM officers {where}ORDER BY station, badge_key")


def assign(conn: Connection, badge_key: str, target: str) -> None:
    conn.execute("INSERT OR IGNORE INTO officer_assignments VALUES (?, ?)", (badge_key, target))


def unassign(conn: Connection, badge_key: str, target: str) -> int:
    """Rows removed (0 when the officer was not assigned there)."""
    return conn.execute(
        "DELETE FROM officer_assignments WHERE badge_key = ? AND target = ?", (badge_key, target)
    ).rowcount


def assignments(db: Database) -> list[tuple[str, str]]:
    """(badge_key, target), by target."""
    return [
        (r[0], r[1])
        for r in db.query("SELECT badge_key, target FROM officer_assignments ORDER BY target")
    ]


# ------------------------------------------------------------- unit lists


def unit_lists(db: Database) -> list[sqlite3.Row]:
    return db.query(
        "SELECT device_id, version, officers, sent_ms, installed_version, note, digest "
        "FROM officer_lists ORDER BY device_id"
    )


def record_sent(
    conn: Connection, device_id: str, version: int, digest: str, count: int, now_ms: int
) -> None:
    conn.execute(
        "INSERT INTO officer_lists (device_id, version, digest, officers, sent_ms) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET "
        "version = excluded.version, digest = excluded.digest, "
        "officers = excluded.officers, sent_ms = excluded.sent_ms",
        (device_id, version, digest, count, now_ms),
    )


def mark_installed(conn: Connection, device_id: str, version: int, now_ms: int) -> None:
    conn.execute(
        "UPDATE officer_lists SET installed_version = ?, installed_ms = ?, note = '' "
        "WHERE device_id = ?",
        (version, now_ms, device_id),
    )


def mark_rejected(conn: Connection, device_id: str, note: str) -> None:
    conn.execute("UPDATE officer_lists SET note = ? WHERE device_id = ?", (note, device_id))


# ---------------------------------------------------------------- sign-ins


def add_signin(
    conn: Connection, at_ms: int, device_id: str, badge: str, outcome: str, detail: str
) -> None:
    conn.execute(
        "INSERT INTO officer_signins (at_ms, device_id, badge, outcome, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (at_ms, device_id, badge, outcome, detail),
    )


def locked_until(conn: Connection, badge_key: str) -> int:
    """Unix ms until which the hub refuses ``badge_key`` (0: not locked)."""
    row = conn.execute(
        "SELECT locked_until_ms FROM officer_lockouts WHERE badge_key = ?", (badge_key,)
    ).fetchone()
    return int(row[0]) if row else 0


def note_failure(
    conn: Connection, badge_key: str, now_ms: int, *, max_failures: int, lockout_ms: int
) -> int:
    """Count a wrong PIN; the ``max_failures``-th in a row locks the badge: returns the
    lock's end (Unix ms), or 0 while it is not locked."""
    row = conn.execute(
        "SELECT failures FROM officer_lockouts WHERE badge_key = ?", (badge_key,)
    ).fetchone()
    failures = (int(row[0]) if row else 0) + 1
    until = now_ms + lockout_ms if failures >= max_failures else 0
    conn.execute(
        "INSERT INTO officer_lockouts (badge_key, failures, locked_until_ms) VALUES (?, ?, ?) "
        "ON CONFLICT(badge_key) DO UPDATE SET failures = excluded.failures, "
        "locked_until_ms = excluded.locked_until_ms",
        (badge_key, 0 if until else failures, until),
    )
    return until


def failure_count(db: Database, badge_key: str) -> int:
    """Wrong PINs counted for ``badge_key`` since its last sign-in or lock (0: none)."""
    return int(
        db.scalar("SELECT failures FROM officer_lockouts WHERE badge_key = ?", (badge_key,)) or 0
    )


def clear_failures(conn: Connection, badge_key: str) -> None:
    conn.execute("DELETE FROM officer_lockouts WHERE badge_key = ?", (badge_key,))


def signin_outcomes(db: Database) -> list[tuple[str, str, int]]:
    """(badge in lower case, outcome, at_ms), oldest first."""
    return [
        (r[0], r[1], r[2])
        for r in db.query("SELECT lower(badge), outcome, at_ms FROM officer_signins ORDER BY id")
    ]


def signins(db: Database, limit: int) -> list[tuple[int, str, str, str, str]]:
    """Newest first: (at_ms, device_id, badge, outcome, detail)."""
    return [
        (r[0], r[1], r[2], r[3], r[4])
        for r in db.query(
            "SELECT at_ms, device_id, badge, outcome, detail FROM officer_signins "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    ]


# ------------------------------------------------------------------- audit


def audit(
    conn: Connection, at_ms: int, actor: str, action: str, target: str, old: str, new: str
) -> None:
    conn.execute(
        "INSERT INTO operations_audit (at_ms, actor, action, target, old, new) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (at_ms, actor, action, target, old, new),
    )


def audit_log(db: Database, limit: int) -> list[tuple[int, str, str, str, str, str]]:
    """Newest first: (at_ms, actor, action, target, old, new)."""
    return [
        (r[0], r[1], r[2], r[3], r[4], r[5])
        for r in db.query(
            "SELECT at_ms, actor, action, target, old, new FROM operations_audit "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    ]
