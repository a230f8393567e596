"""One frozen dataclass per message kind: the body of each payload.

Header fields (schema, version, record id, device id, device time) live in the envelope
(:class:`khidmat_wire.codec.Envelope`); these classes are the ``body``. Every field is
declared with :func:`spec` so that it has a meaning and a limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from khidmat_wire.errors import WireError
from khidmat_wire.fields import spec
from khidmat_wire.ids import RECORD_ID
from khidmat_wire.vocabulary import BY_KEY as CATEGORIES_BY_KEY
from khidmat_wire.vocabulary import (
    CATEGORY_KEYS,
    CNIC,
    COMPLAINT_STATUSES,
    DEVICE_ID,
    FEDERATION_LEVELS,
    FEDERATION_REF,
    HOTEL_ID,
    LICENCE_STATUSES,
    LICENCE_TOKEN,
    MOBILE,
    NATIONALITY,
    PASSPORT,
    PROVINCE,
    ROOM,
    STATION,
    TRACKING_NO,
    guest_identity_problem,
)

# Patterns are applied with re.fullmatch (no anchors here; see khidmat_wire.vocabulary).
SHORT_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
PIN_HASH_RE = r"\$argon2id\$[A-Za-z0-9=,$+/.-]{20,200}"
"""A stored officer PIN: argon2id in PHC form (made by khidmat_wire.pins.hash_pin)."""
B64 = r"[A-Za-z0-9+/]*={0,2}"
TEMPLATE_B64_MAX = 16_384  # characters; a compact template of 200 minutiae is about 2 KiB

PERSON_STATUSES = ("wanted", "proclaimed-offender", "convicted", "released")
VERDICTS = ("red", "yellow", "green")


# --------------------------------------------------------------------------- up


@dataclass(frozen=True, slots=True)
class Answer:
    question: str = spec("question key of the category", pattern=r"[a-z0-9_]{1,40}")
    answer: str = spec("the citizen's answer, as typed", max_len=500)


@dataclass(frozen=True, slots=True)
class Complaint:
    tracking_no: str = spec(
        "tracking number issued on the unit: station-date-sequence-check", pattern=TRACKING_NO
    )
    station: str = spec("station code of the unit", pattern=STATION)
    category: str = spec("complaint category key", choices=CATEGORY_KEYS)
    answers: tuple[Answer, ...] = spec(
        "answers to the category's own questions (khidmat_wire.vocabulary); "
        "a question of another category is refused",
        max_len=20,
    )
    complainant_name: str = spec("complainant's name", max_len=100)
    cnic: str = spec("complainant's CNIC", pattern=CNIC)
    mobile: str = spec("complainant's mobile number", pattern=MOBILE)
    description: str = spec("what happened, in the complainant's words", max_len=4000)
    cognizable: bool = spec("true when the category is a cognizable offence (FIR)")
    gender_desk: bool = spec(
        "route to the women officers' desk; details hidden from the general queue"
    )
    language: str = spec("language the complaint was filed in", choices=("en", "ur"))
    sms: bool = spec(
        "the citizen agrees to text messages about it at the mobile number; false: opted "
        "out at the desk (the hub then texts nothing)",
        default=True,
    )

    def __post_init__(self) -> None:
        """Each answer must answer one of the category's own questions (the vocabulary's)."""
        category = CATEGORIES_BY_KEY.get(self.category)
        asked = category.question_keys if category is not None else ()
        for index, answer in enumerate(self.answers):
            if isinstance(answer, Answer) and answer.question not in asked:
                raise WireError(
                    f"body.answers[{index}].question",
                    f"is not a question of category {self.category[:40]!r}",
                )


@dataclass(frozen=True, slots=True)
class Feedback:
    tracking_no: str = spec("complaint the rating is for", pattern=TRACKING_NO)
    rating: int = spec("satisfaction, 1 (worst) to 5 (best)", lo=1, hi=5)
    comment: str = spec("free comment", max_len=1000, default="")
    reopen: bool = spec("the citizen asks to reopen the complaint", default=False)


@dataclass(frozen=True, slots=True)
class Lookup:
    tracking_no: str = spec(
        "tracking number to look up; the hub answers on down/complaint-status", pattern=TRACKING_NO
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: str = spec("record id of the candidate person", pattern=SHORT_ID)
    score: float = spec(
        "the candidate's score: the fused score of the fingers compared (matcher_cy.fuse)",
        lo=0,
        hi=1e6,
    )
    finger: int = spec(
        "ISO finger position 0..10 of the candidate's best-scoring finger", lo=0, hi=10, default=0
    )


@dataclass(frozen=True, slots=True)
class ScanFinger:
    finger: int = spec("ISO finger position 1..10 of this probe", lo=1, hi=10)
    template: str = spec(
        "probe template, base64 of matcher_cy's compact format",
        max_len=TEMPLATE_B64_MAX,
        pattern=B64,
    )
    quality: int = spec("probe image quality 0..100", lo=0, hi=100)


@dataclass(frozen=True, slots=True)
class Scan:
    officer: str = spec("signed-in officer's badge id", pattern=SHORT_ID)
    template: str = spec(
        "the first finger's probe template, base64 of matcher_cy's compact format",
        max_len=TEMPLATE_B64_MAX,
        pattern=B64,
    )
    quality: int = spec("the first finger's image quality 0..100", lo=0, hi=100)
    verdict: str = spec("verdict shown at the gate", choices=VERDICTS)
    candidates: tuple[Candidate, ...] = spec(
        "ranked candidates from the gate's watchlist", max_len=10
    )
    watchlist_version: int = spec("version of the watchlist the gate searched", lo=0, hi=2**53)
    decision: str = spec(
        "officer's decision on a yellow or red verdict",
        choices=("none", "confirmed", "rejected"),
        default="none",
    )
    decision_reason: str = spec("officer's reason for the decision", max_len=500, default="")
    decides: str = spec(
        "record id of the earlier scan this record gives the officer's decision on; "
        "empty for a new scan (the hub searches only new scans)",
        pattern=f"(?:{RECORD_ID})?",
        max_len=36,
        default="",
    )
    finger: int = spec(
        "ISO finger position of `template`; 0: not known (a scan from a one-finger gate)",
        lo=0,
        hi=10,
        default=0,
    )
    more_fingers: tuple[ScanFinger, ...] = spec(
        "the other fingers captured at this scan (a two-finger gate: the left index), "
        "each searched with `template` and fused",
        max_len=9,
        default=(),
    )
    missing: tuple[int, ...] = spec(
        "ISO positions 1..10 the officer recorded as missing or injured at this scan",
        max_len=10,
        lo=1,
        hi=10,
        default=(),
    )

    def __post_init__(self) -> None:
        """Each finger at most once: `finger`, `more_fingers` and `missing` never repeat one."""
        seen = [self.finger] if self.finger else []
        for index, extra in enumerate(self.more_fingers):
            if isinstance(extra, ScanFinger):
                if not self.finger:
                    raise WireError(
                        f"body.more_fingers[{index}]", "needs the first finger's position"
                    )
                if extra.finger in seen:
                    raise WireError(f"body.more_fingers[{index}].finger", "repeats a finger")
                seen.append(extra.finger)
        for index, position in enumerate(self.missing):
            if position in seen:
                raise WireError(f"body.missing[{index}]", "is a finger that was captured")


@dataclass(frozen=True, slots=True)
class EnrolledFinger:
    finger: int = spec("ISO finger position (1 right thumb .. 10 left little)", lo=0, hi=10)
    template: str = spec(
        "consolidated template, base64 of matcher_cy's compact format",
        max_len=TEMPLATE_B64_MAX,
        pattern=B64,
    )
    quality: int = spec("template quality 0..100", lo=0, hi=100)


@dataclass(frozen=True, slots=True)
class Enrolment:
    officer: str = spec("enrolling officer's badge id", pattern=SHORT_ID)
    name: str = spec("person's name", max_len=100)
    father_name: str = spec("father's name", max_len=100)
    cnic: str = spec("person's CNIC, empty when unknown", max_len=15, pattern=f"(?:{CNIC})?")
    offences: tuple[str, ...] = spec("offences (PPC sections or short text)", max_len=20)
    status: str = spec("record status", choices=PERSON_STATUSES)
    fingers: tuple[EnrolledFinger, ...] = spec("templates of the enrolled fingers", max_len=10)


@dataclass(frozen=True, slots=True)
class Telemetry:
    uptime_s: float = spec("seconds since the agent started", lo=0, hi=1e10)
    cpu_temp_c: float = spec("CPU temperature in Celsius, -1 when unreadable", lo=-1, hi=150)
    load1: float = spec("1-minute load average", lo=0, hi=1e4)
    disk_free_mb: float = spec("free space on the data partition, MiB", lo=0, hi=1e9)
    outbox_depth: int = spec("records waiting for the hub's ack", lo=0, hi=2**53)
    oldest_unacked_s: float = spec(
        "age of the oldest unacknowledged record, seconds", lo=0, hi=1e10
    )
    watchlist_version: int = spec("installed watchlist version, 0 for none", lo=0, hi=2**53)
    watchlist_age_s: float = spec(
        "seconds since the installed watchlist was issued, -1 for none", lo=-1, hi=1e10
    )
    sensor_status: str = spec(
        "fingerprint sensor state", choices=("ok", "fault", "absent", "unknown")
    )
    sensor_baud: int = spec(
        "serial rate the fingerprint sensor link runs at (bits/s), 0 for none or unknown",
        lo=0,
        hi=921_600,
        default=0,
    )


@dataclass(frozen=True, slots=True)
class Event:
    event_type: str = spec(
        "what happened, e.g. tamper, watchlist-rejected, command-result",
        pattern=r"[a-z0-9-]{2,40}",
    )
    severity: str = spec("how much it matters", choices=("info", "warning", "error"))
    detail: str = spec("human-readable detail", max_len=2000)
    ref: str = spec(
        "id this event refers to (a record, command or watchlist), may be empty",
        max_len=64,
        default="",
    )


@dataclass(frozen=True, slots=True)
class SignIn:
    badge: str = spec("badge id as the officer typed it", pattern=SHORT_ID)
    pin: str = spec(
        "the PIN typed, checked by the hub against its roster; never stored: the hub keeps "
        "no payload of this kind and the unit withdraws the record after its answer",
        pattern=r"[0-9]{6,8}",
    )


@dataclass(frozen=True, slots=True)
class HotelGuest:
    hotel: str = spec("the hotel's registration code at the hub (Hotel Eye)", pattern=HOTEL_ID)
    name: str = spec("guest's name as on their papers, English or Urdu", max_len=100)
    cnic: str = spec(
        "guest's CNIC; required for a Pakistani guest, may be empty for a foreign one",
        max_len=15,
        pattern=f"(?:{CNIC})?",
    )
    nationality: str = spec("nationality, ISO 3166-1 alpha-2 (PK, AF, ...)", pattern=NATIONALITY)
    passport: str = spec(
        "passport number; required for a foreign guest", max_len=20, pattern=f"(?:{PASSPORT})?"
    )
    check_in_ms: int = spec("when the guest checked in, Unix ms", lo=0, hi=2**53)
    room: str = spec("room as the hotel writes it", pattern=ROOM)

    def __post_init__(self) -> None:
        """A Pakistani guest carries a CNIC, a foreign guest a passport (the vocabulary's rule)."""
        if not isinstance(self.nationality, str):
            return
        problem = guest_identity_problem(self.nationality, str(self.cnic), str(self.passport))
        if problem is not None:
            raise WireError(f"body.{problem[0]}", problem[1])


@dataclass(frozen=True, slots=True)
class LicenceLookup:
    token: str = spec(
        "driving-licence application token from the licensing branch's receipt; the hub "
        "answers on down/licence-status",
        pattern=LICENCE_TOKEN,
    )
    cnic: str = spec(
        "applicant's CNIC: the hub answers only when it is the application's", pattern=CNIC
    )


SECRET_KINDS = ("signin",)
"""Up kinds whose payload carries a secret: the hub stores the record without its payload,
and the unit withdraws it from its outbox once answered or given up on."""


# ------------------------------------------------------------------------- down


@dataclass(frozen=True, slots=True)
class Ack:
    record_ids: tuple[str, ...] = spec("records the hub has stored (or already had)", max_len=1000)
    rejected: tuple[str, ...] = spec(
        "records the hub quarantined as invalid: do not resend", max_len=1000, default=()
    )


@dataclass(frozen=True, slots=True)
class StatusEntry:
    status: str = spec("status entered", choices=COMPLAINT_STATUSES)
    message: str = spec(
        "what the citizen is told about this step, written for them by the officer; "
        "empty when nothing was written (never the officer's internal reason)",
        max_len=500,
    )
    at_ms: int = spec("when, Unix ms", lo=0, hi=2**53)


@dataclass(frozen=True, slots=True)
class ComplaintStatus:
    tracking_no: str = spec("complaint's tracking number", pattern=TRACKING_NO)
    found: bool = spec("false when the hub knows no such complaint")
    status: str = spec("current status (received when not found)", choices=COMPLAINT_STATUSES)
    due_at_ms: int = spec("turnaround due time, Unix ms, 0 when none", lo=0, hi=2**53)
    history: tuple[StatusEntry, ...] = spec("the public status timeline, oldest first", max_len=100)
    can_rate: bool = spec("feedback may be given now", default=False)


COMPLAINT_STATUSES_MAX = 500
"""Statuses in one ``complaint-statuses`` message (the body's limit)."""


@dataclass(frozen=True, slots=True)
class ComplaintStatuses:
    statuses: tuple[ComplaintStatus, ...] = spec(
        "several complaint statuses for one unit, each as a complaint-status body",
        max_len=COMPLAINT_STATUSES_MAX,
    )


@dataclass(frozen=True, slots=True)
class LicenceStep:
    status: str = spec("status entered", choices=LICENCE_STATUSES)
    at_ms: int = spec("when the licensing branch recorded it, Unix ms", lo=0, hi=2**53)
    note: str = spec("what the citizen is told about this step; may be empty", max_len=300)


@dataclass(frozen=True, slots=True)
class LicenceStatus:
    token: str = spec("application token asked about", pattern=LICENCE_TOKEN)
    request_id: str = spec("record id of the unit's licence-lookup", pattern=RECORD_ID)
    found: bool = spec(
        "false when the hub knows no application with this token and CNIC (the two are "
        "never told apart, so a token alone reveals nothing)"
    )
    status: str = spec("current status (applied when not found)", choices=LICENCE_STATUSES)
    licence_class: str = spec("licence class applied for, e.g. LTV, M/CYCLE", max_len=40)
    history: tuple[LicenceStep, ...] = spec("the status timeline, oldest first", max_len=50)


@dataclass(frozen=True, slots=True)
class WatchEntry:
    person_id: str = spec("record id of the person", pattern=SHORT_ID)
    name: str = spec("name shown on a hit", max_len=100)
    status: str = spec("record status", choices=PERSON_STATUSES)
    finger: int = spec("ISO finger position", lo=0, hi=10)
    template: str = spec(
        "template, base64 of matcher_cy's compact format", max_len=TEMPLATE_B64_MAX, pattern=B64
    )


@dataclass(frozen=True, slots=True)
class Watchlist:
    version: int = spec("version of the watchlist after this message", lo=1, hi=2**53)
    base_version: int = spec("version a delta applies to; 0 for a full snapshot", lo=0, hi=2**53)
    issued_at_ms: int = spec("when the hub built it, Unix ms", lo=0, hi=2**53)
    add: tuple[WatchEntry, ...] = spec("entries added (all entries in a snapshot)", max_len=200_000)
    remove: tuple[str, ...] = spec("person ids removed (delta only)", max_len=200_000)
    signature: str = spec(
        "Ed25519 signature by the hub key over the canonical body without this field, base64",
        pattern=B64,
        max_len=100,
    )


OFFICER_ROLES = ("gate", "enrolment", "desk-supervisor", "operator")
"""What an officer may do: sign in at a gate, at an enrolment unit, supervise a desk
unit, or work the hub console. Defined once; the hub's roster and the units use it."""


@dataclass(frozen=True, slots=True)
class OfficerEntry:
    badge: str = spec("badge number (the unit compares it in lower case)", pattern=SHORT_ID)
    name: str = spec("officer's name as shown on the unit", max_len=100)
    rank: str = spec("rank, e.g. ASI, SI, Inspector", max_len=40)
    roles: tuple[str, ...] = spec(
        "roles the officer holds on this unit",
        max_len=4,
        pattern="(" + "|".join(OFFICER_ROLES) + ")",
    )
    pin_hash: str = spec(
        "argon2id hash of the PIN in PHC form (khidmat_wire.pins)",
        pattern=PIN_HASH_RE,
    )


@dataclass(frozen=True, slots=True)
class Officers:
    version: int = spec(
        "version of this unit's officer list (per unit, increasing)", lo=1, hi=2**53
    )
    issued_at_ms: int = spec("when the hub built it, Unix ms", lo=0, hi=2**53)
    officers: tuple[OfficerEntry, ...] = spec(
        "every officer who may sign in on this unit (the whole list; others are removed)",
        max_len=5000,
    )
    signature: str = spec(
        "Ed25519 signature by the hub key over the canonical body without this field, base64",
        pattern=B64,
        max_len=100,
    )


@dataclass(frozen=True, slots=True)
class Setting:
    key: str = spec("setting name", pattern=r"[a-z0-9_.]{1,64}")
    value: str = spec("setting value as text", max_len=500)


@dataclass(frozen=True, slots=True)
class Config:
    settings: tuple[Setting, ...] = spec("settings to change on the unit", max_len=100)
    version: int = spec(
        "version of the unit's settings at the hub; the unit answers an event "
        "config-applied with this in ref (0: unversioned, no answer)",
        lo=0,
        hi=2**53,
        default=0,
    )


@dataclass(frozen=True, slots=True)
class Command:
    command: str = spec(
        "what to do",
        choices=(
            "ping", "resend", "sensor-selftest", "gate-test", "open-relay", "restart-screen",
        ),
    )  # fmt: skip
    args: tuple[Setting, ...] = spec("arguments of the command", max_len=20, default=())


@dataclass(frozen=True, slots=True)
class Alert:
    scan_id: str = spec("record id of the gate scan", pattern=RECORD_ID)
    person_id: str = spec("matched person's record id", pattern=SHORT_ID)
    name: str = spec("matched person's name", max_len=100)
    status: str = spec("matched person's record status", choices=PERSON_STATUSES)
    score: float = spec("matcher score at the hub", lo=0, hi=1e6)
    message: str = spec("what the gate officer should do", max_len=500)


SIGNIN_OUTCOMES = ("accepted", "wrong-pin", "locked", "suspended", "unknown", "stale")


@dataclass(frozen=True, slots=True)
class SignInResult:
    request_id: str = spec("record id of the unit's signin record", pattern=RECORD_ID)
    badge: str = spec("badge id of the request", pattern=SHORT_ID)
    outcome: str = spec(
        "the hub's verdict: accepted, or why not (stale: the request was too old to answer)",
        choices=SIGNIN_OUTCOMES,
    )
    detail: str = spec("what the officer is told", max_len=200, default="")


@dataclass(frozen=True, slots=True)
class FederatedCandidate:
    province: str = spec("the province that holds the record", pattern=PROVINCE)
    ref: str = spec(
        "that province's reference for the record (its desk resolves it; no name, CNIC or "
        "address crosses the border)",
        pattern=FEDERATION_REF,
    )
    level: str = spec("red (a hit) or yellow (possible match)", choices=FEDERATION_LEVELS)
    category: str = spec("the record's status there", choices=PERSON_STATUSES)
    score: float = spec("fused score in that province's search", lo=0, hi=1e6)
    desk: str = spec("whom the officer calls: the holding province's contact desk", max_len=200)


@dataclass(frozen=True, slots=True)
class Federated:
    scan_id: str = spec("record id of the gate scan searched across provinces", pattern=RECORD_ID)
    verdict: str = spec(
        "red: another province holds a red candidate; yellow: only possible matches; "
        "green: no province that answered holds anyone",
        choices=VERDICTS,
    )
    candidates: tuple[FederatedCandidate, ...] = spec(
        "candidates from the provinces that answered, best first", max_len=30
    )
    asked: tuple[str, ...] = spec("provinces asked", max_len=16, pattern=PROVINCE)
    not_answered: tuple[str, ...] = spec(
        "provinces that had not answered by the deadline (their records were not searched)",
        max_len=16,
        pattern=PROVINCE,
    )
    message: str = spec("what the gate officer should do", max_len=500)


# ------------------------------------------------------------------- federation


@dataclass(frozen=True, slots=True)
class FedProbe:
    finger: int = spec("ISO finger position 0..10 (0: not known)", lo=0, hi=10)
    template: str = spec(
        "probe template, base64 of matcher_cy's compact format",
        max_len=TEMPLATE_B64_MAX,
        pattern=B64,
    )


@dataclass(frozen=True, slots=True)
class FedAsk:
    province: str = spec("the asking province (also the topic's)", pattern=PROVINCE)
    scan_id: str = spec("record id of the gate scan in the asking province", pattern=RECORD_ID)
    gate: str = spec("device id of the gate that scanned", pattern=DEVICE_ID)
    officer: str = spec("badge id of the gate officer who asked", pattern=SHORT_ID)
    probes: tuple[FedProbe, ...] = spec(
        "the fingers captured at the scan, at least one (templates only: no image, no name)",
        max_len=10,
    )
    deadline_ms: int = spec(
        "Unix ms after which the asker no longer waits (an answer later is dropped there)",
        lo=0,
        hi=2**53,
    )

    def __post_init__(self) -> None:
        """At least one probe; each finger position at most once."""
        if isinstance(self.probes, tuple) and not self.probes:
            raise WireError("body.probes", "needs at least one probe")
        seen: set[int] = set()
        for index, probe in enumerate(self.probes):
            if isinstance(probe, FedProbe):
                if probe.finger in seen:
                    raise WireError(f"body.probes[{index}].finger", "repeats a finger")
                seen.add(probe.finger)


@dataclass(frozen=True, slots=True)
class FedCandidate:
    ref: str = spec("the answering province's reference for the record", pattern=FEDERATION_REF)
    level: str = spec("red (a hit) or yellow (possible match)", choices=FEDERATION_LEVELS)
    category: str = spec("the record's status", choices=PERSON_STATUSES)
    score: float = spec("fused score (matcher_cy.fuse)", lo=0, hi=1e6)


@dataclass(frozen=True, slots=True)
class FedAnswer:
    province: str = spec("the answering province (also the topic's)", pattern=PROVINCE)
    query_id: str = spec("record id of the ask answered", pattern=RECORD_ID)
    result: str = spec(
        "hit (red candidates), possible (yellow only), no-hit, or bad-probe (the templates "
        "did not decode)",
        choices=("hit", "possible", "no-hit", "bad-probe"),
    )
    candidates: tuple[FedCandidate, ...] = spec(
        "red and yellow candidates, best first (nothing below yellow)", max_len=10
    )
    desk: str = spec("the answering province's contact desk for these candidates", max_len=200)
    persons: int = spec("persons the answering province searched", lo=0, hi=2**53)


# ------------------------------------------------------------------------ state


@dataclass(frozen=True, slots=True)
class State:
    status: str = spec("birth (online) or last will (offline)", choices=("online", "offline"))
    role: str = spec("unit role", choices=("desk", "gate", "enrol", "hotel", "hub"))
    software: str = spec("software version", max_len=40)


#: kind -> body class, per direction. The state topic's kind is "state".
UP_BODIES: dict[str, type] = {
    "complaint": Complaint,
    "feedback": Feedback,
    "lookup": Lookup,
    "scan": Scan,
    "enrolment": Enrolment,
    "telemetry": Telemetry,
    "event": Event,
    "signin": SignIn,
    "hotel-guest": HotelGuest,
    "licence-lookup": LicenceLookup,
}
DOWN_BODIES: dict[str, type] = {
    "ack": Ack,
    "complaint-status": ComplaintStatus,
    "complaint-statuses": ComplaintStatuses,
    "watchlist": Watchlist,
    "officers": Officers,
    "config": Config,
    "command": Command,
    "alert": Alert,
    "signin-result": SignInResult,
    "licence-status": LicenceStatus,
    "federated": Federated,
}
FED_BODIES: dict[str, type] = {"fed-ask": FedAsk, "fed-answer": FedAnswer}
"""Province-to-province kinds (khidmat_wire.topics.FED_KINDS); the envelope's device id is
the sending province's name."""
STATE_BODIES: dict[str, type] = {"state": State}
ALL_BODIES: dict[str, type] = {**UP_BODIES, **DOWN_BODIES, **STATE_BODIES, **FED_BODIES}
