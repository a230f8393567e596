"""The station diary (roznamcha): read a station's day, search, add, correct, close, verify.

The top line says the day's state (open or closed, entries) and whether its hash chain
checks; a tampered day reads ``TAMPERED at entry ...`` in red. ``a`` adds an officer's
entry, ``c`` corrects the selected entry (a new entry that names it), ``x`` closes the day
(the console's operator is the duty officer on record), ``v`` checks the chain again.
Typing in the search box (or choosing a kind) lists matching entries of every day. Every
entry is written under the console's operator. Entry text, officers and references come
from people and units: they are rendered as plain text, never markup. Database calls run
in thread workers.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Select, Static

from hub.console.backend import ConsoleBackend
from hub.console.diary_dialog import ConfirmDialog, EntryChoice, EntryDialog
from hub.console.text import plain, when
from hub.diary import ChainReport, DayView, DiaryError, Entry, station_day
from hub.diary.export import local_time
from khidmat_base.clock import now_ms
from khidmat_wire.vocabulary import DIARY_KINDS

COLUMNS = ("no.", "day", "time", "kind", "officer", "entry", "ref.")
KIND_FILTER = [("all kinds", ""), *[(k.title, k.key) for k in DIARY_KINDS]]


class DiaryPane(Vertical):
    """One station's diary; the station and day are chosen in the filter row."""

    BINDINGS = [
        ("a", "add", "Add entry"),
        ("c", "correct", "Correct"),
        ("x", "close_day", "Close day"),
        ("v", "verify", "Verify"),
        ("r", "refresh", "Refresh"),
    ]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.rows: dict[str, Entry] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Input(placeholder="station code", id="diary-station")
            yield Input(station_day(now_ms()), placeholder="YYYY-MM-DD", id="diary-day")
            yield Input(placeholder="search text, officer, ref.", id="diary-search")
            yield Select(KIND_FILTER, value="", allow_blank=False, id="diary-kind")
        yield Static(id="diary-state", markup=False)
        table: DataTable[object] = DataTable(
            id="diary-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        with VerticalScroll(id="diary-detail-box"):
            yield Static(id="diary-detail", markup=False)

    def on_mount(self) -> None:
        self._first_station()
        self.set_interval(5.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="diary-station")
    def _first_station(self) -> None:
        """Start on the first station with units or a diary (the operator may type another)."""
        stations = sorted(
            {d.station for d in self.backend.devices() if d.station}
            | {d.station for d in self.backend.modules.diary.days()}
        )
        self.app.call_from_thread(self._set_station, stations[0] if stations else "")

    def _set_station(self, station: str) -> None:
        field = self.query_one("#diary-station", Input)
        if not field.value:
            field.value = station
        self.action_refresh()

    @on(Input.Submitted, "#diary-station")
    @on(Input.Submitted, "#diary-day")
    @on(Input.Submitted, "#diary-search")
    @on(Select.Changed, "#diary-kind")
    def action_refresh(self) -> None:
        self._fetch(
            self.query_one("#diary-station", Input).value,
            self.query_one("#diary-day", Input).value,
            self.query_one("#diary-search", Input).value,
            str(self.query_one("#diary-kind", Select).value),
        )

    def action_verify(self) -> None:
        self.action_refresh()
        self.notify("Hash chain checked", timeout=2)

    @work(thread=True, exclusive=True, group="diary")
    def _fetch(self, station: str, day: str, text: str, kind: str) -> None:
        diary = self.backend.modules.diary
        try:
            if text.strip() or kind:
                entries = diary.search(station=station, text=text, kind=kind, limit=500)
                view, report = None, None
            else:
                entries = diary.entries(station, day)
                view, report = diary.day(station, day), diary.verify(station, day)
        except DiaryError as error:
            self.app.call_from_thread(self._show_error, str(error))
            return
        self.app.call_from_thread(self._show, entries, view, report)

    def _show_error(self, message: str) -> None:
        from rich.text import Text

        self.query_one("#diary-state", Static).update(Text(message, style="yellow"))
        self.query_one("#diary-table", DataTable).clear()
        self.rows = {}
        self._show_detail(None)

    def _show(self, entries: list[Entry], view: DayView | None, report: ChainReport | None) -> None:
        from rich.text import Text

        state = self.query_one("#diary-state", Static)
        if report is None:
            state.update(Text(f"Search: {len(entries)} matching (newest first)"))
        else:
            line = Text()
            status = "closed" if view is not None and view.closed else "open"
            if view is not None and view.closed:
                status += f" by {view.closed_by} at {when(view.closed_ms)} UTC"
            line.append(f"{report.station} {report.day}: {status}, {report.entries} entries. ")
            if report.ok:
                line.append("Hash chain intact.", style="green")
            else:
                line.append(
                    f"TAMPERED at entry {report.first_bad}: {report.problem}", style="bold red"
                )
            state.update(line)
        table = self.query_one("#diary-table", DataTable)
        selected = self.selected()
        table.clear()
        self.rows = {e.name: e for e in entries}
        for e in entries:
            style = "bold red" if e.kind == "gate-detention" else ""
            text = e.text.replace("\n", " / ")
            if e.corrects:
                text = f"corrects {e.corrects}: {text}"
            table.add_row(
                plain(e.seq), plain(e.day), plain(local_time(e.at_ms)), plain(e.title, style),
                plain(e.officer), plain(text), plain(e.ref),
                key=e.name,
            )  # fmt: skip
        if selected in self.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self._show_detail(self.rows.get(self.selected() or ""))

    def selected(self) -> str | None:
        table = self.query_one("#diary-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#diary-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(self.rows.get(str(event.row_key.value)))

    def _show_detail(self, entry: Entry | None) -> None:
        from rich.text import Text

        detail = self.query_one("#diary-detail", Static)
        if entry is None:
            detail.update(Text("No entry selected"))
            return
        text = Text()
        text.append(f"{entry.name}  {entry.title}", style="bold")
        text.append(f"  {local_time(entry.at_ms)} Pakistan time\n")
        for label, value in (
            ("officer", entry.officer),
            ("reference", entry.ref),
            ("corrects", entry.corrects),
            ("from", entry.source),
            ("hash", entry.hash),
        ):
            if value:
                text.append(f"{label}: ", style="dim")
                text.append(value + "\n")  # plain text: never parsed as markup
        text.append(entry.text)
        detail.update(text)

    # ------------------------------------------------------------ changes

    def action_add(self) -> None:
        station = self.query_one("#diary-station", Input).value.strip().upper()
        if not station:
            self.notify("Type the station code first", severity="warning")
            return
        self.app.push_screen(
            EntryDialog(station, officer=self.backend.operator.name),
            lambda choice: self._save(station, choice) if choice is not None else None,
        )

    def action_correct(self) -> None:
        name = self.selected()
        if name is None or name not in self.rows:
            self.notify("Select the entry to correct first", severity="warning")
            return
        entry = self.rows[name]
        self.app.push_screen(
            EntryDialog(entry.station, officer=self.backend.operator.name, corrects=name),
            lambda choice: self._save(entry.station, choice) if choice is not None else None,
        )

    @work(thread=True, group="diary-save")
    def _save(self, station: str, choice: EntryChoice) -> None:
        try:
            entry = self.backend.modules.diary.add(
                station, choice.kind, choice.officer, choice.text, ref=choice.ref,
                corrects=choice.corrects, source=f"console:{self.backend.operator.name}",
            )  # fmt: skip
        except DiaryError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"{entry.name} written", markup=False)
        self.app.call_from_thread(self.action_refresh)

    def action_close_day(self) -> None:
        station = self.query_one("#diary-station", Input).value.strip().upper()
        day = self.query_one("#diary-day", Input).value.strip()
        officer = self.backend.operator.name
        question = (
            f"Close the diary of {station} for {day} as duty officer {officer}? "
            "Nothing more can be written to that day; later entries go to the next day."
        )
        self.app.push_screen(
            ConfirmDialog(question, "Close day"),
            lambda yes: self._close(station, day, officer) if yes else None,
        )

    @work(thread=True, group="diary-save")
    def _close(self, station: str, day: str, officer: str) -> None:
        try:
            entry = self.backend.modules.diary.close(station, day, officer)
        except DiaryError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.app.call_from_thread(
            self.notify, f"{entry.station} {entry.day} closed: {entry.seq} entries", markup=False
        )
        self.app.call_from_thread(self.action_refresh)
