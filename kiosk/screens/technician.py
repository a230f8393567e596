"""Ctrl-T: a technician or officer signs in with badge and PIN to unlock the kiosk's own keys.

Citizen screens have no quit, command palette, screenshot or Ctrl-C prompt; after a
valid sign-in (the officer list and per-badge lockout of :mod:`kiosk.officers`) they are
live until the technician mode ends (``technician_s``, Ctrl-T again, or the idle clear).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from kiosk.officers import sign_in
from kiosk.screens.base import KioskModal, button, text
from kiosk.text import literal
from kiosk.validation import DIGITS_RESTRICT, digits


class TechnicianScreen(KioskModal):
    """Badge and PIN; dismissed with the signed-in badge, or None (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Back")]

    def compose(self) -> ComposeResult:
        with Vertical(id="technician"):
            yield text("Technician or officer sign-in", classes="title")
            yield text("Badge id", classes="label")
            yield Input(id="badge", max_length=64)
            yield text("PIN", classes="label")
            yield Input(id="pin", password=True, max_length=8, restrict=DIGITS_RESTRICT)
            yield Static(id="error", classes="error")
            with Horizontal(classes="nav"):
                yield button("Sign in", id="sign-in", variant="primary")
                yield button("Back", id="cancel")

    def relabel(self) -> None:  # officer text is English only (see docs/kiosk.md)
        return

    @on(Input.Submitted, "#badge")
    def next_field(self) -> None:
        self.query_one("#pin").focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in")
    def submit(self) -> None:
        pin = digits(self.query_one("#pin", Input).value)
        self.verify(self.query_one("#badge", Input).value, pin)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="technician")
    def verify(self, badge: str, pin: str) -> None:
        """argon2id takes a few hundred milliseconds: off the UI thread."""
        kiosk = self.kiosk
        officer, reason = sign_in(
            kiosk.store,
            badge,
            pin,
            now_ms=kiosk.context.now_ms(),
            device_id=kiosk.context.device_id,
        )
        self.app.call_from_thread(self.answered, officer, reason)

    def answered(self, officer: str | None, reason: str) -> None:
        if officer is None:
            self.query_one("#error", Static).update(literal(reason))
            self.query_one("#pin", Input).value = ""
            self.kiosk.store.audit("kiosk", "technician sign-in refused", reason)
            return
        self.dismiss(officer)
