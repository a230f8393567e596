"""The ``searches`` table of the hub database: one audit row per gate scan searched at the hub.

The schema, its migrations (component ``hub.identify``, whose second step indexes
``records`` by kind for the catch-up) and every query on it; :mod:`hub.identify` runs the
search over them. A scan is claimed with a ``pending`` row before it is searched, so two
workers never search the same scan. Thread-safety: as :class:`khidmat_base.sqlite.Database`.
Cost: one indexed statement per call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.identify"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE searches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL,
        officer TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        gate_verdict TEXT NOT NULL,
        gate_candidates TEXT NOT NULL,
        watchlist_version INTEGER NOT NULL,
        result TEXT NOT NULL,
        person_id TEXT,
        score REAL,
        candidates TEXT NOT NULL,
        gallery_size INTEGER NOT NULL,
        elapsed_ms REAL NOT NULL,
        alerted INTEGER NOT NULL
    );
    CREATE INDEX searches_at ON searches (at_ms);
    CREATE INDEX searches_person ON searches (person_id)
    """,
    "CREATE INDEX IF NOT EXISTS records_kind_received ON records (kind, received_ms)",
)


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


def claim(
    conn: Connection,
    *,
    scan_id: str,
    device_id: str,
    officer: str,
    at_ms: int,
    gate_verdict: str,
    gate_candidates: Sequence[tuple[str, float]],
    watchlist_version: int,
) -> bool:
    """Write the scan's ``pending`` row; False when it was already claimed (searched or being
    searched by another worker)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO searches (scan_id, device_id, officer, at_ms, gate_verdict, "
        "gate_candidates, watchlist_version, result, candidates, gallery_size, elapsed_ms, "
        "alerted) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', '[]', 0, 0, 0)",
        (
            scan_id,
            device_id,
            officer,
            at_ms,
            gate_verdict,
            json.dumps([list(c) for c in gate_candidates]),
            watchlist_version,
        ),
    )
    return cursor.rowcount == 1


def finish(
    db: Database,
    scan_id: str,
    *,
    at_ms: int,
    result: str,
    person_id: str | None,
    score: float | None,
    candidates: Sequence[tuple[str, int, float]],
    gallery_size: int,
    elapsed_ms: float,
    alerted: bool,
) -> None:
    """Record the outcome of a claimed scan's search."""
    with db.write() as conn:
        conn.execute(
            "UPDATE searches SET at_ms = ?, result = ?, person_id = ?, score = ?, candidates = ?, "
            "gallery_size = ?, elapsed_ms = ?, alerted = ? WHERE scan_id = ?",
            (
                at_ms,
                result,
                person_id,
                score,
                json.dumps([list(c) for c in candidates]),
                gallery_size,
                elapsed_ms,
                int(alerted),
                scan_id,
            ),
        )


def unsearched_scan_payloads(db: Database, since_ms: int, limit: int) -> list[bytes]:
    """Payloads of scan records received since ``since_ms`` with no search row, oldest first."""
    rows = db.query(
        "SELECT r.payload FROM records r LEFT JOIN searches s ON s.scan_id = r.record_id "
        "WHERE r.kind = 'scan' AND r.received_ms >= ? AND s.scan_id IS NULL "
        "ORDER BY r.received_ms LIMIT ?",
        (since_ms, limit),
    )
    return [r[0].encode("utf-8") for r in rows]


def newest(db: Database, limit: int) -> list[dict[str, object]]:
    """The newest search rows as dicts (column -> value)."""
    return [dict(r) for r in db.query("SELECT * FROM searches ORDER BY id DESC LIMIT ?", (limit,))]


def scan_ids(db: Database, *, result: str | None = None) -> set[str]:
    """Ids of the scans with a search row (only those with ``result`` when given)."""
    if result is None:
        return {r[0] for r in db.query("SELECT scan_id FROM searches")}
    return {r[0] for r in db.query("SELECT scan_id FROM searches WHERE result = ?", (result,))}


def hits_between(db: Database, since_ms: int, until_ms: int) -> list[str]:
    """Device ids of the searches in [since, until) that found someone (one per hit)."""
    return [
        r[0]
        for r in db.query(
            "SELECT device_id FROM searches WHERE result = 'hit' AND at_ms >= ? AND at_ms < ?",
            (since_ms, until_ms),
        )
    ]


def hit_people(db: Database) -> dict[str, str]:
    """scan_id -> the person the hub's search named, for every scan that was a hit."""
    rows = db.query("SELECT scan_id, person_id FROM searches WHERE result = 'hit'")
    return {r[0]: r[1] for r in rows}
