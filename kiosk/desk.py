"""Desk actions on the local store: file a complaint, ask for its status, give feedback.

Each action validates through the wire codec (``store.enqueue`` raises
:class:`khidmat_wire.WireError` naming the field, nothing stored; a storage failure raises
:class:`edge_agent.store.StoreFault`, nothing stored either) and returns at once:
the agent delivers later, so filing works with the hub unreachable. Called on the UI
thread (each is one short SQLite transaction, about 1-5 ms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from khidmat_wire import make_envelope
from khidmat_wire.messages import Answer, Complaint, Feedback, Lookup
from khidmat_wire.unit_settings import UNIT_NO_SETTING
from kiosk.categories import BY_KEY
from kiosk.context import KioskContext
from kiosk.i18n import N_
from kiosk.tracking import make_tracking_no, unit_number

#: Shown when the unit's storage cannot take a record (disk full, read-only, failing card).
STORE_FAULT_MESSAGE = N_(
    "This could not be saved: this machine's storage has a fault, so nothing was sent. "
    "What you entered is still here. Please tell the desk officer."
)


@dataclass
class Draft:
    """A complaint being written. Everything is cleared by dropping the object."""

    category: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    cnic: str = ""
    mobile: str = ""
    description: str = ""
    gender_desk: bool = False
    gender_desk_chosen: bool = False
    sms: bool = True
    """The citizen agrees to text messages at the mobile number (unticked: opted out)."""


def issue_tracking_no(context: KioskContext) -> str:
    """The next tracking number of this unit today (also offline)."""
    when = datetime.fromtimestamp(context.now_ms() / 1000)
    unit_no = unit_number(context.device_id, context.store.settings().get(UNIT_NO_SETTING))
    counter = context.store.next_sequence(f"tracking-{when:%y%m%d}")
    return make_tracking_no(context.station, when, unit_no, counter)


def complaint_body(draft: Draft, tracking_no: str, station: str, language: str) -> Complaint:
    category = BY_KEY[draft.category]
    answers = tuple(Answer(q.key, draft.answers.get(q.key, "")) for q in category.questions)
    return Complaint(
        tracking_no=tracking_no,
        station=station,
        category=category.key,
        answers=answers,
        complainant_name=draft.name,
        cnic=draft.cnic,
        mobile=draft.mobile,
        description=draft.description,
        cognizable=category.cognizable,
        gender_desk=draft.gender_desk,
        language=language,
        sms=draft.sms,
    )


def file_complaint(context: KioskContext, draft: Draft, language: str) -> str:
    """Queue the complaint; returns its tracking number. WireError: nothing was filed."""
    tracking_no = issue_tracking_no(context)
    body = complaint_body(draft, tracking_no, context.station, language)
    context.store.enqueue(
        make_envelope("complaint", context.device_id, body, now_ms=context.now_ms()),
        audit=f"complaint {tracking_no}",
    )
    return tracking_no


def ask_status(context: KioskContext, tracking_no: str) -> str:
    """Queue a Lookup; the hub's answer arrives in the store's complaint_status."""
    return context.store.enqueue(
        make_envelope("lookup", context.device_id, Lookup(tracking_no), now_ms=context.now_ms())
    )


def give_feedback(
    context: KioskContext, tracking_no: str, rating: int, comment: str, reopen: bool
) -> str:
    """Queue a rating (1..5) with an optional comment and reopen request."""
    return context.store.enqueue(
        make_envelope(
            "feedback",
            context.device_id,
            Feedback(tracking_no, rating, comment, reopen),
            now_ms=context.now_ms(),
        ),
        audit=f"feedback {tracking_no}",
    )
