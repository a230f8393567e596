"""Gate: what every dialog the hub pushes shares (the alert and the other provinces' verdict).

Shown over whatever the officer is doing, at once: a box with a title, the notice's own
lines, the scan it is about and a Seen button that has focus; Seen or Escape dismisses it
with True (the app then marks it handled in the store). Every field is the hub's text and
is rendered literally; nothing is relabelled on a language switch (the hub's text is not
translated).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button

from kiosk.screens.base import KioskModal, button, text


class HubNoticeScreen(KioskModal):
    """A hub notice: ``heading`` over the lines a subclass gives (:meth:`lines`), then
    ``scan_id``, in a box with id ``box_id`` and classes ``box_classes`` (kiosk.tcss)."""

    BINDINGS = [Binding("escape", "seen", "Seen")]
    AUTO_FOCUS = "#seen"

    def __init__(self, heading: str, scan_id: str, *, box_id: str, box_classes: str = "") -> None:
        super().__init__()
        self.heading = heading
        self.scan_id = scan_id
        self.box_id = box_id
        self.box_classes = box_classes

    def lines(self) -> ComposeResult:
        """The notice's own lines, between the heading and the scan."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id=self.box_id, classes=self.box_classes):
            yield text(self.heading, classes="title")
            yield from self.lines()
            yield text(f"scan {self.scan_id}", classes="hint")
            yield button("Seen", id="seen", variant="error", classes="big")

    def relabel(self) -> None:
        return

    @on(Button.Pressed, "#seen")
    def action_seen(self) -> None:
        self.dismiss(True)
