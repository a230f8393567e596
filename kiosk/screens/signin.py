"""Gate and enrol: officer sign-in with badge and PIN (checked against the hub's list)."""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from kiosk.officers import sign_in
from kiosk.rtl_widgets import KioskFooter
from kiosk.screens.base import KioskScreen, button, text
from kiosk.text import literal
from kiosk.validation import DIGITS_RESTRICT, digits

#: Failed sign-ins in a row before the unit refuses attempts for LOCKOUT_S.
MAX_FAILURES = 5
LOCKOUT_S = 60.0


class SignInScreen(KioskScreen):
    """Officers sign in before scanning or enrolling.

    Five failures in a row on this screen pause it for 60 s (any badge); five wrong PINs
    for one badge lock that badge for 15 min (:func:`kiosk.officers.sign_in`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.error = ""

    def compose(self) -> ComposeResult:
        mode = self.kiosk.mode
        title = "Gate identification" if mode == "gate" else "Enrolment"
        with Vertical(classes="page"):
            yield text(f"{title}: officer sign-in", classes="title")
            yield text(
                f"Unit {self.kiosk.context.device_id}, station {self.kiosk.context.station}",
                classes="hint",
            )
            yield text("Badge id", classes="label")
            yield Input(id="badge", placeholder="e.g. QTA-1021", max_length=64)
            yield text("PIN", classes="label")
            yield Input(id="pin", password=True, max_length=8, restrict=DIGITS_RESTRICT)
            yield text(self.error, classes="error", id="error")
            with Horizontal(classes="nav"):
                yield button("Sign in", id="sign-in", variant="primary", classes="big")
        yield KioskFooter()

    @on(Input.Submitted, "#badge")
    def next_field(self) -> None:
        self.query_one("#pin").focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in")
    def submit(self) -> None:
        badge = self.query_one("#badge", Input).value
        pin = digits(self.query_one("#pin", Input).value)
        self.verify(badge, pin)

    @work(thread=True, exclusive=True, group="sign-in")
    def verify(self, badge: str, pin: str) -> None:
        """argon2id takes a few hundred milliseconds: off the UI thread."""
        kiosk = self.kiosk
        wait_s = kiosk.sign_in_locked_until - time.monotonic()
        if wait_s > 0:
            reason = f"Too many failed sign-ins: wait {wait_s:.0f} s."
            self.app.call_from_thread(self.signed_in, None, reason)
            return
        officer, reason = sign_in(
            kiosk.store,
            badge,
            pin,
            now_ms=kiosk.context.now_ms(),
            device_id=kiosk.context.device_id,
        )
        self.app.call_from_thread(self.signed_in, officer, reason)

    def signed_in(self, officer: str | None, reason: str) -> None:
        kiosk = self.kiosk
        if officer is None and not reason.startswith("Too many"):
            kiosk.sign_in_failures += 1
            if kiosk.sign_in_failures >= MAX_FAILURES:
                kiosk.sign_in_failures = 0
                kiosk.sign_in_locked_until = time.monotonic() + LOCKOUT_S
                reason += f" Sign-in locked for {LOCKOUT_S:.0f} s."
        elif officer is not None:
            kiosk.sign_in_failures = 0
        if officer is None:
            self.query_one("#error", Static).update(literal(reason))
            self.query_one("#pin", Input).value = ""
            self.kiosk.store.audit("kiosk", "sign-in refused", reason)
            return
        self.kiosk.store.audit(officer, "signed in", self.kiosk.mode)
        if self.kiosk.mode == "gate":
            from kiosk.screens.gate import GateScreen

            self.app.switch_screen(GateScreen(officer))
        else:
            from kiosk.screens.enrol import EnrolScreen

            self.app.switch_screen(EnrolScreen(officer))
