"""Complaint tables of the hub database: ``complaints``, ``complaint_events``, ``complaint_feedback``.

The schema, its migrations and every query on these tables; :mod:`hub.complaints` runs
the workflow over them. Functions taking a ``conn`` run inside the caller's write
transaction (``Database.write()``); functions taking a ``db`` read on their own. Rows
come back as :class:`sqlite3.Row`. Thread-safety: as :class:`khidmat_base.sqlite.Database`.
Cost: each call is one indexed statement (tens of microseconds).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.complaints"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE complaints (
        tracking_no TEXT PRIMARY KEY,
        record_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        station TEXT NOT NULL,
        category TEXT NOT NULL,
        complainant_name TEXT NOT NULL,
        cnic TEXT NOT NULL,
        mobile TEXT NOT NULL,
        description TEXT NOT NULL,
        answers TEXT NOT NULL,
        cognizable INTEGER NOT NULL,
        gender_desk INTEGER NOT NULL,
        language TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee TEXT NOT NULL DEFAULT '',
        filed_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        due_at_ms INTEGER NOT NULL,
        escalation_level INTEGER NOT NULL DEFAULT 0,
        next_escalation_ms INTEGER NOT NULL,
        resolved_ms INTEGER,
        rating INTEGER
    );
    CREATE INDEX complaints_status ON complaints (status, due_at_ms);
    CREATE INDEX complaints_cnic ON complaints (cnic);
    CREATE TABLE complaint_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tracking_no TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        action TEXT NOT NULL,
        status TEXT,
        reason TEXT NOT NULL,
        officer TEXT NOT NULL
    );
    CREATE INDEX complaint_events_tracking ON complaint_events (tracking_no, id);
    CREATE TABLE complaint_feedback (
        record_id TEXT PRIMARY KEY,
        tracking_no TEXT NOT NULL,
        device_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        rating INTEGER NOT NULL,
        comment TEXT NOT NULL,
        reopen INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        note TEXT NOT NULL
    );
    CREATE INDEX complaint_feedback_tracking ON complaint_feedback (tracking_no)
    """,
    """
    CREATE TABLE complaint_resolutions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tracking_no TEXT NOT NULL,
        resolved_ms INTEGER NOT NULL,
        due_at_ms INTEGER NOT NULL,
        rating INTEGER
    );
    CREATE INDEX complaint_resolutions_tracking ON complaint_resolutions (tracking_no, id);
    INSERT INTO complaint_resolutions (tracking_no, resolved_ms, due_at_ms, rating)
        SELECT tracking_no, resolved_ms, due_at_ms, rating FROM complaints
        WHERE resolved_ms IS NOT NULL
    """,
    # what the citizen is told about a status change (the reason stays internal)
    "ALTER TABLE complaint_events ADD COLUMN public_message TEXT NOT NULL DEFAULT ''",
    # the urgent answer that made a complaint urgent (khidmat_wire.vocabulary
    # URGENT_BY_KEY), '' when it is not urgent
    "ALTER TABLE complaints ADD COLUMN urgent TEXT NOT NULL DEFAULT ''",
    # 0: the citizen opted out of text messages at the desk
    "ALTER TABLE complaints ADD COLUMN sms INTEGER NOT NULL DEFAULT 1",
)

