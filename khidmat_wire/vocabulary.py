"""The complaint vocabulary, defined once for the kiosk, the hub and the wire.

- Field forms: CNIC, mobile number, station code and tracking number, as regular
  expressions without anchors, always applied with :func:`re.fullmatch` (so a trailing
  newline never slips through ``$``), and the ``is_*`` checks over them.
- Complaint categories: key, English title, whether the offence is cognizable, whether
  the women officers' desk is suggested, the questions asked (key, text, hint) and the
  turnaround guarantee in hours. The kiosk offers exactly these; the hub handles exactly
  these; the codec refuses any other key.
- Complaint statuses: the lifecycle's statuses, the citizen-facing name of each, the
  allowed transitions, which stop the turnaround clock and which may be rated.
- Urgent answers: the answers to a category's questions that make a complaint urgent
  (danger now, violence in progress, a missing child under :data:`CHILD_AGE`), with the
  due hours that then apply, and :func:`urgency` that reads them from the answers;
  :data:`EMERGENCY_NUMBER`, the number a citizen in danger is shown.
- The escalation ladder.
- Diary (roznamcha) entry kinds: what a station's daily diary at the hub records, who
  makes each kind (the hub from the units' records, or an officer), with English and Urdu
  titles (:data:`DIARY_KINDS`).

English text here is the gettext source string: the kiosk translates it where it is shown
(kiosk/locale). Pure data and functions; thread-safe; imports nothing of Khidmat's.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

# ------------------------------------------------------------------ field forms

CNIC = r"[0-9]{5}-[0-9]{7}-[0-9]"
"""Computerised National Identity Card number: #####-#######-#."""
MOBILE = r"03[0-9]{2}-[0-9]{7}"
"""Pakistani mobile number: 03##-#######."""
STATION = r"[A-Z0-9]{2,8}"
"""Station code as it appears in a tracking number."""
PROVINCE = r"[a-z][a-z0-9]{2,23}"
"""A province's federation name (``balochistan``, ``punjab``, ``sindh``, ``islamabad``):
3 to 24 lower-case letters and digits, used in federation topics, the bridge identity
``province-<name>`` and candidate references; no MQTT wildcard or separator can occur."""
FEDERATION_REF = PROVINCE + r"-[0-9a-f]{16}"
"""A province-scoped candidate reference, ``<province>-<16 hex>``: the holding province's
desk resolves it to the record; it says nothing about the person by itself."""
DEVICE_ID = r"[a-z0-9][a-z0-9-]{2,47}"
"""A unit's device id (its MQTT username): no MQTT wildcard or separator can occur."""
FEDERATION_POLICIES = ("no-hit", "every")
"""When a hub forwards a gate search to the other provinces: only when it found nobody at
home (``no-hit``), or every gate search (``every``)."""
FEDERATION_LEVELS = ("red", "yellow")
"""How strongly a province's candidate matched, as at a gate: red (a hit) or yellow (a
possible match) by matcher_cy.decision's thresholds for the persons that province searched
and the fingers compared."""
TRACKING_NO = STATION + r"-[0-9]{6}-[0-9]{4,6}-[0-9A-Z]"
"""Tracking number: station-yymmdd-unit and sequence-check character."""


def is_cnic(text: str) -> bool:
    return re.fullmatch(CNIC, text) is not None


def is_mobile(text: str) -> bool:
    return re.fullmatch(MOBILE, text) is not None


def is_tracking_no(text: str) -> bool:
    """The tracking number's form only (:mod:`kiosk.tracking` also checks its check character)."""
    return re.fullmatch(TRACKING_NO, text) is not None


TRACKING_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""The check character's alphabet (Luhn mod 36)."""


def check_char(payload: str) -> str:
    """Luhn mod 36 check character of ``payload`` (hyphens ignored, A-Z and 0-9 only).

    Issued by kiosks (6-digit sequences) and by the hub (5-digit sequences, for a complaint
    whose number was already taken): it catches every single mistyped character and
    every swap of two adjacent characters."""
    chars = payload.replace("-", "").upper()
    n = len(TRACKING_ALPHABET)
    factor = 2
    total = 0
    for char in reversed(chars):
        code = TRACKING_ALPHABET.index(char) * factor
        total += code // n + code % n
        factor = 1 if factor == 2 else 2
    return TRACKING_ALPHABET[(n - total % n) % n]


