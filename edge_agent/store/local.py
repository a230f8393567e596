"""The unit's store: :class:`LocalStore`, every query on unit.db (see :mod:`edge_agent.store`)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from edge_agent.store.files import StoreFault, fault_kind, private_files
from edge_agent.store.schema import (
    COMPONENT,
    MIGRATIONS,
    ComplaintStatusRow,
    OutboxRecord,
    WatchlistInfo,
)
from khidmat_base.clock import SYSTEM_CLOCK, Clock
from khidmat_base.sqlite import Database
from khidmat_wire.codec import Envelope, body_to_json, build, encode
from khidmat_wire.messages import ComplaintStatus, LicenceStatus, StatusEntry


def _ref(envelope: Envelope) -> str:
    """What a record is about, kept after its payload is erased: a tracking number or ""."""
    ref = getattr(envelope.body, "tracking_no", "")
    return ref if isinstance(ref, str) else ""


LICENCE_ANSWER_KEEP_MS = 3_600_000
"""How long the hub's answer to a licence lookup is kept on the unit (1 hour)."""
LINK_HEALTH = "hub_link"
"""Health key the agent keeps: ``up`` while it is connected to the broker, else ``down``
(the kiosk asks the hub to verify a sign-in only while it is up; :mod:`kiosk.officers`)."""


