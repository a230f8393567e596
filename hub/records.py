"""The criminal record store: people, their fingerprint templates, and enrolments.

:class:`RecordStore` owns the ``people``, ``person_templates``, ``template_log`` and
``record_audit`` tables of the hub database. An ``enrolment`` record from an enrolment
unit creates a person or, when the CNIC is already on file, adds to that person (offences
merged, status updated, templates replaced finger by finger). Enrolments from a unit the
registry knows with another role (a desk or gate) are refused and audited; units not in
the registry (development setups without provisioning) are accepted. ``template_log`` numbers
every template change so an in-memory gallery (:mod:`hub.identify`) can follow changes
made by any process (ingest, bulk import) by asking for changes since a sequence number.

Templates are stored in matcher_cy's compact form (``Template.to_bytes()``) and checked by
decoding them before they are accepted. Person ids are allocated as ``CR-0000001``
(inside the write transaction, so concurrent hub workers cannot collide) unless the
import supplies its own (an existing CRO number).
Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from hub.store import HubStore
from khidmat_base.clock import now_ms as _now_ms
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import CNIC, PERSON_STATUSES, SHORT_ID, Enrolment

log = logging.getLogger(__name__)

FINGERS = range(0, 11)
"""ISO finger positions (0 unknown, 1 right thumb .. 10 left little)."""

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

_CNIC = re.compile(CNIC)
_SHORT_ID = re.compile(SHORT_ID)


class RecordError(ValueError):
    """A record that cannot be stored as given (the message names the field)."""


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    name: str
    father_name: str
    cnic: str
    offences: tuple[str, ...]
    status: str
    source: str
    created_ms: int
    updated_ms: int
    fingers: tuple[int, ...]


class RecordStore:
    """People and their templates in the hub database."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self.db = store.db
        self.db.migrate("hub.records", MIGRATIONS)

    def install(self) -> None:
        """Register the enrolment ingest handler."""
        self.store.add_handler("enrolment", self._on_enrolment)

    # -------------------------------------------------------------- writes

    def _on_enrolment(self, conn: sqlite3.Connection, envelope: Envelope, now_ms: int) -> None:
        body: Enrolment = envelope.body
        actor = f"{body.officer}@{envelope.device_id}"
        role = _registered_role(conn, envelope.device_id)
        if role is not None and role != "enrol":
            _audit(
                conn,
                now_ms,
                "-",
                "enrolment-refused",
                f"{envelope.record_id}: {envelope.device_id} is a {role} unit, not an enrolment unit",
                actor,
            )
            return
        try:
            _check_person(body.name, body.father_name, body.cnic, body.status, None)
            templates = [(f.finger, _decode_template(f.template), f.quality) for f in body.fingers]
        except RecordError as error:  # stored and acked, but not a usable record: audited
            _audit(conn, now_ms, "-", "enrolment-refused", f"{envelope.record_id}: {error}", actor)
            return
        person_id = self._upsert_person(
            conn,
            name=body.name,
            father_name=body.father_name,
            cnic=body.cnic,
            offences=body.offences,
            status=body.status,
            source=f"enrolment {envelope.record_id}",
            actor=actor,
            now_ms=now_ms,
        )
        for finger, data, quality in templates:
            _put_template(
                conn, person_id, finger, data, quality, f"enrolment {envelope.record_id}", now_ms
            )
        _audit(conn, now_ms, person_id, "templates", f"fingers {[t[0] for t in templates]}", actor)

    def upsert_person(
        self,
        *,
        name: str,
        father_name: str,
        cnic: str,
        offences: Sequence[str],
        status: str,
        source: str,
        actor: str,
        person_id: str | None = None,
        templates: Sequence[tuple[int, bytes, int]] = (),
        now_ms: int | None = None,
    ) -> str:
        """Create or update a person (matched by ``person_id``, else by CNIC) with templates.

        ``templates`` are (finger, compact template bytes, quality). Returns the person id.
        RecordError for an invalid field or template; nothing is written then.
        """
        now_ms = _now_ms() if now_ms is None else now_ms
        checked = [(f, _check_template(data), q) for f, data, q in templates]
        with self.db.write() as conn:
            pid = self._upsert_person(
                conn,
                name=name,
                father_name=father_name,
                cnic=cnic,
                offences=offences,
                status=status,
                source=source,
                actor=actor,
                now_ms=now_ms,
                person_id=person_id,
            )
            for finger, data, quality in checked:
                _put_template(conn, pid, finger, data, quality, source, now_ms)
        return pid

    def _upsert_person(
        self,
        conn: sqlite3.Connection,
        *,
        name: str,
        father_name: str,
        cnic: str,
        offences: Sequence[str],
        status: str,
        source: str,
        actor: str,
        now_ms: int,
        person_id: str | None = None,
    ) -> str:
        _check_person(name, father_name, cnic, status, person_id)
        row = None
        if person_id:
            row = conn.execute("SELECT * FROM people WHERE person_id = ?", (person_id,)).fetchone()
        elif cnic:
            row = conn.execute(
                "SELECT * FROM people WHERE cnic = ? ORDER BY created_ms LIMIT 1", (cnic,)
            ).fetchone()
        clean_offences = [o.strip() for o in offences if o.strip()]
        if row is None:
            pid = person_id or _next_person_id(conn)
            conn.execute(
                "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pid,
                    name.strip(),
                    father_name.strip(),
                    cnic,
                    json.dumps(clean_offences, ensure_ascii=False),
                    status,
                    source,
                    now_ms,
                    now_ms,
                ),
            )
            _audit(conn, now_ms, pid, "created", f"{status}; {source}", actor)
            return pid
        pid = row["person_id"]
        merged = list(json.loads(row["offences"]))
        merged += [o for o in clean_offences if o not in merged]
        conn.execute(
            "UPDATE people SET name = ?, father_name = ?, cnic = ?, offences = ?, status = ?, updated_ms = ? "
            "WHERE person_id = ?",
            (
                name.strip() or row["name"],
                father_name.strip() or row["father_name"],
                cnic or row["cnic"],
                json.dumps(merged, ensure_ascii=False),
                status,
                now_ms,
                pid,
            ),
        )
        _audit(conn, now_ms, pid, "updated", f"{row['status']} -> {status}; {source}", actor)
        return pid

    def set_status(self, person_id: str, status: str, *, reason: str, actor: str) -> None:
        """Change a person's record status (e.g. wanted -> convicted); KeyError when unknown."""
        if status not in PERSON_STATUSES:
            raise RecordError(f"status: must be one of {', '.join(PERSON_STATUSES)}")
        now_ms = _now_ms()
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE people SET status = ?, updated_ms = ? WHERE person_id = ?",
                (status, now_ms, person_id),
            )
            if cursor.rowcount == 0:
                raise KeyError(f"no person {person_id}")
            _audit(conn, now_ms, person_id, "status", f"{status}: {reason}", actor)

    # --------------------------------------------------------------- reads

    def get(self, person_id: str) -> Person | None:
        rows = self.db.query("SELECT * FROM people WHERE person_id = ?", (person_id,))
        return self._person(rows[0]) if rows else None

    def search(self, text: str, *, limit: int = 100) -> list[Person]:
        """By person id, CNIC, or a part of the name or father's name."""
        text = text.strip()
        if not text:
            return []
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.query(
            "SELECT * FROM people WHERE person_id = ? OR cnic = ? OR name LIKE ? ESCAPE '\\' "
            "OR father_name LIKE ? ESCAPE '\\' ORDER BY updated_ms DESC LIMIT ?",
            (text, text, like, like, limit),
        )
        return [self._person(r) for r in rows]

    def count(self) -> int:
        return int(self.db.scalar("SELECT count(*) FROM people") or 0)

    def template_seq(self) -> int:
        """The newest template change's sequence number (0 when none)."""
        return int(self.db.scalar("SELECT max(seq) FROM template_log") or 0)

    def template_changes(self, after_seq: int) -> tuple[int, list[tuple[str, int, bytes | None]]]:
        """Templates changed after ``after_seq``: (new seq, [(person_id, finger, bytes|None)])."""
        with self.db.lock:
            seq = int(
                self.db.conn.execute("SELECT coalesce(max(seq), 0) FROM template_log").fetchone()[0]
            )
            rows = self.db.conn.execute(
                "SELECT DISTINCT l.person_id, l.finger, t.template FROM template_log l "
                "LEFT JOIN person_templates t ON t.person_id = l.person_id AND t.finger = l.finger "
                "WHERE l.seq > ? AND l.seq <= ?",
                (after_seq, seq),
            ).fetchall()
        return seq, [(r[0], r[1], None if r[2] is None else bytes(r[2])) for r in rows]

    def templates_of(self, person_ids: Sequence[str]) -> Iterator[tuple[str, int, bytes]]:
        """(person_id, finger, compact bytes) of the given people, in person and finger order."""
        for start in range(0, len(person_ids), 500):
            chunk = list(person_ids[start : start + 500])
            rows = self.db.query(
                f"SELECT person_id, finger, template FROM person_templates WHERE person_id IN "
                f"({','.join('?' * len(chunk))}) ORDER BY person_id, finger",
                chunk,
            )
            for r in rows:
                yield r[0], r[1], bytes(r[2])

    def people_with_status(self, statuses: Sequence[str]) -> list[Person]:
        rows = self.db.query(
            f"SELECT * FROM people WHERE status IN ({','.join('?' * len(statuses))}) ORDER BY person_id",
            tuple(statuses),
        )
        return [self._person(r) for r in rows]

    def audit_log(self, person_id: str) -> list[tuple[int, str, str, str]]:
        return [
            (r[0], r[1], r[2], r[3])
            for r in self.db.query(
                "SELECT at_ms, action, detail, actor FROM record_audit WHERE person_id = ? ORDER BY id",
                (person_id,),
            )
        ]

    def _person(self, row: sqlite3.Row) -> Person:
        fingers = tuple(
            r[0]
            for r in self.db.query(
                "SELECT finger FROM person_templates WHERE person_id = ? ORDER BY finger",
                (row["person_id"],),
            )
        )
        return Person(
            row["person_id"],
            row["name"],
            row["father_name"],
            row["cnic"],
            tuple(json.loads(row["offences"])),
            row["status"],
            row["source"],
            row["created_ms"],
            row["updated_ms"],
            fingers,
        )


