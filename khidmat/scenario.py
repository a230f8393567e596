"""``khidmat demo --headless --scenario smoke``: a scripted day through the real apps.

The whole demo system runs (Mosquitto with TLS and ACLs, the hub, three agents, simulated
sensors; see :mod:`khidmat.demo`) and the people of the day act through the real
applications, driven by Textual's Pilot:

1. citizens file complaints at the desk kiosk (category, questions, person details,
   description, review, submit) and keep their tracking numbers;
2. officers at the hub work each complaint through the operator console's backend
   (registered, assigned, under investigation, resolved), each step with a reason;
3. the citizens track their complaints at the desk kiosk, see the status the hub set, and
   rate the service;
4. a gate officer signs in and scans people: wanted people on record (synthetic fingers of
   seeded wanted people, other impressions than the enrolled one) and strangers (fingers
   nobody on record has), placed on the gate's simulated sensor; every red or yellow
   verdict is confirmed with a reason;
5. an enrolment officer enrols a new person from three impressions.

Then it waits until every unit's outbox is empty and counts, record by record, what the
hub holds. Images cross the simulated sensors' pty without wire delay (scan timing is
what ``khidmat bench kiosk`` measures). Not thread-safe; one run per process.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_agent.store import LocalStore
from hub.complaints import ComplaintDesk
from hub.store import HubStore, searches
from khidmat.demo import DEMO_OFFICER, DEMO_PIN, DemoSystem
from khidmat.demo_seed import LEFT_FINGER_OFFSET, seeded_person_id

PEOPLE = 1000
WANTED = 50
STRANGER_FINGER_BASE = 5000
STATUS_STEPS = (
    ("registered", "", "FIR registered"),
    ("assigned", "SI Rashid", "assigned to the investigating officer"),
    ("under-investigation", "", "investigation started"),
    ("resolved", "", "property recovered and returned"),
)


@dataclass
class SmokeResult:
    complaints_filed: int = 0
    complaints_acked: int = 0
    status_updates_seen: int = 0
    feedback: int = 0
    scans: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    true_hits: int = 0
    missed_hits: int = 0
    false_hits: int = 0
    wrong_identity_hits: int = 0
    enrolments: int = 0
    lost: int = 0
    duplicated: int = 0
    elapsed_s: float = 0.0
    broker: str = ""  # "mosquitto" or "embedded"


class ScenarioError(RuntimeError):
    """A step of the scenario could not be done; the message says which."""


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise ScenarioError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.1)


async def _until(pilot, condition: Callable[[], bool], timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` every 50 ms until it holds; ScenarioError after ``timeout_s``.

    A condition that reads ``app.screen`` while the app's screen stack is empty for a moment
    (starting, or between one screen and the next) counts as not yet true: one smoke day
    stopped on ScreenStackError that way on a loaded machine.
    """
    from textual.app import ScreenStackError

    def holds() -> bool:
        try:
            return bool(condition())
        except ScreenStackError:
            return False

    deadline = time.monotonic() + timeout_s
    while not holds():
        if time.monotonic() > deadline:
            raise ScenarioError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await pilot.pause(0.05)


def shown_text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    """What the widget ``selector`` on ``screen`` shows, or "" while the screen has no such
    widget: a screen is current before it is composed, and a recompose empties it for a
    moment, so a wait reads it through this rather than failing."""
    found = screen.query(selector)
    return str(found.first().render()) if found else ""


def receipt_settled(app) -> bool:  # type: ignore[no-untyped-def]
    """True once the receipt screen is no longer printing (or the desk has no printer)."""
    outcome = getattr(app.screen, "print_outcome", None)
    return outcome is None or outcome.state != "printing"


async def _fill(pilot, selector: str, value: str) -> None:  # type: ignore[no-untyped-def]
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.value = value
    await pilot.pause()


# ------------------------------------------------------------------- the desk