class LocalStore:
    """The unit's SQLite store. Open one per process (or share it between threads).

    The directory is 0700 and the files 0600; deleted rows are overwritten
    (``secure_delete``). A write that fails because of the storage raises
    :class:`StoreFault` (nothing of it was stored); so does opening a store that cannot
    be opened.

    ``clock`` stamps what the store records (created, handled, installed, audit times); a
    test or a scenario day passes a :class:`~khidmat_base.clock.SettableClock`.
    """

    def __init__(
        self, path: str | Path, *, clock: Clock = SYSTEM_CLOCK, read_only: bool = False
    ) -> None:
        """Open the store; ``read_only``: one that exists on a read-only filesystem (the
        agent then delivers what it holds; every write raises :class:`StoreFault`)."""
        self.clock = clock
        path = Path(path)
        try:
            if read_only:
                self.db = Database(path, read_only=True)
                self.db.query("SELECT count(*) FROM outbox")
                return
            private_files(path)
            self.db = Database(path)
            self.db.conn.execute("PRAGMA secure_delete=ON")
            self.db.migrate(COMPONENT, MIGRATIONS)
        except OSError as error:
            kind = fault_kind(error, path.parent)
            raise StoreFault(kind, error.strerror or type(error).__name__) from None
        except sqlite3.Error as error:
            raise StoreFault(fault_kind(error, path.parent), str(error)) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a storage failure becomes :class:`StoreFault`."""
        try:
            with self.db.write() as conn:
                yield conn
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as error:  # OperationalError is one
            raise StoreFault(fault_kind(error, self.path.parent), str(error)) from None

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ outbox

    def enqueue(self, envelope: Envelope, *, audit: str | None = None) -> str:
        """Validate, encode and store a record for delivery; returns its record id.

        Raises :class:`khidmat_wire.WireError` (nothing stored) when the record is invalid.
        ``audit`` adds a line to the local audit log in the same transaction.
        """
        payload = encode(envelope)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO outbox (record_id, kind, payload, created_ms, ref) VALUES (?, ?, ?, ?, ?)",
                (envelope.record_id, envelope.kind, payload, self.clock.now_ms(), _ref(envelope)),
            )
            if audit is not None:
                self._audit(conn, "unit", f"queued {envelope.kind}", audit)
        return envelope.record_id

    def enqueue_many(self, envelopes: Iterable[Envelope]) -> int:
        """Store many records in one transaction (bulk filing, benchmarks)."""
        rows = [(e.record_id, e.kind, encode(e), self.clock.now_ms(), _ref(e)) for e in envelopes]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO outbox (record_id, kind, payload, created_ms, ref) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def due_records(self, at_ms: int, limit: int) -> list[OutboxRecord]:
        """Unacknowledged records whose next attempt is due, oldest first."""
        rows = self.db.query(
            "SELECT record_id, kind, payload, attempts, created_ms FROM outbox "
            "WHERE acked_ms IS NULL AND next_attempt_ms <= ? ORDER BY next_attempt_ms, record_id LIMIT ?",
            (at_ms, limit),
        )
        return [OutboxRecord(r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def mark_sent(self, attempts: Sequence[tuple[str, int]], at_ms: int) -> None:
        """Record a publish of each ``(record_id, next_attempt_ms)``."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, sent_ms = ?, next_attempt_ms = ?, "
                "first_sent_ms = coalesce(first_sent_ms, ?) "
                "WHERE record_id = ? AND acked_ms IS NULL",
                [(at_ms, next_ms, at_ms, record_id) for record_id, next_ms in attempts],
            )

    def postpone(self, attempts: Sequence[tuple[str, int]]) -> None:
        """Move each unacknowledged ``(record_id, next_attempt_ms)`` later without counting
        an attempt (the agent waits longer for a slow hub's ack)."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE outbox SET next_attempt_ms = ? WHERE record_id = ? AND acked_ms IS NULL",
                [(at_ms, record_id) for record_id, at_ms in attempts],
            )

    def mark_acked(self, record_ids: Sequence[str], at_ms: int, *, rejected: bool = False) -> int:
        """Mark records acknowledged by the hub and erase their payloads; returns how many.

        Once the hub holds a record the unit keeps only its id, kind, ``ref`` (a
        complaint's tracking number) and times: a complaint's name, CNIC and mobile, a
        scan's template, leave the unit's data with the ack (``secure_delete`` overwrites
        them in the file; :meth:`checkpoint` clears them from the WAL).
        """
        with self._write() as conn:
            return self._mark_acked(conn, record_ids, at_ms, rejected=rejected)

    def _mark_acked(
        self, conn: sqlite3.Connection, record_ids: Sequence[str], at_ms: int, *, rejected: bool
    ) -> int:
        before = conn.total_changes
        conn.executemany(
            "UPDATE outbox SET acked_ms = ?, rejected = ?, payload = X'' "
            "WHERE record_id = ? AND acked_ms IS NULL",
            [(at_ms, int(rejected), record_id) for record_id in record_ids],
        )
        changed = conn.total_changes - before
        if rejected and changed:
            self._audit(conn, "hub", "records rejected", ",".join(record_ids)[:2000])
        return changed

    def take_downlinks(
        self,
        *,
        acked: Sequence[str] = (),
        rejected: Sequence[str] = (),
        messages: Sequence[tuple[str, str, bytes]] = (),
        statuses: Sequence[ComplaintStatusRow] = (),
    ) -> tuple[int, set[str]]:
        """What one drain of the downlink queue brought, in one transaction (one commit):
        :meth:`mark_acked` for ``acked`` and ``rejected``, :meth:`add_inbox_many` for
        ``messages``, and :meth:`apply_complaint_statuses` for those ``statuses`` whose
        inbox row is new (a redelivered status is not applied twice).

        Returns (records newly acknowledged, record ids of the new inbox messages).
        """
        at = self.clock.now_ms()
        with self._write() as conn:
            count = self._mark_acked(conn, acked, at, rejected=False) if acked else 0
            if rejected:
                self._mark_acked(conn, rejected, at, rejected=True)
            new = self._add_inbox(conn, messages, at)
            fresh = [r for r in statuses if r.inbox_id is None or r.inbox_id in new]
            self._apply_complaint_statuses(conn, fresh, at)
        return count, new

    def withdraw(self, record_id: str) -> bool:
        """Delete a record from the outbox, sent or not (a ``signin`` request once answered
        or given up on: its PIN must not wait on the disk); True when it was there."""
        with self._write() as conn:
            return (
                conn.execute("DELETE FROM outbox WHERE record_id = ?", (record_id,)).rowcount == 1
            )

    def reschedule_pending(self, at_ms: int) -> int:
        """Make every unacknowledged record due now (after a reconnect); returns the count."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE outbox SET next_attempt_ms = ? WHERE acked_ms IS NULL AND next_attempt_ms > ?",
                (at_ms, at_ms),
            ).rowcount

    def outbox_depth(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM outbox WHERE acked_ms IS NULL") or 0)

    def oldest_unacked_ms(self) -> int | None:
        """Creation time of the oldest unacknowledged record (Unix ms), or None."""
        value = self.db.scalar("SELECT min(created_ms) FROM outbox WHERE acked_ms IS NULL")
        return None if value is None else int(value)  # type: ignore[arg-type]

    def delivery_times(self) -> list[tuple[int, int, int]]:
        """``(created_ms, first_sent_ms, acked_ms)`` of every acknowledged record (benchmarks)."""
        rows = self.db.query(
            "SELECT created_ms, first_sent_ms, acked_ms FROM outbox "
            "WHERE acked_ms IS NOT NULL AND first_sent_ms IS NOT NULL"
        )
        return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    def publish_count(self) -> int:
        """How many times the acknowledged records were published in all (benchmarks: the
        excess over their number is re-sends)."""
        return int(
            self.db.scalar(
                "SELECT coalesce(sum(attempts), 0) FROM outbox WHERE acked_ms IS NOT NULL"
            )
            or 0
        )

    def record_ids(self) -> list[str]:
        """Every record id this unit has filed (acknowledged or not)."""
        return [r[0] for r in self.db.query("SELECT record_id FROM outbox")]

    def acknowledged_ids(self) -> set[str]:
        """Ids of the records the hub has acknowledged (held, or refused into quarantine):
        those the unit no longer keeps for delivery, so the ones a hub must account for.
        A record filed since (a telemetry report, say) is still pending and not among them."""
        rows = self.db.query("SELECT record_id FROM outbox WHERE acked_ms IS NOT NULL")
        return {r[0] for r in rows}

    def acked_tracking_numbers(self) -> set[str]:
        """Tracking numbers of this unit's complaints the hub has acknowledged (kept in
        ``ref``: an acknowledged record's payload is erased)."""
        rows = self.db.query(
            "SELECT ref FROM outbox WHERE kind = 'complaint' AND acked_ms IS NOT NULL"
        )
        return {r[0] for r in rows}

    def record_state(self, record_id: str) -> str:
        """'pending', 'acked', 'rejected' or 'unknown' for a record this unit filed."""
        rows = self.db.query(
            "SELECT acked_ms, rejected FROM outbox WHERE record_id = ?", (record_id,)
        )
        if not rows:
            return "unknown"
        if rows[0][0] is None:
            return "pending"
        return "rejected" if rows[0][1] else "acked"

    def acked_refs(self, kind: str) -> list[str]:
        """The ``ref`` of every acknowledged record of ``kind`` (complaints: tracking numbers)."""
        rows = self.db.query(
            "SELECT ref FROM outbox WHERE kind = ? AND acked_ms IS NOT NULL AND rejected = 0",
            (kind,),
        )
        return [r[0] for r in rows]

    def erase_handled(self) -> int:
        """Erase the payloads of downlinks already applied (a watchlist, statuses, config).

        What they carried lives on in its own table; returns how many were erased.
        """
        with self._write() as conn:
            return conn.execute(
                "UPDATE inbox SET payload = X'' WHERE handled_ms IS NOT NULL AND length(payload) > 0"
            ).rowcount

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it to zero bytes.

        Erased payloads otherwise linger in old WAL frames. Returns False when another
        connection's reader kept the WAL from being truncated this time (try later).
        Costs one fsync and a copy of the WAL's pages.
        """
        try:
            row = self.db.query("PRAGMA wal_checkpoint(TRUNCATE)")[0]
        except sqlite3.DatabaseError as error:
            raise StoreFault(fault_kind(error), str(error)) from None
        return int(row[0]) == 0

    def prune_acked(self, older_than_ms: int) -> int:
        """Delete acknowledged records acked before ``older_than_ms``; returns the count."""
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM outbox WHERE acked_ms IS NOT NULL AND acked_ms < ?", (older_than_ms,)
            ).rowcount

    # ------------------------------------------------------------------- inbox

    def add_inbox(self, record_id: str, kind: str, payload: bytes) -> bool:
        """Keep a downlink message; False when it was already there (a redelivery)."""
        return bool(self.add_inbox_many([(record_id, kind, payload)]))

    def add_inbox_many(self, messages: Sequence[tuple[str, str, bytes]]) -> set[str]:
        """Keep downlink messages ``(record_id, kind, payload)`` in one transaction.

        Returns the record ids that were new (the others are redeliveries).
        """
        at = self.clock.now_ms()
        with self._write() as conn:
            return self._add_inbox(conn, messages, at)

    @staticmethod
    def _add_inbox(
        conn: sqlite3.Connection, messages: Sequence[tuple[str, str, bytes]], at: int
    ) -> set[str]:
        new: set[str] = set()
        for record_id, kind, payload in messages:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO inbox (record_id, kind, payload, received_ms) VALUES (?, ?, ?, ?)",
                (record_id, kind, payload, at),
            )
            if cursor.rowcount == 1:
                new.add(record_id)
        return new

    def mark_handled(self, record_id: str) -> None:
        """The downlink was applied: mark it and erase its payload (a watchlist, an alert)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE inbox SET handled_ms = ?, payload = X'' WHERE record_id = ?",
                (self.clock.now_ms(), record_id),
            )

    def unhandled_inbox(
        self, kinds: Sequence[str], limit: int = 100
    ) -> list[tuple[str, str, bytes]]:
        """``(record_id, kind, payload)`` of downlink messages not yet handled, oldest first."""
        marks = ",".join("?" for _ in kinds)
        rows = self.db.query(
            f"SELECT record_id, kind, payload FROM inbox WHERE handled_ms IS NULL AND kind IN ({marks}) "
            "ORDER BY received_ms LIMIT ?",
            (*kinds, limit),
        )
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    # --------------------------------------------------------- complaint status

    def put_complaint_status(
        self, status: ComplaintStatus, *, hub_time_ms: int = 0, inbox_id: str | None = None
    ) -> None:
        """Show a complaint's status (see :meth:`apply_complaint_statuses`)."""
        self.apply_complaint_statuses([ComplaintStatusRow(status, hub_time_ms, inbox_id)])

    def apply_complaint_statuses(self, rows: Sequence[ComplaintStatusRow]) -> None:
        """Store statuses from the hub in one transaction and mark their inbox rows handled.

        A status older (by the hub's clock) than the one stored is ignored.
        """
        at = self.clock.now_ms()
        with self._write() as conn:
            self._apply_complaint_statuses(conn, rows, at)

    @staticmethod
    def _apply_complaint_statuses(
        conn: sqlite3.Connection, rows: Sequence[ComplaintStatusRow], at: int
    ) -> None:
        for row in rows:
            body = row.status
            history = [
                {"status": h.status, "message": h.message, "at_ms": h.at_ms} for h in body.history
            ]
            conn.execute(
                "INSERT INTO complaint_status (tracking_no, status, found, due_at_ms, history, can_rate, updated_ms, hub_time_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tracking_no) DO UPDATE SET status = excluded.status, "
                "found = excluded.found, due_at_ms = excluded.due_at_ms, history = excluded.history, "
                "can_rate = excluded.can_rate, updated_ms = excluded.updated_ms, hub_time_ms = excluded.hub_time_ms "
                "WHERE excluded.hub_time_ms >= complaint_status.hub_time_ms",
                (body.tracking_no, body.status, int(body.found), body.due_at_ms, json.dumps(history),
                 int(body.can_rate), at, row.hub_time_ms),
            )  # fmt: skip
        # one update per downlink (a complaint-statuses message brings many rows)
        for inbox_id in dict.fromkeys(r.inbox_id for r in rows if r.inbox_id is not None):
            conn.execute("UPDATE inbox SET handled_ms = ? WHERE record_id = ?", (at, inbox_id))

    # ----------------------------------------------------------- licence answers

    def put_licence_answer(self, body: LicenceStatus, *, inbox_id: str | None = None) -> None:
        """Keep the hub's answer to a licence lookup (by the lookup's record id) and mark
        its inbox row handled, in one transaction. Answers older than
        ``LICENCE_ANSWER_KEEP_MS`` are dropped here: the desk shows one while the citizen
        waits, and nothing else reads them."""
        at = self.clock.now_ms()
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO licence_answers (request_id, token, body, received_ms) "
                "VALUES (?, ?, ?, ?)",
                (body.request_id, body.token, json.dumps(body_to_json(body)), at),
            )
            conn.execute(
                "DELETE FROM licence_answers WHERE received_ms < ?",
                (at - LICENCE_ANSWER_KEEP_MS,),
            )
            if inbox_id is not None:
                conn.execute("UPDATE inbox SET handled_ms = ? WHERE record_id = ?", (at, inbox_id))

    def licence_answer(self, request_id: str) -> LicenceStatus | None:
        """The hub's answer to the licence lookup ``request_id``; None: none yet."""
        rows = self.db.query("SELECT body FROM licence_answers WHERE request_id = ?", (request_id,))
        if not rows:
            return None
        return build(LicenceStatus, json.loads(rows[0][0]))

    def complaint_status(self, tracking_no: str) -> ComplaintStatus | None:
        """The latest status the hub sent for ``tracking_no``, as the wire object; None: none yet."""
        rows = self.db.query("SELECT * FROM complaint_status WHERE tracking_no = ?", (tracking_no,))
        if not rows:
            return None
        row = rows[0]
        history = tuple(
            # rows stored before the message field held the internal reason: never shown
            StatusEntry(str(e["status"]), str(e.get("message", "")), int(e["at_ms"]))
            for e in json.loads(row["history"])
        )
        return ComplaintStatus(
            tracking_no=row["tracking_no"],
            found=bool(row["found"]),
            status=row["status"],
            due_at_ms=row["due_at_ms"],
            history=history,
            can_rate=bool(row["can_rate"]),
        )

    # ---------------------------------------------------------------- watchlist

    def replace_watchlist(
        self,
        version: int,
        issued_at_ms: int,
        entries: Iterable[tuple[str, int, str, str, str]],
        *,
        delta_removes: Sequence[str] | None = None,
    ) -> None:
        """Install a watchlist atomically.

        With ``delta_removes`` None, ``entries`` (person_id, finger, name, status, template)
        replace the whole list (a snapshot); otherwise they are added after removing the
        people in ``delta_removes`` (a delta). The caller has checked signature and order.
        """
        with self._write() as conn:
            if delta_removes is None:
                conn.execute("DELETE FROM watchlist")
            else:
                conn.executemany(
                    "DELETE FROM watchlist WHERE person_id = ?", [(p,) for p in delta_removes]
                )
            conn.executemany("INSERT OR REPLACE INTO watchlist VALUES (?, ?, ?, ?, ?)", entries)
            conn.execute(
                "INSERT INTO watchlist_meta (id, version, issued_at_ms, installed_ms) VALUES (1, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET version = excluded.version, issued_at_ms = excluded.issued_at_ms, "
                "installed_ms = excluded.installed_ms",
                (version, issued_at_ms, self.clock.now_ms()),
            )

    def watchlist_info(self) -> WatchlistInfo | None:
        rows = self.db.query(
            "SELECT version, issued_at_ms, installed_ms FROM watchlist_meta WHERE id = 1"
        )
        if not rows:
            return None
        count = int(self.db.scalar("SELECT count(*) FROM watchlist") or 0)
        return WatchlistInfo(rows[0][0], rows[0][1], rows[0][2], count)

    def watchlist_entries(self) -> list[tuple[str, int, str, str, str]]:
        """All installed entries: (person_id, finger, name, status, template base64)."""
        return [
            tuple(r)
            for r in self.db.query(
                "SELECT person_id, finger, name, status, template FROM watchlist"
            )
        ]  # type: ignore[misc]

    # ------------------------------------------------------ settings and health

    def put_setting(self, key: str, value: str) -> None:
        self.put_settings({key: value})

    def put_settings(self, values: dict[str, str]) -> None:
        """Store every setting of ``values`` in one transaction: a reader (the kiosk) sees
        all of a hub's config message or none of it, never half."""
        now = self.clock.now_ms()
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO settings VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                [(key, value, now) for key, value in values.items()],
            )

    def settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.query("SELECT key, value FROM settings")}

    def replace_settings(self, prefix: str, values: dict[str, str], *, audit: str = "") -> None:
        """In one transaction: drop every setting whose key starts with ``prefix``, store
        ``values`` (keys include the prefix, or are other settings such as a version) and
        write ``audit`` (actor hub) when given. A reader sees the old set or the new one."""
        now = self.clock.now_ms()
        with self.db.write() as conn:
            conn.execute("DELETE FROM settings WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
            conn.executemany(
                "INSERT INTO settings VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "value = excluded.value, updated_ms = excluded.updated_ms",
                [(k, v, now) for k, v in values.items()],
            )
            if audit:
                self._audit(conn, "hub", audit, "")

    def put_health(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO health VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                (key, value, self.clock.now_ms()),
            )

    def health(self, key: str) -> str | None:
        value = self.db.scalar("SELECT value FROM health WHERE key = ?", (key,))
        return None if value is None else str(value)

    # ------------------------------------------------------- officer sign-in

    def signin_locked_until(self, badge: str) -> int:
        """Unix ms until which ``badge`` (lower case) is locked; 0 when it is not."""
        value = self.db.scalar(
            "SELECT locked_until_ms FROM signin_failures WHERE badge = ?", (badge,)
        )
        return 0 if value is None else int(value)  # type: ignore[arg-type]

    def note_signin_failure(
        self, badge: str, at_ms: int, *, max_failures: int, lockout_ms: int
    ) -> int:
        """Count a wrong PIN for ``badge``; the ``max_failures``-th in a row locks it.

        Returns the lock's end (Unix ms) when this failure locked the badge, else 0.
        """
        with self._write() as conn:
            conn.execute(
                "INSERT INTO signin_failures VALUES (?, 1, 0) "
                "ON CONFLICT(badge) DO UPDATE SET failures = failures + 1",
                (badge,),
            )
            failures = conn.execute(
                "SELECT failures FROM signin_failures WHERE badge = ?", (badge,)
            ).fetchone()[0]
            if failures < max_failures:
                return 0
            conn.execute(
                "UPDATE signin_failures SET failures = 0, locked_until_ms = ? WHERE badge = ?",
                (at_ms + lockout_ms, badge),
            )
            return at_ms + lockout_ms

    def clear_signin_failures(self, badge: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM signin_failures WHERE badge = ?", (badge,))

    # ---------------------------------------------------------- audit, sequence

    def audit(self, actor: str, action: str, detail: str = "") -> None:
        with self._write() as conn:
            self._audit(conn, actor, action, detail)

    def _audit(self, conn: object, actor: str, action: str, detail: str) -> None:
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO audit (at_ms, actor, action, detail) VALUES (?, ?, ?, ?)",
            (self.clock.now_ms(), actor, action, detail[:2000]),
        )

    def audit_log(self, limit: int = 100) -> list[tuple[int, str, str, str]]:
        return [
            tuple(r)
            for r in self.db.query(
                "SELECT at_ms, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            )
        ]  # type: ignore[misc]

    def next_sequence(self, name: str) -> int:
        """Atomically increment and return a named counter (1, 2, 3, ...)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sequences VALUES (?, 0) ON CONFLICT(name) DO NOTHING", (name,)
            )
            conn.execute("UPDATE sequences SET value = value + 1 WHERE name = ?", (name,))
            return int(
                conn.execute("SELECT value FROM sequences WHERE name = ?", (name,)).fetchone()[0]
            )
