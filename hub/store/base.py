"""The hub database's core tables: records, quarantine, unit state, the downlink outbox.

:class:`HubStore` opens the deployment's database - a SQLite file (WAL) or a PostgreSQL
server by ``postgresql://`` URL (:func:`khidmat_base.database.open_database`) - and is
what every other table owner in :mod:`hub.store` is handed: everything the hub keeps goes
through this package, in the portable SQL of :mod:`khidmat_base.sql_dialect`. Several hub
worker processes (and, on PostgreSQL, machines) may open the same database; every write is
one serialized transaction, except the downlink outbox's claim, which locks only the rows
it sends. A :class:`HubStore` may be shared by threads of one process.
"""

from __future__ import annotations

import collections
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection, open_database
from khidmat_base.sql_dialect import row_lock
from khidmat_wire import build_topic, encode, make_envelope
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import SECRET_KINDS
from khidmat_wire.topics import Direction

QUARANTINE_PAYLOAD_MAX_BYTES = 65_536
"""Quarantined payloads are kept whole up to this size (larger ones: the first 64 KiB)."""
QUARANTINE_UNIT_MAX_BYTES = 4 * 1_048_576
"""Payload bytes kept in quarantine per unit; past it a unit's new bad payloads are counted
on one overflow row per unit, not kept (and the operator is alerted)."""
QUARANTINE_UNIT_MAX_ROWS = 1000
"""Distinct quarantined payloads kept per unit (rows), with the same overflow."""

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE records (
        record_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        device_time_ms INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX records_device_kind ON records (device_id, kind, received_ms);
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        first_ms INTEGER NOT NULL,
        last_ms INTEGER NOT NULL,
        times INTEGER NOT NULL,
        topic TEXT NOT NULL,
        device_id TEXT,
        record_id TEXT,
        reason TEXT NOT NULL,
        payload BLOB NOT NULL,
        payload_bytes INTEGER NOT NULL,
        payload_sha256 TEXT NOT NULL UNIQUE
    );
    CREATE TABLE device_state (
        device_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        role TEXT NOT NULL,
        software TEXT NOT NULL,
        changed_ms INTEGER NOT NULL
    )
    """,
)

DOWNLINK_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE downlinks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER
    );
    CREATE INDEX downlinks_unsent ON downlinks (sent_ms, id);
    CREATE TABLE device_state_log (
        device_id TEXT NOT NULL,
        status TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX device_state_log_device ON device_state_log (device_id, at_ms)
    """,
    "CREATE INDEX quarantine_device ON quarantine (device_id)",
)
"""Durable downlink outbox (written in the transaction that decides to send, published after
commit by the hub service, so a console process can change a complaint and the hub still
tells the unit) and the history of online/offline changes (for uptime reports)."""

RecordHandler = Callable[[Connection, Envelope, int], None]
"""Called inside the ingest transaction for each newly stored record: (conn, envelope, now_ms)."""
BatchHandler = Callable[[Connection, Sequence[Envelope], int], None]
"""Called once at the end of each :meth:`HubStore.store_records` transaction, after the
kind handlers, with the records newly stored in it: (conn, envelopes, now_ms). Called with
an empty list too (a batch of duplicates), so state kept since the last call can be reset."""
StateHandler = Callable[[Connection, str, str | None, str, str, int], None]
"""Called inside the transaction that stores a unit's birth or will: (conn, device_id,
previous status or None, new status, role, changed_ms)."""


@dataclass(frozen=True, slots=True)
class QuarantinedPayload:
    id: int
    first_ms: int
    last_ms: int
    times: int
    topic: str
    device_id: str | None
    record_id: str | None
    reason: str
    payload_bytes: int


