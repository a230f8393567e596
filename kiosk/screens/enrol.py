"""Enrol: a person's record and fingerprints, filed as one Enrolment record.

The officer types the record (name, father's name, CNIC when known, offences, status),
picks a finger and captures ``IMPRESSIONS_PER_FINGER`` impressions with live prompts and
each impression's quality; the impressions are consolidated (best quality kept, the
others must match it) and the finger is added. Both index fingers are required (the
gate searches with both; after the right index the left is selected): one that is
missing or injured is recorded as such ("Finger missing", F7; in the audit line).
Submit queues the Enrolment for the hub.
"""

from __future__ import annotations

import base64
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Select, Static
from textual.worker import get_current_worker

from khidmat_wire import WireError, make_envelope
from khidmat_wire.messages import PERSON_STATUSES, EnrolledFinger, Enrolment
from kiosk import validation
from kiosk.capture import Cancelled, Capture, capture_template
from kiosk.enrol import (
    FINGER_NAMES,
    IMPRESSIONS_PER_FINGER,
    INDEX_FINGERS,
    Consolidated,
    consolidate,
)
from kiosk.rtl_widgets import KioskFooter
from kiosk.screens.base import KioskScreen, Page, button, text
from kiosk.text import clean_input, literal, shown

MAX_OFFENCES = 20
OFFENCE_MAX_CHARS = 100

PROMPTS = {
    "place": "Place the finger flat on the sensor",
    "hold": "Hold still ... reading",
    "lift": "Lift the finger",
}