COMPLAINANTS = (
    ("Ayesha Bibi", "4210112345671", "03001234567", "My phone was taken from my shop counter."),
    (
        "Muhammad Akram",
        "5440098765431",
        "03331234567",
        "My motorcycle was stolen outside the mosque.",
    ),
    (
        "Zahid Hussain",
        "5430112312311",
        "03451112223",
        "Someone took cash from my stall at the bazaar.",
    ),
    (
        "Naseebullah",
        "5440145645641",
        "03129876543",
        "A phone was snatched from my son near the school.",
    ),
)


async def file_complaints(system: DemoSystem, count: int) -> list[str]:
    """File ``count`` theft complaints at the desk kiosk; returns their tracking numbers."""
    from edge_agent.config import load_unit_config
    from kiosk.app import build_app
    from kiosk.screens.receipt import ReceiptScreen
    from kiosk.screens.welcome import WelcomeScreen

    numbers: list[str] = []
    app = build_app("desk", load_unit_config(system.unit_config("desk")))
    async with app.run_test(size=(110, 45)) as pilot:
        for index in range(count):
            name, cnic, mobile, description = COMPLAINANTS[index % len(COMPLAINANTS)]
            await _until(
                pilot, lambda: isinstance(app.screen, WelcomeScreen), 10, "the welcome screen"
            )
            await pilot.click("#file")
            await pilot.pause()
            await pilot.click("#cat-theft")
            await pilot.pause()
            await _fill(pilot, "#q-when", "yesterday evening")
            await _fill(pilot, "#q-where", "Jinnah Road, Quetta")
            await _fill(pilot, "#q-items", "phone")
            await pilot.click("#next")
            await pilot.pause()
            await _fill(pilot, "#name", name)
            await _fill(pilot, "#cnic", cnic)
            await _fill(pilot, "#mobile", mobile)
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#description").text = description
            await pilot.pause()
            await pilot.click("#next")
            await pilot.pause()
            await pilot.click("#submit")
            await _until(pilot, lambda: isinstance(app.screen, ReceiptScreen), 10, "the receipt")
            numbers.append(app.screen.tracking_no)
            await _until(pilot, lambda: receipt_settled(app), 30, "the printed receipt")
            await pilot.press("f12")  # quick exit: back to welcome for the next citizen
            await pilot.pause()
    return numbers


async def track_and_rate(system: DemoSystem, numbers: list[str]) -> tuple[int, int]:
    """Track each number at the desk kiosk; rate the resolved ones. Returns (seen resolved, rated)."""
    from edge_agent.config import load_unit_config
    from kiosk.app import build_app
    from kiosk.screens.feedback import FeedbackScreen

    seen = rated = 0
    app = build_app("desk", load_unit_config(system.unit_config("desk")), poll_interval_s=0.2)
    async with app.run_test(size=(110, 50)) as pilot:
        for number in numbers:
            await pilot.press("f12")
            await pilot.pause()
            await pilot.press("t")
            await pilot.pause()
            await _fill(pilot, "#number", number)
            await pilot.press("enter")

            def shows_resolved() -> bool:
                found = app.screen.query("#status")
                return bool(found) and "Resolved" in str(found.first().render())

            try:
                await _until(
                    pilot, shows_resolved, 30, f"the resolved status of {number} at the desk"
                )
            except ScenarioError:
                continue
            seen += 1
            await pilot.click("#rate")
            await pilot.pause()
            if not isinstance(app.screen, FeedbackScreen):
                continue
            await pilot.click("#rate-5")
            await pilot.pause()
            await _fill(pilot, "#comment", "quick and polite")
            await pilot.click("#send")
            await pilot.pause()
            if app.screen.query("#thanks"):
                rated += 1
    return seen, rated


# ------------------------------------------------------------------- the hub


