"""The federation tables of the hub database: both sides of every cross-province search.

Asking side (this province forwarded a gate search):

- ``fed_queries``: one row per forwarded search: the query id (the ask's record id), the
  gate's scan, gate and officer, the home result, the provinces asked, when, the deadline,
  and once finished the verdict sent to the gate and the provinces that did not answer.
- ``fed_replies``: each province's answer as it arrived (candidates as references, never
  names), and whether it came after the query was finished (``late``).

Answering side (another province asked this one):

- ``fed_answers``: one row per ask received: who asked (province, gate, officer, scan),
  when, what this province answered (references, the person each names here, level,
  score) and how long it took; refused or expired asks too.
- ``fed_refs``: the province-scoped reference handed out for a person (stable, random),
  so this province's desk can resolve a reference another province calls about.

Schema, migrations (component ``hub.federation``) and every query; :mod:`hub.federation`
runs the workflow over them. Functions taking a ``conn`` run inside the caller's write
transaction. Thread-safety: as :class:`khidmat_base.sqlite.Database`. Cost: one or two
indexed statements per call.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.federation"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE fed_queries (
        query_id TEXT PRIMARY KEY,
        scan_id TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL,
        officer TEXT NOT NULL,
        home_result TEXT NOT NULL,
        asked TEXT NOT NULL,
        asked_ms INTEGER NOT NULL,
        deadline_ms INTEGER NOT NULL,
        state TEXT NOT NULL,
        finished_ms INTEGER,
        verdict TEXT,
        not_answered TEXT
    );
    CREATE INDEX fed_queries_open ON fed_queries (state, deadline_ms);
    CREATE TABLE fed_replies (
        query_id TEXT NOT NULL,
        province TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        result TEXT NOT NULL,
        candidates TEXT NOT NULL,
        desk TEXT NOT NULL,
        late INTEGER NOT NULL,
        PRIMARY KEY (query_id, province)
    );
    CREATE TABLE fed_answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        query_id TEXT NOT NULL,
        asker TEXT NOT NULL,
        scan_id TEXT NOT NULL,
        gate TEXT NOT NULL,
        officer TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        result TEXT NOT NULL,
        candidates TEXT NOT NULL,
        persons INTEGER NOT NULL,
        elapsed_ms REAL NOT NULL,
        UNIQUE (query_id, asker)
    );
    CREATE INDEX fed_answers_received ON fed_answers (received_ms);
    CREATE TABLE fed_refs (
        ref TEXT PRIMARY KEY,
        person_id TEXT NOT NULL UNIQUE,
        made_ms INTEGER NOT NULL
    )
    """,
)
REF_HEX_BYTES = 8
"""A reference is ``<province>-<16 hex>`` (64 random bits)."""


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Reply:
    """One province's answer to a query, as the asker stored it."""

    province: str
    result: str
    candidates: list[dict[str, object]]
    """Each: ref, level, category, score."""
    desk: str
    late: bool


@dataclass(frozen=True, slots=True)
class OpenQuery:
    query_id: str
    scan_id: str
    device_id: str
    asked: tuple[str, ...]
    deadline_ms: int


# ----------------------------------------------------------------- asking side


