"""The unit store's schema: its migrations and the rows it hands out. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from khidmat_wire.messages import ComplaintStatus

COMPONENT = "edge_agent.store"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE outbox (
        record_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        first_sent_ms INTEGER,
        sent_ms INTEGER,
        acked_ms INTEGER,
        rejected INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbox_pending ON outbox (next_attempt_ms) WHERE acked_ms IS NULL;
    CREATE TABLE inbox (
        record_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        received_ms INTEGER NOT NULL,
        handled_ms INTEGER
    );
    CREATE INDEX inbox_unhandled ON inbox (received_ms) WHERE handled_ms IS NULL;
    CREATE TABLE complaint_status (
        tracking_no TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        found INTEGER NOT NULL,
        due_at_ms INTEGER NOT NULL,
        history TEXT NOT NULL,
        can_rate INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE watchlist_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        issued_at_ms INTEGER NOT NULL,
        installed_ms INTEGER NOT NULL
    );
    CREATE TABLE watchlist (
        person_id TEXT NOT NULL,
        finger INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        template TEXT NOT NULL,
        PRIMARY KEY (person_id, finger)
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms INTEGER NOT NULL);
    CREATE TABLE health (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_ms INTEGER NOT NULL);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL)
    """,
    # 2: the hub's time of the status shown, so a late, older status never replaces a newer one
    "ALTER TABLE complaint_status ADD COLUMN hub_time_ms INTEGER NOT NULL DEFAULT 0",
    # 3: wrong officer PINs in a row per badge, and until when the badge is locked
    "CREATE TABLE signin_failures (badge TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
    "locked_until_ms INTEGER NOT NULL)",
    # 4: what a record is about (a complaint's tracking number), kept after its payload is erased
    "ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT ''",
    # 5: the hub's answers to driving-licence lookups, by the lookup's record id
    "CREATE TABLE licence_answers (request_id TEXT PRIMARY KEY, token TEXT NOT NULL, "
    "body TEXT NOT NULL, received_ms INTEGER NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class ComplaintStatusRow:
    """A complaint status from the hub, as it arrived, and where it came from."""

    status: ComplaintStatus
    hub_time_ms: int = 0  # the hub's clock when it sent the status
    inbox_id: str | None = None  # the downlink it came in, marked handled with it


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    record_id: str
    kind: str
    payload: bytes
    attempts: int
    created_ms: int


@dataclass(frozen=True, slots=True)
class WatchlistInfo:
    version: int
    issued_at_ms: int
    installed_ms: int
    entries: int
