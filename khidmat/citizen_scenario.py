"""``khidmat demo --headless --scenario citizen``: what a citizen hears back, end to end.

The demo system runs (Mosquitto with TLS and ACLs, the hub, three agents, the hub's
simulated GSM modem on a pty, the public tracking page; :mod:`khidmat.demo`) and:

1. citizens file at the desk kiosk (the real app, driven by Textual's Pilot): two thefts,
   a harassment complaint on the women's desk and a missing child (urgent); the time of
   the urgent one's Submit is noted;
2. the operator's console backend waits for the urgent complaint's console alert and
   acknowledges it at once: ``urgent_alert_s`` is Submit to the alert being raised at the
   hub, ``urgent_ack_s`` Submit to the acknowledgement;
3. officers work the complaints at the console (general desk; the women's desk for its
   own), each change with a reason and, on resolving, a message for the citizen;
4. the texts are counted where a phone would see them, in the simulated modem's inbox:
   every status change a citizen sees (the receipt included) must give exactly one text
   (the texts the hub queued for the change, arrived once each), the duty officer one
   text about the urgent complaint, and a women's desk complaint's texts no case details;
   ``sms_sent`` and ``sms_delivered`` are the hub outbox's (delivery reports matched);
5. each complaint is looked up on the tracking page over HTTP (typed in lower case with
   spaces, the mobile number's last 4 digits): it must show the hub's current status (a
   women's desk complaint only that the women's desk has it), and wrong digits nothing.

``receipts_printed``: this run's receipts the desk's simulated thermal printer printed
whole (its ``receipts.jsonl``: cut, ``complete``, the tracking number in the text), one per
complaint. ``lost``: receipts the hub never opened, plus status changes whose text never
arrived. Not thread-safe; one run per process.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from khidmat.demo import DUTY_OFFICER_MOBILE, DemoSystem
from khidmat.scenario import (
    COMPLAINANTS,
    ScenarioError,
    _fill,
    _until,
    _wait,
    receipt_settled,
)

URGENT_ALERT_LIMIT_S = 5.0
RESOLVED_MESSAGE = "Your phone was recovered. Please collect it from the station with your CNIC."


@dataclass(frozen=True)
class Citizen:
    """One citizen at the desk: the category, the answers (question key -> text), who."""

    category: str
    answers: dict[str, str]
    name: str
    cnic: str
    mobile: str
    description: str
    #: (status, assignee, reason, message for the citizen) worked at the console
    steps: tuple[tuple[str, str, str, str], ...] = ()
    women_desk: bool = False


GENERAL_STEPS = (
    ("registered", "", "FIR 114/26 registered", ""),
    ("assigned", "SI Rashid", "beat officer of the area", ""),
    ("under-investigation", "", "CCTV of the shop requested", ""),
    ("resolved", "", "recovered from a pawn shop; suspect bound over", RESOLVED_MESSAGE),
)
THEFT_ANSWERS = {"when": "yesterday evening", "where": "Jinnah Road, Quetta", "items": "phone"}
CITIZENS: tuple[Citizen, ...] = (
    *(
        Citizen("theft", THEFT_ANSWERS, name, cnic, mobile, description, GENERAL_STEPS)
        for name, cnic, mobile, description in COMPLAINANTS[:2]
    ),
    Citizen(
        "harassment",
        {
            "when": "every evening this week",
            "where": "Sariab Road bus stop",
            "accused_known": "a man from the next street",
        },
        "Rabia Noor",
        "5440123456782",
        "03337654321",
        "A man follows me from the bus stop and shouts at me.",
        (
            ("registered", "", "statement recorded by LC Amna", ""),
            ("assigned", "LC Amna", "women's desk officer", ""),
        ),
        women_desk=True,
    ),  # fmt: skip
    Citizen(
        "missing-person",
        {
            "missing_name": "Ali, my son",
            "missing_age": "9",
            "last_seen": "outside his school on Zarghoon Road at 1 pm today",
        },
        "Gul Bibi",
        "5440176543213",
        "03215556667",
        "My son did not come home from school.",
        (
            ("registered", "", "missing child: all mobiles informed", ""),
            ("assigned", "SI Rashid", "search party lead", ""),
        ),
    ),  # fmt: skip
)


@dataclass
class CitizenResult:
    complaints: int = 0
    sms_sent: int = 0
    sms_delivered: int = 0
    sms_duplicates: int = 0
    urgent_alerts: int = 0
    urgent_ack_s: float = -1.0
    receipts_printed: int = 0
    web_tracking_ok: int = 0
    lost: int = 0
    status_changes: int = 0
    """Status changes a citizen sees (each receipt included): the texts owed."""
    texted_once_each: int = 0
    """Complaints off the women's desk whose every change arrived as exactly one text."""
    women_desk_details: int = 0
    """Texts to a women's desk citizen that carry more than the number and the status."""
    duty_officer_texts: int = 0
    urgent_alert_s: float = -1.0
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        general = sum(1 for c in CITIZENS if not c.women_desk)
        return (
            self.lost == 0
            and self.sms_duplicates == 0
            and self.texted_once_each == general
            and self.women_desk_details == 0
            and 0 <= self.urgent_alert_s < URGENT_ALERT_LIMIT_S
            and self.urgent_alerts == sum(1 for c in CITIZENS if _urgent(c))
            and self.web_tracking_ok == self.complaints
            and self.receipts_printed == self.complaints
        )


