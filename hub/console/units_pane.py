"""Units: each unit's settings from the hub (version sent and applied) and its commands.

Select a unit, type ``key=value`` (several separated by spaces) and Enter to set them;
``t`` self-test, ``o`` open the gate relay, ``w`` sync the watchlist, ``x`` restart the
screen. Every change and command is recorded under the console's operator
(:mod:`hub.unit_control`); the running hub sends it within a second. Values and results
come from people and devices: plain text, never markup.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from hub.console.backend import ConsoleBackend
from hub.console.text import plain, when
from hub.unit_control import CommandView, UnitControlError, UnitTarget

COLUMNS = ("unit", "role", "station", "settings", "version", "applied")
COMMAND_COLUMNS = ("time", "unit", "command", "by", "result")


class UnitsPane(Vertical):
    BINDINGS = [
        ("t", "command('selftest')", "Self-test"),
        ("o", "command('open-relay')", "Open relay"),
        ("w", "command('sync-watchlist')", "Sync watchlist"),
        ("x", "command('restart-screen')", "Restart screen"),
        ("r", "refresh", "Refresh"),
    ]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend
        self.targets: dict[str, UnitTarget] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(id="unit-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Input(placeholder="key=value ... then Enter (for the selected unit)", id="unit-set")
        commands: DataTable[object] = DataTable(id="unit-commands", zebra_stripes=True)
        commands.add_columns(*COMMAND_COLUMNS)
        yield commands

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(5.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="units")
    def action_refresh(self) -> None:
        units = self.backend.modules.units
        devices = [d for d in self.backend.devices() if d.registered and d.active]
        rows = [
            (UnitTarget(d.device_id, d.role, d.station), units.settings(d.device_id),
             units.config_state(d.device_id))
            for d in devices
        ]  # fmt: skip
        self.app.call_from_thread(self._show, rows, units.commands(limit=30))

    def _show(self, rows: list, commands: list[CommandView]) -> None:  # type: ignore[type-arg]
        table = self.query_one("#unit-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        self.targets = {}
        for target, settings, (version, applied) in rows:
            self.targets[target.device_id] = target
            table.add_row(
                plain(target.device_id), plain(target.role), plain(target.station),
                plain(" ".join(f"{k}={v}" for k, v in settings.items())),
                plain(version or ""),
                plain(applied or "-", "bold red" if version and applied != version else ""),
                key=target.device_id,
            )  # fmt: skip
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        done = self.query_one("#unit-commands", DataTable)
        done.clear()
        for c in commands:
            result = f"{c.severity}: {c.detail}" if c.result_ms else "(no answer yet)"
            done.add_row(
                plain(when(c.at_ms)),
                plain(c.device_id),
                plain(c.command),
                plain(c.by),
                plain(result),
            )

    def selected(self) -> UnitTarget | None:
        table = self.query_one("#unit-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.targets.get(str(key))

    @on(Input.Submitted, "#unit-set")
    def set_values(self, event: Input.Submitted) -> None:
        target = self.selected()
        if target is None:
            return
        changes: dict[str, str] = {}
        for item in event.value.split():
            key, sep, value = item.partition("=")
            if not sep:
                self.notify(f"{item[:60]} is not key=value", severity="error", markup=False)
                return
            changes[key] = value
        self._apply(target, changes, "")
        event.input.value = ""

    def action_command(self, name: str) -> None:
        target = self.selected()
        if target is not None:
            self._apply(target, {}, name)

    @work(thread=True, group="unit-save")
    def _apply(self, target: UnitTarget, changes: dict[str, str], command: str) -> None:
        units = self.backend.modules.units
        actor = self.backend.operator.name
        try:
            if command:
                units.command(target, command, actor=actor)
                message = f"{target.device_id}: {command} sent"
            else:
                station = [t for t in self.targets.values() if t.station == target.station]
                version = units.set(target, changes, actor=actor, station_units=station)
                message = f"{target.device_id}: settings v{version} sent"
        except UnitControlError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
        else:
            self.app.call_from_thread(self.notify, message, markup=False)
        self.action_refresh()
