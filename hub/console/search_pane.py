"""Search complaints and criminal records by CNIC, name or tracking number."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label

from hub.complaints import ComplaintView
from hub.console.backend import ConsoleBackend
from hub.console.text import plain, when
from hub.records import Person


class SearchPane(Vertical):
    """The search box and its results. Escape leaves the box for the results, so the
    digit keys switch tabs again (in the box they are text: CNICs are digits). In the
    criminal records, ``i`` / ``n`` export the selected person's templates as ISO/IEC
    19794-2 / ANSI INCITS 378 records into ``exports/`` beside the hub database (audited
    under the operator)."""

    BINDINGS = [
        Binding("escape", "leave_box", "Results"),
        Binding("i", "export('iso')", "Export ISO"),
        Binding("n", "export('ansi')", "Export ANSI"),
    ]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend

    def compose(self) -> ComposeResult:
        yield Input(placeholder="CNIC, name or tracking number, then Enter", id="search-input")
        yield Label("complaints")
        complaints: DataTable[object] = DataTable(id="search-complaints", cursor_type="row")
        complaints.add_columns(
            "tracking no", "status", "station", "category", "complainant", "filed"
        )
        yield complaints
        yield Label("criminal records")
        people: DataTable[object] = DataTable(id="search-people", cursor_type="row")
        people.add_columns(
            "person id", "name", "father's name", "CNIC", "status", "offences", "fingers"
        )
        yield people

    def action_export(self, fmt: str) -> None:
        table = self.query_one("#search-people", DataTable)
        if table.row_count == 0 or not table.has_focus:
            return
        person_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if person_id is not None:
            self._export(str(person_id), fmt)

    @work(thread=True, group="export")
    def _export(self, person_id: str, fmt: str) -> None:
        from hub.records import RecordError

        try:
            paths = self.backend.export_templates(person_id, fmt)
        except (RecordError, OSError) as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        where = paths[0].parent if paths else "-"
        self.app.call_from_thread(
            self.notify, f"{len(paths)} {fmt.upper()} records written to {where}", markup=False
        )

    def action_leave_box(self) -> None:
        self.query_one("#search-complaints", DataTable).focus()

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str) -> None:
        complaints, people = self.backend.search(text)
        self.app.call_from_thread(self._show, complaints, people)

    def _show(self, complaints: list[ComplaintView], people: list[Person]) -> None:
        table = self.query_one("#search-complaints", DataTable)
        table.clear()
        for c in complaints:
            table.add_row(
                plain(c.tracking_no),
                plain(c.status),
                plain(c.station),
                plain(c.category),
                plain(c.complainant_name),
                plain(when(c.filed_ms)),
            )
        table = self.query_one("#search-people", DataTable)
        table.clear()
        for p in people:
            table.add_row(
                plain(p.person_id),
                plain(p.name),
                plain(p.father_name),
                plain(p.cnic),
                plain(
                    p.status, "bold red" if p.status in ("wanted", "proclaimed-offender") else ""
                ),
                plain("; ".join(p.offences)),
                plain(",".join(str(f) for f in p.fingers)),
                key=p.person_id,
            )
