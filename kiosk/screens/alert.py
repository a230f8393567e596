"""Gate: an alert pushed by the hub (its search of the full record store found someone).

Shown over whatever the officer is doing, at once; every field is the hub's text and is
rendered literally. Dismissing marks the alert handled in the store (an alert that was
never seen is shown again after a restart).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button

from khidmat_wire.messages import Alert
from kiosk.screens.base import KioskModal, button, said, text


class AlertScreen(KioskModal):
    BINDINGS = [Binding("escape", "seen", "Seen")]

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert

    def compose(self) -> ComposeResult:
        alert = self.alert
        with Vertical(id="alert"):
            yield text("HUB ALERT", classes="title")
            yield said(f"{alert.name} ({alert.person_id})", classes="value", id="alert-name")
            yield said(f"status {alert.status}, score {alert.score:.3f}", classes="value")
            yield said(alert.message, classes="guidance", id="alert-message")
            yield text(f"scan {alert.scan_id}", classes="hint")
            yield button("Seen", id="seen", variant="error", classes="big")

    def on_mount(self) -> None:
        self.query_one("#seen").focus()

    def relabel(self) -> None:
        return

    @on(Button.Pressed, "#seen")
    def action_seen(self) -> None:
        self.dismiss(True)