def work_complaints(system: DemoSystem, numbers: list[str]) -> None:
    """Officers take each complaint from received to resolved at the console, with reasons."""
    from hub.config import load_hub_config
    from hub.console.backend import ConsoleBackend, Operator

    backend = ConsoleBackend(load_hub_config(system.hub_config), Operator("Insp. Nadia", "general"))
    try:
        for number in numbers:
            _wait(
                lambda n=number: backend.complaint(n)[0] is not None,
                30,
                f"complaint {number} at the hub",
            )
            for status, assignee, reason in STATUS_STEPS:
                backend.change_status(number, status, reason, assignee, "")
    finally:
        backend.close()


# ------------------------------------------------------------------ the gate


async def scan_people(
    system: DemoSystem, fingers: list[tuple[int, bool]]
) -> list[tuple[int, bool, str, str, str]]:
    """Scan each (finger id, is wanted) at the gate; returns (finger, wanted, verdict, scan
    id, the gate's top candidate's person id or "")."""
    from edge_agent.config import load_unit_config
    from edge_agent.sim.fingers import impression_image
    from kiosk.app import build_app

    simulator = system.sensors["gate"]
    results: list[tuple[int, bool, str, str, str]] = []
    app = build_app("gate", load_unit_config(system.unit_config("gate")))
    async with app.run_test(size=(120, 45)) as pilot:
        await _until(pilot, lambda: bool(app.screen.query("#badge")), 20, "the sign-in screen")
        app.screen.query_one("#badge").value = DEMO_OFFICER
        app.screen.query_one("#pin").value = DEMO_PIN
        await pilot.click("#sign-in")
        await _until(
            pilot,
            lambda: app.screen.__class__.__name__ == "GateScreen",
            30,
            "the gate screen after sign-in",
        )
        screen = app.screen
        for number, (finger, wanted) in enumerate(fingers):
            await _until(
                pilot,
                lambda: "Place" in shown_text(screen, "#prompt"),
                30,
                "the place-finger prompt",
            )
            simulator.place(impression_image(finger, 1 + number % 5))  # type: ignore[attr-defined]
            # the gate asks for the left index next (the list holds both index fingers)
            await _until(
                pilot,
                lambda: "Lift" in shown_text(screen, "#prompt"),
                60,
                f"the lift prompt after finger {finger}",
            )
            simulator.lift()  # type: ignore[attr-defined]
            await _until(
                pilot,
                lambda: "LEFT INDEX" in shown_text(screen, "#prompt"),
                30,
                f"the left-index prompt after finger {finger}",
            )
            left = finger + LEFT_FINGER_OFFSET
            simulator.place(impression_image(left, 1 + number % 5))  # type: ignore[attr-defined]
            await _until(
                pilot, lambda: screen.outcome is not None, 60, f"the verdict on finger {finger}"
            )
            simulator.lift()  # type: ignore[attr-defined]
            verdict = screen.outcome.identification.verdict
            scan_id = screen.outcome.record_id
            candidates = screen.outcome.identification.candidates
            top = candidates[0].person_id if candidates else ""
            results.append((finger, wanted, verdict, scan_id, top))
            if verdict in ("red", "yellow"):
                screen.query_one("#reason").value = "identity checked against the record"
                confirm = screen.query_one("#confirm")
                confirm.scroll_visible(animate=False)
                await pilot.pause()
                await pilot.click("#confirm")
                await _until(pilot, lambda: screen.decided, 10, "the officer's decision")
            await pilot.press("f5")  # next person
            await _until(pilot, lambda: screen.outcome is None, 10, "the next scan")
    return results


# ------------------------------------------------------------ the enrolment


