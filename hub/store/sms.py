"""The ``sms_outbox`` table of the hub database: texts to citizens, each queued once.

The schema, its migrations and every query on it; :mod:`hub.sms.outbox` is the workflow.
``event_key`` is unique (the complaint's audit row that caused the text), so queueing the
same event twice stores one row. States: ``queued`` -> ``sending`` -> ``sent`` ->
``delivered`` (every part's report came), or back to ``queued`` with a later
``next_try_ms`` after a fault, or ``failed`` after the last attempt. Functions taking a
``conn`` run inside the caller's write transaction. Thread-safety: as
:class:`khidmat_base.sqlite.Database`. Cost: one indexed statement per call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from khidmat_base.database import Connection
from khidmat_base.sql_dialect import row_lock
from khidmat_base.sqlite import Database

COMPONENT = "hub.sms"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sms_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_key TEXT NOT NULL UNIQUE,
        tracking_no TEXT NOT NULL,
        mobile TEXT NOT NULL,
        text TEXT NOT NULL,
        urgent INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_ms INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        refs TEXT NOT NULL DEFAULT '',
        delivered_refs TEXT NOT NULL DEFAULT '',
        sent_ms INTEGER,
        delivered_ms INTEGER
    );
    CREATE INDEX sms_outbox_due ON sms_outbox (state, next_try_ms);
    CREATE INDEX sms_outbox_tracking ON sms_outbox (tracking_no, id)
    """,
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def queue(
    conn: Connection,
    *,
    event_key: str,
    tracking_no: str,
    mobile: str,
    text: str,
    urgent: bool,
    now_ms: int,
    not_before_ms: int,
) -> bool:
    """Queue one text; False (nothing written) when ``event_key`` is already queued."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO sms_outbox (event_key, tracking_no, mobile, text, urgent, "
        "created_ms, next_try_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event_key, tracking_no, mobile, text, int(urgent), now_ms, not_before_ms),
    )
    return cursor.rowcount == 1


def due(db: Database, now_ms: int, limit: int) -> list[sqlite3.Row]:
    """Texts to send now, oldest first (``sending`` ones: a send the hub did not finish)."""
    return db.query(
        "SELECT * FROM sms_outbox WHERE state IN ('queued', 'sending') AND next_try_ms <= ? "
        "ORDER BY urgent DESC, id LIMIT ?",
        (now_ms, limit),
    )


def claim_due(db: Database, now_ms: int, limit: int, *, lease_ms: int) -> list[sqlite3.Row]:
    """Claim the texts to send now, oldest first (urgent ones first): each is marked
    ``sending`` until ``now_ms + lease_ms`` in the claiming transaction, so another hub
    process does not send it too (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, claims by
    several processes run side by side and take different rows; SQLite: the write lock).
    A claim not finished by then (its process died mid-send) is due again."""
    with db.write(serialized=False) as conn:
        rows = conn.execute(
            "SELECT * FROM sms_outbox WHERE state IN ('queued', 'sending') AND next_try_ms <= ? "
            "ORDER BY urgent DESC, id LIMIT ?" + row_lock(db.dialect),
            (now_ms, limit),
        ).fetchall()
        conn.executemany(
            "UPDATE sms_outbox SET state = 'sending', next_try_ms = ? WHERE id = ?",
            [(now_ms + lease_ms, row["id"]) for row in rows],
        )
    return rows


def release(db: Database, claimed: Sequence[sqlite3.Row]) -> None:
    """Give claimed texts that were not tried back to the queue as they were."""
    if claimed:
        with db.write() as conn:
            conn.executemany(
                "UPDATE sms_outbox SET state = 'queued', next_try_ms = ? WHERE id = ? "
                "AND state = 'sending'",
                [(row["next_try_ms"], row["id"]) for row in claimed],
            )


def set_state(db: Database, row_id: int, **values: object) -> None:
    """Set columns of one row (state, attempts, next_try_ms, last_error, refs, sent_ms,
    delivered_refs, delivered_ms)."""
    allowed = {"state", "attempts", "next_try_ms", "last_error", "refs", "sent_ms"}
    allowed |= {"delivered_refs", "delivered_ms"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not settable: {sorted(unknown)}")
    assignments = ", ".join(f"{column} = ?" for column in values)
    with db.write() as conn:
        conn.execute(
            f"UPDATE sms_outbox SET {assignments} WHERE id = ?", (*values.values(), row_id)
        )


def awaiting_reports(db: Database, since_ms: int) -> list[sqlite3.Row]:
    """Sent texts whose delivery reports are not all in, sent since ``since_ms``, newest first."""
    return db.query(
        "SELECT id, refs, delivered_refs FROM sms_outbox WHERE state = 'sent' AND sent_ms >= ? "
        "ORDER BY sent_ms DESC, id DESC",
        (since_ms,),
    )


def rows(db: Database, tracking_no: str = "") -> list[sqlite3.Row]:
    """Every text (of one complaint when ``tracking_no`` is given), oldest first."""
    if tracking_no:
        return db.query(
            "SELECT * FROM sms_outbox WHERE tracking_no = ? ORDER BY id", (tracking_no,)
        )
    return db.query("SELECT * FROM sms_outbox ORDER BY id")


def counts(db: Database) -> dict[str, int]:
    """state -> number of texts."""
    return {r[0]: r[1] for r in db.query("SELECT state, count(*) FROM sms_outbox GROUP BY state")}
