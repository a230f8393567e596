"""What an SMS to a citizen says, in English or Urdu, for each status a citizen sees.

Every text carries the tracking number and says nothing a person holding the citizen's
phone should not read: no category, no names, no reasons. A women's desk complaint gets
only the tracking number and the status (never the officer's message, never "urgent"),
since the phone may be in the hands of the person complained about. Due times are in
Pakistan time (UTC+5, no daylight saving). Pure functions; thread-safe.
"""

from __future__ import annotations

from datetime import UTC, datetime

from khidmat_base.clock import PKT
from khidmat_wire.vocabulary import EMERGENCY_NUMBER, LICENCE_STATUS_NAMES, STATUS_NAMES

MESSAGE_MAX = 160
"""The officer's message for the citizen is cut to this many characters in an SMS."""

#: The Urdu of each status name (khidmat_wire.vocabulary.STATUS_NAMES), by its English
#: source string: the same translations as the desk's catalogue (kiosk/locale/ur/
#: LC_MESSAGES/kiosk.po, which the hub may not import; a test keeps the two equal).
URDU_STATUS_NAMES: dict[str, str] = {
    "Received": "موصول",
    "Registered": "درج",
    "Assigned to an officer": "افسر کے سپرد",
    "Under investigation": "زیرِ تفتیش",
    "Resolved": "حل ہو گئی",
    "Closed": "بند",
    "Not accepted": "منظور نہیں ہوئی",
    "Sent to another office": "دوسرے دفتر کو بھیج دی گئی",
    "Reopened": "دوبارہ کھولی گئی",
}

#: The Urdu of each licence status name (khidmat_wire.vocabulary.LICENCE_STATUS_NAMES), by
#: its English source string, as in the desk's catalogue (a test keeps the two equal).
URDU_LICENCE_STATUS_NAMES: dict[str, str] = {
    "Application received": "درخواست موصول",
    "Documents verified": "کاغذات کی تصدیق ہو گئی",
    "Driving test scheduled": "ڈرائیونگ ٹیسٹ کی تاریخ مقرر",
    "Driving test passed": "ڈرائیونگ ٹیسٹ پاس",
    "Driving test not passed": "ڈرائیونگ ٹیسٹ پاس نہیں ہوا",
    "Licence approved": "لائسنس منظور",
    "Licence being printed": "لائسنس چھپ رہا ہے",
    "Ready for collection": "وصولی کے لیے تیار",
    "Collected": "وصول کر لیا گیا",
    "Application refused": "درخواست نامنظور",
}


def local_time(ms: int) -> str:
    """``05 Dec 14:30`` in Pakistan time."""
    return (datetime.fromtimestamp(ms / 1000, tz=UTC) + PKT).strftime("%d %b %H:%M")


def compose(
    status: str,
    *,
    language: str,
    tracking_no: str,
    due_at_ms: int,
    gender_desk: bool,
    urgent: bool,
    message: str = "",
) -> str:
    """The text for ``status`` (KeyError: not a status)."""
    name = STATUS_NAMES[status]
    due = local_time(due_at_ms)
    note = "" if gender_desk else " ".join(message.split())[:MESSAGE_MAX]
    urdu = language == "ur"
    if status == "received":
        if urgent and not gender_desk:
            if urdu:
                return (
                    f"خدمت: فوری شکایت {tracking_no} موصول۔ ڈیوٹی افسر کو اطلاع دے دی گئی ہے۔ "
                    f"خطرے میں ہوں تو {EMERGENCY_NUMBER} پر فون کریں۔"
                )
            return (
                f"Khidmat: URGENT complaint {tracking_no} received; the duty officer is told "
                f"now. In danger, call {EMERGENCY_NUMBER}."
            )
        if urdu:
            return f"خدمت: شکایت {tracking_no} موصول۔ مقررہ وقت {due}۔ اسی نمبر سے صورتحال دیکھیں۔"
        return (
            f"Khidmat: complaint {tracking_no} received. Due by {due}. Use this number to "
            f"track it at any Khidmat desk."
        )
    if status == "reopened":
        if urdu:
            return f"خدمت: آپ کی درخواست پر شکایت {tracking_no} دوبارہ کھول دی گئی۔ نیا مقررہ وقت {due}۔"
        return f"Khidmat: complaint {tracking_no} is reopened as you asked. New due time {due}."
    if urdu:
        text = f"خدمت: شکایت {tracking_no}: {URDU_STATUS_NAMES[name]}۔"
        if note:
            text += f" {note}"
        if status == "resolved":
            text += " براہِ کرم کسی خدمت ڈیسک پر اسی نمبر سے ہماری خدمت کی درجہ بندی کریں۔"
        return text
    text = f"Khidmat: complaint {tracking_no} is now: {name}."
    if note:
        text += f" {note}"
    if status == "resolved":
        text += " Please rate our service at a Khidmat desk with this number."
    return text


def compose_licence(status: str, *, language: str, token: str, note: str = "") -> str:
    """The text for a driving-licence application's new ``status`` (KeyError: not one).
    The token and the status, and the branch's note for the citizen; no name, no CNIC."""
    name = LICENCE_STATUS_NAMES[status]
    note = " ".join(note.split())[:MESSAGE_MAX]
    if language == "ur":
        text = f"خدمت: ڈرائیونگ لائسنس درخواست {token}: {URDU_LICENCE_STATUS_NAMES[name]}۔"
    else:
        text = f"Khidmat: driving licence application {token} is now: {name}."
    return f"{text} {note}" if note else text
