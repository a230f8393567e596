"""Hotel unit: the desk clerk records each guest's check-in (Hotel Eye).

One form: name, CNIC, nationality (``PK`` already filled), passport, room. Record queues
the check-in (:func:`kiosk.hotel.record_guest`) and clears the form for the next guest,
saying which room was recorded; a mistake is named and the form keeps what was typed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input

from edge_agent.store import StoreFault
from kiosk.desk import STORE_FAULT_MESSAGE
from kiosk.hotel import NO_HOTEL, GuestForm, hotel_code, record_guest
from kiosk.i18n import N_
from kiosk.rtl_widgets import KioskFooter, KioskInput
from kiosk.screens.base import KioskScreen, Page, button, text

FIELDS = (
    ("name", N_("Guest's name (as on their papers)"), 100),
    ("cnic", N_("CNIC (Pakistani guests)"), 20),
    ("nationality", N_("Nationality (two letters: PK, AF, CN, ...)"), 2),
    ("passport", N_("Passport number (foreign guests)"), 24),
    ("room", N_("Room"), 16),
)


class HotelScreen(KioskScreen):
    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("f12", "clear", N_("Clear"), priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self.form = GuestForm()
        self.error = ""
        self.recorded = ""
        self.count = 0
        self.records: list[tuple[str, str]] = []
        """(room, record id) of each guest recorded on this screen, oldest first."""

    def compose(self) -> ComposeResult:
        t = self.t
        with Page(classes=f"page {self.rtl_class}"):
            yield text(t("Hotel guest check-in"), classes="title")
            hotel = hotel_code(self.kiosk.context)
            yield text(hotel or t(NO_HOTEL), classes="label", id="hotel")
            for field, label, limit in FIELDS:
                yield text(t(label), classes="label")
                yield KioskInput(getattr(self.form, field), id=field, max_length=limit)
            if self.error:
                yield text(t(self.error), classes="error", id="error")
            if self.recorded:
                yield text(
                    t("Recorded: room {room}.", room=self.recorded),
                    classes="guidance",
                    id="recorded",
                )
            with Horizontal(classes="nav"):
                yield from self.mirrored(
                    [button(t("Record the guest"), id="record", variant="primary", classes="big")]
                )
        yield KioskFooter()

    @on(Input.Changed)
    def remember(self, event: Input.Changed) -> None:
        if event.input.id in {f for f, _, _ in FIELDS}:
            setattr(self.form, event.input.id, event.value)
            self.dirty = True

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        names = [f for f, _, _ in FIELDS]
        if event.input.id in names[:-1]:
            self.query_one(f"#{names[names.index(event.input.id) + 1]}").focus()
        else:
            self.call_later(self.record)

    @on(Button.Pressed, "#record")
    async def record(self) -> None:
        try:
            record_id, problem = record_guest(self.kiosk.context, self.form)
        except StoreFault as fault:
            self.kiosk.report_store_fault(fault)
            record_id, problem = "", STORE_FAULT_MESSAGE
        if problem:
            self.error, self.recorded = problem, ""
            await self.rebuild()
            return
        self.count += 1
        self.recorded, self.error = self.form.room.strip(), ""
        self.records.append((self.recorded, record_id))
        self.form = GuestForm()
        self.dirty = False
        await self.rebuild("#name")

    async def action_clear(self) -> None:
        self.form, self.error, self.recorded = GuestForm(), "", ""
        await self.rebuild("#name")
