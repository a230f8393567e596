"""Hits and alerts: identification hits and fleet problems; acknowledge and close."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from hub.alerts import Alert
from hub.console.backend import ConsoleBackend
from hub.console.status_dialog import ReasonDialog
from hub.console.text import plain, when

COLUMNS = ("id", "state", "severity", "kind", "device", "title", "raised", "times")
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": ""}


class AlertsPane(Vertical):
    BINDINGS = [
        ("k", "acknowledge", "Acknowledge"),
        ("c", "close_alert", "Close"),
        ("h", "toggle_closed", "Show closed"),
        ("r", "refresh", "Refresh"),
    ]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.include_closed = False
        self.alerts: dict[int, Alert] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(
            id="alert-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        yield Static(id="alert-detail", markup=False)

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(3.0, self.action_refresh)

    def action_toggle_closed(self) -> None:
        self.include_closed = not self.include_closed
        self.action_refresh()

    def action_refresh(self) -> None:
        self._fetch(self.include_closed)

    @work(thread=True, exclusive=True, group="alerts")
    def _fetch(self, include_closed: bool) -> None:
        alerts = self.backend.alerts(include_closed=include_closed)
        self.app.call_from_thread(self._show, alerts)

    def _show(self, alerts: list[Alert]) -> None:
        table = self.query_one("#alert-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.alerts = {a.id: a for a in alerts}
        for a in alerts:
            table.add_row(
                plain(a.id),
                plain(a.state, "bold" if a.state == "new" else "dim"),
                plain(a.severity, SEVERITY_STYLE.get(a.severity, "")),
                plain(a.kind),
                plain(a.device_id),
                plain(a.title),
                plain(when(a.raised_ms)),
                plain(a.times),
                key=str(a.id),
            )
        if alerts:
            table.move_cursor(row=min(cursor, len(alerts) - 1))
        self._detail(self.selected())

    def selected(self) -> int | None:
        table = self.query_one("#alert-table", DataTable)
        if table.row_count == 0:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(DataTable.RowHighlighted, "#alert-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(int(str(event.row_key.value)))

    def _detail(self, alert_id: int | None) -> None:
        from rich.text import Text

        alert = self.alerts.get(alert_id or -1)
        text = Text()
        if alert is not None:
            text.append(alert.title + "\n", style="bold")
            text.append(alert.detail + "\n")
            if alert.acked_by:
                text.append(
                    f"acknowledged by {alert.acked_by} {when(alert.acked_ms)}\n", style="dim"
                )
            if alert.closed_by:
                text.append(
                    f"closed by {alert.closed_by} {when(alert.closed_ms)}: {alert.close_reason}\n",
                    style="dim",
                )
        self.query_one("#alert-detail", Static).update(text)

    def action_acknowledge(self) -> None:
        alert_id = self.selected()
        if alert_id is not None:
            self._run(alert_id, None)

    def action_close_alert(self) -> None:
        alert_id = self.selected()
        if alert_id is None:
            return

        def done(reason: str | None) -> None:
            if reason:
                self._run(alert_id, reason)

        self.app.push_screen(ReasonDialog(f"Close alert {alert_id}"), done)

    @work(thread=True, group="alert-save")
    def _run(self, alert_id: int, close_reason: str | None) -> None:
        include_closed = self.include_closed
        try:
            if close_reason is None:
                self.backend.acknowledge(alert_id)
            else:
                self.backend.close_alert(alert_id, close_reason)
        except (KeyError, ValueError) as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
        alerts = self.backend.alerts(include_closed=include_closed)
        self.app.call_from_thread(self._show, alerts)