async def enrol_person(system: DemoSystem, finger: int) -> bool:
    """Enrol a new person from three impressions each of synthetic ``finger`` (right index)
    and ``finger + LEFT_FINGER_OFFSET`` (left index); True when queued."""
    from edge_agent.config import load_unit_config
    from edge_agent.sim.fingers import impression_image
    from kiosk.app import build_app
    from kiosk.screens.enrol import EnrolScreen

    simulator = system.sensors["enrol"]
    app = build_app("enrol", load_unit_config(system.unit_config("enrol")))
    async with app.run_test(size=(120, 60)) as pilot:
        await _until(pilot, lambda: bool(app.screen.query("#badge")), 20, "the sign-in screen")
        app.screen.query_one("#badge").value = DEMO_OFFICER
        app.screen.query_one("#pin").value = DEMO_PIN
        await pilot.click("#sign-in")
        await _until(pilot, lambda: isinstance(app.screen, EnrolScreen), 30, "the enrolment screen")
        screen = app.screen
        for finger_id in (finger, finger + LEFT_FINGER_OFFSET):  # right index, then left
            for impression in range(3):
                await pilot.press("f6")
                await pilot.pause()
                await _until(
                    pilot,
                    lambda: "Place" in shown_text(screen, "#prompt"),
                    30,
                    "the place prompt",
                )
                simulator.place(impression_image(finger_id, impression))  # type: ignore[attr-defined]
                await _until(
                    pilot,
                    lambda: "Lift" in shown_text(screen, "#prompt"),
                    30,
                    "the lift prompt",
                )
                simulator.lift()  # type: ignore[attr-defined]
                await _until(pilot, lambda: not screen.capturing, 30, "the end of the capture")
        screen.query_one("#name").value = "Sher Ali"
        screen.query_one("#father").value = "Juma Khan"
        screen.query_one("#cnic").value = "5440011122231"
        screen.query_one("#offences").value = "PPC 392"
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        await pilot.pause()
        return "queued" in shown_text(screen, "#prompt")


# ------------------------------------------------------------------ counting


# Every count goes through the databases' owners: edge_agent.store for each unit.db,
# hub.store for hub.db (opened here alongside the running processes, as a console does).


def _unit(system: DemoSystem, role: str) -> LocalStore:
    return LocalStore(system.store_path(role))


def _delivered_ids(system: DemoSystem) -> set[str]:
    """Every record the units hold as acknowledged by the hub. Records filed after the
    outboxes drained (an agent's telemetry every minute) are still pending, not lost:
    counting them made a slow run report a loss (a CI run under load)."""
    ids: set[str] = set()
    for role in ("desk", "gate", "enrol"):
        with _unit(system, role) as store:
            ids.update(store.acknowledged_ids())
    return ids


def _pending(system: DemoSystem) -> int:
    total = 0
    for role in ("desk", "gate", "enrol"):
        with _unit(system, role) as store:
            total += store.outbox_depth()
    return total


def _hub_hits(system: DemoSystem, scan_ids: set[str]) -> dict[str, str]:
    """scan id -> person named, for those of ``scan_ids`` whose search at the hub was a hit."""
    with HubStore(system.hub_db) as hub:
        return {s: p for s, p in searches.hit_people(hub.db).items() if s in scan_ids}


