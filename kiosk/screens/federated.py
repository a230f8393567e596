"""Gate: the other provinces' verdict on a scan (the hub's ``federated`` downlink).

Shown over whatever the officer is doing when another province holds a red or yellow
candidate (:class:`HubNoticeScreen`): each candidate's province, reference, level,
category and that province's contact desk (no name: the holding province's desk has the
record), and which provinces did not answer in time. Every field is the hub's text and is
rendered literally. Dismissing marks it handled in the store (one never seen is shown
again after a restart). A green verdict is not shown here: the app notifies it in one line.
"""

from __future__ import annotations

from textual.app import ComposeResult

from khidmat_wire.messages import Federated
from kiosk.screens.base import said
from kiosk.screens.hub_notice import HubNoticeScreen


class FederatedScreen(HubNoticeScreen):
    def __init__(self, verdict: Federated) -> None:
        heading = (
            "OTHER PROVINCE: MATCH" if verdict.verdict == "red" else "OTHER PROVINCE: POSSIBLE"
        )
        super().__init__(heading, verdict.scan_id, box_id="federated", box_classes=verdict.verdict)
        self.verdict = verdict

    def lines(self) -> ComposeResult:
        verdict = self.verdict
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
