"""The criminal record store: people, their fingerprint templates, and enrolments.

:class:`RecordStore` runs the record workflow over the ``people``, ``person_templates``,
``template_log`` and ``record_audit`` tables (schema and queries: :mod:`hub.store.people`). An ``enrolment`` record from an enrolment
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
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.store import HubStore
from hub.store import people as table
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import PERSON_STATUSES, SHORT_ID, Enrolment
from khidmat_wire.vocabulary import is_cnic
from provisioning.registry import role_in

log = logging.getLogger(__name__)

EnrolledHook = Callable[[Connection, Envelope, str, int], None]
"""(conn, the enrolment record, the person id it was stored as, now_ms)."""
FINGERS = range(0, 11)
"""ISO finger positions (0 unknown, 1 right thumb .. 10 left little)."""

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
        self.on_enrolled: EnrolledHook | None = None
        """Told (inside the ingest transaction) when an enrolment record was stored as a
        person: (conn, the record, the person's id, now_ms)."""
        table.migrate(self.db)

    def install(self) -> None:
        """Register the enrolment ingest handler."""
        self.store.add_handler("enrolment", self._on_enrolment)

    # -------------------------------------------------------------- writes

    def _on_enrolment(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Enrolment = envelope.body
        actor = f"{body.officer}@{envelope.device_id}"
        role = role_in(conn, envelope.device_id)
        if role is not None and role != "enrol":
            table.add_audit(
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
            table.add_audit(
                conn, now_ms, "-", "enrolment-refused", f"{envelope.record_id}: {error}", actor
            )
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
        table.add_audit(
            conn, now_ms, person_id, "templates", f"fingers {[t[0] for t in templates]}", actor
        )
        if self.on_enrolled is not None:
            self.on_enrolled(conn, envelope, person_id, now_ms)

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
        conn: Connection,
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
        row = table.find_for_update(conn, person_id=person_id, cnic=cnic)
        clean_offences = [o.strip() for o in offences if o.strip()]
        if row is None:
            pid = person_id or table.next_person_id(conn)
            table.insert_person(
                conn,
                pid,
                name=name.strip(),
                father_name=father_name.strip(),
                cnic=cnic,
                offences=clean_offences,
                status=status,
                source=source,
                now_ms=now_ms,
            )
            table.add_audit(conn, now_ms, pid, "created", f"{status}; {source}", actor)
            return pid
        pid = row["person_id"]
        merged = list(table.offences(row))
        merged += [o for o in clean_offences if o not in merged]
        table.update_person(
            conn,
            pid,
            name=name.strip() or row["name"],
            father_name=father_name.strip() or row["father_name"],
            cnic=cnic or row["cnic"],
            offences=merged,
            status=status,
            now_ms=now_ms,
        )
        table.add_audit(
            conn, now_ms, pid, "updated", f"{row['status']} -> {status}; {source}", actor
        )
        return pid

    def set_status(self, person_id: str, status: str, *, reason: str, actor: str) -> None:
        """Change a person's record status (e.g. wanted -> convicted); KeyError when unknown."""
        if status not in PERSON_STATUSES:
            raise RecordError(f"status: must be one of {', '.join(PERSON_STATUSES)}")
        now_ms = _now_ms()
        with self.db.write() as conn:
            if not table.set_status(conn, person_id, status, now_ms):
                raise KeyError(f"no person {person_id}")
            table.add_audit(conn, now_ms, person_id, "status", f"{status}: {reason}", actor)

    # --------------------------------------------------------------- reads

    def get(self, person_id: str) -> Person | None:
        row = table.get(self.db, person_id)
        return self._person(row) if row is not None else None

    def search(self, text: str, *, limit: int = 100) -> list[Person]:
        """By person id, CNIC, or a part of the name or father's name."""
        text = text.strip()
        if not text:
            return []
        return [self._person(r) for r in table.search(self.db, text, limit=limit)]

    def count(self) -> int:
        return table.count(self.db)

    def template_seq(self) -> int:
        """The newest template change's sequence number (0 when none)."""
        return table.template_seq(self.db)

    def template_changes(self, after_seq: int) -> tuple[int, list[tuple[str, int, bytes | None]]]:
        """Templates changed after ``after_seq``: (new seq, [(person_id, finger, bytes|None)])."""
        return table.template_changes(self.db, after_seq)

    def templates_of(self, person_ids: Sequence[str]) -> Iterator[tuple[str, int, bytes]]:
        """(person_id, finger, compact bytes) of the given people, in person and finger order."""
        return table.templates_of(self.db, person_ids)

    def export_templates(self, person_id: str, fmt: str, *, actor: str) -> list[tuple[int, bytes]]:
        """(finger, record) of every template of ``person_id`` as an ISO/IEC 19794-2:2005
        (``fmt`` "iso") or ANSI INCITS 378-2004 ("ansi") finger minutiae record; the export
        is audited under ``actor``. RecordError for an unknown person or format."""
        from matcher_cy import Template

        if fmt not in ("iso", "ansi"):
            raise RecordError("format: iso or ansi")
        if not actor.strip():
            raise RecordError("who exports: give the officer")
        if self.get(person_id) is None:
            raise RecordError(f"no person {person_id[:64]!r} on record")
        exported = []
        for _, finger, data in self.templates_of([person_id]):
            template = Template.from_bytes(data)
            exported.append((finger, template.to_iso() if fmt == "iso" else template.to_ansi()))
        with self.db.write() as conn:
            table.add_audit(
                conn, _now_ms(), person_id, "export",
                f"{fmt}: fingers {[f for f, _ in exported]}", actor.strip()[:80],
            )  # fmt: skip
        return exported

    def export_to_folder(
        self, person_id: str, fmt: str, directory: Path, *, actor: str
    ) -> list[Path]:
        """:meth:`export_templates` written as ``<person>-finger<N>.<fmt>`` files into
        ``directory`` (made if missing); returns the paths."""
        exported = self.export_templates(person_id, fmt, actor=actor)
        directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in person_id)[:64]
        paths = []
        for finger, data in exported:
            path = directory / f"{safe}-finger{finger}.{fmt}"
            path.write_bytes(data)
            paths.append(path)
        return paths

    def people_with_status(self, statuses: Sequence[str]) -> list[Person]:
        return [self._person(r) for r in table.with_status(self.db, statuses)]

    def ids_starting(self, prefix: str) -> list[str]:
        """Person ids that start with ``prefix`` (e.g. the demo's ``SEED-``)."""
        return table.ids_starting(self.db, prefix)

    def audit_log(self, person_id: str) -> list[tuple[int, str, str, str]]:
        return table.audit_log(self.db, person_id)

    def _person(self, row: sqlite3.Row) -> Person:
        return Person(
            row["person_id"],
            row["name"],
            row["father_name"],
            row["cnic"],
            table.offences(row),
            row["status"],
            row["source"],
            row["created_ms"],
            row["updated_ms"],
            table.fingers_of(self.db, row["person_id"]),
        )


def _check_person(
    name: str, father_name: str, cnic: str, status: str, person_id: str | None
) -> None:
    if not name.strip() or len(name) > 100:
        raise RecordError("name: required, at most 100 characters")
    if len(father_name) > 100:
        raise RecordError("father_name: at most 100 characters")
    if cnic and not is_cnic(cnic):
        raise RecordError(f"cnic: {cnic!r} is not 12345-1234567-1")
    if status not in PERSON_STATUSES:
        raise RecordError(f"status: {status!r} is not one of {', '.join(PERSON_STATUSES)}")
    if person_id is not None and _SHORT_ID.fullmatch(person_id) is None:
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
    conn: Connection,
    person_id: str,
    finger: int,
    data: bytes,
    quality: int,
    source: str,
    now_ms: int,
) -> None:
    if finger not in FINGERS:
        raise RecordError(f"finger: {finger} is not an ISO finger position 0..10")
    table.put_template(conn, person_id, finger, data, quality, source, now_ms)
