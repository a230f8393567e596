"""Texts to citizens: queued with the status change that causes them, sent through the modem.

:class:`SmsOutbox` works the ``sms_outbox`` table (:mod:`hub.store.sms`).
:meth:`SmsOutbox.on_status` is :attr:`hub.complaints.ComplaintDesk.on_status`: inside the
transaction of every status change a citizen sees (the first ``received`` included) it
queues one text keyed by the audit row, so a change is texted exactly once whatever is
retried, and a restart loses nothing (the row is in the same commit as the change).
:meth:`SmsOutbox.send_due` (the hub's ``sms`` duty) sends what is due through a
:class:`hub.sms.modem.GsmModem`, retrying a fault with exponential backoff up to
``max_attempts``, and holds non-urgent texts during quiet hours (Pakistan time);
:meth:`SmsOutbox.take_reports` marks a text delivered when every part's report came.

Thread-safety: one thread runs the duty; ``on_status`` runs in the ingest or console
transaction. Cost: a few indexed statements per text; the modem dominates (seconds).
"""

from __future__ import annotations

import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.sms.modem import GsmModem, ModemFault
from hub.sms.texts import PKT, compose, local_time
from hub.store import HubStore
from hub.store import complaints as complaint_table
from hub.store import sms as table
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection
from khidmat_wire.vocabulary import UrgentAnswer

if TYPE_CHECKING:
    from hub.complaints import ComplaintView

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000
REPORT_WINDOW_MS = 2 * 86_400_000
"""Reports are matched to texts sent within this window (message references wrap at 256)."""
CLAIM_LEASE_MS = 300_000
"""How long a claimed text stays with the hub process that claimed it (a send takes
seconds); past it, a claim whose process died mid-send is due again."""


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """``[sms]`` in hub.toml. ``port``: the modem's serial port ('' : no modem, texts stay
    queued). Quiet hours ``quiet_from_h``..``quiet_to_h`` are Pakistan time (equal: none)."""

    port: str = ""
    baud: int = 115_200
    check_s: float = 5.0
    max_attempts: int = 8
    retry_base_s: float = 30.0
    retry_max_s: float = 3600.0
    quiet_from_h: int = 21
    quiet_to_h: int = 8
    register_s: float = 60.0
    duty_officer: str = ""
    """The duty officer's mobile (03XX-XXXXXXX): texted at once about each urgent complaint."""


