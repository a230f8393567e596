"""Gate: the scan loop, the verdict and the officer's decision.

A worker thread runs the sensor (place, hold, lift prompts), retakes poor images, and
searches the installed watchlist; the verdict drives the GPIO at once (red: red LED,
buzzer, gate held locked; yellow: amber, locked; green: green LED, gate opens for
``open_s``) and is queued as a Scan record at once (every finger's template with its ISO
position, and the fingers recorded missing), so the hub searches its full record store
with the same fingers, fused, while the officer looks. Red and yellow wait for the officer's decision (a reason
is required for yellow and for rejecting red), queued as a second Scan record whose
``decides`` names the first. The status line always shows the watchlist version and age,
the link (records waiting for the hub and the oldest one's age) and the sensor.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static
from textual.worker import get_current_worker

from edge_agent.store import StoreFault
from khidmat_wire import WireError, make_envelope
from khidmat_wire.messages import Candidate, Scan, ScanFinger
from kiosk import identify
from kiosk.capture import Cancelled, Capture, capture_template, wait_for_lift
from kiosk.identify import (
    MIN_SCAN_QUALITY,
    Identification,
    WatchlistGallery,
    thresholds_from,
)
from kiosk.rtl_widgets import KioskFooter
from kiosk.screens.base import KioskScreen, Page, button, said, text
from kiosk.text import literal

if TYPE_CHECKING:
    from matcher_cy import Template

#: A watchlist older than this is flagged on the status line, seconds.
WATCHLIST_STALE_S = 24 * 3600
#: Records waiting longer than this mean the link is down, seconds.
LINK_STALE_S = 300

PROMPTS = {
    "place": "Place the finger flat on the sensor",
    "hold": "Hold still ... reading",
    "lift": "Lift the finger",
    "loading": "Loading the watchlist: {detail} entries ...",
    "no-sensor": "No sensor: {detail}",
    "no-watchlist": "No watchlist installed: scans cannot be checked. Check identity by hand "
    "and ask the hub operator to send the watchlist.",
    "no-finger": "Every finger was recorded missing: nothing to search. Check identity by "
    "other means; press Next person.",
    "locked": "Watchlist locked ({detail}): the hub's key is missing or has expired after "
    "too long without the hub. Check identity by hand; it opens once the hub is reachable.",
    "error": "Sensor problem: {detail}. Press Next person to try again; call a technician if it repeats.",
}
VERDICT_TEXT = {
    "red": "PROBABLE MATCH - hold the person, verify identity, confirm or reject",
    "yellow": "POSSIBLE MATCH - check the person and decide (reason required)",
    "green": "NO MATCH - let the person pass",
}


#: ISO finger position names shown with the per-finger scores.
FINGER_NAMES = {0: "finger", 1: "right thumb", 2: "right index", 6: "left thumb", 7: "left index"}
ONE_FINGER_NOTE = (
    "Searched on ONE finger only: against a large list one finger cannot give red; "
    "verify identity by other means."
)


def gate_positions(enrolled: tuple[int, ...]) -> tuple[int, ...]:
    """The fingers the gate asks for, in order: those of GATE_FINGERS the list holds
    (right index, then left index), else one finger of unknown position (0)."""
    from matcher_cy.persons import GATE_FINGERS, UNKNOWN_FINGER

    asked = tuple(position for position in GATE_FINGERS if position in enrolled)
    return asked or (UNKNOWN_FINGER,)


def finger_prompt(position: int) -> str:
    """The line naming the finger asked for ("" for a finger of unknown position)."""
    if position == 0:
        return ""
    return f"{FINGER_NAMES[position].upper()} finger (F6 if missing or injured)"


def finger_scores(candidate: identify.Candidate) -> str:
    """Each compared finger's score and the fused score, e.g. "right index 0.031, left
    index 0.027 (fused 0.048)"; a finger not compared reads "not compared"."""
    parts = [
        f"{FINGER_NAMES.get(position, f'finger {position}')} "
        + ("not compared" if score is None else f"{score:.3f}")
        for position, score in candidate.finger_scores
    ]
    if not parts:
        parts = [f"{FINGER_NAMES.get(candidate.finger, f'finger {candidate.finger}')}"]
    return ", ".join(parts) + f" (score {candidate.score:.3f})"


