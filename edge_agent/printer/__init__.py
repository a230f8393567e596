"""Receipt-printer port: ESC/POS over a USB printer device or a serial line.

:class:`ReceiptPrinter` (status, one job), :func:`open_printer` (from ``[printer]``),
the receipt blocks and :func:`encode` (:mod:`edge_agent.printer.layout`). Imports Pillow;
nothing starts at import.
"""

from edge_agent.printer.factory import open_printer
from edge_agent.printer.layout import Gap, Line, Qr, Rule, encode
from edge_agent.printer.printer import Printed, PrinterFault, ReceiptPrinter
from edge_agent.printer.status import PRINTABLE, STATES

__all__ = [
    "PRINTABLE",
    "STATES",
    "Gap",
    "Line",
    "Printed",
    "PrinterFault",
    "Qr",
    "ReceiptPrinter",
    "Rule",
    "encode",
    "open_printer",
]
