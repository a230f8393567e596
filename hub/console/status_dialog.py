"""The status-change dialog: next status (only those the lifecycle allows), reason (kept
in the hub's audit trail), assignee, station, and the message for the citizen (shown on the
kiosk's timeline; the reason never is)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from khidmat_wire.vocabulary import TRANSITIONS


@dataclass(frozen=True, slots=True)
class StatusChoice:
    status: str
    reason: str
    assignee: str
    station: str
    message: str = ""


class StatusDialog(ModalScreen[StatusChoice | None]):
    """Choose the next status of ``tracking_no`` (now ``current``); dismisses with a choice."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, tracking_no: str, current: str, *, preselect: str = "") -> None:
        super().__init__()
        self.tracking_no = tracking_no
        self.current = current
        self.allowed = sorted(TRANSITIONS.get(current, ()))
        self.preselect = preselect if preselect in self.allowed else ""

    def compose(self) -> ComposeResult:
        with Vertical(id="status-dialog", classes="dialog"):
            yield Label(
                Content.from_markup(
                    "Change [b]$tracking[/b] (now $current)",
                    tracking=self.tracking_no,
                    current=self.current,
                )
            )
            yield Select(
                [(s, s) for s in self.allowed],
                prompt="new status",
                id="new-status",
                value=self.preselect or Select.NULL,
            )
            yield Input(placeholder="assign to (officer name or badge)", id="assignee")
            yield Input(placeholder="receiving station (for a transfer)", id="station")
            yield Input(
                placeholder="message for the citizen, shown at the kiosk (optional)",
                id="message",
                max_length=500,
            )
            yield Input(
                placeholder="reason (required; internal, never shown to the citizen)", id="reason"
            )
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#reason")
    def save(self) -> None:
        status = self.query_one("#new-status", Select).value
        reason = self.query_one("#reason", Input).value.strip()
        if status is Select.NULL:
            self.notify("Choose the new status", severity="warning")
            return
        if not reason:
            self.notify("A reason is required", severity="warning")
            return
        self.dismiss(
            StatusChoice(
                str(status),
                reason,
                self.query_one("#assignee", Input).value.strip(),
                self.query_one("#station", Input).value.strip(),
                self.query_one("#message", Input).value.strip(),
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a reason (e.g. closing an alert); dismisses with the text or None."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, markup=False)
            yield Input(placeholder="reason (required)", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#reason")
    def save(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("A reason is required", severity="warning")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