def _urgent(citizen: Citizen) -> bool:
    from khidmat_wire.vocabulary import urgency

    return urgency(citizen.category, citizen.answers) is not None


# ------------------------------------------------------------------- the desk


async def file_at_desk(
    system: DemoSystem, citizens: tuple[Citizen, ...], on_urgent: Callable[[str, int], bool]
) -> list[tuple[str, int]]:
    """File each citizen's complaint at the desk kiosk; (tracking number, Submit time in
    Unix ms) each. After an urgent one, ``on_urgent(number, submitted_ms)`` is polled
    (while the kiosk keeps running) until it returns True."""
    from edge_agent.config import load_unit_config
    from kiosk.app import build_app
    from kiosk.screens.receipt import ReceiptScreen
    from kiosk.screens.welcome import WelcomeScreen

    filed: list[tuple[str, int]] = []
    app = build_app("desk", load_unit_config(system.unit_config("desk")))
    async with app.run_test(size=(110, 50)) as pilot:
        for citizen in citizens:
            await _until(
                pilot, lambda: isinstance(app.screen, WelcomeScreen), 10, "the welcome screen"
            )
            await pilot.click("#file")
            await pilot.pause()
            await pilot.click(f"#cat-{citizen.category}")
            await pilot.pause()
            for key, answer in citizen.answers.items():
                await _fill(pilot, f"#q-{key}", answer)
            await pilot.click("#next")
            await pilot.pause()
            await _fill(pilot, "#name", citizen.name)
            await _fill(pilot, "#cnic", citizen.cnic)
            await _fill(pilot, "#mobile", citizen.mobile)
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#description").text = citizen.description
            await pilot.pause()
            await pilot.click("#next")
            await pilot.pause()
            submitted_ms = int(time.time() * 1000)
            await pilot.click("#submit")
            await _until(pilot, lambda: isinstance(app.screen, ReceiptScreen), 10, "the receipt")
            number = app.screen.tracking_no
            filed.append((number, submitted_ms))
            if _urgent(citizen):  # the console operator does not wait for the printer
                alerted = functools.partial(on_urgent, number, submitted_ms)
                await _until(pilot, alerted, 30, f"the alert for {number}")
            await _until(pilot, lambda: receipt_settled(app), 30, f"the receipt of {number}")
            await pilot.press("f12")  # quick exit: back to welcome for the next citizen
            await pilot.pause()
    return filed


# -------------------------------------------------------------- the console


