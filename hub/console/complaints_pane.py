"""The complaint queue: filters, overdue and urgent highlighted, due-time countdown, assign,
status."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Select, Static

from hub.complaint_rules import TransitionError
from hub.complaints import ComplaintEvent, ComplaintView
from hub.console.backend import ConsoleBackend
from hub.console.status_dialog import StatusChoice, StatusDialog
from hub.console.text import countdown, plain, when
from khidmat_base.clock import now_ms
from khidmat_wire.vocabulary import COMPLAINT_STATUSES, OPEN_STATUSES, TRANSITIONS

FILTERS = [
    ("open", "open"),
    ("overdue", "overdue"),
    ("all", "all"),
    *[(s, s) for s in COMPLAINT_STATUSES],
]
COLUMNS = (
    "tracking no",
    "station",
    "category",
    "status",
    "assignee",
    "due",
    "esc.",
    "desk",
    "complainant",
)


def urgent_style(view: ComplaintView) -> str:
    """Bold red while an urgent complaint is open (its category cell reads URGENT ...)."""
    return "bold red" if view.urgent and view.open else ""


class ComplaintsPane(Vertical):
    """Lists complaints for the operator's desk; ``a`` assigns, ``s`` changes status."""

    BINDINGS = [
        ("a", "assign", "Assign"),
        ("s", "status", "Change status"),
        ("o", "overdue", "Overdue only"),
        ("r", "refresh", "Refresh"),
    ]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.rows: dict[str, ComplaintView] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Select(FILTERS, value="open", allow_blank=False, id="complaint-filter")
            yield Input(placeholder="station code", id="station-filter")
            yield Input(placeholder="category", id="category-filter")
        table: DataTable[object] = DataTable(
            id="complaint-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        with VerticalScroll(id="complaint-detail-box"):
            yield Static(id="complaint-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one("#complaint-table", DataTable).focus()
        self.refresh_rows()
        self.set_interval(5.0, self.refresh_rows)

    @on(Select.Changed, "#complaint-filter")
    @on(Input.Submitted, "#station-filter")
    @on(Input.Submitted, "#category-filter")
    def action_refresh(self) -> None:
        self.refresh_rows()

    def action_overdue(self) -> None:
        self.query_one("#complaint-filter", Select).value = "overdue"

    def refresh_rows(self) -> None:
        """Reload the queue with the current filters (the query runs in a worker)."""
        choice = str(self.query_one("#complaint-filter", Select).value)
        self._fetch(
            choice,
            self.query_one("#station-filter", Input).value,
            self.query_one("#category-filter", Input).value,
        )

    @work(thread=True, exclusive=True, group="complaints")
    def _fetch(self, choice: str, station: str, category: str) -> None:
        statuses: tuple[str, ...] = ()
        if choice == "open":
            statuses = OPEN_STATUSES
        elif choice not in ("all", "overdue"):
            statuses = (choice,)
        rows = self.backend.complaints(
            statuses=statuses,
            station=station,
            category=category,
            overdue_only=choice == "overdue",
        )
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[ComplaintView]) -> None:
        table = self.query_one("#complaint-table", DataTable)
        selected = self.selected()
        now = now_ms()
        table.clear()
        self.rows = {r.tracking_no: r for r in rows}
        for r in rows:
            overdue = r.overdue(now)
            style = "bold red" if overdue else ""
            table.add_row(
                plain(r.tracking_no, style),
                plain(r.station),
                plain(f"URGENT {r.category}" if r.urgent else r.category, urgent_style(r)),
                plain(r.status, style),
                plain(r.assignee),
                countdown(r.due_at_ms, now, running=r.open),
                plain(r.escalated_to if r.escalation_level else ""),
                plain("women" if r.gender_desk else ""),
                plain(r.complainant_name),
                key=r.tracking_no,
            )
        if selected in self.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self._load_detail(self.selected())

    def selected(self) -> str | None:
        table = self.query_one("#complaint-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#complaint-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._load_detail(event.row_key.value)

    @work(thread=True, exclusive=True, group="complaint-detail")
    def _load_detail(self, tracking_no: str | None) -> None:
        if tracking_no is None:
            self.app.call_from_thread(self._show_detail, None, [])
            return
        view, events = self.backend.complaint(tracking_no)
        self.app.call_from_thread(self._show_detail, view, events)

    def _show_detail(self, view: ComplaintView | None, events: list[ComplaintEvent]) -> None:
        from rich.text import Text

        detail = self.query_one("#complaint-detail", Static)
        if view is None:
            detail.update(Text("No complaint selected"))
            return
        text = Text()
        text.append(f"{view.tracking_no}  {view.status}", style="bold")
        text.append(f"  due {when(view.due_at_ms)} UTC, escalated to {view.escalated_to}\n")
        if view.urgent:
            text.append(f"URGENT: {view.urgent_title.lower()}\n", style="bold red")
        for label, value in (
            ("complainant", view.complainant_name),
            ("CNIC", view.cnic),
            ("mobile", view.mobile),
            (
                "category",
                f"{view.category} ({'cognizable' if view.cognizable else 'non-cognizable'})",
            ),
            ("filed", f"{when(view.filed_ms)} at {view.station} from {view.device_id}"),
            ("description", view.description),
        ):
            text.append(f"{label}: ", style="dim")
            text.append(str(value) + "\n")  # appended as plain text: never parsed as markup
        for question, answer in view.answers:
            text.append(f"  {question}: ", style="dim")
            text.append(answer + "\n")
        text.append("history\n", style="bold")
        for e in events:
            text.append(f"  {when(e.at_ms)} {e.status or e.action} by {e.officer}: ", style="dim")
            text.append(e.reason + "\n")
        detail.update(text)

    def action_assign(self) -> None:
        self._open_dialog("assigned")

    def action_status(self) -> None:
        self._open_dialog("")

    def _open_dialog(self, preselect: str) -> None:
        tracking_no = self.selected()
        if tracking_no is None or tracking_no not in self.rows:
            self.notify("Select a complaint first", severity="warning")
            return
        current = self.rows[tracking_no].status
        if preselect and preselect not in TRANSITIONS.get(current, ()):
            self.notify(
                f"A {current} complaint cannot be assigned", severity="warning", markup=False
            )
            return

        def done(choice: StatusChoice | None) -> None:
            if choice is not None:
                self._save(tracking_no, choice)

        self.app.push_screen(StatusDialog(tracking_no, current, preselect=preselect), done)

    @work(thread=True, group="complaint-save")
    def _save(self, tracking_no: str, choice: StatusChoice) -> None:
        try:
            view = self.backend.change_status(
                tracking_no,
                choice.status,
                choice.reason,
                choice.assignee,
                choice.station,
                choice.message,
            )
        except (TransitionError, KeyError) as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.app.call_from_thread(
            self.notify, f"{view.tracking_no} is now {view.status}", markup=False
        )
        self.app.call_from_thread(self.refresh_rows)