class EnrolScreen(KioskScreen):
    BINDINGS = [
        Binding("f6", "capture", "Capture impression"),
        Binding("f7", "finger_missing", "Finger missing"),
        Binding("f9", "sign_out", "Sign out"),
    ]

    class Prompt(Message):
        def __init__(self, stage: str) -> None:
            super().__init__()
            self.stage = stage

    class Captured(Message):
        def __init__(self, capture: Capture | None, error: str = "") -> None:
            super().__init__()
            self.capture = capture
            self.error = error

    def __init__(self, officer: str) -> None:
        super().__init__()
        self.officer = officer
        self.impressions: list[Capture] = []
        self.fingers: dict[int, Consolidated] = {}
        self.missing: set[int] = set()
        self.capturing = False
        self.last_record_id = ""

    def relabel(self) -> None:  # officer screens are English only (see docs/kiosk.md)
        return

    def compose(self) -> ComposeResult:
        with Page(classes="page"):
            yield text(f"Enrolment - officer {self.officer}", classes="title")
            yield text("Name", classes="label")
            yield Input(id="name", max_length=validation.NAME_MAX)
            yield text("Father's name", classes="label")
            yield Input(id="father", max_length=validation.NAME_MAX)
            yield text("CNIC (leave empty when unknown)", classes="label")
            yield Input(id="cnic", placeholder="42101-1234567-1", max_length=20)
            yield text(
                "Offences (PPC sections or short text, separated by commas)", classes="label"
            )
            yield Input(id="offences", placeholder="302 PPC, 392 PPC")
            yield text("Record status", classes="label")
            yield Select(
                [(s, s) for s in PERSON_STATUSES], value="wanted", allow_blank=False, id="status"
            )
            yield text("Finger", classes="label")
            yield Select(
                [(f"{n} {name}", n) for n, name in FINGER_NAMES.items()],
                value=2,
                allow_blank=False,
                id="finger",
            )
            yield Static(literal("Press Capture to take the first impression."), id="prompt")
            yield Static(id="impressions")
            yield Static(id="fingers")
            yield Static(id="form-error", classes="error")
            yield Static(id="last", classes="hint")
            with Horizontal(classes="nav"):
                yield button(
                    "Capture impression (F6)", id="capture", variant="primary", classes="big"
                )
                yield button("Finger missing (F7)", id="missing", classes="big")
                yield button("Submit enrolment", id="submit", variant="success", classes="big")
                yield button("Clear", id="clear", classes="big")
                yield button("Sign out (F9)", id="sign-out", classes="big")
        if self.kiosk.sim_panel:
            from kiosk.screens.sim_panel import SimPanel

            yield SimPanel(id="sim-panel")
        yield KioskFooter()

    def on_mount(self) -> None:
        if self.kiosk.context.sensor is None:
            self.query_one("#prompt", Static).update(
                literal(f"No sensor: {self.kiosk.context.sensor_error or 'not configured'}")
            )
            self.query_one("#capture").disabled = True
        self.query_one("#name").focus()

    # ---------------------------------------------------------------- capture
    def action_capture(self) -> None:
        if self.capturing or self.kiosk.context.sensor is None:
            return
        self.capturing = True
        self.query_one("#capture").disabled = True
        self.capture()

    @work(thread=True, exclusive=True, group="capture")
    def capture(self) -> None:
        from edge_agent.sensor import SensorError

        context = self.kiosk.context
        worker = get_current_worker()
        assert context.sensor is not None
        try:
            with context.sensor_lock:
                dpi = context.sensor.info().dpi
            result = capture_template(
                context.sensor,
                context.sensor_lock,
                lambda stage, _: self.post_message(self.Prompt(stage)),
                lambda: worker.is_cancelled,
                dpi=dpi,
            )
        except Cancelled:
            return
        except SensorError as error:
            context.store.put_health("sensor", "fault")
            self.post_message(self.Captured(None, str(error)))
            return
        self.post_message(self.Captured(result))

    @on(Prompt)
    def prompted(self, event: Prompt) -> None:
        n = len(self.impressions) + 1
        self.query_one("#prompt", Static).update(
            literal(f"Impression {n} of {IMPRESSIONS_PER_FINGER}: {PROMPTS[event.stage]}")
        )
        if event.stage == "lift":
            for panel in self.query("#sim-panel"):
                panel.finger_should_lift()  # type: ignore[attr-defined]

    @on(Captured)
    def captured(self, event: Captured) -> None:
        self.capturing = False
        self.kiosk.last_activity = time.monotonic()  # a capture is officer activity
        self.query_one("#capture").disabled = False
        prompt = self.query_one("#prompt", Static)
        if event.capture is None:
            prompt.update(literal(f"Sensor problem: {event.error}"))
            return
        self.impressions.append(event.capture)
        finger = int(self.query_one("#finger", Select).value)  # type: ignore[arg-type]
        lines = [
            f"Impression {i}: quality {c.template.quality}, {len(c.template)} minutiae"
            for i, c in enumerate(self.impressions, start=1)
        ]
        self.query_one("#impressions", Static).update(literal("\n".join(lines)))
        if len(self.impressions) < IMPRESSIONS_PER_FINGER:
            prompt.update(literal("Press Capture for the next impression of the same finger."))
            return
        result = consolidate([c.template for c in self.impressions])
        self.impressions = []
        if not result.ok:
            prompt.update(literal(f"Not accepted: {result.problem}. Capture this finger again."))
            return
        self.fingers[finger] = result
        self.missing.discard(finger)
        still = self.index_fingers_needed()
        after = (
            f"Now the {FINGER_NAMES[still[0]]}: press Capture (F7 if it is missing or injured)."
            if still
            else "Choose another finger or submit."
        )
        if still:
            self.query_one("#finger", Select).value = still[0]
        prompt.update(
            literal(f"{FINGER_NAMES[finger]} accepted (quality {result.quality}). {after}")
        )
        self.show_fingers()

    def index_fingers_needed(self) -> list[int]:
        """Index fingers neither captured nor recorded missing (right index first)."""
        return [n for n in INDEX_FINGERS if n not in self.fingers and n not in self.missing]

    def action_finger_missing(self) -> None:
        """F7: the selected finger is missing or injured; recorded, not captured."""
        if self.capturing:
            return
        finger = int(self.query_one("#finger", Select).value)  # type: ignore[arg-type]
        if finger in self.fingers:
            self.form_error(f"The {FINGER_NAMES[finger]} is captured already.")
            return
        self.missing.add(finger)
        self.impressions = []
        self.query_one("#impressions", Static).update("")
        still = self.index_fingers_needed()
        if still:
            self.query_one("#finger", Select).value = still[0]
        self.query_one("#prompt", Static).update(
            literal(f"{FINGER_NAMES[finger]} recorded missing or injured.")
        )
        self.show_fingers()

    def show_fingers(self) -> None:
        lines = [
            f"Enrolled: {n} {FINGER_NAMES[n]}, quality {c.quality}, agreement "
            + ", ".join(f"{s:.3f}" for s in c.agreement)
            for n, c in sorted(self.fingers.items())
        ]
        lines += [f"Missing or injured: {n} {FINGER_NAMES[n]}" for n in sorted(self.missing)]
        self.query_one("#fingers", Static).update(literal("\n".join(lines)))

    # ----------------------------------------------------------------- submit
    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        key = event.button.id
        if key == "capture":
            self.action_capture()
        elif key == "submit":
            self.submit()
        elif key == "missing":
            self.action_finger_missing()
        elif key == "clear":
            self.clear()
        elif key == "sign-out":
            self.action_sign_out()

    def form_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(literal(message))

    def submit(self) -> None:
        value = lambda key: self.query_one(f"#{key}", Input).value  # noqa: E731
        name, error = validation.check_name(value("name"))
        if error:
            return self.form_error("Name: write the person's name (at most 100 letters).")
        father, error = validation.check_name(value("father"))
        if error:
            return self.form_error("Father's name: write it (at most 100 letters).")
        cnic = ""
        if value("cnic").strip():
            cnic, error = validation.check_cnic(value("cnic"))
            if error:
                return self.form_error("CNIC: 13 digits, like 42101-1234567-1, or leave it empty.")
        offences = [clean_input(o) for o in value("offences").split(",") if clean_input(o)]
        if len(offences) > MAX_OFFENCES or any(len(o) > OFFENCE_MAX_CHARS for o in offences):
            return self.form_error(
                f"Offences: at most {MAX_OFFENCES}, each at most {OFFENCE_MAX_CHARS} letters."
            )
        if not self.fingers:
            return self.form_error("Capture at least one finger first.")
        if self.index_fingers_needed():
            return self.form_error(
                "Capture both index fingers (right index, left index), or record the one "
                "that is missing or injured (F7)."
            )
        body = Enrolment(
            officer=self.officer,
            name=name or "",
            father_name=father or "",
            cnic=cnic or "",
            offences=tuple(offences),
            status=str(self.query_one("#status", Select).value),
            fingers=tuple(
                EnrolledFinger(n, base64.b64encode(c.template.to_bytes()).decode(), c.quality)
                for n, c in sorted(self.fingers.items())
            ),
        )
        context = self.kiosk.context
        try:
            self.last_record_id = context.store.enqueue(
                make_envelope("enrolment", context.device_id, body, now_ms=context.now_ms()),
                audit=f"{self.officer}: enrolment, {len(self.fingers)} fingers"
                + "".join(f", {FINGER_NAMES[n]} missing" for n in sorted(self.missing)),
            )
        except WireError as wire_error:
            return self.form_error(str(wire_error))  # the form stays as it is
        self.clear()
        self.query_one("#prompt", Static).update(
            literal(f"Enrolment of {name} queued for the hub (record {self.last_record_id}).")
        )
        self.query_one("#last", Static).update(shown(f"Last enrolled: {name}"))
        return None

    def clear(self) -> None:
        for key in ("name", "father", "cnic", "offences"):
            self.query_one(f"#{key}", Input).value = ""
        self.fingers = {}
        self.missing = set()
        self.impressions = []
        self.query_one("#finger", Select).value = INDEX_FINGERS[0]
        self.query_one("#impressions", Static).update("")
        self.query_one("#fingers", Static).update("")
        self.form_error("")
        self.query_one("#name").focus()

    def action_sign_out(self) -> None:
        from kiosk.screens.signin import SignInScreen

        self.workers.cancel_group(self, "capture")
        self.kiosk.store.audit(self.officer, "signed out", "enrol")
        self.app.switch_screen(SignInScreen())
