"""Officers: the roster, which list each unit carries, and recent sign-ins.

``s`` suspends the selected officer (or reinstates a suspended one), recorded under the
console's operator in the operations audit; the running hub sends the changed lists
within seconds. Adding an officer and setting a PIN is ``khidmat officer add`` and
``reset-pin`` (the PIN is typed where nobody else sees it). Names come from people: they
are rendered as plain text, never markup.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from hub.console.backend import ConsoleBackend
from hub.console.text import plain, when
from hub.roster import Officer, UnitList

COLUMNS = (
    "badge",
    "name",
    "rank",
    "station",
    "roles",
    "status",
    "serves",
    "last sign-in",
    "failures",
)
UNIT_COLUMNS = ("unit", "list version", "officers", "installed", "note")
SIGNIN_COLUMNS = ("time", "unit", "badge", "outcome", "detail")


class OfficersPane(Vertical):
    BINDINGS = [("s", "toggle_status", "Suspend/reinstate"), ("r", "refresh", "Refresh")]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self._status: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        for table_id, columns in (
            ("officer-table", COLUMNS),
            ("officer-units", UNIT_COLUMNS),
            ("officer-signins", SIGNIN_COLUMNS),
        ):
            if table_id != "officer-table":
                yield Static(
                    "Lists on the units" if table_id == "officer-units" else "Recent sign-ins",
                    classes="pane-title",
                )
            table: DataTable[object] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
            table.add_columns(*columns)
            yield table

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(5.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="officers")
    def action_refresh(self) -> None:
        roster = self.backend.modules.roster
        data = (roster.officers(), roster.unit_lists(), roster.signins(50))
        self.app.call_from_thread(self._show, *data)

    def _show(
        self,
        officers: list[Officer],
        units: list[UnitList],
        signins: list[tuple[int, str, str, str, str]],
    ) -> None:
        table = self.query_one("#officer-table", DataTable)
        table.clear()
        self._status = {o.badge: o.status for o in officers}
        for o in officers:
            status = o.status + (" (locked out)" if o.locked else "")
            table.add_row(
                plain(o.badge), plain(o.name), plain(o.rank), plain(o.station),
                plain(",".join(o.roles)),
                plain(status, "bold red" if o.status == "suspended" or o.locked else ""),
                plain(",".join(o.assignments) or f"({o.station})"),
                plain(when(o.last_signin_ms)), plain(o.failures),
                key=o.badge,
            )  # fmt: skip
        lists = self.query_one("#officer-units", DataTable)
        lists.clear()
        for u in units:
            lists.add_row(
                plain(u.device_id), plain(u.version), plain(u.officers),
                plain(u.installed_version or "-"), plain(u.note),
            )  # fmt: skip
        recent = self.query_one("#officer-signins", DataTable)
        recent.clear()
        for at_ms, device, badge, outcome, detail in signins:
            recent.add_row(
                plain(when(at_ms)), plain(device), plain(badge), plain(outcome), plain(detail)
            )

    def selected(self) -> str | None:
        table = self.query_one("#officer-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def action_toggle_status(self) -> None:
        badge = self.selected()
        if badge is not None:
            new = "active" if self._status.get(badge) == "suspended" else "suspended"
            self._set_status(badge, new)

    @work(thread=True, group="officer-save")
    def _set_status(self, badge: str, status: str) -> None:
        from hub.roster import RosterError

        try:
            self.backend.modules.roster.set_status(badge, status, actor=self.backend.operator.name)
        except RosterError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
        else:
            self.app.call_from_thread(self.notify, f"{badge}: {status}", markup=False)
        self.action_refresh()
