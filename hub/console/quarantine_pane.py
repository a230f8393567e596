"""Quarantined payloads: what arrived invalid, from where, and why."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from hub.console.backend import ConsoleBackend
from hub.console.text import plain, when
from hub.store import QuarantinedPayload

COLUMNS = ("last seen", "times", "device", "topic", "reason", "bytes")


class QuarantinePane(Vertical):
    BINDINGS = [("r", "refresh", "Refresh")]

    def __init__(self, backend: ConsoleBackend, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backend = backend

    def compose(self) -> ComposeResult:
        table: DataTable[object] = DataTable(
            id="quarantine-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(10.0, self.action_refresh)

    @work(thread=True, exclusive=True, group="quarantine")
    def action_refresh(self) -> None:
        items = self.backend.quarantine()
        self.app.call_from_thread(self._show, items)

    def _show(self, items: list[QuarantinedPayload]) -> None:
        table = self.query_one("#quarantine-table", DataTable)
        table.clear()
        for q in items:
            table.add_row(
                plain(when(q.last_ms)),
                plain(q.times),
                plain(q.device_id or ""),
                plain(q.topic),
                plain(q.reason),
                plain(q.payload_bytes),
                key=str(q.id),
            )
