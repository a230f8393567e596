"""The devices table: registry, online/offline, last telemetry; backlog sparkline."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Sparkline

from hub.console.backend import ConsoleBackend
from hub.console.text import duration, plain, when
from hub.fleet import DeviceView
from khidmat_base.clock import now_ms

COLUMNS = (
    "device",
    "role",
    "station",
    "status",
    "since",
    "last seen",
    "backlog",
    "sensor",
    "baud",
    "watchlist",
    "temp C",
)
STATUS_STYLE = {"online": "green", "offline": "bold red", "unknown": "dim", "retired": "dim"}


NOT_REPORTED = "not reported"


def sensor_shown(role: str, telemetry: dict) -> str:
    """The sensor column: the unit's report, "none (desk)" for a desk (it has no sensor),
    "not reported" before any telemetry or when the unit could not tell. Pure."""
    if role == "desk":
        return "none (desk)"
    status = telemetry.get("sensor_status")
    return NOT_REPORTED if status in (None, "", "unknown") else str(status)


def temperature_shown(telemetry: dict) -> str:
    """The CPU temperature in Celsius, or "not reported" (-1 on the wire: the unit's
    kernel exposes no thermal zone). Pure."""
    value = telemetry.get("cpu_temp_c")
    if not isinstance(value, (int, float)) or value < 0:
        return NOT_REPORTED
    return f"{value:.1f}"


class DevicesPane(Vertical):
    BINDINGS = [("r", "refresh", "Refresh")]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.views: dict[str, DeviceView] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(
            id="device-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        yield Label("outbox backlog of the selected unit (records)", classes="sparkline-label")
        yield Sparkline([], id="backlog-sparkline")
        yield Label("heartbeat: seconds between its telemetry messages", classes="sparkline-label")
        yield Sparkline([], id="heartbeat-sparkline")

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(5.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="devices")
    def action_refresh(self) -> None:
        views = self.backend.devices()
        self.app.call_from_thread(self._show, views)

    def _show(self, views: list[DeviceView]) -> None:
        table = self.query_one("#device-table", DataTable)
        now = now_ms()
        cursor = table.cursor_row
        table.clear()
        self.views = {v.device_id: v for v in views}
        for v in views:
            t = v.telemetry or {}
            table.add_row(
                plain(v.device_id, "" if v.active else "strike dim"),
                plain(v.role),
                plain(v.station),
                plain(
                    v.status if v.registered else f"{v.status} (unregistered)",
                    STATUS_STYLE.get(v.status, ""),
                ),
                plain(duration(now - v.status_ms) if v.status_ms else ""),
                plain(when(v.last_seen_ms)),
                plain(t.get("outbox_depth", "")),
                plain(
                    sensor_shown(v.role, t),
                    "bold red" if t.get("sensor_status") == "fault" else "",
                ),
                plain(t.get("sensor_baud") or ""),
                plain(t.get("watchlist_version", "")),
                plain(temperature_shown(t)),
                key=v.device_id,
            )
        if views:
            table.move_cursor(row=min(cursor, len(views) - 1))
            self._spark(self.selected())

    def selected(self) -> str | None:
        table = self.query_one("#device-table", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#device-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._spark(str(event.row_key.value))

    def _spark(self, device_id: str | None) -> None:
        view = self.views.get(device_id or "")
        self.query_one("#backlog-sparkline", Sparkline).data = (
            list(view.backlog_history) if view else []
        )