#: Urdu (Extended Arabic-Indic) and Arabic-Indic digits -> ASCII digits.
_DIGITS = str.maketrans(
    {**{0x06F0 + n: str(n) for n in range(10)}, **{0x0660 + n: str(n) for n in range(10)}}
)


def ascii_digits(text: str) -> str:
    """``text`` with Urdu (۰-۹) and Arabic-Indic (٠-٩) digits written as 0-9.

    A citizen typing on an Urdu keyboard types ۴۲۱۰۱; every check of a CNIC, mobile or
    tracking number runs on this first. Pure.
    """
    return text.translate(_DIGITS)


class TrackingNoError(ValueError):
    """A typed tracking number that is malformed (``"format"``) or fails its check
    character (``"check"``); the message is one of those two words."""


#: What a citizen may type between the parts: spaces, dashes of any kind, dots, slashes.
_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
#: A number typed without separators: station, date (6), sequence (6), check (1).
_RUN_TOGETHER_RE = re.compile(f"({STATION}?)([0-9]{{6}})([0-9]{{6}})([0-9A-Z])")


def normalise_tracking_no(text: str) -> str:
    """What a citizen typed, as a tracking number is written: upper case, Urdu digits as
    0-9, parts joined by single dashes ("demo 261206 560001 i" -> "DEMO-261206-560001-I";
    typed with no separators at all, the parts are found by their lengths). Pure."""
    parts = [p for p in _SEPARATORS_RE.split(ascii_digits(text).upper()) if p]
    if len(parts) == 1 and (run := _RUN_TOGETHER_RE.fullmatch(parts[0])) is not None:
        parts = list(run.groups())
    return "-".join(parts)


def parse_tracking_no(text: str) -> str:
    """A typed tracking number, normalised (:func:`normalise_tracking_no`) and checked:
    its form and its check character; raises :class:`TrackingNoError` when either fails.
    The kiosk's tracking screen and the hub's tracking page both read numbers with it."""
    number = normalise_tracking_no(text)
    if not is_tracking_no(number):
        raise TrackingNoError("format")
    payload, _, check = number.rpartition("-")
    if check_char(payload) != check:
        raise TrackingNoError("check")
    return number


def unit_number_of(device_id: str) -> int:
    """A desk's number 0..99 at its station, the first two digits of its tracking numbers'
    sequence, derived from its device id. Provisioning picks device ids so that no two
    active desks of one station share it (unique by construction)."""
    return zlib.crc32(device_id.encode()) % 100


def tracking_no_problem(number: str, unit_numbers: frozenset[int]) -> str | None:
    """Why ``number`` is not one a desk holding one of ``unit_numbers`` may issue, or None.

    A desk's number has a 6-digit sequence whose first two digits are its unit number,
    and a correct check character (5-digit sequences are the hub's own, never a desk's).
    The station part is checked by the hub against the unit's registered station."""
    if not is_tracking_no(number):
        return "is not a tracking number"
    payload, _, check = number.rpartition("-")
    if check_char(payload) != check:
        return f"has the wrong check character {check!r}"
    sequence = payload.rpartition("-")[2]
    if len(sequence) != 6:
        return "has a hub-issued (5-digit) sequence, not a desk's"
    if int(sequence[:2]) not in unit_numbers:
        mine = ", ".join(f"{n:02d}" for n in sorted(unit_numbers))
        return f"carries unit number {sequence[:2]}, not this desk's ({mine})"
    return None


# ------------------------------------------------------------------- categories


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class UrgentAnswer:
    """An answer that makes a complaint urgent: ``question``'s answer is a yes (``test``
    ``"yes"``) or an age under ``below`` years (``test`` ``"age-below"``). ``key`` names
    the reason on the wire and in the hub ("danger-now"); ``title`` is what an officer and
    the citizen read; ``due_hours``: the turnaround that then applies instead of the
    category's."""

    key: str
    title: str
    question: str
    test: str
    due_hours: float
    below: int = 0


@dataclass(frozen=True, slots=True)
class Category:
    """A complaint category. ``cognizable``: the police may register an FIR and act without a
    magistrate's order (CrPC Schedule II). ``due_hours``: the turnaround guarantee."""

    key: str
    title: str
    cognizable: bool
    gender_desk: bool
    questions: tuple[Question, ...]
    due_hours: float
    urgent: tuple[UrgentAnswer, ...] = ()

    @property
    def question_keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)