def run_smoke(
    workdir: Path,
    *,
    people: int = PEOPLE,
    wanted: int = WANTED,
    complaints: int = 4,
    wanted_scans: int = 3,
    stranger_scans: int = 3,
    log=lambda *_: None,
    notice: Callable[[str], None] | None = None,
) -> SmokeResult:
    """Run the smoke scenario in ``workdir`` (reused); every process it starts is stopped.

    ``log`` gets the progress lines; ``notice`` (default ``log``) the lines a user must see
    even when progress is quiet: an older seed upgraded in place.
    """
    from khidmat.demo_seed import seed_records

    started = time.monotonic()
    result = SmokeResult()
    system = DemoSystem(workdir, sensor_wire_delay=False)
    try:
        for line in system.prepare():
            log(line)
        system.start(log=log)
        result.broker = system.broker
        summary = seed_records(system.hub_db, people=people, wanted=wanted)
        if summary.upgraded:
            (notice or log)(summary.upgrade_note())
        log(f"{summary.people} people on record, {summary.wanted} wanted")
        system.allow_officer(DEMO_OFFICER, DEMO_PIN)
        _wait(lambda: _gate_watchlist_version(system) >= 1, 60, "the gate's signed watchlist")
        log("gate watchlist installed")

        numbers = asyncio.run(file_complaints(system, complaints))
        result.complaints_filed = len(numbers)
        log(f"filed {numbers}")
        _wait(
            lambda: _acked_complaints(system, numbers) >= len(numbers),
            30,
            "the hub's acks of the complaints",
        )
        result.complaints_acked = _acked_complaints(system, numbers)
        work_complaints(system, numbers)
        log("complaints worked at the hub")
        result.status_updates_seen, result.feedback = asyncio.run(track_and_rate(system, numbers))

        fingers = [(finger, True) for finger in range(1, wanted_scans + 1)]
        fingers += [(STRANGER_FINGER_BASE + i, False) for i in range(stranger_scans)]
        scans = asyncio.run(scan_people(system, fingers))
        result.enrolments = int(asyncio.run(enrol_person(system, STRANGER_FINGER_BASE + 100)))

        _wait(lambda: _pending(system) == 0, 60, "every unit's outbox to drain")
        verdicts = collections.Counter(v for _, _, v, _, _ in scans)
        result.scans, result.red, result.yellow, result.green = (
            len(scans),
            verdicts["red"],
            verdicts["yellow"],
            verdicts["green"],
        )
        scan_ids = {s for _, _, _, s, _ in scans}
        _wait(
            lambda: _searched(system, scan_ids) == len(scan_ids),
            30,
            "the hub's search of every scan",
        )
        alerted = _hub_hits(system, scan_ids)
        for finger, wanted, verdict, scan_id, top in scans:
            flagged = verdict in ("red", "yellow") or scan_id in alerted
            hub_named = alerted.get(scan_id, seeded_person_id(finger)) if wanted else ""
            if wanted and verdict != "green" and top != seeded_person_id(finger):
                result.wrong_identity_hits += 1  # the gate named someone else
            elif wanted and hub_named != seeded_person_id(finger):
                result.wrong_identity_hits += 1  # the hub's search named someone else
            elif wanted and flagged:
                result.true_hits += 1
            elif wanted:
                result.missed_hits += 1
            elif flagged:
                result.false_hits += 1
        filed = _delivered_ids(system)
        with HubStore(system.hub_db) as hub:
            stored = set(hub.record_ids())
            records = hub.complaint_records_per_tracking_no()
            opened = ComplaintDesk(hub).opened_per_tracking_no()
        # The receipts shown to citizens are the independent account: each must be one
        # complaint record, opened once (side effects, not the hub's primary key).
        result.lost = len(filed - stored) + sum(1 for n in numbers if opened.get(n, 0) == 0)
        result.duplicated = sum(
            max(0, counts.get(n, 0) - 1) for counts in (records, opened) for n in numbers
        )
    finally:
        system.stop()
    result.elapsed_s = round(time.monotonic() - started, 1)
    return result


def _searched(system: DemoSystem, scan_ids: set[str]) -> int:
    with HubStore(system.hub_db) as hub:
        return len(searches.scan_ids(hub.db) & scan_ids)


def _gate_watchlist_version(system: DemoSystem) -> int:
    with _unit(system, "gate") as store:
        info = store.watchlist_info()
    return info.version if info else 0


def _acked_complaints(system: DemoSystem, numbers: list[str]) -> int:
    """How many of this run's complaints the hub has acknowledged (re-runs reuse the store)."""
    with _unit(system, "desk") as store:
        return len(store.acked_tracking_numbers() & set(numbers))


def main(workdir: Path, *, as_json: bool) -> int:
    result = run_smoke(
        workdir,
        log=(lambda *_: None) if as_json else print,
        notice=lambda line: print(line, file=sys.stderr if as_json else sys.stdout),
    )
    data = asdict(result)
    if as_json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key:>20}: {value}")
    ok = (
        result.lost == 0
        and result.duplicated == 0
        and result.missed_hits == 0
        and result.false_hits == 0
        and result.wrong_identity_hits == 0
    )
    return 0 if ok else 1
