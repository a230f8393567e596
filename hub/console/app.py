"""The console app: one tab per module, footer bindings and command-palette entries.

:func:`build_app` is the one factory used by ``khidmat console`` and by the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, ComposeResult, SystemCommand
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from hub.console.alerts_pane import AlertsPane
from hub.console.backend import ConsoleBackend
from hub.console.complaints_pane import ComplaintsPane
from hub.console.devices_pane import DevicesPane
from hub.console.diary_pane import DiaryPane
from hub.console.hotels_pane import HotelsPane
from hub.console.officers_pane import OfficersPane
from hub.console.quarantine_pane import QuarantinePane
from hub.console.search_pane import SearchPane
from hub.console.units_pane import UnitsPane

TABS = (
    ("devices", "Devices"),
    ("complaints", "Complaints"),
    ("alerts", "Hits & alerts"),
    ("quarantine", "Quarantine"),
    ("search", "Search"),
    ("officers", "Officers"),
    ("units", "Units"),
    ("diary", "Diary"),
    ("hotels", "Hotel Eye"),
)

FOCUS = {
    "devices": "#device-table",
    "complaints": "#complaint-table",
    "alerts": "#alert-table",
    "quarantine": "#quarantine-table",
    "search": "#search-input",
    "officers": "#officer-table",
    "units": "#unit-table",
    "diary": "#diary-table",
    "hotels": "#hotel-hit-table",
}


class ConsoleApp(App[None]):
    """The hub operator's console."""

    CSS_PATH = "console.tcss"
    TITLE = "Khidmat hub console"
    BINDINGS = [
        ("1", "show('devices')", "Devices"),
        ("2", "show('complaints')", "Complaints"),
        ("3", "show('alerts')", "Alerts"),
        ("4", "show('quarantine')", "Quarantine"),
        ("5", "show('search')", "Search"),
        ("6", "show('officers')", "Officers"),
        ("7", "show('units')", "Units"),
        ("8", "show('diary')", "Diary"),
        ("9", "show('hotels')", "Hotels"),
        ("q", "quit", "Quit"),
    ]

    def __init__(self, backend: ConsoleBackend) -> None:
        super().__init__()
        self.backend = backend
        operator = backend.operator
        self.sub_title = f"{operator.name} - {operator.desk} desk"

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="complaints"):
            with TabPane("Devices", id="devices"):
                yield DevicesPane(self.backend)
            with TabPane("Complaints", id="complaints"):
                yield ComplaintsPane(self.backend, id="complaints-pane")
            with TabPane("Hits & alerts", id="alerts"):
                yield AlertsPane(self.backend, id="alerts-pane")
            with TabPane("Quarantine", id="quarantine"):
                yield QuarantinePane(self.backend)
            with TabPane("Search", id="search"):
                yield SearchPane(self.backend, id="search-pane")
            with TabPane("Officers", id="officers"):
                yield OfficersPane(self.backend, id="officers-pane")
            with TabPane("Units", id="units"):
                yield UnitsPane(self.backend, id="units-pane")
            with TabPane("Diary", id="diary"):
                yield DiaryPane(self.backend, id="diary-pane")
            with TabPane("Hotel Eye", id="hotels"):
                yield HotelsPane(self.backend, id="hotels-pane")
        yield Footer()

    def action_show(self, tab: str) -> None:
        """Switch tab and focus its main widget, so its key bindings work at once."""
        self.query_one(TabbedContent).active = tab
        self.query_one(FOCUS[tab]).focus()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab, label in TABS:
            yield SystemCommand(
                f"Show {label.lower()}",
                f"Switch to the {label} tab",
                lambda tab=tab: self.action_show(tab),
            )
        yield SystemCommand(
            "Overdue complaints",
            "Show only complaints past their due time",
            self._overdue,
        )

    def _overdue(self) -> None:
        self.action_show("complaints")
        self.query_one(ComplaintsPane).action_overdue()

    def on_unmount(self) -> None:
        self.backend.close()


def build_app(backend: ConsoleBackend) -> ConsoleApp:
    return ConsoleApp(backend)