#: The police emergency number (Rescue 15), shown to a citizen whose complaint is urgent.
EMERGENCY_NUMBER = "15"
#: Under this age (years) a missing person is a missing child (Juvenile Justice System
#: Act 2018: a child is a person under eighteen).
CHILD_AGE = 18

WHEN = Question("when", "When did it happen?", "Date and time, as well as you remember")
WHERE = Question("where", "Where did it happen?", "Area, street or landmark")
ITEMS = Question("items", "What was taken?", "For example: phone, motorcycle, cash")
ACCUSED = Question("accused_known", "Do you know the person?", "Name or description, if known")

#: Every category a desk offers and the hub handles. Property crime 24 h, crimes against
#: the person and complaints against the police 72 h, money 7 days, lost documents 48 h,
#: nuisance and disputes (mostly mediation) 96 h.
CATEGORIES: tuple[Category, ...] = (
    Category("theft", "Theft", True, False, (WHEN, WHERE, ITEMS), 24),
    Category(
        "robbery",
        "Robbery or snatching",
        True,
        False,
        (WHEN, WHERE, Question("weapon", "Was a weapon shown?", "Yes or no; what kind"), ITEMS),
        24,
    ),
    Category("burglary", "House or shop broken into", True, False, (WHEN, WHERE, ITEMS), 24),
    Category(
        "vehicle-theft",
        "Vehicle or motorcycle stolen",
        True,
        False,
        (
            WHEN,
            WHERE,
            Question(
                "registration", "What is its registration number?", "Number plate, make and colour"
            ),
        ),
        24,
    ),
    Category("harassment", "Harassment", True, True, (WHEN, WHERE, ACCUSED), 72),
    Category(
        "domestic-violence",
        "Violence at home",
        True,
        True,
        (
            WHEN,
            Question("danger_now", "Are you in danger now?", "Yes or no"),
            Question("happening_now", "Is the violence happening now?", "Yes or no"),
            Question("injured", "Was anyone hurt?", "Yes or no; who"),
        ),
        72,
        (
            UrgentAnswer("danger-now", "In danger now", "danger_now", "yes", 2),
            UrgentAnswer("violence-now", "Violence in progress", "happening_now", "yes", 1),
        ),
    ),
    Category(
        "threat",
        "Threats or extortion",
        True,
        False,
        (
            WHEN,
            Question("how", "How were you threatened?", "In person, by phone or by message"),
            ACCUSED,
        ),
        72,
    ),
    Category(
        "missing-person",
        "Missing person",
        True,
        False,
        (
            Question("missing_name", "Name and age of the missing person"),
            Question("missing_age", "How old is the missing person?", "Age in years"),
            Question("last_seen", "Where and when were they last seen?"),
        ),
        72,
        (UrgentAnswer("missing-child", "Missing child", "missing_age", "age-below", 2, CHILD_AGE),),
    ),
    Category(
        "fraud",
        "Fraud or cheating",
        True,
        False,
        (WHEN, Question("amount", "How much money was lost?", "In rupees")),
        168,
    ),
    Category(
        "police-misconduct",
        "Complaint against a police officer",
        False,
        False,
        (
            WHEN,
            WHERE,
            Question("officer", "Which officer or office?", "Name, badge number or police station"),
        ),
        72,
    ),
    Category(
        "lost-document",
        "Lost document or item",
        False,
        False,
        (Question("document", "What was lost?", "For example: CNIC, licence, phone"), WHERE),
        48,
    ),
    Category(
        "nuisance",
        "Nuisance or dispute",
        False,
        False,
        (WHERE, Question("who", "Who is causing it?", "Neighbour, shop, unknown")),
        96,
    ),
)

CATEGORY_KEYS: tuple[str, ...] = tuple(c.key for c in CATEGORIES)
BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}
QUESTION_KEYS: frozenset[str] = frozenset(k for c in CATEGORIES for k in c.question_keys)

# ---------------------------------------------------------------- urgent answers

URGENT_BY_KEY: dict[str, UrgentAnswer] = {u.key: u for c in CATEGORIES for u in c.urgent}

#: Answers read as yes: English, romanised Urdu and Urdu, the whole answer or its first
#: word ("yes, he is outside"); compared after lower-casing and stripping punctuation.
YES_WORDS: frozenset[str] = frozenset(
    {"yes", "y", "haan", "han", "haa", "ji", "jee", "ہاں", "ہان", "جی", "ha"}
)
_WORD = re.compile(r"[^\W_]+")
_AGE = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]{1,3}")


