"""Desk: the welcome screen with the language choice, filing, tracking a complaint or a
driving licence.

When the desk's receipt printer was last found out of paper, open, off or faulty (or its
paper running low), a line under the buttons says so, for the desk officer to fix between
citizens and for the next citizen to know that filing still works.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from edge_agent.printer import PRINTABLE
from kiosk.i18n import N_
from kiosk.receipt_print import PRINTER_MESSAGES
from kiosk.rtl_widgets import KioskFooter
from kiosk.screens.base import KioskScreen, button, text

NO_RECEIPTS = N_("Complaints are still filed; the receipt can be printed later.")


class WelcomeScreen(KioskScreen):
    AUTO_FOCUS = "#file"
    BINDINGS = [
        Binding("f12", "app.quick_exit", N_("Clear"), priority=True),
        Binding("c", "file", "Complaint", show=False),
        Binding("t", "track", "Track", show=False),
        Binding("l", "licence", "Licence", show=False),
    ]

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(classes=f"page {self.rtl_class}"):
            yield text(t("Police Facilitation Desk"), classes="title")
            yield text(t("Welcome. We are here to help you."), classes="lead")
            yield text(t("Choose your language"), classes="label")
            with Horizontal(classes="choices"):
                yield from self.mirrored(
                    [
                        button("English", id="lang-en", classes="big"),
                        button("اردو", id="lang-ur", classes="big"),
                    ]
                )
            with Horizontal(classes="choices"):
                yield from self.mirrored(
                    [
                        button(t("File a complaint"), id="file", variant="primary", classes="big"),
                        button(t("Track a complaint"), id="track", classes="big"),
                    ]
                )
            with Horizontal(classes="choices"):
                yield button(t("Track a driving licence"), id="licence", classes="big")
            state = self.kiosk.printer_state
            if state is not None and state != "ok":
                message = t(PRINTER_MESSAGES.get(state, PRINTER_MESSAGES["error"]))
                if state not in PRINTABLE:
                    message = f"{message} {t(NO_RECEIPTS)}"
                yield text(message, classes="guidance", id="printer-warning")
            yield text(
                t("Press F12 at any time to clear everything and start again."), classes="hint"
            )
        yield KioskFooter()

    def printer_changed(self) -> None:
        """The app saw the printer's state change: show, change or clear the warning
        (nothing is redrawn while there is none to show: ready is the usual news)."""
        if self.kiosk.printer_state not in (None, "ok") or self.query("#printer-warning"):
            self.call_later(self.rebuild)

    @on(Button.Pressed, "#lang-en")
    def english(self) -> None:
        self.kiosk.language = "en"

    @on(Button.Pressed, "#lang-ur")
    def urdu(self) -> None:
        self.kiosk.language = "ur"

    @on(Button.Pressed, "#file")
    def action_file(self) -> None:
        from kiosk.screens.complaint import ComplaintScreen

        self.app.push_screen(ComplaintScreen())

    @on(Button.Pressed, "#track")
    def action_track(self) -> None:
        from kiosk.screens.track import TrackScreen

        self.app.push_screen(TrackScreen())

    @on(Button.Pressed, "#licence")
    def action_licence(self) -> None:
        from kiosk.screens.licence import LicenceScreen

        self.app.push_screen(LicenceScreen())
