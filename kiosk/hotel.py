"""Hotel unit: record a guest's check-in (Hotel Eye).

:func:`record_guest` validates what the hotel's desk clerk typed with the kiosk's own
checks (CNIC) and the wire's (``HotelGuest``: a Pakistani guest's CNIC, a foreigner's
passport) and queues one ``hotel-guest`` record in the unit's outbox; the agent delivers
it like every record, so a check-in made while the network is down is kept. The hotel is
the unit's ``hotel.code`` setting, pushed by the hub (``khidmat hotel add --unit``).
Called on the UI thread (one short SQLite transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from khidmat_wire import WireError, make_envelope
from khidmat_wire.messages import HotelGuest
from khidmat_wire.unit_settings import HOTEL_CODE_SETTING
from khidmat_wire.vocabulary import HOME_NATIONALITY
from kiosk.context import KioskContext
from kiosk.i18n import N_
from kiosk.validation import check_cnic

NO_HOTEL = N_("This unit has no hotel yet. Ask the police station to register the hotel.")


@dataclass
class GuestForm:
    """What the clerk typed (cleared by dropping the object)."""

    name: str = ""
    cnic: str = ""
    nationality: str = HOME_NATIONALITY
    passport: str = ""
    room: str = ""


def hotel_code(context: KioskContext) -> str:
    """The unit's hotel at the hub, or ``""`` when the hub has not set it yet."""
    return context.store.settings().get(HOTEL_CODE_SETTING, "")


def record_guest(context: KioskContext, form: GuestForm) -> tuple[str, str]:
    """Queue the check-in now: (record id, "") or ("", field: what is wrong, a message
    to translate where it is one of the kiosk's own)."""
    hotel = hotel_code(context)
    if not hotel:
        return "", NO_HOTEL
    nationality = form.nationality.strip().upper()
    cnic = ""
    if form.cnic.strip():
        checked, problem = check_cnic(form.cnic)
        if checked is None:
            return "", problem or ""
        cnic = checked
    try:
        body = HotelGuest(
            hotel=hotel,
            name=" ".join(form.name.split()),
            cnic=cnic,
            nationality=nationality,
            passport="".join(form.passport.split()).upper(),
            check_in_ms=context.now_ms(),
            room=form.room.strip(),
        )
        if not body.name:
            return "", N_("Write the guest's name as on their papers.")
        envelope = make_envelope("hotel-guest", context.device_id, body, now_ms=context.now_ms())
        context.store.enqueue(envelope, audit=f"hotel guest, room {body.room}")
    except WireError as error:
        return "", _said(error)
    return envelope.record_id, ""


def _said(error: WireError) -> str:
    field = error.field.removeprefix("body.")
    return {
        "cnic": N_("A Pakistani guest needs a CNIC."),
        "passport": N_("A foreign guest needs a passport number (letters and numbers)."),
        "nationality": N_("Nationality is a two-letter country code, like PK, AF or CN."),
        "room": N_("Write the room as the hotel does, like 12 or B-204."),
        "name": N_("Write the guest's name as on their papers."),
    }.get(field, N_("Please check what you wrote."))