class Console:
    """The operators: the general desk and the women's desk (their console backends)."""

    def __init__(self, system: DemoSystem) -> None:
        from hub.config import load_hub_config
        from hub.console.backend import ConsoleBackend, Operator

        config = load_hub_config(system.hub_config)
        self.general = ConsoleBackend(config, Operator("Insp. Nadia", "general"))
        self.women = ConsoleBackend(config, Operator("LC Amna", "women"))
        self.acked: dict[str, tuple[int, int]] = {}  # number -> (raised_ms, acked_ms)

    def close(self) -> None:
        self.general.close()
        self.women.close()

    def acknowledge_urgent(self, number: str, submitted_ms: int) -> bool:
        """True once the urgent alert of ``number`` is on the console and acknowledged."""
        from hub.duties import URGENT_KEY

        for alert in self.general.alerts():
            if alert.key == f"{URGENT_KEY}{number}":
                if alert.acked_ms is None:
                    self.general.acknowledge(alert.id)
                acked = next(a for a in self.general.alerts() if a.id == alert.id)
                self.acked[number] = (alert.raised_ms, acked.acked_ms or 0)
                return True
        return False

    def work(self, number: str, citizen: Citizen) -> None:
        backend = self.women if citizen.women_desk else self.general
        _wait(lambda: backend.complaint(number)[0] is not None, 30, f"complaint {number}")
        for status, assignee, reason, message in citizen.steps:
            backend.change_status(number, status, reason, assignee, "", message)

    def status_changes(self, number: str) -> list[str]:
        """The statuses the complaint went through (the women's desk sees every trail)."""
        return [e.status for e in self.women.complaint(number)[1] if e.action == "status"]

    def status(self, number: str) -> str:
        view = self.women.complaint(number)[0]
        return view.status if view is not None else ""


# ------------------------------------------------------------ the tracking page