def _says_yes(answer: str) -> bool:
    words = _WORD.findall(answer.strip().lower()[:200])
    if not words:
        return False
    if words[0] in YES_WORDS:
        return True
    # "jee haan", "ji han": a polite prefix before the yes
    return len(words) > 1 and words[0] in {"ji", "jee", "جی"} and words[1] in YES_WORDS


def _age(answer: str) -> int | None:
    """The first number in ``answer`` (Western, Arabic-Indic or Urdu digits), else None."""
    found = _AGE.search(answer[:200])
    if found is None:
        return None
    return int("".join(str(int(ch)) for ch in found.group()))


def urgency(category: str, answers: dict[str, str]) -> UrgentAnswer | None:
    """The first urgent answer of ``category`` that ``answers`` (question key -> text)
    gives, or None. Unknown categories and missing answers are simply not urgent.
    Cost: a few short regular-expression scans of at most 200 characters each."""
    found = BY_KEY.get(category)
    if found is None:
        return None
    for rule in found.urgent:
        answer = answers.get(rule.question, "")
        if rule.test == "yes" and _says_yes(answer):
            return rule
        if rule.test == "age-below":
            age = _age(answer)
            if age is not None and age < rule.below:
                return rule
    return None


# --------------------------------------------------------------------- statuses

#: Complaint statuses in lifecycle order, with the name a citizen reads on the kiosk.
STATUS_NAMES: dict[str, str] = {
    "received": "Received",
    "registered": "Registered",
    "assigned": "Assigned to an officer",
    "under-investigation": "Under investigation",
    "resolved": "Resolved",
    "closed": "Closed",
    "rejected": "Not accepted",
    "transferred": "Sent to another office",
    "reopened": "Reopened",
}
COMPLAINT_STATUSES: tuple[str, ...] = tuple(STATUS_NAMES)

#: status -> statuses it may change to. "assigned" -> "assigned" is a reassignment.
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"registered", "rejected", "transferred"}),
    "registered": frozenset({"assigned", "rejected", "transferred"}),
    "assigned": frozenset({"assigned", "under-investigation", "rejected", "transferred"}),
    "under-investigation": frozenset({"assigned", "resolved", "transferred"}),
    "resolved": frozenset({"closed", "reopened"}),
    "closed": frozenset({"reopened"}),
    "rejected": frozenset({"reopened"}),
    "transferred": frozenset({"registered", "assigned"}),
    "reopened": frozenset({"registered", "assigned", "under-investigation"}),
}
#: Statuses in which the turnaround clock no longer runs (nothing to escalate).
STOPPED_STATUSES: frozenset[str] = frozenset({"resolved", "closed", "rejected"})
#: Statuses in which the turnaround clock runs, in lifecycle order.
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in COMPLAINT_STATUSES if s not in STOPPED_STATUSES)
#: Statuses in which the citizen may rate the service (and ask to reopen).
RATEABLE_STATUSES: frozenset[str] = frozenset({"resolved", "closed"})
#: The status of a new complaint.
FIRST_STATUS = COMPLAINT_STATUSES[0]

# ------------------------------------------------------------------- escalation

#: Who holds a complaint at each escalation level (level 0: the station).
ESCALATION_LEVELS: tuple[str, ...] = ("station", "SHO", "SDPO", "SP", "DIG")


def escalation_name(level: int) -> str:
    """Who holds a complaint at escalation ``level`` (the top level repeats)."""
    return ESCALATION_LEVELS[min(max(level, 0), len(ESCALATION_LEVELS) - 1)]


# ---------------------------------------------------------------- diary kinds


@dataclass(frozen=True, slots=True)
class DiaryKind:
    """A kind of station diary (roznamcha) entry. ``made_by``: ``hub`` (written by the hub
    from what a unit recorded or a unit's state), ``officer`` (added by an officer at the
    console or the command line) or ``duty-officer`` (the day's closing entry, written when
    the duty officer closes the day). ``title``/``urdu``: what the diary prints."""

    key: str
    title: str
    urdu: str
    made_by: str


