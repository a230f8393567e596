"""Printing a receipt from a desk screen: the worker, and what the person is told.

:class:`ReceiptPrinting` is mixed into the receipt and tracking screens. It prints on a
worker thread (the printer may take seconds, or time out) and shows the outcome in the
citizen's language where both the citizen and the desk officer beside the kiosk see it:
printing, "take your receipt", or why it did not print (out of paper, cover open, not
answering, a fault; "may be incomplete" when it stopped mid-receipt) with a button to
print it again. A printer fault never touches the complaint: it was queued in the unit's
outbox before printing started. Screens without a printer (``context.printer`` None)
show nothing of this.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult

from edge_agent.printer import PrinterFault
from kiosk.i18n import N_
from kiosk.receipt_print import INCOMPLETE, PRINTER_MESSAGES, Receipt, print_receipt
from kiosk.screens.base import button, row, text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    """``state``: printing, printed, or a printer state that stopped it (paper-out, ...);
    ``low``: printed, but the paper is running low; ``partial``: stopped mid-receipt."""

    state: str
    low: bool = False
    partial: bool = False


class ReceiptPrinting:
    """Mixin for a :class:`kiosk.screens.base.KioskScreen` that prints receipts."""

    print_outcome: PrintOutcome | None = None
    #: Said under a failure (the receipt screen: the complaint is safe; "" for none).
    FAILURE_NOTE: str = ""
    REPRINT_LABEL: str = N_("Print the receipt again")

    @property
    def can_print(self) -> bool:
        return self.kiosk.context.printer is not None  # type: ignore[attr-defined]

    def start_printing(self, receipt: Receipt) -> None:
        """Print ``receipt`` on a worker; the outcome is shown when it is known."""
        if not self.can_print:
            return
        self.print_outcome = PrintOutcome("printing")
        self._print_worker(receipt)

    @work(thread=True, exclusive=True, group="printer")
    def _print_worker(self, receipt: Receipt) -> None:
        context = self.kiosk.context  # type: ignore[attr-defined]
        try:
            printed = print_receipt(
                context.printer, receipt, track_url=context.track_url, clock_ms=context.now_ms
            )
            outcome = PrintOutcome("printed", low=printed.state == "paper-low")
            seen = printed.state
        except PrinterFault as fault:
            outcome = PrintOutcome(fault.kind, partial=fault.partial)
            seen = fault.kind
        except Exception:  # a driver bug must not close the kiosk under a citizen
            log.exception("printing a receipt failed")  # the receipt holds no personal data
            outcome = PrintOutcome("error")
            seen = "error"
        self.app.call_from_thread(self._printed, outcome, seen)  # type: ignore[attr-defined]

    def _printed(self, outcome: PrintOutcome, seen: str) -> None:
        self.print_outcome = outcome
        self.kiosk.printer_seen(seen)  # type: ignore[attr-defined]
        self.call_later(self.rebuild)  # type: ignore[attr-defined]

    def compose_printing(self) -> ComposeResult:
        """The outcome lines (and the reprint button after a failure)."""
        outcome = self.print_outcome
        if outcome is None or not self.can_print:
            return
        t = self.t  # type: ignore[attr-defined]
        if outcome.state == "printing":
            yield text(t("Printing your receipt..."), classes="lead", id="print-status")
            return
        if outcome.state == "printed":
            yield text(t("Please take your receipt."), classes="lead", id="print-status")
            if outcome.low:
                yield text(t(PRINTER_MESSAGES["paper-low"]), classes="guidance", id="print-low")
            return
        message = t(PRINTER_MESSAGES.get(outcome.state, PRINTER_MESSAGES["error"]))
        if outcome.partial:
            message = f"{message} {t(INCOMPLETE)}"
        yield text(message, classes="error", id="print-status")
        if self.FAILURE_NOTE:
            yield text(t(self.FAILURE_NOTE), classes="guidance", id="print-note")
        yield row(button(t(self.REPRINT_LABEL), id="reprint", classes="big"))
