"""Gate: an alert pushed by the hub (its search of the full record store found someone).

Shown over whatever the officer is doing, at once (:class:`HubNoticeScreen`); every field
is the hub's text and is rendered literally. Dismissing marks the alert handled in the
store (an alert that was never seen is shown again after a restart).
"""

from __future__ import annotations

from textual.app import ComposeResult

from khidmat_wire.messages import Alert
from kiosk.screens.base import said
from kiosk.screens.hub_notice import HubNoticeScreen


class AlertScreen(HubNoticeScreen):
    def __init__(self, alert: Alert) -> None:
        super().__init__("HUB ALERT", alert.scan_id, box_id="alert")
        self.alert = alert

    def lines(self) -> ComposeResult:
        alert = self.alert
        yield said(f"{alert.name} ({alert.person_id})", classes="value", id="alert-name")
        yield said(f"status {alert.status}, score {alert.score:.3f}", classes="value")
        yield said(alert.message, classes="guidance", id="alert-message")