def track_on_the_web(url: str, number: str, digits: str) -> tuple[int, str]:
    """POST the tracking form as a browser does; (HTTP status, page)."""
    spaced = number.lower().replace("-", " ")  # as a citizen might type it
    body = urllib.parse.urlencode({"number": spaced, "digits": digits, "lang": "en"}).encode()
    request = urllib.request.Request(url + "track", data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def web_shows(url: str, number: str, citizen: Citizen, status: str) -> bool:
    """The page shows ``status`` (or only the women's desk) with the right digits, nothing
    with wrong ones, and none of the citizen's details."""
    from khidmat_wire.vocabulary import STATUS_NAMES

    code, page = track_on_the_web(url, number, citizen.mobile[-4:])
    wrong = str((int(citizen.mobile[-4:]) + 1) % 10_000).zfill(4)
    wrong_code, wrong_page = track_on_the_web(url, number, wrong)
    private = (citizen.name, citizen.cnic, citizen.mobile, citizen.description)
    if code != 200 or any(p in page for p in private):
        return False
    if wrong_code != 404 or 'id="status"' in wrong_page or 'id="women-desk"' in wrong_page:
        return False
    if citizen.women_desk:
        return 'id="women-desk"' in page and 'id="status"' not in page
    shown = re.search(r'id="status">([^<]*)<', page)
    return shown is not None and shown.group(1) == STATUS_NAMES[status]


# ------------------------------------------------------------------ counting


def count_texts(
    result: CitizenResult,
    console: Console,
    modem,
    filed: dict[str, Citizen],  # type: ignore[no-untyped-def]
) -> None:
    """Compare the modem's inbox with the changes each complaint went through."""
    from hub.sms.modem import international

    received = modem.received()
    officer = international(DUTY_OFFICER_MOBILE)
    per_complaint: dict[str, list[str]] = collections.defaultdict(list)
    for message in received:
        for number in filed:
            if number in message.text and message.number != officer:
                per_complaint[number].append(message.text)
    result.duty_officer_texts = sum(
        1 for m in received if m.number == officer and any(n in m.text for n in filed)
    )
    urgent = sum(1 for c in filed.values() if _urgent(c))
    result.sms_duplicates = max(0, result.duty_officer_texts - urgent)
    result.lost += max(0, urgent - result.duty_officer_texts)
    for number, citizen in filed.items():
        changes = console.status_changes(number)
        result.status_changes += len(changes)
        got = per_complaint[number]
        result.sms_duplicates += max(0, len(got) - len(changes))
        result.lost += max(0, len(changes) - len(got))
        queued = [
            row["text"] for row in console.general.modules.sms.texts(number)
            if row["event_key"].startswith("complaint-event:")
        ]  # fmt: skip
        if citizen.women_desk:
            secret = (citizen.category, "URGENT", citizen.name, *(s[1] for s in citizen.steps if s[1]))  # fmt: skip
            secret += tuple(s[3] for s in citizen.steps if s[3])
            result.women_desk_details += sum(
                1 for text in got if any(word.lower() in text.lower() for word in secret)
            )
        elif len(got) == len(changes) == len(queued) and sorted(got) == sorted(queued):
            result.texted_once_each += 1
    rows = [
        row for number in filed for row in console.general.modules.sms.texts(number)
        if row["event_key"].startswith("complaint-event:")
    ]  # fmt: skip
    result.sms_sent = sum(1 for row in rows if row["state"] in ("sent", "delivered"))
    result.sms_delivered = sum(1 for row in rows if row["state"] == "delivered")


def _texts_settled(console: Console, modem, filed: dict[str, Citizen]) -> bool:  # type: ignore[no-untyped-def]
    """Every change's text arrived and every sent text's report is matched."""
    owed = sum(len(console.status_changes(n)) for n in filed)
    arrived = sum(1 for m in modem.received() if any(n in m.text for n in filed))
    urgent = sum(1 for c in filed.values() if _urgent(c))
    rows = [r for n in filed for r in console.general.modules.sms.texts(n)]
    return arrived >= owed + urgent and all(r["state"] == "delivered" for r in rows)


def receipts_printed(system: DemoSystem, filed: dict[str, Citizen]) -> int:
    """This run's complaints whose receipt the desk's simulated printer printed whole."""
    from edge_agent.sim.printer import read_receipts

    printed = [r for r in read_receipts(system.receipts_dir) if r.get("complete")]
    lines = [" ".join(r.get("text", [])) for r in printed]  # the printer-font lines
    return sum(1 for number in filed if any(number in line for line in lines))


# ----------------------------------------------------------------- the run


def run_citizen(workdir: Path, *, log: Callable[[str], None] = lambda _: None) -> CitizenResult:
    """Run the citizen scenario in ``workdir`` (reused); every process it starts is stopped."""
    started = time.monotonic()
    result = CitizenResult()
    system = DemoSystem(workdir, sensor_wire_delay=False)
    console: Console | None = None
    try:
        for line in system.prepare():
            log(line)
        system.start(log=log)
        console = Console(system)
        filed_list = asyncio.run(file_at_desk(system, CITIZENS, console.acknowledge_urgent))
        filed = {number: citizen for (number, _), citizen in zip(filed_list, CITIZENS, strict=True)}
        submitted = dict(filed_list)
        result.complaints = len(filed)
        log(f"filed {list(filed)}")
        for number, (raised_ms, acked_ms) in console.acked.items():
            result.urgent_alerts += 1
            result.urgent_alert_s = round((raised_ms - submitted[number]) / 1000, 2)
            result.urgent_ack_s = round((acked_ms - submitted[number]) / 1000, 2)
        log(f"urgent alert after {result.urgent_alert_s} s, acknowledged after {result.urgent_ack_s} s")  # fmt: skip
        for number, citizen in filed.items():
            console.work(number, citizen)
        log("complaints worked at the console")
        modem = system.modem
        try:
            _wait(lambda: _texts_settled(console, modem, filed), 60, "every text and its report")
        except ScenarioError as error:
            result.notes.append(str(error))  # counted below as lost or undelivered
        for line in system.new_texts():
            log(line)
        count_texts(result, console, modem, filed)
        hub_opened = {n for n in filed if console.status(n)}
        result.lost += len(set(filed) - hub_opened)
        result.receipts_printed = receipts_printed(system, filed)
        result.web_tracking_ok = sum(
            1 for number, citizen in filed.items()
            if web_shows(system.tracking_url, number, citizen, console.status(number))
        )  # fmt: skip
    finally:
        if console is not None:
            console.close()
        system.stop()
    result.elapsed_s = round(time.monotonic() - started, 1)
    return result


def main(workdir: Path, *, as_json: bool) -> int:
    result = run_citizen(workdir, log=(lambda _: None) if as_json else print)
    data = asdict(result)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            print(f"{key:>20}: {value}")
    return 0 if result.passed else 1