#: Columns a status change may set (:func:`update`).
CHANGEABLE = frozenset(
    {
        "status",
        "updated_ms",
        "assignee",
        "station",
        "resolved_ms",
        "due_at_ms",
        "next_escalation_ms",
        "escalation_level",
        "rating",
    }
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


# ------------------------------------------------------------------- writes


def insert(
    conn: Connection,
    *,
    tracking_no: str,
    record_id: str,
    device_id: str,
    station: str,
    category: str,
    complainant_name: str,
    cnic: str,
    mobile: str,
    description: str,
    answers: Sequence[tuple[str, str]],
    cognizable: bool,
    gender_desk: bool,
    language: str,
    status: str,
    filed_ms: int,
    now_ms: int,
    due_at_ms: int,
    urgent: str = "",
    sms: bool = True,
) -> bool:
    """Open a complaint; False (nothing written) when its tracking number is already taken.
    ``urgent``: the key of the urgent answer that made it urgent ('' when not urgent)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO complaints (tracking_no, record_id, device_id, station, category, "
        "complainant_name, cnic, mobile, description, answers, cognizable, gender_desk, language, "
        "status, filed_ms, received_ms, updated_ms, due_at_ms, next_escalation_ms, urgent, sms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tracking_no,
            record_id,
            device_id,
            station,
            category,
            complainant_name,
            cnic,
            mobile,
            description,
            json.dumps([list(a) for a in answers], ensure_ascii=False),
            int(cognizable),
            int(gender_desk),
            language,
            status,
            filed_ms,
            now_ms,
            now_ms,
            due_at_ms,
            due_at_ms,
            urgent,
            int(sms),
        ),
    )
    return cursor.rowcount == 1


def update(conn: Connection, tracking_no: str, values: dict[str, object]) -> None:
    """Set ``values`` (column -> value, columns from :data:`CHANGEABLE`) on one complaint."""
    unknown = set(values) - CHANGEABLE
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(
        f"UPDATE complaints SET {assignments} WHERE tracking_no = ?",
        (*values.values(), tracking_no),
    )


def add_event(
    conn: Connection,
    tracking_no: str,
    at_ms: int,
    action: str,
    status: str | None,
    reason: str,
    officer: str,
    public_message: str = "",
) -> int:
    """One audit-trail row (a status change when ``status`` is set); its id. ``reason`` is
    internal; ``public_message`` is what the citizen is told (may be empty)."""
    cursor = conn.execute(
        "INSERT INTO complaint_events "
        "(tracking_no, at_ms, action, status, reason, officer, public_message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (tracking_no, at_ms, action, status, reason, officer, public_message),
    )
    return int(cursor.fetchone()[0])


def add_feedback(
    conn: Connection,
    *,
    record_id: str,
    tracking_no: str,
    device_id: str,
    at_ms: int,
    rating: int,
    comment: str,
    reopen: bool,
    accepted: bool,
    note: str,
) -> None:
    """Keep a feedback record (idempotent by record id), accepted or not."""
    conn.execute(
        "INSERT OR IGNORE INTO complaint_feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record_id,
            tracking_no,
            device_id,
            at_ms,
            rating,
            comment,
            int(reopen),
            int(accepted),
            note,
        ),
    )


def add_resolution(conn: Connection, tracking_no: str, resolved_ms: int, due_at_ms: int) -> None:
    """A resolution, with the due time in force when it was made (a reopen sets a new one)."""
    conn.execute(
        "INSERT INTO complaint_resolutions (tracking_no, resolved_ms, due_at_ms) VALUES (?, ?, ?)",
        (tracking_no, resolved_ms, due_at_ms),
    )


def rate_resolution(conn: Connection, tracking_no: str, rating: int) -> None:
    """The citizen's rating belongs to the latest resolution (it survives a reopen)."""
    conn.execute(
        "UPDATE complaint_resolutions SET rating = ? WHERE id = (SELECT max(id) FROM "
        "complaint_resolutions WHERE tracking_no = ?)",
        (rating, tracking_no),
    )


# -------------------------------------------------------------------- reads


def row(conn: Connection, tracking_no: str) -> sqlite3.Row | None:
    """The complaint's whole row, read inside the caller's transaction."""
    return conn.execute("SELECT * FROM complaints WHERE tracking_no = ?", (tracking_no,)).fetchone()


def status_events(conn: Connection, tracking_no: str) -> list[sqlite3.Row]:
    """(status, public_message, at_ms) of every status change, oldest first."""
    return conn.execute(
        "SELECT status, public_message, at_ms FROM complaint_events WHERE tracking_no = ? "
        "AND status IS NOT NULL ORDER BY id",
        (tracking_no,),
    ).fetchall()


def lapsed(conn: Connection, now_ms: int, stopped: Sequence[str]) -> list[sqlite3.Row]:
    """Complaints whose next escalation time is before ``now_ms`` and whose status is not in
    ``stopped``: (tracking_no, category, escalation_level, due_at_ms)."""
    marks = ",".join("?" * len(stopped))
    return conn.execute(
        "SELECT tracking_no, category, escalation_level, due_at_ms, urgent FROM complaints "
        f"WHERE next_escalation_ms < ? AND status NOT IN ({marks})",
        (now_ms, *stopped),
    ).fetchall()


def get(db: Database, tracking_no: str) -> sqlite3.Row | None:
    rows = db.query("SELECT * FROM complaints WHERE tracking_no = ?", (tracking_no,))
    return rows[0] if rows else None


def find(
    db: Database,
    *,
    statuses: Sequence[str] = (),
    station: str = "",
    category: str = "",
    overdue_before_ms: int | None = None,
    stopped: Sequence[str] = (),
    gender_desk_only: bool = False,
    limit: int = 500,
) -> list[sqlite3.Row]:
    """Complaints matching every filter given, soonest due first. ``overdue_before_ms``:
    only those due before it whose status is not in ``stopped``."""
    where: list[str] = []
    params: list[object] = []
    if statuses:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    if station:
        where.append("station = ?")
        params.append(station)
    if category:
        where.append("category = ?")
        params.append(category)
    if gender_desk_only:
        where.append("gender_desk = 1")
    if overdue_before_ms is not None:
        where.append(f"due_at_ms < ? AND status NOT IN ({','.join('?' * len(stopped))})")
        params.extend((overdue_before_ms, *stopped))
    sql = "SELECT * FROM complaints"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return db.query(sql + " ORDER BY due_at_ms LIMIT ?", (*params, limit))


def search(db: Database, text: str, *, names_of_women_desk: bool, limit: int) -> list[sqlite3.Row]:
    """By tracking number, CNIC, or complainant name (women's desk complaints by name only
    when ``names_of_women_desk``), newest first."""
    return db.query(
        "SELECT * FROM complaints WHERE tracking_no = ? OR cnic = ? OR "
        "(complainant_name LIKE ? ESCAPE '\\' AND (gender_desk = 0 OR ? = 1)) "
        "ORDER BY received_ms DESC LIMIT ?",
        (text.upper(), text, f"%{_like_escape(text)}%", int(names_of_women_desk), limit),
    )


def is_gender_desk(db: Database, tracking_no: str) -> bool:
    return bool(
        db.scalar("SELECT gender_desk FROM complaints WHERE tracking_no = ?", (tracking_no,))
    )


def events(db: Database, tracking_no: str) -> list[sqlite3.Row]:
    """The audit trail (at_ms, action, status, reason, officer), oldest first."""
    return db.query(
        "SELECT at_ms, action, status, reason, officer FROM complaint_events "
        "WHERE tracking_no = ? ORDER BY id",
        (tracking_no,),
    )


def filed_between(db: Database, since_ms: int, until_ms: int) -> list[sqlite3.Row]:
    """(tracking_no, station, category, status, filed_ms, due_at_ms, resolved_ms,
    escalation_level, rating) of complaints filed in [since_ms, until_ms), for reports."""
    return db.query(
        "SELECT tracking_no, station, category, status, filed_ms, due_at_ms, resolved_ms, "
        "escalation_level, "
        "rating FROM complaints WHERE filed_ms >= ? AND filed_ms < ?",
        (since_ms, until_ms),
    )


def resolutions_of_filed(db: Database, since_ms: int, until_ms: int) -> list[sqlite3.Row]:
    """(tracking_no, resolved_ms, due_at_ms, rating) of every resolution of the complaints
    filed in [since_ms, until_ms), oldest first."""
    return db.query(
        "SELECT r.tracking_no, r.resolved_ms, r.due_at_ms, r.rating FROM complaint_resolutions r "
        "JOIN complaints c ON c.tracking_no = r.tracking_no "
        "WHERE c.filed_ms >= ? AND c.filed_ms < ? ORDER BY r.id",
        (since_ms, until_ms),
    )


def resolutions_between(db: Database, since_ms: int, until_ms: int) -> list[sqlite3.Row]:
    """(station, resolved_ms, due_at_ms, rating) of the resolutions made in [since, until)."""
    return db.query(
        "SELECT c.station, r.resolved_ms, r.due_at_ms, r.rating FROM complaint_resolutions r "
        "JOIN complaints c ON c.tracking_no = r.tracking_no "
        "WHERE r.resolved_ms >= ? AND r.resolved_ms < ?",
        (since_ms, until_ms),
    )


def open_at(db: Database, at_ms: int, stopped: Sequence[str]) -> list[sqlite3.Row]:
    """(station, due_at_ms) of complaints filed before ``at_ms`` and not stopped now."""
    marks = ",".join("?" * len(stopped))
    return db.query(
        f"SELECT station, due_at_ms FROM complaints WHERE filed_ms < ? AND status NOT IN ({marks})",
        (at_ms, *stopped),
    )


def answers(row: sqlite3.Row) -> tuple[tuple[str, str], ...]:
    """The (question, answer) pairs kept with a complaint row."""
    return tuple((q, a) for q, a in json.loads(row["answers"]))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def status_event_counts(db: Database, status: str) -> dict[str, int]:
    """tracking_no -> how many audit rows set ``status`` (the delivery checks: one each)."""
    rows = db.query(
        "SELECT tracking_no, count(*) FROM complaint_events "
        "WHERE action = 'status' AND status = ? GROUP BY tracking_no",
        (status,),
    )
    return {r[0]: r[1] for r in rows}


def count_numbers_like(conn: Connection, pattern: str) -> int:
    """How many complaints have a tracking number matching the LIKE ``pattern``."""
    return int(
        conn.execute(
            "SELECT count(*) FROM complaints WHERE tracking_no LIKE ?", (pattern,)
        ).fetchone()[0]
    )


def exists(conn: Connection, tracking_no: str) -> bool:
    """True when a complaint holds ``tracking_no``."""
    row = conn.execute("SELECT 1 FROM complaints WHERE tracking_no = ?", (tracking_no,))
    return row.fetchone() is not None
