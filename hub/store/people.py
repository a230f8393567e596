"""Criminal record tables of the hub database: ``people``, ``person_templates``,
``template_log`` and ``record_audit``.

The schema, its migrations and every query on these tables; :mod:`hub.records` runs the
record workflow over them. Functions taking a ``conn`` run inside the caller's write
transaction; functions taking a ``db`` read on their own. Offences are kept as a JSON
list; templates as matcher_cy's compact bytes. ``template_log`` numbers every template
change so a gallery can follow changes made by any process. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one indexed statement per call, except
:func:`templates_of` (one query per 500 people).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.records"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE people (
        person_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        father_name TEXT NOT NULL,
        cnic TEXT NOT NULL,
        offences TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX people_cnic ON people (cnic);
    CREATE INDEX people_status ON people (status);
    CREATE TABLE person_templates (
        person_id TEXT NOT NULL REFERENCES people (person_id),
        finger INTEGER NOT NULL,
        template BLOB NOT NULL,
        quality INTEGER NOT NULL,
        source TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (person_id, finger)
    );
    CREATE TABLE template_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id TEXT NOT NULL,
        finger INTEGER NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE TABLE record_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        person_id TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        actor TEXT NOT NULL
    )
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


# ------------------------------------------------------------------- writes


def find_for_update(conn: Connection, *, person_id: str | None, cnic: str) -> sqlite3.Row | None:
    """The person with ``person_id``, else the oldest with ``cnic`` (when given), else None."""
    if person_id:
        return conn.execute("SELECT * FROM people WHERE person_id = ?", (person_id,)).fetchone()
    if cnic:
        return conn.execute(
            "SELECT * FROM people WHERE cnic = ? ORDER BY created_ms LIMIT 1", (cnic,)
        ).fetchone()
    return None


def next_person_id(conn: Connection) -> str:
    """The next free ``CR-0000001``-style id (allocate inside the write transaction)."""
    row = conn.execute(
        "SELECT max(CAST(substr(person_id, 4) AS INTEGER)) FROM people WHERE person_id LIKE 'CR-%'"
    ).fetchone()
    return f"CR-{(row[0] or 0) + 1:07d}"


def insert_person(
    conn: Connection,
    person_id: str,
    *,
    name: str,
    father_name: str,
    cnic: str,
    offences: Sequence[str],
    status: str,
    source: str,
    now_ms: int,
) -> None:
    conn.execute(
        "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            person_id,
            name,
            father_name,
            cnic,
            json.dumps(list(offences), ensure_ascii=False),
            status,
            source,
            now_ms,
            now_ms,
        ),
    )


def update_person(
    conn: Connection,
    person_id: str,
    *,
    name: str,
    father_name: str,
    cnic: str,
    offences: Sequence[str],
    status: str,
    now_ms: int,
) -> None:
    conn.execute(
        "UPDATE people SET name = ?, father_name = ?, cnic = ?, offences = ?, status = ?, "
        "updated_ms = ? WHERE person_id = ?",
        (
            name,
            father_name,
            cnic,
            json.dumps(list(offences), ensure_ascii=False),
            status,
            now_ms,
            person_id,
        ),
    )


def set_status(conn: Connection, person_id: str, status: str, now_ms: int) -> bool:
    """False when there is no such person."""
    cursor = conn.execute(
        "UPDATE people SET status = ?, updated_ms = ? WHERE person_id = ?",
        (status, now_ms, person_id),
    )
    return cursor.rowcount > 0


def put_template(
    conn: Connection,
    person_id: str,
    finger: int,
    data: bytes,
    quality: int,
    source: str,
    now_ms: int,
) -> None:
    """Store (or replace) one finger's template and log the change."""
    conn.execute(
        "INSERT INTO person_templates VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(person_id, finger) "
        "DO UPDATE SET template = excluded.template, quality = excluded.quality, "
        "source = excluded.source, updated_ms = excluded.updated_ms",
        (person_id, finger, data, quality, source, now_ms),
    )
    conn.execute(
        "INSERT INTO template_log (person_id, finger, at_ms) VALUES (?, ?, ?)",
        (person_id, finger, now_ms),
    )


