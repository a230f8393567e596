"""What the desk's two look-up screens share (a complaint by its tracking number, a
driving licence by its token): the error line and the Back / Check row under the typed
fields, the notice shown while the hub's answer is on its way, and how a step's time is
written. Pure widget builders: call them from the screen's ``compose`` (UI thread).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from textual.widget import Widget

from kiosk.rtl_widgets import Paragraph
from kiosk.screens.base import KioskScreenMixin, button, row, text


def when(ms: int) -> str:
    """Unix ms as the kiosk's local date and time to the minute: ``2026-11-29 14:05``."""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def check_row(screen: KioskScreenMixin, error: str) -> Iterator[Widget]:
    """The translated ``error`` (when there is one), then Back and Check in reading order."""
    t = screen.t
    if error:
        yield text(t(error), classes="error", id="error")
    yield row(
        *screen.mirrored(
            [
                button(t("Back"), id="back", classes="big"),
                button(t("Check"), id="check", variant="primary", classes="big"),
            ]
        )
    )


def waiting_notice(screen: KioskScreenMixin) -> Paragraph:
    """Shown after Check until the agent has stored the hub's answer."""
    return text(
        screen.t("We have asked the police office. The answer appears here in a moment."),
        classes="guidance",
        id="waiting",
    )
