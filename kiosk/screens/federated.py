"""Gate: the other provinces' verdict on a scan (the hub's ``federated`` downlink).

Shown over whatever the officer is doing when another province holds a red or yellow
candidate: each candidate's province, reference, level, category and that province's
contact desk (no name: the holding province's desk has the record), and which provinces
did not answer in time. Every field is the hub's text and is rendered literally.
Dismissing marks it handled in the store (one never seen is shown again after a restart).
A green verdict is not shown here: the app notifies it in one line.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button

from khidmat_wire.messages import Federated
from kiosk.screens.base import KioskModal, button, said, text


class FederatedScreen(KioskModal):
    BINDINGS = [Binding("escape", "seen", "Seen")]

    def __init__(self, verdict: Federated) -> None:
        super().__init__()
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        verdict = self.verdict
        title = "OTHER PROVINCE: MATCH" if verdict.verdict == "red" else "OTHER PROVINCE: POSSIBLE"
        with Vertical(id="federated", classes=verdict.verdict):
            yield text(title, classes="title")
            for index, candidate in enumerate(verdict.candidates[:5]):
                yield said(
                    f"{candidate.province}: {candidate.ref}, {candidate.level}, "
                    f"{candidate.category}, score {candidate.score:.3f}; call {candidate.desk}",
                    classes="value",
                    id=f"federated-{index}",
                )
            yield said(verdict.message, classes="guidance", id="federated-message")
            if verdict.not_answered:
                yield said(
                    "not answered: " + ", ".join(verdict.not_answered),
                    classes="hint",
                    id="federated-missing",
                )
            yield text(f"scan {verdict.scan_id}", classes="hint")
            yield button("Seen", id="seen", variant="error", classes="big")

    def on_mount(self) -> None:
        self.query_one("#seen").focus()

    def relabel(self) -> None:
        return

    @on(Button.Pressed, "#seen")
    def action_seen(self) -> None:
        self.dismiss(True)
