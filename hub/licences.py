"""Driving-licence applications: the licensing branch's statuses, tracked by citizens.

The licensing branch sends the hub its applications and every status change as a file
(:mod:`hub.licence_import`, ``khidmat licence import``); :meth:`LicenceOffice.apply`
stores them. A status change that is new and the application's latest queues one text to
the applicant (through :class:`hub.sms.outbox.SmsOutbox`, in the same transaction, keyed by
the step, so a re-import texts nothing twice).

A citizen tracks an application at a desk kiosk with the token on their receipt and their
CNIC: the kiosk queues a ``licence-lookup`` record, and :meth:`LicenceOffice._on_lookup`
(in the ingest transaction) queues the ``licence-status`` answer to that unit. The answer
says "not found" alike for an unknown token and a CNIC that is not the application's, so
a token alone tells nothing. Logs name tokens and counts, never a CNIC or a mobile.

Thread-safety: as :class:`hub.store.HubStore`. Cost: a few indexed statements per row or
lookup.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hub.names import cnic_digits
from hub.sms.outbox import SmsOutbox
from hub.sms.texts import compose_licence
from hub.store import HubStore
from hub.store import licences as table
from hub.store.licences import Application, Step
from khidmat_base.clock import SYSTEM_CLOCK, Clock
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import LicenceLookup, LicenceStatus, LicenceStep
from khidmat_wire.vocabulary import LICENCE_STATUSES

log = logging.getLogger(__name__)
FIRST_LICENCE_STATUS = LICENCE_STATUSES[0]


@dataclass(frozen=True, slots=True)
class LicenceRow:
    """One validated row of the branch's file: an application and one status it reached."""

    token: str
    cnic: str
    name: str
    mobile: str
    licence_class: str
    language: str
    status: str
    at_ms: int
    note: str


@dataclass(frozen=True, slots=True)
class PublicLicence:
    """What a citizen may see of an application: no name, CNIC or mobile."""

    token: str
    status: str
    licence_class: str
    history: tuple[LicenceStep, ...]


@dataclass
class ApplyReport:
    applications: int = 0
    """Distinct applications the rows named."""
    steps: int = 0
    """Status changes new to the hub."""
    texts: int = 0
    """Texts queued to applicants."""


class LicenceOffice:
    """The hub's copy of the licensing branch's applications; answers citizens' lookups."""

    def __init__(
        self, store: HubStore, sms: SmsOutbox | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.store = store
        self.db = store.db
        self.sms = sms
        self.clock = clock
        table.migrate(self.db)

    def install(self) -> None:
        """Answer every unit's ``licence-lookup`` in the ingest transaction."""
        self.store.add_handler("licence-lookup", self._on_lookup)

    # ------------------------------------------------------------- imports
    def apply(self, rows: list[LicenceRow], *, source: str) -> ApplyReport:
        """Store the rows in one transaction; texts for new latest statuses."""
        report = ApplyReport()
        now = self.clock.now_ms()
        with self.db.write() as conn:
            for row in rows:
                table.upsert_application(
                    conn, token=row.token, cnic=row.cnic, name=row.name, mobile=row.mobile,
                    licence_class=row.licence_class, language=row.language, now_ms=now,
                )  # fmt: skip
                step_id = table.add_step(conn, row.token, row.status, row.at_ms, row.note, source)
                if step_id is None:
                    continue
                report.steps += 1
                if table.set_status_if_newer(conn, row.token, row.status, row.at_ms, now):
                    report.texts += self._text(conn, row, step_id)
        report.applications = len({row.token for row in rows})
        log.info(
            "licence import from %s: %d applications, %d new steps, %d texts",
            source, report.applications, report.steps, report.texts,
        )  # fmt: skip
        return report

    def _text(self, conn: Connection, row: LicenceRow, step_id: int) -> int:
        if self.sms is None or not row.mobile:
            return 0
        text = compose_licence(row.status, language=row.language, token=row.token, note=row.note)
        queued = self.sms.queue_text(
            conn, event_key=f"licence-step:{step_id}", ref=row.token, mobile=row.mobile, text=text
        )
        return int(queued)

    # ------------------------------------------------------------- lookups
    def _on_lookup(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: LicenceLookup = envelope.body
        answer = self.status_for(conn, body.token, body.cnic, envelope.record_id)
        HubStore.queue_downlink(conn, envelope.device_id, "licence-status", answer)

    def status_for(self, conn: Connection, token: str, cnic: str, request_id: str) -> LicenceStatus:
        """The answer to a lookup (found only when the CNIC is the application's)."""
        public = _public(conn, token, cnic)
        if public is None:
            return LicenceStatus(token, request_id, False, FIRST_LICENCE_STATUS, "", ())
        return LicenceStatus(
            token, request_id, True, public.status, public.licence_class, public.history
        )

    def public_status(self, token: str, cnic: str) -> PublicLicence | None:
        """What the tracking page shows for ``token`` and ``cnic`` (None: no such
        application, or the CNIC is not its applicant's: the two are not told apart)."""
        with self.db.read() as conn:
            return _public(conn, token, cnic)

    # --------------------------------------------------------------- reads
    def application(self, token: str) -> Application | None:
        return table.application(self.db, token)

    def steps(self, token: str) -> list[Step]:
        return table.steps(self.db, token)

    def count(self) -> int:
        return table.count(self.db)


def _public(conn: Connection, token: str, cnic: str) -> PublicLicence | None:
    application = table.application_in(conn, token)
    if application is None or cnic_digits(application.cnic) != cnic_digits(cnic):
        return None
    history = tuple(
        LicenceStep(s.status, s.at_ms, s.note) for s in table.steps_in(conn, token)[-50:]
    )
    return PublicLicence(token, application.status, application.licence_class, history)
