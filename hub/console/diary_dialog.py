"""Dialogs of the diary pane: an officer's entry (or a correction) and a yes/no question.

The entry dialog offers only the kinds an officer may add (the hub's own kinds are written
by the hub); for a correction the kind is fixed and the corrected entry is named. The
officer field starts with the console's operator. The text is validated by the diary
(:meth:`hub.diary.Diary.add`), which says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from hub.diary.book import OFFICER_MAX, REF_MAX, TEXT_MAX
from khidmat_wire.vocabulary import DIARY_CORRECTION, DIARY_KIND_BY_KEY, DIARY_OFFICER_KINDS


@dataclass(frozen=True, slots=True)
class EntryChoice:
    kind: str
    officer: str
    text: str
    ref: str = ""
    corrects: str = ""


class EntryDialog(ModalScreen[EntryChoice | None]):
    """A new entry for ``station`` (a correction of ``corrects`` when given)."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, station: str, *, officer: str, corrects: str = "") -> None:
        super().__init__()
        self.station = station
        self.officer = officer
        self.corrects = corrects

    def compose(self) -> ComposeResult:
        with Vertical(id="diary-dialog", classes="dialog"):
            if self.corrects:
                yield Label(f"Correct entry {self.corrects} ({self.station})", markup=False)
            else:
                yield Label(f"New diary entry for {self.station}", markup=False)
                kinds = [k for k in DIARY_OFFICER_KINDS if k != DIARY_CORRECTION]
                yield Select(
                    [(DIARY_KIND_BY_KEY[k].title, k) for k in kinds],
                    prompt="kind of entry",
                    id="entry-kind",
                )
            yield Input(
                self.officer, placeholder="officer", id="entry-officer", max_length=OFFICER_MAX
            )
            yield Input(
                placeholder="what is right (the correction)" if self.corrects else "what happened",
                id="entry-text",
                max_length=TEXT_MAX,
            )
            yield Input(
                placeholder="reference: FIR no., property slip (optional)",
                id="entry-ref",
                max_length=REF_MAX,
            )
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#entry-text")
    @on(Input.Submitted, "#entry-ref")
    def save(self) -> None:
        if self.corrects:
            kind = DIARY_CORRECTION
        else:
            chosen = self.query_one("#entry-kind", Select).value
            if chosen is Select.NULL:
                self.notify("Choose the kind of entry", severity="warning")
                return
            kind = str(chosen)
        self.dismiss(
            EntryChoice(
                kind,
                self.query_one("#entry-officer", Input).value,
                self.query_one("#entry-text", Input).value,
                self.query_one("#entry-ref", Input).value,
                self.corrects,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A question with ``yes`` and Cancel buttons; dismisses with True or False."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="warning", id="yes")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#yes")
    def confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
