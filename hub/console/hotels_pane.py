"""Hotel Eye: the registered hotels and the guests who match people on record."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from hub.console.backend import ConsoleBackend
from hub.console.text import plain, when
from hub.store.hotels import HitView, Hotel

HOTEL_COLUMNS = ("hotel", "name", "station", "unit", "stays kept")
HIT_COLUMNS = ("found", "station", "hotel", "room", "checked in", "guest", "on record", "how")


class HotelsPane(Vertical):
    BINDINGS = [("r", "refresh", "Refresh")]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend

    def compose(self) -> ComposeResult:
        yield Static("Guests matching people on record (newest first)", classes="pane-title")
        hits: DataTable[object] = DataTable(id="hotel-hit-table", cursor_type="row",
                                            zebra_stripes=True)  # fmt: skip
        hits.add_columns(*HIT_COLUMNS)
        yield hits
        yield Static("Registered hotels", classes="pane-title")
        hotels: DataTable[object] = DataTable(id="hotel-table", cursor_type="row",
                                              zebra_stripes=True)  # fmt: skip
        hotels.add_columns(*HOTEL_COLUMNS)
        yield hotels

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(5.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="hotels")
    def action_refresh(self) -> None:
        hotels, stays, hits = self.backend.hotels()
        self.app.call_from_thread(self._show, hotels, stays, hits)

    def _show(self, hotels: list[Hotel], stays: dict[str, int], hits: list[HitView]) -> None:
        table = self.query_one("#hotel-hit-table", DataTable)
        table.clear()
        for n, h in enumerate(hits):
            style = "bold red" if h.how == "cnic" else "yellow"
            table.add_row(
                plain(when(h.at_ms)),
                plain(h.station),
                plain(h.hotel_name),
                plain(h.room),
                plain(when(h.check_in_ms)),
                plain(h.guest_name),
                plain(f"{h.person_name} ({h.person_id}, {h.status})"),
                plain("CNIC" if h.how == "cnic" else f"name {h.score:.0f}", style),
                key=str(n),
            )
        hotel_table = self.query_one("#hotel-table", DataTable)
        hotel_table.clear()
        for hotel in hotels:
            hotel_table.add_row(
                plain(hotel.hotel_id),
                plain(hotel.name),
                plain(hotel.station),
                plain(hotel.device_id or "file import"),
                plain(stays.get(hotel.hotel_id, 0)),
                key=hotel.hotel_id,
            )