class HubStore:
    """The hub database. ``handlers`` run per kind for each newly stored record."""

    def __init__(
        self, path: str | Path, *, handlers: dict[str, list[RecordHandler]] | None = None
    ) -> None:
        self.db = open_database(path)
        self.db.migrate("hub.store", MIGRATIONS)
        self.db.migrate("hub.downlinks", DOWNLINK_MIGRATIONS)
        self.handlers: dict[str, list[RecordHandler]] = handlers or {}
        self.state_handlers: list[StateHandler] = []
        self.batch_handlers: list[BatchHandler] = []

    def add_handler(self, kind: str, handler: RecordHandler) -> None:
        self.handlers.setdefault(kind, []).append(handler)

    def add_batch_handler(self, handler: BatchHandler) -> None:
        """Run ``handler`` at the end of every :meth:`store_records` transaction."""
        self.batch_handlers.append(handler)

    def add_state_handler(self, handler: StateHandler) -> None:
        """Run ``handler`` for every birth or will stored (in its transaction)."""
        self.state_handlers.append(handler)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> HubStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- ingest

    def store_records(
        self, items: Sequence[tuple[Envelope, bytes]], *, new: list[Envelope] | None = None
    ) -> tuple[int, int]:
        """Store records idempotently by record id in one transaction.

        Returns (newly stored, duplicates); ``new``, when given, receives the newly stored
        envelopes. Kind handlers run only for new records, in the same transaction, so a
        record and its effects commit together or not at all; then each of
        :attr:`batch_handlers` runs once, in the transaction, with the new records.
        """
        now = _now_ms()
        stored = 0
        fresh: list[Envelope] = []
        with self.db.write() as conn:
            for envelope, payload in items:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO records (record_id, device_id, kind, device_time_ms, received_ms, payload) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        envelope.record_id,
                        envelope.device_id,
                        envelope.kind,
                        envelope.device_time_ms,
                        now,
                        "" if envelope.kind in SECRET_KINDS else payload.decode("utf-8"),
                    ),
                )
                if cursor.rowcount == 1:
                    stored += 1
                    fresh.append(envelope)
                    for handler in self.handlers.get(envelope.kind, ()):
                        handler(conn, envelope, now)
            for finish in self.batch_handlers:
                finish(conn, fresh, now)
        if new is not None:
            new.extend(fresh)  # only after the commit
        return stored, len(items) - stored

    def quarantine(
        self, items: Sequence[tuple[str, bytes, str, str | None, str | None]]
    ) -> list[str]:
        """Keep invalid payloads with their reason: (topic, payload, reason, device_id, record_id).

        The same payload arriving again only bumps its counter, and each unit has a quota
        (``QUARANTINE_UNIT_MAX_BYTES``, ``QUARANTINE_UNIT_MAX_ROWS``): past it, its bad
        payloads only bump the counter of one overflow row, so no unit can fill the disk.
        Returns the units whose overflow row was opened by this call (alert the operator).
        """
        now = _now_ms()
        overflowing: list[str] = []
        with self.db.write() as conn:
            for topic, payload, reason, device_id, record_id in items:
                digest = hashlib.sha256(payload).hexdigest()
                topic, reason = _storable(topic[:512]), _storable(reason[:1000])
                bump = conn.execute(
                    "UPDATE quarantine SET last_ms = ?, times = times + 1 WHERE payload_sha256 = ?",
                    (now, digest),
                )
                if bump.rowcount:
                    continue
                rows, kept = conn.execute(
                    "SELECT count(*), coalesce(sum(length(payload)), 0) FROM quarantine "
                    "WHERE device_id IS ?",
                    (device_id,),
                ).fetchone()
                keep = payload[:QUARANTINE_PAYLOAD_MAX_BYTES]
                if rows >= QUARANTINE_UNIT_MAX_ROWS or kept + len(keep) > QUARANTINE_UNIT_MAX_BYTES:
                    overflow = f"overflow:{device_id}"
                    cursor = conn.execute(
                        "INSERT INTO quarantine (first_ms, last_ms, times, topic, device_id, record_id, reason, payload, payload_bytes, payload_sha256) "
                        "VALUES (?, ?, 1, ?, ?, NULL, ?, ?, ?, ?) "
                        "ON CONFLICT(payload_sha256) DO UPDATE SET last_ms = excluded.last_ms, "
                        "times = quarantine.times + 1, "
                        "payload_bytes = quarantine.payload_bytes + excluded.payload_bytes, "
                        "reason = excluded.reason",
                        (
                            now,
                            now,
                            topic,
                            device_id,
                            "quarantine quota full; last reason: " + reason,
                            b"",
                            len(payload),
                            overflow,
                        ),
                    )
                    if (
                        conn.execute(
                            "SELECT times FROM quarantine WHERE payload_sha256 = ?", (overflow,)
                        ).fetchone()[0]
                        == 1
                        and cursor.rowcount
                    ):
                        overflowing.append(device_id or "?")
                    continue
                conn.execute(
                    "INSERT INTO quarantine (first_ms, last_ms, times, topic, device_id, record_id, reason, payload, payload_bytes, payload_sha256) "
                    "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (now, now, topic, device_id, record_id, reason, keep, len(payload), digest),
                )
        return overflowing

    @staticmethod
    def drop_payloads(conn: Connection, kind: str, before_ms: int) -> int:
        """Blank the payloads of ``kind`` records received before ``before_ms`` and delete
        that kind's quarantined payloads last seen before it (a retention period's end);
        the record rows stay, so a re-sent record is still known. Returns records blanked."""
        blanked = conn.execute(
            "UPDATE records SET payload = '' WHERE kind = ? AND received_ms < ? AND payload != ''",
            (kind, before_ms),
        ).rowcount
        conn.execute(
            "DELETE FROM quarantine WHERE topic LIKE ? AND last_ms < ?",
            (f"%/up/{kind}", before_ms),
        )
        return blanked

    def set_device_state(
        self, device_id: str, status: str, role: str, software: str, changed_ms: int
    ) -> None:
        with self.db.write() as conn:
            before = conn.execute(
                "SELECT status FROM device_state WHERE device_id = ?", (device_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO device_state VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET "
                "status = excluded.status, role = excluded.role, software = excluded.software, changed_ms = excluded.changed_ms",
                (device_id, status, role, software, changed_ms),
            )
            conn.execute(
                "INSERT INTO device_state_log (device_id, status, at_ms) VALUES (?, ?, ?)",
                (device_id, status, changed_ms),
            )
            previous = None if before is None else str(before[0])
            for handler in self.state_handlers:
                handler(conn, device_id, previous, status, role, changed_ms)

    # -------------------------------------------------------------- downlinks

    @staticmethod
    def queue_downlink(
        conn: Connection, device_id: str, kind: str, body: object, *, check: bool = True
    ) -> str:
        """Queue a downlink inside the caller's write transaction (published after commit).

        ``check=False``: the body holds only values checked before (see
        :func:`khidmat_wire.encode`); the encoded message is not checked again.
        Returns the message's record id (a unit's ``command-result`` names it in ``ref``)."""
        envelope = make_envelope(kind, "hub", body)
        conn.execute(
            "INSERT INTO downlinks (device_id, kind, payload, created_ms) VALUES (?, ?, ?, ?)",
            (device_id, kind, encode(envelope, check=check), _now_ms()),
        )
        return envelope.record_id

    def pending_downlinks(self, limit: int = 500) -> list[tuple[int, str, str, bytes]]:
        """(id, device_id, kind, payload) not yet handed to the broker, oldest first."""
        rows = self.db.query(
            "SELECT id, device_id, kind, payload FROM downlinks WHERE sent_ms IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1], r[2], bytes(r[3])) for r in rows]

    def mark_downlinks_sent(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        now = _now_ms()
        with self.db.write() as conn:
            conn.executemany(
                "UPDATE downlinks SET sent_ms = ? WHERE id = ?", [(now, i) for i in ids]
            )

    def publish_downlinks(self, publish: Callable[[str, bytes], bool], limit: int = 500) -> int:
        """Hand queued downlinks (up to ``limit``, oldest first) to ``publish``; stops at the
        first refusal. Returns how many were sent.

        Safe with several hub processes publishing: the rows are claimed in one transaction
        that marks them sent (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two workers take
        different rows; SQLite: the write lock), and ``publish`` (a non-blocking hand-over
        to the MQTT client) runs inside it, so each downlink is handed over once."""
        if self.db.scalar("SELECT 1 FROM downlinks WHERE sent_ms IS NULL LIMIT 1") is None:
            return 0
        sent: list[int] = []
        with self.db.write(serialized=False) as conn:
            rows = conn.execute(
                "SELECT id, device_id, kind, payload FROM downlinks WHERE sent_ms IS NULL "
                "ORDER BY id LIMIT ?" + row_lock(self.db.dialect),
                (limit,),
            ).fetchall()
            for downlink_id, device_id, kind, payload in rows:
                if not publish(build_topic(device_id, Direction.DOWN, kind), bytes(payload)):
                    break
                sent.append(downlink_id)
            if sent:
                now = _now_ms()
                conn.executemany(
                    "UPDATE downlinks SET sent_ms = ? WHERE id = ?", [(now, i) for i in sent]
                )
        return len(sent)

    def state_log(self, since_ms: int) -> list[tuple[str, str, int]]:
        """(device_id, status, at_ms) changes since ``since_ms`` plus the last one before it."""
        rows = self.db.query(
            "SELECT device_id, status, at_ms FROM device_state_log WHERE at_ms >= ? "
            "UNION ALL SELECT l.device_id, l.status, l.at_ms FROM device_state_log l "
            "WHERE l.at_ms = (SELECT max(m.at_ms) FROM device_state_log m "
            "WHERE m.device_id = l.device_id AND m.at_ms < ?) ORDER BY 1, 3",
            (since_ms, since_ms),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # ------------------------------------------------------------------ reads

    def record_count(self, kind: str | None = None) -> int:
        if kind is None:
            return int(self.db.scalar("SELECT count(*) FROM records") or 0)
        return int(self.db.scalar("SELECT count(*) FROM records WHERE kind = ?", (kind,)) or 0)

    def record_ids(self, kind: str | None = None) -> list[str]:
        if kind is None:
            return [r[0] for r in self.db.query("SELECT record_id FROM records")]
        return [
            r[0] for r in self.db.query("SELECT record_id FROM records WHERE kind = ?", (kind,))
        ]

    def payloads_between(self, kind: str, since_ms: int, until_ms: int) -> list[tuple[str, str]]:
        """(device_id, payload JSON) of the records of ``kind`` received in [since, until)."""
        return [
            (r[0], r[1])
            for r in self.db.query(
                "SELECT device_id, payload FROM records WHERE kind = ? AND received_ms >= ? "
                "AND received_ms < ?",
                (kind, since_ms, until_ms),
            )
        ]

    def record_counts(self) -> dict[str, int]:
        """kind -> how many records of that kind are stored."""
        return {
            r[0]: r[1] for r in self.db.query("SELECT kind, count(*) FROM records GROUP BY kind")
        }

    def tracking_numbers(self) -> list[str]:
        """The tracking number of every stored complaint record (one per record)."""
        return [
            _tracking_no(r[0])
            for r in self.db.query("SELECT payload FROM records WHERE kind = 'complaint'")
        ]

    def complaint_records_per_tracking_no(self) -> collections.Counter[str]:
        """How many complaint records name each tracking number (checks: one each)."""
        return collections.Counter(self.tracking_numbers())

    def downlinks_per_tracking_no(self, kind: str) -> collections.Counter[str]:
        """How many ``kind`` downlinks were queued per tracking number in their body."""
        rows = self.db.query("SELECT payload FROM downlinks WHERE kind = ?", (kind,))
        return collections.Counter(_tracking_no(bytes(r[0])) for r in rows)

    def downlink_payloads(self, kind: str) -> list[bytes]:
        """The payload of every ``kind`` downlink queued, oldest first (checks, benchmarks)."""
        rows = self.db.query("SELECT payload FROM downlinks WHERE kind = ? ORDER BY id", (kind,))
        return [bytes(r[0]) for r in rows]

    def quarantined(self, limit: int = 200) -> list[QuarantinedPayload]:
        rows = self.db.query(
            "SELECT id, first_ms, last_ms, times, topic, device_id, record_id, reason, payload_bytes FROM quarantine "
            "ORDER BY last_ms DESC LIMIT ?",
            (limit,),
        )
        return [QuarantinedPayload(*r) for r in rows]

    def device_states_with_role(self) -> dict[str, tuple[str, int, str]]:
        """device_id -> (online|offline, changed_ms, role it announced)."""
        return {
            r[0]: (r[1], r[2], r[3])
            for r in self.db.query("SELECT device_id, status, changed_ms, role FROM device_state")
        }

    def device_states(self) -> dict[str, tuple[str, int]]:
        """device_id -> (online|offline, changed_ms)."""
        return {
            r[0]: (r[1], r[2])
            for r in self.db.query("SELECT device_id, status, changed_ms FROM device_state")
        }


def _tracking_no(payload: str | bytes) -> str | None:
    """The ``body.tracking_no`` of a stored JSON payload (None: absent or not JSON)."""
    try:
        body = json.loads(payload).get("body")
    except (ValueError, AttributeError):
        return None
    value = body.get("tracking_no") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def _storable(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode (lone surrogates) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