def quiet_until_ms(now_ms: int, settings: SmsSettings) -> int:
    """``now_ms`` outside quiet hours, else the end of the quiet hours (UTC ms)."""
    start, end = settings.quiet_from_h, settings.quiet_to_h
    if start == end:
        return now_ms
    local_ms = now_ms + int(PKT.total_seconds() * 1000)
    hour = (local_ms // HOUR_MS) % 24
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return now_ms
    day_start = local_ms - local_ms % (24 * HOUR_MS)
    end_ms = day_start + end * HOUR_MS
    if end_ms <= local_ms:
        end_ms += 24 * HOUR_MS
    return end_ms - int(PKT.total_seconds() * 1000)


class SmsOutbox:
    def __init__(
        self,
        store: HubStore,
        settings: SmsSettings | None = None,
        *,
        opener: Callable[[SmsSettings], GsmModem] | None = None,
    ) -> None:
        self.db = store.db
        self.settings = settings or SmsSettings()
        self._opener = opener or _open_modem
        self._modem: GsmModem | None = None
        table.migrate(self.db)

    # ------------------------------------------------------------- queueing
    def on_status(
        self, conn: Connection, tracking_no: str, status: str, event_id: int, message: str
    ) -> None:
        """Queue the text for one status change (in the caller's transaction)."""
        row = complaint_table.row(conn, tracking_no)
        if row is None or not row["mobile"] or not row["sms"]:
            return  # opted out at the desk: nothing is texted
        now = _now_ms()
        urgent = bool(row["urgent"])
        text = compose(
            status,
            language=row["language"],
            tracking_no=tracking_no,
            due_at_ms=row["due_at_ms"],
            gender_desk=bool(row["gender_desk"]),
            urgent=urgent,
            message=message,
        )
        not_before = now if urgent else quiet_until_ms(now, self.settings)
        table.queue(
            conn,
            event_key=f"complaint-event:{event_id}",
            tracking_no=tracking_no,
            mobile=row["mobile"],
            text=text,
            urgent=urgent,
            now_ms=now,
            not_before_ms=not_before,
        )

    def notify_duty_officer(
        self, conn: Connection, view: ComplaintView, rule: UrgentAnswer
    ) -> bool:
        """Queue the duty officer's text about an urgent complaint (in the ingest
        transaction; once per complaint). The tracking number, why it is urgent, the
        station and unit and the due time; no names, CNIC or the citizen's number."""
        if not self.settings.duty_officer:
            return False
        now = _now_ms()
        text = (
            f"Khidmat URGENT: complaint {view.tracking_no} ({rule.title.lower()}) at "
            f"{view.station}, {view.device_id}; due {local_time(view.due_at_ms)}. "
            f"Acknowledge it at the console."
        )
        return table.queue(
            conn,
            event_key=f"urgent-officer:{view.tracking_no}",
            tracking_no=view.tracking_no,
            mobile=self.settings.duty_officer,
            text=text,
            urgent=True,
            now_ms=now,
            not_before_ms=now,
        )

    def queue_text(
        self, conn: Connection, *, event_key: str, ref: str, mobile: str, text: str
    ) -> bool:
        """Queue a non-urgent text for another workflow (a licence status change) in the
        caller's transaction, once per ``event_key``; held in quiet hours. ``ref`` is what
        the text is about (a licence token), kept in the ``tracking_no`` column."""
        now = _now_ms()
        return table.queue(
            conn,
            event_key=event_key,
            tracking_no=ref,
            mobile=mobile,
            text=text,
            urgent=False,
            now_ms=now,
            not_before_ms=quiet_until_ms(now, self.settings),
        )

    # --------------------------------------------------------------- sending
    def send_due(self, now_ms: int | None = None, limit: int = 20) -> int:
        """Send the texts due now; the number sent. A fault leaves the rest for later."""
        if not self.settings.port:
            return 0  # no modem on this hub: texts stay queued for when one is configured
        now = _now_ms() if now_ms is None else now_ms
        # claimed (marked sending for CLAIM_LEASE_MS), so another hub process skips them
        rows = table.claim_due(self.db, now, limit, lease_ms=CLAIM_LEASE_MS)
        if not rows:
            self.take_reports(now)  # the last texts' reports come after their send
            return 0
        sent = 0
        for done, row in enumerate(rows):
            if not row["urgent"] and quiet_until_ms(now, self.settings) > now:
                table.set_state(
                    self.db, row["id"], state="queued",
                    next_try_ms=quiet_until_ms(now, self.settings),
                )  # fmt: skip
                continue
            try:
                modem = self._ready_modem()
                refs = modem.send(row["mobile"], row["text"])
            except ModemFault as fault:
                self._failed(row, fault, now)
                if fault.kind in ("port", "no-reply", "sim-missing", "no-network"):
                    self._drop_modem()
                    table.release(self.db, rows[done + 1 :])  # tried at the next round
                    break  # the modem is the problem, not this text
                continue
            table.set_state(
                self.db, row["id"], state="sent", refs=",".join(map(str, refs)), sent_ms=now,
                attempts=row["attempts"] + 1, last_error="",
            )  # fmt: skip
            sent += 1
        self.take_reports(now)
        return sent

    def _failed(self, row: sqlite3.Row, fault: ModemFault, now: int) -> None:
        attempts = row["attempts"] + 1
        settings = self.settings
        delay_s = min(settings.retry_base_s * 2 ** (attempts - 1), settings.retry_max_s)
        delay_ms = int(delay_s * 1000 * random.uniform(0.8, 1.2))
        final = attempts >= settings.max_attempts
        log.warning("sms %d: %s (attempt %d)", row["id"], fault.kind, attempts)  # no number
        table.set_state(
            self.db, row["id"], state="failed" if final else "queued", attempts=attempts,
            next_try_ms=now + delay_ms, last_error=fault.kind,
        )  # fmt: skip

    def _ready_modem(self) -> GsmModem:
        if self._modem is None:
            if not self.settings.port:
                raise ModemFault("port", "no [sms] port configured")
            modem = self._opener(self.settings)
            try:
                modem.prepare()
            except ModemFault:
                modem.close()
                raise
            self._modem = modem
        return self._modem

    def _drop_modem(self) -> None:
        if self._modem is not None:
            try:
                self._modem.close()
            except OSError:
                log.warning("closing the modem's port failed")
            self._modem = None

    def close(self) -> None:
        self._drop_modem()

    def take_reports(self, now_ms: int | None = None) -> int:
        """Match the delivery reports the modem holds; the number of texts now delivered."""
        if self._modem is None:
            return 0
        now = _now_ms() if now_ms is None else now_ms
        try:
            reports = [r for r in self._modem.reports() if r.delivered]
        except ModemFault:
            self._drop_modem()
            return 0
        done = 0
        for report in reports:
            for row in table.awaiting_reports(self.db, now - REPORT_WINDOW_MS):
                refs = row["refs"].split(",")
                got = [r for r in row["delivered_refs"].split(",") if r]
                ref = str(report.message_ref)
                if ref in refs and ref not in got:
                    got.append(ref)
                    whole = set(got) >= set(refs)
                    values: dict[str, object] = {"delivered_refs": ",".join(got)}
                    if whole:
                        values.update(state="delivered", delivered_ms=now)
                        done += 1
                    table.set_state(self.db, row["id"], **values)
                    break
        return done

    # ----------------------------------------------------------------- reads
    def texts(self, tracking_no: str = "") -> list[sqlite3.Row]:
        return table.rows(self.db, tracking_no)

    def counts(self) -> dict[str, int]:
        return table.counts(self.db)


def _open_modem(settings: SmsSettings) -> GsmModem:
    return GsmModem(settings.port, baud=settings.baud, register_s=settings.register_s)
