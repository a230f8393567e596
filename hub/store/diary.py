"""The station diary (roznamcha) tables of the hub database: entries and days.

The schema, its migrations and every query on it; :mod:`hub.diary` is the workflow (which
day an entry goes to, the hash chain, closing a day). ``diary_entries`` holds one row per
entry, numbered ``seq`` 1, 2, ... within its station and day, each carrying the hash of
the entry before it (``prev_hash``) and its own (``hash``); ``event_key`` (unique when
given) makes an automatic entry idempotent (the unit record's id). ``diary_days`` keeps,
per station and day, how many entries the day has and the newest entry's hash (the chain's
head, so a removed last entry is noticed), and when and by whom the day was closed.
Nothing here updates or deletes an entry: the table is append-only. Functions taking a
``conn`` run inside the caller's write transaction. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one indexed statement per call (``search``:
a scan of the station's entries in the day range).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.diary"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE diary_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        station TEXT NOT NULL,
        day TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        officer TEXT NOT NULL,
        text TEXT NOT NULL,
        ref TEXT NOT NULL,
        corrects TEXT NOT NULL,
        source TEXT NOT NULL,
        event_key TEXT UNIQUE,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (station, day, seq)
    );
    CREATE INDEX diary_entries_kind ON diary_entries (station, kind, day);
    CREATE TABLE diary_days (
        station TEXT NOT NULL,
        day TEXT NOT NULL,
        entries INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        closed_ms INTEGER,
        closed_by TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (station, day)
    )
    """,
)

ENTRY_COLUMNS = (
    "station, day, seq, at_ms, kind, officer, text, ref, corrects, source, prev_hash, hash"
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


# ------------------------------------------------------------------- writes


def head(conn: Connection, station: str, day: str) -> sqlite3.Row | None:
    """The day's register row (entries, head_hash, closed_ms, closed_by), or None."""
    return conn.execute(
        "SELECT entries, head_hash, closed_ms, closed_by FROM diary_days "
        "WHERE station = ? AND day = ?",
        (station, day),
    ).fetchone()


def closed_days_from(conn: Connection, station: str, day: str) -> set[str]:
    """The station's closed days on or after ``day`` (``YYYY-MM-DD``)."""
    rows = conn.execute(
        "SELECT day FROM diary_days WHERE station = ? AND day >= ? AND closed_ms IS NOT NULL",
        (station, day),
    ).fetchall()
    return {r[0] for r in rows}


def has_event(conn: Connection, event_key: str) -> bool:
    """True when an automatic entry for ``event_key`` was written already."""
    row = conn.execute("SELECT 1 FROM diary_entries WHERE event_key = ?", (event_key,))
    return row.fetchone() is not None


def insert(
    conn: Connection,
    *,
    station: str,
    day: str,
    seq: int,
    at_ms: int,
    kind: str,
    officer: str,
    text: str,
    ref: str,
    corrects: str,
    source: str,
    event_key: str | None,
    prev_hash: str,
    entry_hash: str,
) -> None:
    """Append one entry and move the day's head to it (the caller computed the hash)."""
    conn.execute(
        "INSERT INTO diary_entries (station, day, seq, at_ms, kind, officer, text, ref, "
        "corrects, source, event_key, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            station, day, seq, at_ms, kind, officer, text, ref, corrects, source, event_key,
            prev_hash, entry_hash,
        ),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO diary_days (station, day, entries, head_hash) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(station, day) DO UPDATE SET entries = excluded.entries, "
        "head_hash = excluded.head_hash",
        (station, day, seq, entry_hash),
    )


def mark_closed(conn: Connection, station: str, day: str, closed_ms: int, closed_by: str) -> None:
    """Mark the day closed (its closing entry was appended in the same transaction)."""
    conn.execute(
        "UPDATE diary_days SET closed_ms = ?, closed_by = ? WHERE station = ? AND day = ?",
        (closed_ms, closed_by, station, day),
    )


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """Inside the caller's transaction: what the block writes is undone if it raises (the
    exception goes on), and the rest of the transaction stays."""
    conn.execute("SAVEPOINT diary_entry")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO diary_entry")
        conn.execute("RELEASE diary_entry")
        raise
    conn.execute("RELEASE diary_entry")


# -------------------------------------------------------------------- reads


def entries(db: Database, station: str, day: str) -> list[sqlite3.Row]:
    """Every stored entry of the station's day, by ``seq``."""
    return db.query(
        f"SELECT {ENTRY_COLUMNS} FROM diary_entries WHERE station = ? AND day = ? ORDER BY seq",
        (station, day),
    )


def entry(conn: Connection, station: str, day: str, seq: int) -> sqlite3.Row | None:
    return conn.execute(
        f"SELECT {ENTRY_COLUMNS} FROM diary_entries WHERE station = ? AND day = ? AND seq = ?",
        (station, day, seq),
    ).fetchone()


def day_row(db: Database, station: str, day: str) -> sqlite3.Row | None:
    rows = db.query(
        "SELECT station, day, entries, head_hash, closed_ms, closed_by FROM diary_days "
        "WHERE station = ? AND day = ?",
        (station, day),
    )
    return rows[0] if rows else None


def days(db: Database, station: str = "") -> list[sqlite3.Row]:
    """(station, day, entries, head_hash, closed_ms, closed_by), newest day first."""
    if station:
        return db.query(
            "SELECT station, day, entries, head_hash, closed_ms, closed_by FROM diary_days "
            "WHERE station = ? ORDER BY day DESC",
            (station,),
        )
    return db.query(
        "SELECT station, day, entries, head_hash, closed_ms, closed_by FROM diary_days "
        "ORDER BY day DESC, station"
    )


def stored_days(db: Database) -> list[tuple[str, str]]:
    """Every (station, day) that has an entry row or a register row (a day whose register
    row was removed still shows through its entries)."""
    rows = db.query(
        "SELECT station, day FROM diary_entries UNION SELECT station, day FROM diary_days "
        "ORDER BY 1, 2"
    )
    return [(r[0], r[1]) for r in rows]


def count(db: Database, station: str = "", day: str = "") -> int:
    """Entries stored (of one station, of one day, when given)."""
    where, params = _where(station, day)
    return int(db.scalar(f"SELECT count(*) FROM diary_entries{where}", params) or 0)


def search(
    db: Database,
    *,
    station: str = "",
    day: str = "",
    text: str = "",
    kind: str = "",
    limit: int = 500,
) -> list[sqlite3.Row]:
    """Entries matching every given filter (``text``: a case-insensitive substring of the
    text, officer or reference), newest first."""
    where, params = _where(station, day)
    clauses = [where[len(" WHERE ") :]] if where else []
    if kind:
        clauses.append("kind = ?")
        params.append(kind)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(text LIKE ? ESCAPE '\\' OR officer LIKE ? ESCAPE '\\' OR ref LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern, pattern, pattern])
    sql = f"SELECT {ENTRY_COLUMNS} FROM diary_entries"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY day DESC, seq DESC LIMIT ?"
    params.append(limit)
    return db.query(sql, params)


def _where(station: str, day: str) -> tuple[str, list[object]]:
    clauses, params = [], []
    if station:
        clauses.append("station = ?")
        params.append(station)
    if day:
        clauses.append("day = ?")
        params.append(day)
    return (" WHERE " + " AND ".join(clauses) if clauses else "", params)
