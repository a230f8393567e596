"""Desk: track a complaint by its number; status timeline with reasons and the due time.

Checking queues a Lookup for the hub (via the agent) and shows what the store holds; the
screen reads the store again every poll, so the hub's answer appears when it arrives.
With a receipt printer on the desk, "Print a receipt" prints a status slip of what the
screen shows (number, status, due time, how to track; :func:`kiosk.receipt_print.status_slip`):
how a citizen or the desk officer gets a receipt again after a printer fault.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input

from edge_agent.store import StoreFault
from khidmat_wire import WireError
from khidmat_wire.messages import ComplaintStatus
from khidmat_wire.vocabulary import FIRST_STATUS, STATUS_NAMES
from kiosk.desk import STORE_FAULT_MESSAGE, ask_status
from kiosk.i18n import N_
from kiosk.receipt_print import status_slip
from kiosk.rtl_widgets import KioskFooter, KioskInput
from kiosk.screens.base import KioskScreen, Page, button, row, said, text
from kiosk.screens.lookup import check_row, waiting_notice, when
from kiosk.screens.printing import ReceiptPrinting
from kiosk.tracking import TrackingError, parse_tracking_no


def status_name(status: str) -> str:
    """The citizen-facing name of ``status`` (English source string, translate where shown)."""
    return STATUS_NAMES.get(status, STATUS_NAMES[FIRST_STATUS])


class TrackScreen(ReceiptPrinting, KioskScreen):
    AUTO_FOCUS = "#number"
    BINDINGS = [
        Binding("f12", "app.quick_exit", N_("Clear"), priority=True),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.typed = ""
        self.tracking_no = ""
        self.error = ""
        self.status: ComplaintStatus | None = None

    def compose(self) -> ComposeResult:
        t = self.t
        with Page(classes=f"page {self.rtl_class}"):
            yield text(t("Track a complaint"), classes="title")
            yield text(t("Type your tracking number, like QTA01-261130-120001-D"), classes="label")
            yield KioskInput(
                self.typed, placeholder="QTA01-261130-120001-D", id="number", max_length=40
            )
            yield from check_row(self, self.error)
            if self.tracking_no:
                yield from self._compose_status()
        yield KioskFooter()

    def _compose_status(self) -> ComposeResult:
        t = self.t
        status = self.status
        yield text(self.tracking_no, classes="tracking-no-small")
        if status is None:
            yield waiting_notice(self)
            return
        if not status.found:
            yield text(
                t("This number is not known yet. A complaint filed today may take a little while."),
                classes="guidance",
                id="not-found",
            )
            return
        name = status_name(status.status)
        yield text(t("Status: {status}", status=t(name)), classes="status", id="status")
        due = status.due_at_ms
        if due:
            yield text(t("We aim to act by {due}", due=when(due)), classes="label", id="due")
        yield text(t("What has happened so far"), classes="label")
        for entry in status.history:
            step = t(status_name(entry.status))
            yield text(f"{when(entry.at_ms)}  {step}", classes="timeline")
            if entry.message:  # what the officer wrote for the citizen
                yield said(entry.message, classes="reason")
        # rating and printing on one row (reading order, right-aligned in Urdu)
        actions = []
        if status.can_rate:
            actions.append(
                button(t("Rate our service"), id="rate", variant="success", classes="big")
            )
        printable = self.print_outcome is None or self.print_outcome.state in (
            "printed",
            "printing",
        )
        if self.can_print and printable:
            actions.append(button(t("Print a receipt"), id="print", classes="big"))
        if actions:
            yield row(*self.mirrored(actions))
        if self.can_print:
            yield from self.compose_printing()

    @on(Input.Changed, "#number")
    def remember(self, event: Input.Changed) -> None:
        self.typed = event.value
        self.dirty = True

    @on(Input.Submitted, "#number")
    async def submitted(self) -> None:
        await self.check()

    @on(Button.Pressed)
    async def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "check":
            await self.check()
        elif event.button.id in ("print", "reprint"):
            self.print_slip()
            await self.rebuild()
        elif event.button.id == "rate":
            from kiosk.screens.feedback import FeedbackScreen

            self.app.push_screen(FeedbackScreen(self.tracking_no))

    def action_back(self) -> None:
        self.dismiss()

    def print_slip(self) -> None:
        """Print what the screen shows about the checked number (the hub's answer)."""
        status = self.status
        if status is None or not status.found:
            return
        self.start_printing(
            status_slip(
                self.tracking_no,
                self.kiosk.context.station,
                self.kiosk.language,
                status=status_name(status.status),
                due_at_ms=status.due_at_ms,
            )
        )

    async def check(self) -> None:
        try:
            number = parse_tracking_no(self.typed)
        except TrackingError as error:
            self.error = (
                N_("A tracking number looks like QTA01-261130-120001-D. Please check it.")
                if str(error) == "format"
                else N_("This number has a mistake in it. Please check each letter and number.")
            )
            self.tracking_no = ""
            await self.rebuild("#number")
            return
        self.error = ""
        try:
            ask_status(self.kiosk.context, number)
        except WireError as error:
            self.error = str(error)
        except StoreFault as fault:
            self.kiosk.report_store_fault(fault)
            self.error = STORE_FAULT_MESSAGE
        self.tracking_no = number
        self.print_outcome = None
        self.status = self.kiosk.store.complaint_status(number)
        await self.rebuild("#number")

    def refresh_status(self) -> None:
        """Called every poll: show the hub's answer once the agent has stored it."""
        if not self.tracking_no:
            return
        status = self.kiosk.store.complaint_status(self.tracking_no)
        if status is not None and status != self.status:
            self.status = status
            self.call_later(self.rebuild)
