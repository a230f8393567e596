"""Desk: the tracking number, large, with a QR code, as soon as the complaint is queued.

An urgent complaint (:func:`khidmat_wire.vocabulary.urgency`: danger now, violence in
progress, a missing child) is flagged here too: why it is urgent, what happens next (the
duty officer is told at once and acts within the urgent due hours) and the emergency
number, large.

With a receipt printer on the desk the receipt is printed as the screen opens
(:mod:`kiosk.screens.printing`): the outcome is shown here, and after a fault (paper out,
printer off or unplugged) "Print the receipt again" prints it once the officer has fixed
the printer. The complaint was queued before printing began: a printer fault loses nothing.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from khidmat_wire.vocabulary import EMERGENCY_NUMBER, UrgentAnswer
from kiosk.i18n import N_
from kiosk.receipt_print import NOT_PRINTED, Receipt
from kiosk.rtl_widgets import KioskFooter
from kiosk.screens.base import KioskScreen, button, row, text
from kiosk.screens.printing import ReceiptPrinting
from kiosk.widgets import BigText, QRCode


class ReceiptScreen(ReceiptPrinting, KioskScreen):
    AUTO_FOCUS = "#done"
    BINDINGS = [Binding("f12", "app.quick_exit", N_("Clear"), priority=True)]
    dirty = True
    FAILURE_NOTE = NOT_PRINTED

    def __init__(
        self,
        tracking_no: str,
        urgent: UrgentAnswer | None = None,
        receipt: Receipt | None = None,
    ) -> None:
        """``receipt``: what to print (None: nothing is printed)."""
        super().__init__()
        self.tracking_no = tracking_no
        self.urgent = urgent
        self.receipt = receipt

    def on_mount(self) -> None:
        if self.receipt is not None:
            self.start_printing(self.receipt)

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(classes=f"page {self.rtl_class}"):
            yield text(t("Your complaint is registered."), classes="title")
            if self.urgent is not None:
                with Vertical(classes="urgent", id="urgent"):
                    yield text(
                        t("This complaint is urgent: {reason}.", reason=t(self.urgent.title)),
                        classes="title urgent-title",
                    )
                    yield text(
                        t(
                            "The duty officer is told now and acts within {hours} hours.",
                            hours=f"{self.urgent.due_hours:g}",
                        ),
                        classes="lead",
                    )
                    yield text(
                        t("If you are in danger now, call {number}.", number=EMERGENCY_NUMBER),
                        classes="lead",
                        id="emergency",
                    )
                    yield BigText(EMERGENCY_NUMBER, id="emergency-big", classes="tracking-big")
            yield text(t("Your tracking number"), classes="label")
            yield BigText(self.tracking_no, id="tracking-big", classes="tracking-big")
            with Horizontal(classes="receipt"):
                yield QRCode(self.tracking_no, id="qr")
                yield text(self.tracking_no, classes="tracking-no", id="tracking-no")
            yield text(
                t(
                    "Write it down or take a photo of the code. Use it to track your complaint here."
                ),
                classes="lead",
            )
            yield from self.compose_printing()
            yield row(button(t("Done"), id="done", variant="primary", classes="big"))
        yield KioskFooter()

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        self.kiosk.action_quick_exit()

    @on(Button.Pressed, "#reprint")
    async def reprint(self) -> None:
        if self.receipt is not None:
            self.start_printing(self.receipt)
            await self.rebuild("#done")
