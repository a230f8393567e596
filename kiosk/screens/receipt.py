"""Desk: the tracking number, large, with a QR code, as soon as the complaint is queued."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen, button, text
from kiosk.widgets import BigText, QRCode


class ReceiptScreen(KioskScreen):
    AUTO_FOCUS = "#done"
    BINDINGS = [Binding("f12", "app.quick_exit", N_("Clear"), priority=True)]
    dirty = True

    def __init__(self, tracking_no: str) -> None:
        super().__init__()
        self.tracking_no = tracking_no

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(classes=f"page {self.rtl_class}"):
            yield text(t("Your complaint is registered."), classes="title")
            yield text(t("Your tracking number"), classes="label")
            yield BigText(self.tracking_no, id="tracking-big", classes="tracking-big")
            with Horizontal(classes="receipt"):
                yield QRCode(self.tracking_no, id="qr")
                yield text(self.tracking_no, classes="tracking-no", id="tracking-no")
            yield text(
                t(
                    "Write it down or take a photo of the code. Use it to track your complaint here."
                ),
                classes="lead",
            )
            yield button(t("Done"), id="done", variant="primary", classes="big")
        yield Footer()

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.kiosk.action_quick_exit()