def add_audit(
    conn: Connection, at_ms: int, person_id: str, action: str, detail: str, actor: str
) -> None:
    conn.execute(
        "INSERT INTO record_audit (at_ms, person_id, action, detail, actor) VALUES (?, ?, ?, ?, ?)",
        (at_ms, person_id, action, detail[:2000], actor),
    )


# -------------------------------------------------------------------- reads


def offences(row: sqlite3.Row) -> tuple[str, ...]:
    """The offences kept with a ``people`` row."""
    return tuple(json.loads(row["offences"]))


def get(db: Database, person_id: str) -> sqlite3.Row | None:
    rows = db.query("SELECT * FROM people WHERE person_id = ?", (person_id,))
    return rows[0] if rows else None


def search(db: Database, text: str, *, limit: int) -> list[sqlite3.Row]:
    """By person id, CNIC, or a part of the name or father's name, newest first."""
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return db.query(
        "SELECT * FROM people WHERE person_id = ? OR cnic = ? OR name LIKE ? ESCAPE '\\' "
        "OR father_name LIKE ? ESCAPE '\\' ORDER BY updated_ms DESC LIMIT ?",
        (text, text, like, like, limit),
    )


def count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM people") or 0)


def change_marker(db: Database) -> tuple[int, int, int]:
    """(count, newest updated_ms, sum of updated_ms) of ``people``: changes when anyone is
    added or updated (a cache key for lists built from the records)."""
    row = db.query(
        "SELECT count(*), coalesce(max(updated_ms), 0), coalesce(sum(updated_ms), 0) FROM people"
    )[0]
    return int(row[0]), int(row[1]), int(row[2])


def ids_starting(db: Database, prefix: str) -> list[str]:
    """Person ids that start with ``prefix`` (letters, digits and '-' only)."""
    return [
        r[0]
        for r in db.query("SELECT person_id FROM people WHERE person_id LIKE ?", (prefix + "%",))
    ]


def with_status(db: Database, statuses: Sequence[str]) -> list[sqlite3.Row]:
    return db.query(
        f"SELECT * FROM people WHERE status IN ({','.join('?' * len(statuses))}) ORDER BY person_id",
        tuple(statuses),
    )


def fingers_of(db: Database, person_id: str) -> tuple[int, ...]:
    return tuple(
        r[0]
        for r in db.query(
            "SELECT finger FROM person_templates WHERE person_id = ? ORDER BY finger", (person_id,)
        )
    )


def template_seq(db: Database) -> int:
    """The newest template change's sequence number (0 when none)."""
    return int(db.scalar("SELECT max(seq) FROM template_log") or 0)


def template_changes(
    db: Database, after_seq: int
) -> tuple[int, list[tuple[str, int, bytes | None]]]:
    """Templates changed after ``after_seq``: (new seq, [(person_id, finger, bytes|None)])."""
    with db.read() as conn:
        seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM template_log").fetchone()[0])
        rows = conn.execute(
            "SELECT DISTINCT l.person_id, l.finger, t.template FROM template_log l "
            "LEFT JOIN person_templates t ON t.person_id = l.person_id AND t.finger = l.finger "
            "WHERE l.seq > ? AND l.seq <= ?",
            (after_seq, seq),
        ).fetchall()
    return seq, [(r[0], r[1], None if r[2] is None else bytes(r[2])) for r in rows]


def templates_of(db: Database, person_ids: Sequence[str]) -> Iterator[tuple[str, int, bytes]]:
    """(person_id, finger, compact bytes) of the given people, in person and finger order."""
    for start in range(0, len(person_ids), 500):
        chunk = list(person_ids[start : start + 500])
        rows = db.query(
            f"SELECT person_id, finger, template FROM person_templates WHERE person_id IN "
            f"({','.join('?' * len(chunk))}) ORDER BY person_id, finger",
            chunk,
        )
        for r in rows:
            yield r[0], r[1], bytes(r[2])


def audit_log(db: Database, person_id: str) -> list[tuple[int, str, str, str]]:
    return [
        (r[0], r[1], r[2], r[3])
        for r in db.query(
            "SELECT at_ms, action, detail, actor FROM record_audit WHERE person_id = ? ORDER BY id",
            (person_id,),
        )
    ]