def _check_person(
    name: str, father_name: str, cnic: str, status: str, person_id: str | None
) -> None:
    if not name.strip() or len(name) > 100:
        raise RecordError("name: required, at most 100 characters")
    if len(father_name) > 100:
        raise RecordError("father_name: at most 100 characters")
    if cnic and not _CNIC.match(cnic):
        raise RecordError(f"cnic: {cnic!r} is not 12345-1234567-1")
    if status not in PERSON_STATUSES:
        raise RecordError(f"status: {status!r} is not one of {', '.join(PERSON_STATUSES)}")
    if person_id is not None and not _SHORT_ID.match(person_id):
        raise RecordError(f"person_id: {person_id!r} is not a short id (letters, digits, ._-)")


def _check_template(data: bytes) -> bytes:
    from matcher_cy import Template, TemplateFormatError

    try:
        Template.from_bytes(data)
    except TemplateFormatError as error:
        raise RecordError(f"template: {error}") from None
    return data


def _decode_template(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RecordError(f"template: not base64 ({error})") from None
    return _check_template(data)


def _put_template(
    conn: sqlite3.Connection,
    person_id: str,
    finger: int,
    data: bytes,
    quality: int,
    source: str,
    now_ms: int,
) -> None:
    if finger not in FINGERS:
        raise RecordError(f"finger: {finger} is not an ISO finger position 0..10")
    conn.execute(
        "INSERT INTO person_templates VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(person_id, finger) DO UPDATE SET "
        "template = excluded.template, quality = excluded.quality, source = excluded.source, "
        "updated_ms = excluded.updated_ms",
        (person_id, finger, data, quality, source, now_ms),
    )
    conn.execute(
        "INSERT INTO template_log (person_id, finger, at_ms) VALUES (?, ?, ?)",
        (person_id, finger, now_ms),
    )


def _registered_role(conn: sqlite3.Connection, device_id: str) -> str | None:
    """The unit's role in provisioning's registry; None when it is not registered there."""
    if (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'devices'"
        ).fetchone()
        is None
    ):
        return None
    row = conn.execute("SELECT role FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return None if row is None else str(row[0])


def _next_person_id(conn: sqlite3.Connection) -> str:
    row = conn.execute(
        "SELECT max(CAST(substr(person_id, 4) AS INTEGER)) FROM people WHERE person_id LIKE 'CR-%'"
    ).fetchone()
    return f"CR-{(row[0] or 0) + 1:07d}"


def _audit(
    conn: sqlite3.Connection, at_ms: int, person_id: str, action: str, detail: str, actor: str
) -> None:
    conn.execute(
        "INSERT INTO record_audit (at_ms, person_id, action, detail, actor) VALUES (?, ?, ?, ?, ?)",
        (at_ms, person_id, action, detail[:2000], actor),
    )
