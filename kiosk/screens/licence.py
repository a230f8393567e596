"""Desk: track a driving-licence application by its token and the applicant's CNIC.

Checking queues a ``licence-lookup`` for the hub (via the agent; :mod:`kiosk.licence`) and
shows the hub's answer when the agent has stored it (the screen reads the store every
poll). The hub answers "not found" alike for an unknown token and a CNIC that is not the
application's. Nothing is shown that the receipt and the CNIC do not already tell.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input

from edge_agent.store import StoreFault
from khidmat_wire import WireError
from khidmat_wire.messages import LicenceStatus
from khidmat_wire.vocabulary import LICENCE_STATUS_NAMES
from kiosk.desk import STORE_FAULT_MESSAGE
from kiosk.i18n import N_
from kiosk.licence import ask_licence, parse_token
from kiosk.rtl_widgets import KioskFooter, KioskInput
from kiosk.screens.base import KioskScreen, Page, said, text
from kiosk.screens.lookup import check_row, waiting_notice, when
from kiosk.validation import check_cnic

TOKEN_EXAMPLE = "QTA-2026004512"


class LicenceScreen(KioskScreen):
    AUTO_FOCUS = "#token"
    BINDINGS = [
        Binding("f12", "app.quick_exit", N_("Clear"), priority=True),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.typed_token = ""
        self.typed_cnic = ""
        self.token = ""
        self.request_id = ""
        self.error = ""
        self.answer: LicenceStatus | None = None

    def compose(self) -> ComposeResult:
        t = self.t
        with Page(classes=f"page {self.rtl_class}"):
            yield text(t("Track a driving licence"), classes="title")
            yield text(
                t("Type the token on your licence receipt, like {example}", example=TOKEN_EXAMPLE),
                classes="label",
            )
            yield KioskInput(self.typed_token, placeholder=TOKEN_EXAMPLE, id="token", max_length=30)
            yield text(t("Your CNIC"), classes="label")
            yield KioskInput(
                self.typed_cnic, placeholder="42101-1234567-1", id="cnic", max_length=20
            )
            yield from check_row(self, self.error)
            if self.token:
                yield from self._compose_answer()
        yield KioskFooter()

    def _compose_answer(self) -> ComposeResult:
        t = self.t
        answer = self.answer
        yield text(self.token, classes="tracking-no-small")
        if answer is None:
            yield waiting_notice(self)
            return
        if not answer.found:
            yield text(
                t("No application with this token and CNIC. Please check both."),
                classes="guidance",
                id="not-found",
            )
            return
        name = LICENCE_STATUS_NAMES[answer.status]
        yield text(t("Status: {status}", status=t(name)), classes="status", id="status")
        yield text(t("What has happened so far"), classes="label")
        for step in answer.history:
            yield text(
                f"{when(step.at_ms)}  {t(LICENCE_STATUS_NAMES[step.status])}", classes="timeline"
            )
            if step.note:
                yield said(step.note, classes="reason")

    @on(Input.Changed, "#token")
    def remember_token(self, event: Input.Changed) -> None:
        self.typed_token = event.value
        self.dirty = True

    @on(Input.Changed, "#cnic")
    def remember_cnic(self, event: Input.Changed) -> None:
        self.typed_cnic = event.value
        self.dirty = True

    @on(Input.Submitted, "#token")
    def next_field(self) -> None:
        self.query_one("#cnic").focus()

    @on(Input.Submitted, "#cnic")
    async def submitted(self) -> None:
        await self.check()

    @on(Button.Pressed)
    async def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "check":
            await self.check()

    def action_back(self) -> None:
        self.dismiss()

    async def check(self) -> None:
        token = parse_token(self.typed_token)
        cnic, problem = check_cnic(self.typed_cnic)
        self.token = ""
        self.answer = None
        if not token:
            self.error = N_("A licence token looks like QTA-2026004512. Please check it.")
            await self.rebuild("#token")
            return
        if cnic is None:
            self.error = problem or ""
            await self.rebuild("#cnic")
            return
        self.error = ""
        try:
            self.request_id = ask_licence(self.kiosk.context, token, cnic)
        except WireError as error:
            self.error = str(error)
        except StoreFault as fault:
            self.kiosk.report_store_fault(fault)
            self.error = STORE_FAULT_MESSAGE
        else:
            self.token = token
        await self.rebuild("#cnic")

    def refresh_status(self) -> None:
        """Called every poll: show the hub's answer once the agent has stored it."""
        if not self.request_id or self.answer is not None:
            return
        answer = self.kiosk.store.licence_answer(self.request_id)
        if answer is not None:
            self.answer = answer
            self.call_later(self.rebuild)