def age(seconds: float) -> str:
    """A short age: 45 s, 12 min, 5 h, 3 d."""
    if seconds < 90:
        return f"{max(0, seconds):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    identification: Identification
    captures: dict[int, Capture]
    """ISO position (0: not known) -> the finger's capture, in the order captured."""
    record_id: str


class GateScreen(KioskScreen):
    BINDINGS = [
        Binding("f5", "next_person", "Next person"),
        Binding("f6", "finger_missing", "Finger missing/injured"),
        Binding("f9", "sign_out", "Sign out"),
    ]

    class Prompt(Message):
        def __init__(self, stage: str, detail: str = "") -> None:
            super().__init__()
            self.stage = stage
            self.detail = detail

    class Result(Message):
        def __init__(
            self,
            identification: Identification,
            capture: Capture,
            captures: dict[int, Capture] | None = None,
        ) -> None:
            super().__init__()
            self.identification = identification
            self.capture = capture
            """The first finger's capture (its quality is shown)."""
            first = identification.fingers[0] if identification.fingers else 0
            self.captures = captures if captures is not None else {first: capture}
            """ISO position -> capture of every finger searched, in the order captured."""

    def __init__(self, officer: str) -> None:
        super().__init__()
        self.officer = officer
        self.gallery: WatchlistGallery | None = None
        self.outcome: ScanOutcome | None = None
        self.decided = False
        self.retry_note = ""
        self.finger_label = ""
        #: What the prompt says (kept here, so a recompose shows the latest one).
        self.prompt_text = PROMPTS["loading"].format(detail="0")
        self.skip_finger = threading.Event()
        #: The list is sealed and no key from the hub is held (see edge_agent.watchlist_key).
        self.locked = False
        self.scans = 0

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="status-line")
        with Page(classes="page", id="gate-page"):
            yield Static(literal(self.prompt_text), id="prompt")
            with Vertical(id="result"):
                yield Static(id="verdict")
                yield Vertical(id="candidates")
                with Vertical(id="decision"):
                    yield text("Reason for your decision", classes="label")
                    yield Input(id="reason", max_length=500)
                    yield Static(id="decision-error", classes="error")
                    with Horizontal(classes="nav"):
                        yield button("Confirm match", id="confirm", variant="error", classes="big")
                        yield button("Reject match", id="reject", variant="warning", classes="big")
            with Horizontal(classes="nav"):
                yield button("Next person (F5)", id="next", variant="primary", classes="big")
                yield button("Sign out (F9)", id="sign-out", classes="big")
        if self.kiosk.sim_panel:
            from kiosk.screens.sim_panel import SimPanel

            yield SimPanel(id="sim-panel")
        yield KioskFooter()

    def on_mount(self) -> None:
        # A language relabel at start can recompose the screen between compose and mount:
        # hide what is there rather than fail the gate's start (smoke day, once in a CI run).
        for widget in self.query("#result, #next"):
            widget.display = False
        self.refresh_status()
        context = self.kiosk.context
        if context.sensor is None:
            self.show_prompt("no-sensor", context.sensor_error or "not configured")
            self.kiosk.store.put_health("sensor", "absent")
            return
        self.load_watchlist()

    def relabel(self) -> None:  # officer screens are English only (see docs/kiosk.md)
        return

    # ------------------------------------------------------------- status line
    def refresh_status(self) -> None:
        if not self.query("#status-line"):
            return  # not composed yet
        context = self.kiosk.context
        store = context.store
        now_s = context.now_ms() / 1000
        info = store.watchlist_info()
        stale = False
        if self.locked and context.runtime_dir is not None:
            from edge_agent.watchlist_key import KeyFile

            if KeyFile(context.runtime_dir).get(context.now_ms()) is not None:
                self.locked = False
                self.load_watchlist()
        if info is None:
            watchlist = "Watchlist: NONE installed"
            stale = True
            if self.gallery is not None and self.gallery.version != 0:
                self.load_watchlist()
        else:
            watch_age = now_s - info.issued_at_ms / 1000
            stale |= watch_age > WATCHLIST_STALE_S
            watchlist = f"Watchlist v{info.version}, {info.entries} entries, {age(watch_age)} old"
            if self.gallery is not None and self.gallery.version != info.version:
                self.load_watchlist()
        depth = store.outbox_depth()
        if depth == 0:
            link = "Link: all delivered"
        else:
            oldest = store.oldest_unacked_ms() or context.now_ms()
            wait = now_s - oldest / 1000
            stale |= wait > LINK_STALE_S
            link = f"Link: {depth} waiting, oldest {age(wait)}"
        sensor = store.health("sensor") or "unknown"
        line = f"Officer {self.officer} | {watchlist} | {link} | Sensor {sensor}"
        status = self.query_one("#status-line", Static)
        status.update(literal(line))
        status.set_class(stale, "stale")

    # ------------------------------------------------------------------ workers
    @work(thread=True, exclusive=True, group="watchlist")
    def load_watchlist(self) -> None:
        def progress(done: int, total: int) -> None:
            if self.gallery is None:  # a reload keeps scanning with the installed list
                self.post_message(self.Prompt("loading", f"{done:,} of {total:,}"))

        from edge_agent.watchlist_key import KeyFile, WatchlistLocked

        context = self.kiosk.context
        runtime = context.runtime_dir
        key = None if runtime is None else KeyFile(runtime).get(context.now_ms())
        prepared = None if runtime is None or key is None else runtime / "watchlist"
        try:
            gallery = WatchlistGallery.load(context.store, progress, key=key, prepared=prepared)
        except WatchlistLocked as locked:
            self.locked = True  # refresh_status loads it again once the key is held
            self.post_message(self.Prompt("locked", str(locked)))
            return
        self.locked = False
        self.app.call_from_thread(self.watchlist_loaded, gallery)

    def watchlist_loaded(self, gallery: WatchlistGallery) -> None:
        waiting = self.gallery is None or len(self.gallery) == 0
        self.gallery = gallery
        if gallery.skipped:
            self.notify(
                f"{gallery.skipped} watchlist entries unreadable", severity="error", markup=False
            )
        if len(gallery) == 0:
            # a search of nothing would say "no match" for everyone: do not scan
            self.workers.cancel_group(self, "scan")
            self.show_prompt("no-watchlist")
            self.query_one("#result").display = False
            return
        if waiting:
            self.start_scan()

    def start_scan(self) -> None:
        self.outcome = None
        self.decided = False
        self.query_one("#result").display = False
        self.query_one("#next").display = False
        board = self.kiosk.context.board
        if board is not None:
            board.outputs.idle()
        self.scan()

    @work(thread=True, exclusive=True, group="scan")
    def scan(self) -> None:
        """Capture every finger the list holds (right index, then left index; F6 records
        one as missing), each until a usable image, then search; runs on a worker thread."""
        from edge_agent.sensor import SensorError

        context = self.kiosk.context
        worker = get_current_worker()
        skip = self.skip_finger

        def cancelled() -> bool:
            return worker.is_cancelled or skip.is_set()

        def prompt(stage: str, detail: str) -> None:
            self.post_message(self.Prompt(stage, detail))

        assert context.sensor is not None
        gallery = self.gallery
        assert gallery is not None
        probes: dict[int, Template] = {}
        captures: dict[int, Capture] = {}
        missing: list[int] = []
        first: Capture | None = None
        try:
            with context.sensor_lock:
                dpi = context.sensor.info().dpi
            for position in gate_positions(gallery.positions):
                skip.clear()
                prompt("finger", finger_prompt(position))
                try:
                    capture = self.capture_usable(dpi, prompt, cancelled)
                except Cancelled:
                    if worker.is_cancelled:
                        return
                    missing.append(position)  # F6: missing or injured
                    continue
                if capture is None:
                    return
                probes[position] = capture.template
                captures[position] = capture
                first = first or capture
                if len(probes) + len(missing) < len(gate_positions(gallery.positions)):
                    wait_for_lift(context.sensor, context.sensor_lock, lambda: worker.is_cancelled)
            prompt("finger", "")
            if first is None:
                prompt("no-finger", "")
                return
            settings = context.store.settings()
            _, problem = thresholds_from(settings, len(gallery), len(probes))
            if problem:
                self.app.call_from_thread(
                    self.notify, f"{problem}; using the defaults", severity="error", markup=False
                )
            identification = gallery.identify(probes, settings=settings, missing=tuple(missing))
            self.post_message(self.Result(identification, first, captures))
            wait_for_lift(context.sensor, context.sensor_lock, lambda: worker.is_cancelled)
        except Cancelled:
            return
        except SensorError as error:
            context.store.put_health("sensor", "fault")
            prompt("error", str(error))

    def capture_usable(
        self, dpi: int, prompt: Callable[[str, str], None], cancelled: Callable[[], bool]
    ) -> Capture | None:
        """Capture until the quality check passes (worker thread); None when cancelled
        between tries; raises Cancelled while waiting for the finger."""
        context = self.kiosk.context
        assert context.sensor is not None
        while not cancelled():
            capture = capture_template(
                context.sensor, context.sensor_lock, prompt, cancelled, dpi=dpi, wait_lift=False
            )
            if capture.template.quality >= MIN_SCAN_QUALITY:
                return capture
            prompt("retry", str(capture.template.quality))
            wait_for_lift(context.sensor, context.sensor_lock, cancelled)
        if self.skip_finger.is_set():
            raise Cancelled()
        return None

    def action_finger_missing(self) -> None:
        """F6: the finger asked for is missing or injured; recorded, the scan goes on."""
        self.skip_finger.set()

    # ------------------------------------------------------------------ events
    def show_prompt(self, stage: str, detail: str = "") -> None:
        message = PROMPTS[stage].format(detail=detail)
        if stage == "place" and self.retry_note:
            message = f"{self.retry_note}\n{message}"
        if stage == "place" and self.finger_label:
            message = f"{self.finger_label}\n{message}"
        self.set_prompt(message)

    def set_prompt(self, message: str) -> None:
        """Show ``message`` (literal text) as the prompt. A scan worker's prompt can
        arrive while the screen has no widgets (closing, or recomposing): it is kept
        for the next compose rather than failing the gate."""
        self.prompt_text = message
        for prompt in self.query("#prompt").results(Static):
            prompt.update(literal(message))

    @on(Prompt)
    def prompted(self, event: Prompt) -> None:
        if event.stage == "finger":
            self.finger_label = event.detail
            return
        if event.stage in ("lift", "retry"):
            for panel in self.query("#sim-panel"):
                panel.finger_should_lift()  # type: ignore[attr-defined]
        if event.stage == "retry":
            self.retry_note = (
                f"Image too poor (quality {event.detail}, need {MIN_SCAN_QUALITY}): "
                "clean the finger, press flat and try again."
            )
            self.set_prompt(self.retry_note + "\nLift the finger")
            return
        if event.stage in ("no-finger", "error"):
            for next_button in self.query("#next"):
                next_button.display = True
        if event.stage == "error":
            board = self.kiosk.context.board
            if board is not None:
                board.outputs.show_error()
        self.show_prompt(event.stage, event.detail)

    @on(Result)
    def resulted(self, event: Result) -> None:
        self.retry_note = ""
        self.scans += 1
        self.kiosk.last_activity = time.monotonic()  # a scan is officer activity
        identification = event.identification
        context = self.kiosk.context
        if context.board is not None:
            context.board.outputs.show_verdict(identification.verdict)  # type: ignore[arg-type]
        record_id = self.queue_scan(identification, event.captures)
        self.outcome = ScanOutcome(identification, event.captures, record_id)
        verdict = identification.verdict
        self.set_prompt("Lift the finger")
        if not self.query("#verdict"):
            return  # the screen is closing: the scan is queued, there is nothing to show
        panel = self.query_one("#verdict", Static)
        panel.update(literal(VERDICT_TEXT[verdict]))
        panel.set_classes(verdict)
        candidates = self.query_one("#candidates", Vertical)
        candidates.remove_children()
        lines = [
            said(
                f"{i}. {c.name} ({c.person_id}), {c.status}, {finger_scores(c)}",
                classes="candidate",
            )
            for i, c in enumerate(identification.candidates, start=1)
        ]
        for position in identification.missing:
            name = FINGER_NAMES.get(position, f"finger {position}")
            lines.append(said(f"{name}: recorded missing or injured", classes="hint"))
        if len(identification.fingers) == 1:
            lines.append(text(ONE_FINGER_NOTE, classes="hint"))
        lines.append(
            text(
                f"probe quality {event.capture.template.quality}, search {identification.search_s * 1000:.0f} ms "
                f"over watchlist v{identification.watchlist_version}",
                classes="hint",
            )
        )
        candidates.mount(*lines)
        self.query_one("#decision").display = verdict != "green"
        self.query_one("#decision-error", Static).update("")
        self.query_one("#reason", Input).value = ""
        self.query_one("#result").display = True
        self.query_one("#next").display = verdict == "green"
        if verdict == "green":
            hold_s = context.board.outputs.open_s if context.board is not None else 3.0
            self.set_timer(hold_s, self.auto_next)
        else:
            self.query_one("#reason").focus()

    def auto_next(self) -> None:
        if self.outcome is not None and self.outcome.identification.verdict == "green":
            self.start_scan()

    def queue_scan(
        self,
        identification: Identification,
        captures: dict[int, Capture],
        *,
        decision: str = "none",
        reason: str = "",
        decides: str = "",
    ) -> str:
        (first, capture), *others = captures.items()
        body = Scan(
            officer=self.officer,
            template=base64.b64encode(capture.template.to_bytes()).decode(),
            quality=capture.template.quality,
            verdict=identification.verdict,
            candidates=tuple(
                Candidate(c.person_id, round(c.score, 6), c.finger)
                for c in identification.candidates
            ),
            watchlist_version=identification.watchlist_version,
            decision=decision,
            decision_reason=reason,
            decides=decides,
            finger=first,
            more_fingers=tuple(
                ScanFinger(
                    position,
                    base64.b64encode(other.template.to_bytes()).decode(),
                    other.template.quality,
                )
                for position, other in others
            ),
            missing=identification.missing if first else (),
        )
        context = self.kiosk.context
        try:
            return context.store.enqueue(
                make_envelope("scan", context.device_id, body, now_ms=context.now_ms()),
                audit=f"{self.officer}: {identification.verdict} {decision}",
            )
        except StoreFault as fault:  # the verdict stands; the record cannot be kept
            self.kiosk.report_store_fault(fault)
            self.notify(
                f"This scan was not saved ({fault.kind}): the hub will not hear of it. "
                "Act on the verdict and call a technician.",
                severity="error",
                markup=False,
            )
            return ""

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        key = event.button.id
        if key in ("confirm", "reject"):
            self.decide("confirmed" if key == "confirm" else "rejected")
        elif key == "next":
            self.action_next_person()
        elif key == "sign-out":
            self.action_sign_out()

    def decide(self, decision: str) -> None:
        outcome = self.outcome
        if outcome is None or self.decided:
            return
        from kiosk.text import clean_input

        reason = clean_input(self.query_one("#reason", Input).value)
        verdict = outcome.identification.verdict
        if not reason and (verdict == "yellow" or decision == "rejected"):
            self.query_one("#decision-error", Static).update(
                literal("Write the reason for your decision first.")
            )
            self.query_one("#reason").focus()
            return
        try:
            self.queue_scan(
                outcome.identification,
                outcome.captures,
                decision=decision,
                reason=reason,
                decides=outcome.record_id,
            )
        except WireError as error:
            self.query_one("#decision-error", Static).update(literal(str(error)))
            return
        self.decided = True
        self.query_one("#decision").display = False
        self.query_one("#next").display = True
        self.query_one("#verdict", Static).update(
            literal(f"{VERDICT_TEXT[verdict].split(' - ')[0]} - {decision} by {self.officer}")
        )
        self.query_one("#next").focus()

    def action_next_person(self) -> None:
        outcome = self.outcome
        if outcome is not None and outcome.identification.verdict != "green" and not self.decided:
            self.query_one("#decision-error", Static).update(
                literal("Confirm or reject the match first.")
            )
            return
        self.start_scan()

    def action_sign_out(self) -> None:
        from kiosk.screens.signin import SignInScreen

        self.workers.cancel_group(self, "scan")
        board = self.kiosk.context.board
        if board is not None:
            board.outputs.idle()
        self.kiosk.store.audit(self.officer, "signed out", "gate")
        self.app.switch_screen(SignInScreen())
