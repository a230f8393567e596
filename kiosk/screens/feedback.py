"""Desk: rate a resolved complaint, 1 to 5, with an optional comment and reopen request."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input

from edge_agent.store import StoreFault
from khidmat_wire import WireError
from kiosk import validation
from kiosk.desk import STORE_FAULT_MESSAGE, give_feedback
from kiosk.i18n import N_
from kiosk.rtl_widgets import KioskFooter, KioskInput, Paragraph
from kiosk.screens.base import KioskScreen, button, row, text

RATINGS = {
    1: N_("1 Very poor"),
    2: N_("2 Poor"),
    3: N_("3 Fair"),
    4: N_("4 Good"),
    5: N_("5 Very good"),
}


class FeedbackScreen(KioskScreen):
    #: The ratings first (keys 1-5 rate while focus is not in the comment box, typed as
    #: ASCII, Urdu ۱-۵ or Arabic-Indic ١-٥ digits).
    AUTO_FOCUS = "#rate-5, #done"
    BINDINGS = [
        Binding("f12", "app.quick_exit", N_("Clear"), priority=True),
        Binding("escape", "back", N_("Back")),
    ] + [
        Binding(f"{n},{chr(0x06F0 + n)},{chr(0x0660 + n)}", f"rate({n})", show=False)
        for n in RATINGS
    ]
    dirty = True

    def __init__(self, tracking_no: str) -> None:
        super().__init__()
        self.tracking_no = tracking_no
        self.rating = 0
        self.comment = ""
        self.reopen = False
        self.error = ""
        self.sent = False

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(classes=f"page {self.rtl_class}"):
            if self.sent:
                yield text(
                    t("Thank you. Your rating helps us serve you better."),
                    classes="title",
                    id="thanks",
                )
                yield row(button(t("Done"), id="done", variant="primary", classes="big"))
            else:
                yield text(t("How well did we serve you?"), classes="title")
                with Horizontal(classes="ratings"):
                    yield from self.mirrored(
                        button(
                            t(label),
                            id=f"rate-{n}",
                            variant="success" if n == self.rating else "default",
                            classes="rating",
                        )
                        for n, label in RATINGS.items()
                    )
                yield text(
                    t("Anything you want to tell us (you may leave this empty)"), classes="label"
                )
                yield KioskInput(self.comment, id="comment", max_length=validation.COMMENT_MAX)
                yield Paragraph(self._count(), id="count-comment", classes="counter")
                yield self.checkbox(
                    t("I am not satisfied: please reopen my complaint"), self.reopen, id="reopen"
                )
                if self.error:
                    yield text(t(self.error), classes="error", id="error")
                with Horizontal(classes="nav"):
                    yield from self.mirrored(
                        [
                            button(t("Back"), id="back", classes="big"),
                            button(t("Send rating"), id="send", variant="primary", classes="big"),
                        ]
                    )
        yield KioskFooter()

    @on(Input.Changed, "#comment")
    def remember(self, event: Input.Changed) -> None:
        self.comment = event.value
        self.query_one("#count-comment", Paragraph).update(self._count())

    def _count(self) -> str:
        return self.t("{n} of {limit} letters", n=len(self.comment), limit=validation.COMMENT_MAX)

    @on(Input.Submitted, "#comment")
    def enter_moves_on(self) -> None:
        self.focus_next()

    @on(Checkbox.Changed, "#reopen")
    def remember_reopen(self, event: Checkbox.Changed) -> None:
        self.reopen = event.value

    async def action_rate(self, rating: int) -> None:
        self.rating = rating
        await self.rebuild(f"#rate-{rating}")

    def action_back(self) -> None:
        self.dismiss()

    @on(Button.Pressed)
    async def pressed(self, event: Button.Pressed) -> None:
        key = event.button.id or ""
        if key.startswith("rate-"):
            await self.action_rate(int(key[5:]))
        elif key == "back":
            self.action_back()
        elif key == "done":
            self.kiosk.action_quick_exit()
        elif key == "send":
            await self.send()

    async def send(self) -> None:
        if not self.rating:
            self.error = N_("Please choose a rating from 1 to 5.")
            await self.rebuild("#rate-5")
            return
        comment, error = validation.check_comment(self.comment)
        if error:
            self.error = error
            await self.rebuild("#comment")
            return
        try:
            give_feedback(
                self.kiosk.context, self.tracking_no, self.rating, comment or "", self.reopen
            )
        except WireError as wire_error:
            self.error = str(wire_error)
            await self.rebuild("#send")
            return
        except StoreFault as fault:
            self.kiosk.report_store_fault(fault)
            self.error = STORE_FAULT_MESSAGE
            await self.rebuild("#send")
            return
        self.sent = True
        await self.rebuild("#done")