def open_query(
    conn: Connection,
    *,
    query_id: str,
    scan_id: str,
    device_id: str,
    officer: str,
    home_result: str,
    asked: Sequence[str],
    asked_ms: int,
    deadline_ms: int,
) -> bool:
    """Write an open query; False when this scan was already forwarded."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO fed_queries (query_id, scan_id, device_id, officer, home_result, "
        "asked, asked_ms, deadline_ms, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        (
            query_id,
            scan_id,
            device_id,
            officer,
            home_result,
            json.dumps(list(asked)),
            asked_ms,
            deadline_ms,
        ),
    )
    return cursor.rowcount == 1


def query(db: Database, query_id: str) -> OpenQuery | None:
    """The query (open or finished), or None when this hub never asked it."""
    rows = db.query(
        "SELECT query_id, scan_id, device_id, asked, deadline_ms FROM fed_queries "
        "WHERE query_id = ?",
        (query_id,),
    )
    if not rows:
        return None
    row = rows[0]
    return OpenQuery(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4])


def add_reply(
    conn: Connection,
    query_id: str,
    province: str,
    *,
    received_ms: int,
    result: str,
    candidates: Sequence[dict[str, object]],
    desk: str,
) -> tuple[bool, int]:
    """Store a province's answer: (stored, answers now held for the query). Not stored when
    that province answered the query already (a duplicate). ``late`` is set when the query
    was finished before it came."""
    state = conn.execute("SELECT state FROM fed_queries WHERE query_id = ?", (query_id,)).fetchone()
    late = state is None or state[0] != "open"
    cursor = conn.execute(
        "INSERT OR IGNORE INTO fed_replies (query_id, province, received_ms, result, candidates, "
        "desk, late) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (query_id, province, received_ms, result, json.dumps(list(candidates)), desk, int(late)),
    )
    held = conn.execute(
        "SELECT count(*) FROM fed_replies WHERE query_id = ? AND late = 0", (query_id,)
    ).fetchone()[0]
    return cursor.rowcount == 1 and not late, held


def finish(
    conn: Connection,
    query_id: str,
    *,
    finished_ms: int,
) -> tuple[OpenQuery, list[Reply]] | None:
    """Close an open query (the caller then sends the gate its verdict): the query and the
    replies that came in time; None when it was finished already (by another thread or
    worker), so a verdict goes out once."""
    cursor = conn.execute(
        "UPDATE fed_queries SET state = 'done', finished_ms = ? WHERE query_id = ? "
        "AND state = 'open'",
        (finished_ms, query_id),
    )
    if cursor.rowcount != 1:
        return None
    row = conn.execute(
        "SELECT query_id, scan_id, device_id, asked, deadline_ms FROM fed_queries "
        "WHERE query_id = ?",
        (query_id,),
    ).fetchone()
    replies = [
        Reply(r[0], r[1], json.loads(r[2]), r[3], bool(r[4]))
        for r in conn.execute(
            "SELECT province, result, candidates, desk, late FROM fed_replies "
            "WHERE query_id = ? AND late = 0 ORDER BY received_ms",
            (query_id,),
        )
    ]
    return OpenQuery(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4]), replies


def record_verdict(
    conn: Connection, query_id: str, verdict: str, not_answered: Sequence[str]
) -> None:
    """The verdict sent to the gate and the provinces that had not answered."""
    conn.execute(
        "UPDATE fed_queries SET verdict = ?, not_answered = ? WHERE query_id = ?",
        (verdict, json.dumps(list(not_answered)), query_id),
    )


def due_queries(db: Database, now_ms: int, limit: int = 100) -> list[str]:
    """Open queries whose deadline has passed, oldest first."""
    return [
        r[0]
        for r in db.query(
            "SELECT query_id FROM fed_queries WHERE state = 'open' AND deadline_ms <= ? "
            "ORDER BY deadline_ms LIMIT ?",
            (now_ms, limit),
        )
    ]


def next_deadline_ms(db: Database) -> int | None:
    """The earliest deadline of an open query, or None."""
    value = db.scalar("SELECT min(deadline_ms) FROM fed_queries WHERE state = 'open'")
    return None if value is None else int(value)  # type: ignore[call-overload]


def queries(db: Database, limit: int = 200) -> list[dict[str, object]]:
    """The newest forwarded searches as dicts, each with its replies (the asker's audit)."""
    rows = [
        dict(r)
        for r in db.query("SELECT * FROM fed_queries ORDER BY asked_ms DESC LIMIT ?", (limit,))
    ]
    for row in rows:
        row["replies"] = [
            dict(r)
            for r in db.query(
                "SELECT province, received_ms, result, candidates, desk, late FROM fed_replies "
                "WHERE query_id = ? ORDER BY received_ms",
                (row["query_id"],),
            )
        ]
    return rows


# --------------------------------------------------------------- answering side


def claim_ask(
    conn: Connection,
    *,
    query_id: str,
    asker: str,
    scan_id: str,
    gate: str,
    officer: str,
    received_ms: int,
) -> bool:
    """Write the ask's ``pending`` audit row; False when it was answered before (a copy)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO fed_answers (query_id, asker, scan_id, gate, officer, "
        "received_ms, result, candidates, persons, elapsed_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]', 0, 0)",
        (query_id, asker, scan_id, gate, officer, received_ms),
    )
    return cursor.rowcount == 1


def finish_ask(
    db: Database,
    query_id: str,
    asker: str,
    *,
    result: str,
    candidates: Sequence[tuple[str, str, str, float]],
    persons: int,
    elapsed_ms: float,
) -> None:
    """What was answered: ``candidates`` as (ref, person_id, level, score)."""
    with db.write() as conn:
        conn.execute(
            "UPDATE fed_answers SET result = ?, candidates = ?, persons = ?, elapsed_ms = ? "
            "WHERE query_id = ? AND asker = ?",
            (
                result,
                json.dumps([list(c) for c in candidates]),
                persons,
                elapsed_ms,
                query_id,
                asker,
            ),
        )


def answers(db: Database, limit: int = 200) -> list[dict[str, object]]:
    """The newest asks received as dicts (the answerer's audit)."""
    return [
        dict(r) for r in db.query("SELECT * FROM fed_answers ORDER BY id DESC LIMIT ?", (limit,))
    ]


def refs_for(
    conn: Connection, province: str, person_ids: Sequence[str], now_ms: int
) -> dict[str, str]:
    """person_id -> its reference (``<province>-<16 hex>``), made the first time asked."""
    found: dict[str, str] = {}
    for person_id in dict.fromkeys(person_ids):
        row = conn.execute("SELECT ref FROM fed_refs WHERE person_id = ?", (person_id,)).fetchone()
        if row is None:
            ref = f"{province}-{secrets.token_hex(REF_HEX_BYTES)}"
            conn.execute(
                "INSERT INTO fed_refs (ref, person_id, made_ms) VALUES (?, ?, ?)",
                (ref, person_id, now_ms),
            )
            found[person_id] = ref
        else:
            found[person_id] = row[0]
    return found


def resolve_ref(db: Database, ref: str) -> str | None:
    """The person a reference this province handed out names, or None."""
    rows = db.query("SELECT person_id FROM fed_refs WHERE ref = ?", (ref,))
    return rows[0][0] if rows else None
