"""Diary entries the hub writes by itself, from what the units record and their state.

Each entry is appended in the same transaction that stores what caused it, so the record
and its diary entry commit together or not at all, and a record a unit sends again (a
duplicate) makes no second entry (ingest handlers run only for new records, and each
entry carries the record's id as its event key):

- ``complaint-received``: a complaint opened (:attr:`hub.complaints.ComplaintDesk.on_opened`),
  with its tracking number (the one it was opened under), category and desk, at the
  complaint's station; never the complainant's details (the general desk's view);
- ``gate-detention``: a gate officer confirmed a red or yellow verdict (a ``scan`` with
  ``decision`` confirmed), with the person's record from the hub (not the unit's text),
  the officer's badge and reason;
- ``enrolment``: an enrolment stored as a person (:attr:`hub.records.RecordStore.on_enrolled`),
  with the enrolling officer's badge;
- ``unit-offline`` / ``unit-online``: a unit's will (it went offline) and its next birth,
  from :meth:`hub.store.HubStore.add_state_handler`; a repeated will or a first birth makes
  no entry.

The station of a gate, an enrolment unit or a unit going offline is the unit's station in
provisioning's registry; a unit that is not registered (a development setup) has no
station, and no entry is made for it. Automatic entries name the officer when the record
does (the badge on a scan or an enrolment), and ``hub`` otherwise; their ``source`` is the
unit's id. A diary entry that cannot be written (a fault of the hub's) is undone alone and
logged: the record that caused it is still stored and acknowledged, never lost for the
diary's sake. Thread-safety: the ingest thread. Cost: one append (three indexed statements).
"""

from __future__ import annotations

import logging

from hub.complaints import ComplaintView
from hub.diary.book import Diary
from hub.records import RecordStore
from hub.store import HubStore
from hub.store import diary as table
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Enrolment, Scan
from provisioning.registry import station_in

log = logging.getLogger(__name__)

HUB_OFFICER = "hub"
"""The officer named on an entry no officer made (the hub wrote it from a record)."""


class DiaryFeed:
    """Writes the automatic entries; :meth:`install` hooks it into ingest."""

    def __init__(self, store: HubStore, diary: Diary, records: RecordStore) -> None:
        self.store = store
        self.diary = diary
        self.records = records

    def _append(self, conn: Connection, **entry: object) -> None:
        try:
            with table.savepoint(conn):
                self.diary.append(conn, **entry)  # type: ignore[arg-type]
        except Exception as error:  # the record goes on; the gap is logged
            log.error(
                "diary entry %s for %s not written: %s",
                entry.get("kind"), entry.get("source"), type(error).__name__,
            )  # fmt: skip

    def install(self) -> None:
        """Hook the scan handler and the state handler (the complaint and enrolment hooks
        are set by :func:`hub.duties.install` on their modules: :meth:`complaint_opened`,
        :meth:`enrolled`)."""
        self.store.add_handler("scan", self.scan)
        self.store.add_state_handler(self.state)

    def complaint_opened(
        self, conn: Connection, view: ComplaintView, envelope: Envelope, now_ms: int
    ) -> None:
        desk = "women's desk" if view.gender_desk else "general desk"
        urgent = f", URGENT: {view.urgent_title.lower()}" if view.urgent else ""
        self._append(
            conn,
            station=view.station,
            kind="complaint-received",
            officer=HUB_OFFICER,
            text=f"complaint {view.tracking_no} received at {envelope.device_id}: "
            f"{view.category}, {desk}{urgent}",
            ref=view.tracking_no,
            source=envelope.device_id,
            at_ms=now_ms,
            event_key=f"record:{envelope.record_id}",
        )

    def scan(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Scan = envelope.body
        if body.decision != "confirmed" or body.verdict == "green":
            return
        station = station_in(conn, envelope.device_id)
        if station is None:
            log.info("no diary entry for a detention at unregistered unit %s", envelope.device_id)
            return
        top = body.candidates[0] if body.candidates else None
        person = self.records.get(top.person_id) if top is not None else None
        who = (
            f"{person.status} {person.name} s/o {person.father_name} ({person.person_id})"
            if person is not None
            else (f"record {top.person_id} (not in the hub's records)" if top else "no candidate")
        )
        scan_id = body.decides or envelope.record_id
        reason = f"; reason: {body.decision_reason}" if body.decision_reason else ""
        self._append(
            conn,
            station=station,
            kind="gate-detention",
            officer=body.officer,
            text=f"{body.verdict} match confirmed at {envelope.device_id}: {who}{reason}",
            ref=scan_id,
            source=envelope.device_id,
            at_ms=now_ms,
            event_key=f"record:{envelope.record_id}",
        )

    def enrolled(self, conn: Connection, envelope: Envelope, person_id: str, now_ms: int) -> None:
        station = station_in(conn, envelope.device_id)
        if station is None:
            log.info("no diary entry for an enrolment at unregistered unit %s", envelope.device_id)
            return
        body: Enrolment = envelope.body
        fingers = ", ".join(str(f.finger) for f in body.fingers) or "none"
        self._append(
            conn,
            station=station,
            kind="enrolment",
            officer=body.officer,
            text=f"{body.name} s/o {body.father_name} ({body.status}) enrolled as {person_id} "
            f"at {envelope.device_id}; fingers {fingers}",
            ref=person_id,
            source=envelope.device_id,
            at_ms=now_ms,
            event_key=f"record:{envelope.record_id}",
        )

    def state(
        self,
        conn: Connection,
        device_id: str,
        previous: str | None,
        status: str,
        role: str,
        at_ms: int,
    ) -> None:
        if status == "offline" and previous == "offline":
            return  # the same will again (a retained copy on the hub's reconnect)
        if status == "online" and previous != "offline":
            return  # a first birth, or a birth after a birth: nothing went down
        if role == "hub":
            return
        station = station_in(conn, device_id)
        if station is None:
            return
        went = "went offline" if status == "offline" else "came back online"
        self._append(
            conn,
            station=station,
            kind="unit-offline" if status == "offline" else "unit-online",
            officer=HUB_OFFICER,
            text=f"{role} unit {device_id} {went}",
            ref=device_id,
            source=device_id,
            at_ms=at_ms,
        )