DIARY_KINDS: tuple[DiaryKind, ...] = (
    DiaryKind("complaint-received", "Complaint received", "شکایت موصول", "hub"),
    DiaryKind("gate-detention", "Detention at the gate", "گیٹ پر گرفتاری", "hub"),
    DiaryKind("enrolment", "Fingerprints enrolled", "انگشت نگاری کا اندراج", "hub"),
    DiaryKind("unit-offline", "Unit went offline", "یونٹ آف لائن", "hub"),
    DiaryKind("unit-online", "Unit back online", "یونٹ دوبارہ آن لائن", "hub"),
    DiaryKind("arrival", "Arrival on duty", "آمد برائے ڈیوٹی", "officer"),
    DiaryKind("departure", "Departure from duty", "روانگی از ڈیوٹی", "officer"),
    DiaryKind("prisoner-in", "Prisoner brought in", "ملزم حوالات میں داخل", "officer"),
    DiaryKind("prisoner-out", "Prisoner taken out", "ملزم حوالات سے خارج", "officer"),
    DiaryKind("property", "Property", "مال مقدمہ", "officer"),
    DiaryKind("visitor", "Visitor", "ملاقاتی", "officer"),
    DiaryKind("report", "Report", "رپورٹ", "officer"),
    DiaryKind("correction", "Correction", "تصحیح", "officer"),
    DiaryKind("day-closed", "Day closed", "روزنامچہ بند", "duty-officer"),
)
DIARY_KIND_BY_KEY: dict[str, DiaryKind] = {k.key: k for k in DIARY_KINDS}
DIARY_OFFICER_KINDS: tuple[str, ...] = tuple(k.key for k in DIARY_KINDS if k.made_by == "officer")
"""The kinds an officer may add by hand (a correction must name the entry it corrects)."""
DIARY_CORRECTION = "correction"
DIARY_CLOSING = "day-closed"


def texts() -> list[str]:
    """Every English string here that a citizen reads (for the kiosk's translation check)."""
    found = list(STATUS_NAMES.values()) + list(LICENCE_STATUS_NAMES.values())
    for category in CATEGORIES:
        found.append(category.title)
        for question in category.questions:
            found.extend(t for t in (question.text, question.hint) if t)
        found.extend(u.title for u in category.urgent)
    return found


# ----------------------------------------------------------------- hotel guests

HOTEL_ID = r"[A-Z0-9][A-Z0-9-]{1,31}"
"""A hotel's registration code at the hub (Hotel Eye), e.g. ``QTA-SERENA``."""
PASSPORT = r"[A-Z0-9]{5,20}"
"""A passport number as printed (letters and digits, no spaces)."""
NATIONALITY = r"[A-Z]{2}"
"""Nationality as an ISO 3166-1 alpha-2 code, e.g. ``PK``, ``AF``, ``CN``."""
HOME_NATIONALITY = "PK"
"""Guests of this nationality are identified by CNIC; everyone else by passport."""
ROOM = r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,15}"
"""A hotel room as the hotel writes it (``12``, ``B-204``)."""


def guest_identity_problem(nationality: str, cnic: str, passport: str) -> tuple[str, str] | None:
    """(field, what is wrong) when a guest's papers do not fit their nationality, or None.

    A Pakistani guest needs a CNIC; a foreign guest needs a passport number (a CNIC is
    optional for them: a Pakistan Origin Card holder has one). The forms themselves
    (:data:`CNIC`, :data:`PASSPORT`) are checked by the codec or the importer."""
    if nationality == HOME_NATIONALITY:
        if not cnic:
            return "cnic", "is required for a Pakistani guest"
    elif not passport:
        return "passport", "is required for a foreign guest"
    return None


# ------------------------------------------------------------- driving licences

LICENCE_TOKEN = r"[A-Z]{2,5}-[0-9]{4,12}"
"""A driving-licence application's token, as the licensing branch prints it on the
receipt: office code, dash, number (``QTA-2026004512``)."""

#: Licence application statuses in processing order, with the name a citizen reads.
LICENCE_STATUS_NAMES: dict[str, str] = {
    "applied": "Application received",
    "documents-verified": "Documents verified",
    "test-scheduled": "Driving test scheduled",
    "test-passed": "Driving test passed",
    "test-failed": "Driving test not passed",
    "approved": "Licence approved",
    "printing": "Licence being printed",
    "ready": "Ready for collection",
    "collected": "Collected",
    "refused": "Application refused",
}
LICENCE_STATUSES: tuple[str, ...] = tuple(LICENCE_STATUS_NAMES)
#: Statuses after which nothing more happens to an application.
LICENCE_FINAL_STATUSES: frozenset[str] = frozenset({"collected", "refused"})


def is_licence_token(text: str) -> bool:
    return re.fullmatch(LICENCE_TOKEN, text) is not None
