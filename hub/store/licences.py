"""Driving-licence tables of the hub database: ``licence_applications`` and ``licence_steps``.

The schema, its migrations and every query on these tables; :mod:`hub.licences` runs the
workflow over them. An application is keyed by the licensing branch's token; each status
it went through is a step, unique by (token, status, time), so importing the same file
twice adds nothing. The application's ``status`` is that of its latest step.

Functions taking a ``conn`` run inside the caller's write transaction; functions taking a
``db`` read on their own. Thread-safety: as :class:`khidmat_base.sqlite.Database`. Cost:
one indexed statement per call.
"""

from __future__ import annotations

from dataclasses import dataclass

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.licences"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE licence_applications (
        token TEXT PRIMARY KEY,
        cnic TEXT NOT NULL,
        name TEXT NOT NULL,
        mobile TEXT NOT NULL,
        licence_class TEXT NOT NULL,
        language TEXT NOT NULL,
        status TEXT NOT NULL,
        status_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX licence_applications_cnic ON licence_applications (cnic);
    CREATE TABLE licence_steps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token TEXT NOT NULL,
        status TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        note TEXT NOT NULL,
        source TEXT NOT NULL,
        UNIQUE (token, status, at_ms)
    )
    """,
)


@dataclass(frozen=True, slots=True)
class Application:
    token: str
    cnic: str
    name: str
    mobile: str
    licence_class: str
    language: str
    status: str
    status_ms: int
    created_ms: int
    updated_ms: int


@dataclass(frozen=True, slots=True)
class Step:
    id: int
    token: str
    status: str
    at_ms: int
    note: str
    source: str


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def upsert_application(
    conn: Connection,
    *,
    token: str,
    cnic: str,
    name: str,
    mobile: str,
    licence_class: str,
    language: str,
    now_ms: int,
) -> None:
    """Add an application (status ``applied`` until a step says otherwise) or update the
    applicant's details the branch sent again."""
    conn.execute(
        "INSERT INTO licence_applications (token, cnic, name, mobile, licence_class, language, "
        "status, status_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, 'applied', 0, ?, ?) "
        "ON CONFLICT(token) DO UPDATE SET cnic = excluded.cnic, name = excluded.name, "
        "mobile = excluded.mobile, licence_class = excluded.licence_class, "
        "language = excluded.language, updated_ms = excluded.updated_ms",
        (token, cnic, name, mobile, licence_class, language, now_ms, now_ms),
    )


def add_step(
    conn: Connection, token: str, status: str, at_ms: int, note: str, source: str
) -> int | None:
    """Record a step; its id, or None when this step was already recorded."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO licence_steps (token, status, at_ms, note, source) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (token, status, at_ms, note, source),
    )
    row = cursor.fetchone()
    return None if row is None else int(row[0])


def set_status_if_newer(conn: Connection, token: str, status: str, at_ms: int, now_ms: int) -> bool:
    """Make ``status`` the application's current one unless a later step is; True if it is."""
    cursor = conn.execute(
        "UPDATE licence_applications SET status = ?, status_ms = ?, updated_ms = ? "
        "WHERE token = ? AND status_ms <= ?",
        (status, at_ms, now_ms, token, at_ms),
    )
    return cursor.rowcount == 1


def application_in(conn: Connection, token: str) -> Application | None:
    row = conn.execute("SELECT * FROM licence_applications WHERE token = ?", (token,)).fetchone()
    return None if row is None else Application(*row)


def application(db: Database, token: str) -> Application | None:
    rows = db.query("SELECT * FROM licence_applications WHERE token = ?", (token,))
    return Application(*rows[0]) if rows else None


def steps_in(conn: Connection, token: str) -> list[Step]:
    """The application's steps, oldest first."""
    return [
        Step(*r)
        for r in conn.execute(
            "SELECT id, token, status, at_ms, note, source FROM licence_steps WHERE token = ? "
            "ORDER BY at_ms, id",
            (token,),
        ).fetchall()
    ]


def steps(db: Database, token: str) -> list[Step]:
    with db.read() as conn:
        return steps_in(conn, token)


def count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM licence_applications") or 0)
