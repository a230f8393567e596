"""Complaint management at the hub: intake, lifecycle, turnaround, escalation, gender desk.

:class:`ComplaintDesk` runs the workflow over the ``complaints``, ``complaint_events`` (the
audit trail and the public timeline) and ``complaint_feedback`` tables, whose schema and
queries are :mod:`hub.store.complaints`'s. Install its
ingest handlers with :meth:`ComplaintDesk.install`: a ``complaint`` record opens a
complaint (status ``received``, due time from its category), a ``feedback`` record stores
a rating and may reopen it, a ``lookup`` record is answered with the public timeline on
the asking unit's downlink. Every status change is validated against
:mod:`hub.complaint_rules` (over :mod:`khidmat_wire.vocabulary`), needs a reason and an
officer, is written to the audit trail, and queues a ``complaint-status`` downlink to the unit that filed the complaint, in the
same transaction (the hub service publishes queued downlinks after commit, so a console
process can change a complaint without an MQTT session). The ``received`` statuses of the
complaints one ingest transaction opened go to each unit in one ``complaint-statuses``
message (``complaint-status`` when there is one), queued at the end of that transaction
(:meth:`HubStore.add_batch_handler`).

Urgent complaints: an answer the category declares urgent (danger now, violence in
progress, a missing child; :func:`khidmat_wire.vocabulary.urgency`, judged here again
from the answers, not taken from the unit) makes a complaint urgent: its due time is that
answer's hours, an ``urgent`` event is written, and :attr:`ComplaintDesk.on_urgent` is
told inside the ingest transaction (the hub raises a console alert there; :mod:`hub.duties`
escalates it with :meth:`ComplaintDesk.escalate_unacknowledged` while no operator
acknowledges it).

Gender desk: complaints filed with ``gender_desk`` are in the women officers' queue. Seen
from the general desk their complainant, CNIC, mobile, answers and description are
redacted and they cannot be changed. No public timeline shows a reason: a citizen sees
each status and the message an officer wrote for them (``message`` of
:meth:`ComplaintDesk.change_status`), if any.

Thread-safety: as :class:`hub.store.HubStore` (one transaction at a time per instance).
Cost: each change is one short write transaction (well under a millisecond of SQL).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.complaint_rules import DuePolicy, TransitionError, check_transition
from hub.device_time import believed_time_ms, device_time_problem
from hub.store import HubStore
from hub.store import complaints as table
from hub.store import unit_control as unit_settings
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope, decode
from khidmat_wire.messages import (
    COMPLAINT_STATUSES_MAX,
    Complaint,
    ComplaintStatus,
    ComplaintStatuses,
    Feedback,
    Lookup,
    StatusEntry,
)
from khidmat_wire.unit_settings import UNIT_NO_SETTING
from khidmat_wire.vocabulary import (
    FIRST_STATUS,
    RATEABLE_STATUSES,
    STOPPED_STATUSES,
    URGENT_BY_KEY,
    UrgentAnswer,
    check_char,
    escalation_name,
    tracking_no_problem,
    unit_number_of,
    urgency,
)

DESKS = ("general", "women")
REDACTED = "(women's desk)"
#: Longest message for the citizen on a status change (StatusEntry.message).
PUBLIC_MESSAGE_MAX = 500
HISTORY_MAX = 100
"""Entries in a complaint-status message (the body's limit): the newest are kept."""


@dataclass(frozen=True, slots=True)
class ComplaintView:
    """One complaint as a desk may see it (``redacted``: personal details hidden)."""

    tracking_no: str
    device_id: str
    station: str
    category: str
    status: str
    assignee: str
    gender_desk: bool
    redacted: bool
    complainant_name: str
    cnic: str
    mobile: str
    description: str
    answers: tuple[tuple[str, str], ...]
    cognizable: bool
    language: str
    filed_ms: int
    received_ms: int
    updated_ms: int
    due_at_ms: int
    escalation_level: int
    resolved_ms: int | None
    rating: int | None
    urgent: str = ""
    """The key of the urgent answer that made it urgent ('' when not urgent)."""

    @property
    def urgent_title(self) -> str:
        """Why it is urgent ("In danger now"), '' when it is not."""
        rule = URGENT_BY_KEY.get(self.urgent)
        return rule.title if rule is not None else ""

    @property
    def open(self) -> bool:
        """True while the turnaround clock runs."""
        return self.status not in STOPPED_STATUSES

    def overdue(self, now_ms: int) -> bool:
        return self.open and now_ms > self.due_at_ms

    @property
    def escalated_to(self) -> str:
        return escalation_name(self.escalation_level)


@dataclass(frozen=True, slots=True)
class ComplaintEvent:
    """One audit-trail row: a status change (``status`` set) or another action."""

    at_ms: int
    action: str
    status: str | None
    reason: str
    officer: str


CollisionHook = Callable[[Connection, str, str, str], None]
UrgentHook = Callable[[Connection, "ComplaintView", UrgentAnswer], None]
StatusHook = Callable[[Connection, str, str, int, str], None]
OpenedHook = Callable[[Connection, "ComplaintView", Envelope, int], None]


def fresh_tracking_no(conn: Connection, station: str, now_ms: int) -> str:
    """The next hub-issued tracking number of ``station`` today (UTC): ``STATION-YYMMDD-
    NNNNN-C`` with a 5-digit sequence, a form no kiosk issues (theirs have 6 digits)."""
    day = datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%y%m%d")
    prefix = f"{station}-{day}-"
    sequence = table.count_numbers_like(conn, prefix + "_____-_") + 1
    while True:
        payload = f"{prefix}{sequence:05d}"
        number = f"{payload}-{check_char(payload)}"
        if not table.exists(conn, number):
            return number
        sequence += 1


def desk_unit_numbers(conn: Connection, envelope: Envelope) -> frozenset[int]:
    """The unit numbers the sending desk may use: the one derived from its device id
    (provisioning keeps those unique per station) and the ``kiosk.unit_no`` the hub set for
    it, if any (a desk numbers with the derived one until that setting reaches it)."""
    numbers = {unit_number_of(envelope.device_id)}
    assigned = unit_settings.values_of(conn, UNIT_NO_SETTING, [envelope.device_id])
    for value in assigned.values():
        if value.isdigit():
            numbers.add(int(value))
    return frozenset(numbers)


class ComplaintDesk:
    """The complaint workflow over a :class:`HubStore`'s database."""

    def __init__(self, store: HubStore, policy: DuePolicy | None = None) -> None:
        self.store = store
        self.db = store.db
        self.policy = policy or DuePolicy()
        self.on_collision: CollisionHook | None = None
        """Told (inside the ingest transaction) when a complaint's tracking number was
        taken and it was opened under a fresh one: (conn, receipt number, new number, unit)."""
        self.on_status: StatusHook | None = None
        """Told (inside the transaction) of every status change a citizen sees, the first
        ``received`` included: (conn, tracking no, status, audit row id, the officer's
        message for the citizen)."""
        self.on_urgent: UrgentHook | None = None
        """Told (inside the ingest transaction) when an urgent complaint opened: (conn, the
        complaint as the general desk sees it, the urgent answer)."""
        self.on_opened: OpenedHook | None = None
        """Told (inside the ingest transaction) when a complaint record opened a complaint:
        (conn, the complaint as the general desk sees it, the record, now_ms)."""
        #: record id -> (unit, opening status) of the complaints opened in the ingest
        #: transaction under way; queued by :meth:`_push_opened` at its end.
        self._opened: dict[str, tuple[str, ComplaintStatus]] = {}
        table.migrate(self.db)
        unit_settings.migrate(self.db)  # read for the desks' unit numbers

    def install(self) -> None:
        """Register the complaint, feedback and lookup ingest handlers on the store."""
        self.store.add_handler("complaint", self._on_complaint)
        self.store.add_handler("feedback", self._on_feedback)
        self.store.add_handler("lookup", self._on_lookup)
        self.store.add_batch_handler(self._push_opened)

    # --------------------------------------------------------------- ingest

    def _on_complaint(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Complaint = envelope.body
        # The promise was made at the kiosk; a unit clock ahead of ours does not extend it,
        # and one outside the sane window (hub.device_time) is not believed at all.
        clock_problem = device_time_problem(envelope.device_time_ms, now_ms)
        filed_ms = believed_time_ms(envelope.device_time_ms, now_ms)
        rule = urgency(body.category, {a.question: a.answer for a in body.answers})
        urgent = rule.key if rule is not None else ""
        due_ms = filed_ms + self.policy.due_ms(body.category, urgent)
        # A desk may issue only its own numbers (its unit number, a correct check
        # character): any other number is opened under a fresh hub-issued one, so a desk
        # cannot pre-file another desk's numbers and the citizen's complaint is not lost.
        misnumbered = tracking_no_problem(body.tracking_no, desk_unit_numbers(conn, envelope))
        tracking_no = body.tracking_no
        if misnumbered is not None:
            tracking_no = fresh_tracking_no(conn, body.station, now_ms)
        while not table.insert(
            conn,
            tracking_no=tracking_no,
            record_id=envelope.record_id,
            device_id=envelope.device_id,
            station=body.station,
            category=body.category,
            complainant_name=body.complainant_name,
            cnic=body.cnic,
            mobile=body.mobile,
            description=body.description,
            answers=[(a.question, a.answer) for a in body.answers],
            cognizable=body.cognizable,
            gender_desk=body.gender_desk,
            language=body.language,
            status=FIRST_STATUS,
            filed_ms=filed_ms,
            now_ms=now_ms,
            due_at_ms=due_ms,
            urgent=urgent,
            sms=body.sms,
        ):
            # The number is taken by another complaint (two desks with one unit number, a
            # unit whose store was replaced): never lose this one, open it under a number
            # only the hub issues (a 5-digit sequence; kiosks always use 6) and say so.
            tracking_no = fresh_tracking_no(conn, body.station, now_ms)
        if tracking_no != body.tracking_no:
            # Not this desk's number, or taken: both trails say so, the operator is told.
            why = misnumbered or "another complaint already had"
            action = "tracking-refused" if misnumbered else "tracking-collision"
            if table.exists(conn, body.tracking_no):
                note = (
                    f"another complaint filed under this number at {envelope.device_id} was "
                    f"opened as {tracking_no}"
                )
                table.add_event(conn, body.tracking_no, now_ms, action, None, note, "hub")
            table.add_event(
                conn,
                tracking_no,
                now_ms,
                action,
                None,
                f"filed with receipt {body.tracking_no}, which {why}; opened under this number",
                "hub",
            )
            if self.on_collision is not None:
                self.on_collision(conn, body.tracking_no, tracking_no, envelope.device_id)
        desk = "women's desk" if body.gender_desk else "general desk"
        first_event = table.add_event(
            conn,
            tracking_no,
            now_ms,
            "status",
            FIRST_STATUS,
            f"filed at {body.station} ({envelope.device_id}); {desk}",
            "citizen",
        )
        if clock_problem is not None:
            table.add_event(conn, tracking_no, now_ms, "device-clock", None, clock_problem, "hub")
        if rule is not None:
            hours = (due_ms - filed_ms) / 3_600_000
            table.add_event(
                conn,
                tracking_no,
                now_ms,
                "urgent",
                None,
                f"urgent: {rule.title.lower()}; due in {hours:g} h",
                "hub",
            )
        view: ComplaintView | None = None  # read once for the hooks (no hook changes it)
        if rule is not None and self.on_urgent is not None:
            view = _view(table.row(conn, tracking_no), "general")
            self.on_urgent(conn, view, rule)
        if self.on_status is not None:
            self.on_status(conn, tracking_no, FIRST_STATUS, first_event, "")
        if self.on_opened is not None:
            view = view or _view(table.row(conn, tracking_no), "general")
            self.on_opened(conn, view, envelope, now_ms)
        # What _public_status would read back from the rows just written (one timeline
        # entry, no officer's message), built without reading them; queued with the
        # others of this transaction by _push_opened.
        self._opened[envelope.record_id] = (
            envelope.device_id,
            opening_status(tracking_no, due_ms, now_ms),
        )

    def _push_opened(self, conn: Connection, stored: Sequence[Envelope], now_ms: int) -> None:
        """At the end of an ingest transaction: the opening statuses of its complaints,
        one ``complaint-statuses`` downlink per unit (``complaint-status`` for one).

        Built from the checked records and the hub's own values: not checked again (the
        unit checks every downlink). Statuses kept by a transaction that failed are
        dropped here: only ``stored`` (this transaction's new records) are pushed."""
        opened, self._opened = self._opened, {}
        per_unit: dict[str, list[ComplaintStatus]] = {}
        for envelope in stored:
            item = opened.get(envelope.record_id)
            if item is not None:
                per_unit.setdefault(item[0], []).append(item[1])
        for device_id, statuses in per_unit.items():
            for start in range(0, len(statuses), COMPLAINT_STATUSES_MAX):
                chunk = statuses[start : start + COMPLAINT_STATUSES_MAX]
                if len(chunk) == 1:
                    kind, body = "complaint-status", chunk[0]
                else:
                    kind, body = "complaint-statuses", ComplaintStatuses(tuple(chunk))
                HubStore.queue_downlink(conn, device_id, kind, body, check=False)

    def _on_feedback(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Feedback = envelope.body
        row = table.row(conn, body.tracking_no)
        if row is None:
            accepted, note = False, "no such complaint"
        elif row["status"] not in RATEABLE_STATUSES:
            accepted, note = False, f"complaint is {row['status']}: not yet rateable"
        else:
            accepted, note = True, ""
        table.add_feedback(
            conn,
            record_id=envelope.record_id,
            tracking_no=body.tracking_no,
            device_id=envelope.device_id,
            at_ms=now_ms,
            rating=body.rating,
            comment=body.comment,
            reopen=body.reopen,
            accepted=accepted,
            note=note,
        )
        if row is None:
            return
        if not accepted:
            table.add_event(
                conn, body.tracking_no, now_ms, "feedback-refused", None, note, "citizen"
            )
        else:
            table.update(conn, body.tracking_no, {"rating": body.rating})
            table.rate_resolution(conn, body.tracking_no, body.rating)
            table.add_event(
                conn,
                body.tracking_no,
                now_ms,
                "rated",
                None,
                f"{body.rating}/5 {body.comment}".strip(),
                "citizen",
            )
            if body.reopen:
                reason = "citizen asked to reopen" + (f": {body.comment}" if body.comment else "")
                self._change(conn, body.tracking_no, "reopened", reason, "citizen", now_ms)
        if envelope.device_id != row["device_id"] or not (accepted and body.reopen):
            self._push(conn, body.tracking_no, envelope.device_id)

    def _on_lookup(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Lookup = envelope.body
        self._push(conn, body.tracking_no, envelope.device_id)

    # -------------------------------------------------------------- changes

    def change_status(
        self,
        tracking_no: str,
        status: str,
        *,
        reason: str,
        officer: str,
        desk: str,
        assignee: str | None = None,
        station: str | None = None,
        message: str = "",
        now_ms: int | None = None,
    ) -> ComplaintView:
        """Move a complaint to ``status``; TransitionError or KeyError when it cannot.

        ``assigned`` needs ``assignee``; ``transferred`` needs the receiving ``station``
        (and clears the assignee); with any other status an ``assignee`` given is kept.
        ``reason`` stays in the hub's audit trail; ``message`` (optional, at most 500
        characters) is what the citizen sees on the kiosk's timeline.
        A complaint on the women's desk can only be changed from the women's desk.
        """
        if desk not in DESKS:
            raise ValueError(f"desk must be one of {DESKS}")
        if not reason.strip():
            raise TransitionError("a status change needs a reason")
        if not officer.strip():
            raise TransitionError("a status change needs the officer's name or badge")
        now_ms = _now_ms() if now_ms is None else now_ms
        with self.db.write() as conn:
            row = table.row(conn, tracking_no)
            if row is None:
                raise KeyError(f"no complaint {tracking_no}")
            if row["gender_desk"] and desk != "women":
                raise TransitionError("this complaint is handled at the women's desk")
            self._change(
                conn,
                tracking_no,
                status,
                reason.strip(),
                officer.strip(),
                now_ms,
                assignee=assignee,
                station=station,
                message=message.strip(),
            )
        view = self.get(tracking_no, desk=desk)
        assert view is not None
        return view

    def _change(
        self,
        conn: Connection,
        tracking_no: str,
        status: str,
        reason: str,
        officer: str,
        now_ms: int,
        *,
        assignee: str | None = None,
        station: str | None = None,
        message: str = "",
    ) -> None:
        row = table.row(conn, tracking_no)
        check_transition(row["status"], status)
        sets: dict[str, object] = {"status": status, "updated_ms": now_ms}
        detail = reason
        if status == "assigned":
            if not assignee or not assignee.strip():
                raise TransitionError("assigning needs the officer it is assigned to")
            sets["assignee"] = assignee.strip()
            detail = f"to {assignee.strip()}: {reason}"
        elif status != "transferred" and assignee and assignee.strip():
            # an officer named with another status (registered, under investigation)
            # is the assignee too, not dropped
            sets["assignee"] = assignee.strip()
            detail = f"to {assignee.strip()}: {reason}"
        if status == "transferred":
            if not station or not station.strip():
                raise TransitionError("a transfer needs the receiving station")
            sets["station"] = station.strip().upper()
            sets["assignee"] = ""
            detail = f"from {row['station']} to {sets['station']}: {reason}"
        if status == "resolved":
            sets["resolved_ms"] = now_ms
            # judged later against the due time in force now
            table.add_resolution(conn, tracking_no, now_ms, row["due_at_ms"])
        if status == "reopened":
            # A new turnaround promise from now, back at the station level; the earlier
            # resolution keeps its rating (complaint_resolutions), the complaint is open.
            due = now_ms + self.policy.due_ms(row["category"], row["urgent"])
            sets.update(
                due_at_ms=due, next_escalation_ms=due, escalation_level=0, rating=None,
                resolved_ms=None,
            )  # fmt: skip
        table.update(conn, tracking_no, sets)
        if len(message) > PUBLIC_MESSAGE_MAX:
            raise TransitionError(
                f"the message for the citizen is over {PUBLIC_MESSAGE_MAX} characters"
            )
        event = table.add_event(
            conn, tracking_no, now_ms, "status", status, detail, officer, message
        )
        if self.on_status is not None:
            self.on_status(conn, tracking_no, status, event, message)
        self._push(conn, tracking_no, row["device_id"])

    def escalate_due(self, now_ms: int | None = None) -> list[tuple[str, int]]:
        """Escalate every open complaint whose due (or next escalation) time has passed.

        Each lapse raises the level by one and sets the next escalation one step later;
        the change is written to the audit trail. Returns (tracking_no, new level) pairs.
        Cost: one indexed query plus one write per escalated complaint, one transaction.
        """
        now_ms = _now_ms() if now_ms is None else now_ms
        stopped = tuple(STOPPED_STATUSES)
        escalated: list[tuple[str, int]] = []
        with self.db.write() as conn:
            rows = table.lapsed(conn, now_ms, stopped)
            for row in rows:
                level = row["escalation_level"] + 1
                step = self.policy.step_ms(row["category"], row["urgent"])
                table.update(
                    conn,
                    row["tracking_no"],
                    {
                        "escalation_level": level,
                        "next_escalation_ms": now_ms + step,
                        "updated_ms": now_ms,
                    },
                )
                late_h = (now_ms - row["due_at_ms"]) / 3_600_000
                table.add_event(
                    conn,
                    row["tracking_no"],
                    now_ms,
                    "escalated",
                    None,
                    f"due time passed {late_h:.1f} h ago: escalated to level {level} ({escalation_name(level)})",
                    "hub",
                )
                escalated.append((row["tracking_no"], level))
        return escalated

    def escalate_unacknowledged(
        self, tracking_no: str, waited_s: float, now_ms: int | None = None
    ) -> int | None:
        """Raise an open urgent complaint one escalation level because its console alert
        went unacknowledged for ``waited_s`` seconds; the new level, or None when the
        complaint is gone, not urgent or no longer open. One short write transaction."""
        now_ms = _now_ms() if now_ms is None else now_ms
        with self.db.write() as conn:
            row = table.row(conn, tracking_no)
            if row is None or not row["urgent"] or row["status"] in STOPPED_STATUSES:
                return None
            level = row["escalation_level"] + 1
            table.update(conn, tracking_no, {"escalation_level": level, "updated_ms": now_ms})
            table.add_event(
                conn,
                tracking_no,
                now_ms,
                "escalated",
                None,
                f"urgent complaint not acknowledged at the console for {waited_s:.0f} s: "
                f"escalated to level {level} ({escalation_name(level)})",
                "hub",
            )
            return level

    # ---------------------------------------------------------------- reads

    def get(self, tracking_no: str, *, desk: str) -> ComplaintView | None:
        row = table.get(self.db, tracking_no)
        return _view(row, desk) if row is not None else None

    def queue(
        self,
        *,
        desk: str,
        statuses: tuple[str, ...] = (),
        station: str = "",
        category: str = "",
        overdue_only: bool = False,
        gender_desk_only: bool = False,
        now_ms: int | None = None,
        limit: int = 500,
    ) -> list[ComplaintView]:
        """Complaints matching the filters, soonest due first."""
        now_ms = _now_ms() if now_ms is None else now_ms
        rows = table.find(
            self.db,
            statuses=statuses,
            station=station,
            category=category,
            overdue_before_ms=now_ms if overdue_only else None,
            stopped=tuple(STOPPED_STATUSES),
            gender_desk_only=gender_desk_only,
            limit=limit,
        )
        return [_view(row, desk) for row in rows]

    def search(self, text: str, *, desk: str, limit: int = 100) -> list[ComplaintView]:
        """By tracking number, CNIC, or (from a desk that may see it) complainant name."""
        text = text.strip()
        if not text:
            return []
        rows = table.search(self.db, text, names_of_women_desk=desk == "women", limit=limit)
        return [_view(row, desk) for row in rows]

    def history(self, tracking_no: str, *, desk: str) -> list[ComplaintEvent]:
        """The audit trail, oldest first (reasons hidden from the general desk on gender desk)."""
        rows = table.events(self.db, tracking_no)
        hide = table.is_gender_desk(self.db, tracking_no) and desk != "women"
        return [ComplaintEvent(r[0], r[1], r[2], REDACTED if hide else r[3], r[4]) for r in rows]

    def opened_per_tracking_no(self) -> collections.Counter[str]:
        """How many times each complaint was opened (its ``received`` audit rows; one each)."""
        return collections.Counter(table.status_event_counts(self.db, FIRST_STATUS))

    def statuses_pushed_per_tracking_no(self) -> collections.Counter[str]:
        """How many statuses were queued for units per tracking number: one per
        ``complaint-status`` downlink, one per entry of a ``complaint-statuses`` (checks:
        a complaint's opening is pushed once)."""
        counts = self.store.downlinks_per_tracking_no("complaint-status")
        for payload in self.store.downlink_payloads("complaint-statuses"):
            body: ComplaintStatuses = decode(payload, expected_kind="complaint-statuses").body
            counts.update(s.tracking_no for s in body.statuses)
        return counts

    def public_status(self, tracking_no: str) -> ComplaintStatus:
        """What a citizen sees by tracking number (the complaint-status body)."""
        with self.db.read() as conn:
            return _public_status(conn, tracking_no)

    def _push(self, conn: Connection, tracking_no: str, device_id: str) -> None:
        HubStore.queue_downlink(
            conn, device_id, "complaint-status", _public_status(conn, tracking_no)
        )


def opening_status(tracking_no: str, due_at_ms: int, opened_ms: int) -> ComplaintStatus:
    """The public status of a complaint just opened at ``opened_ms`` (status ``received``,
    its first timeline entry without an officer's message, not yet rated)."""
    return ComplaintStatus(
        tracking_no,
        True,
        FIRST_STATUS,
        due_at_ms,
        (StatusEntry(FIRST_STATUS, "", opened_ms),),
        FIRST_STATUS in RATEABLE_STATUSES,
    )


def _public_status(conn: Connection, tracking_no: str) -> ComplaintStatus:
    row = table.row(conn, tracking_no)
    if row is None:
        return ComplaintStatus(tracking_no, False, FIRST_STATUS, 0, (), False)
    events = table.status_events(conn, tracking_no)
    # the citizen sees the status and what was written for them, never the reason
    history = tuple(
        StatusEntry(e["status"], e["public_message"], e["at_ms"]) for e in events[-HISTORY_MAX:]
    )
    rateable = row["status"] in RATEABLE_STATUSES and row["rating"] is None
    return ComplaintStatus(tracking_no, True, row["status"], row["due_at_ms"], history, rateable)


def _view(row: sqlite3.Row, desk: str) -> ComplaintView:
    redacted = bool(row["gender_desk"]) and desk != "women"
    answers = table.answers(row)
    return ComplaintView(
        tracking_no=row["tracking_no"],
        device_id=row["device_id"],
        station=row["station"],
        category=row["category"],
        status=row["status"],
        assignee=row["assignee"],
        gender_desk=bool(row["gender_desk"]),
        redacted=redacted,
        complainant_name=REDACTED if redacted else row["complainant_name"],
        cnic=REDACTED if redacted else row["cnic"],
        mobile=REDACTED if redacted else row["mobile"],
        description=REDACTED if redacted else row["description"],
        answers=() if redacted else answers,
        cognizable=bool(row["cognizable"]),
        language=row["language"],
        filed_ms=row["filed_ms"],
        received_ms=row["received_ms"],
        updated_ms=row["updated_ms"],
        due_at_ms=row["due_at_ms"],
        escalation_level=row["escalation_level"],
        resolved_ms=row["resolved_ms"],
        rating=row["rating"],
        urgent=row["urgent"],
    )
