"""Build the configured receipt printer from ``[printer]`` config.

``device``: a USB printer-class device (``/dev/usb/lp0``); ``serial``: a UART or
USB-serial printer at ``baud``; ``sim``: a :class:`edge_agent.sim.printer.SimulatedPrinter`
started in this process, its receipts written to ``sim_out_dir`` (the returned printer's
``simulator`` attribute is it, closed with the printer); ``none``: None.
Opening never touches the device: the first status query or job does.
"""

from __future__ import annotations

from pathlib import Path

from edge_agent.config import PrinterSection
from edge_agent.printer.printer import ReceiptPrinter


def open_printer(
    section: PrinterSection, *, sim_out_dir: Path | None = None
) -> ReceiptPrinter | None:
    """The printer ``section`` describes, or None for ``backend = "none"``."""
    if section.backend == "none":
        return None
    if section.backend == "device":
        return ReceiptPrinter.device(section.port, width_px=section.width_px)
    if section.backend == "serial":
        return ReceiptPrinter.serial(section.port, section.baud, width_px=section.width_px)
    if section.backend == "sim":
        from edge_agent.sim.printer import SimulatedPrinter

        if sim_out_dir is None:
            raise ValueError('[printer] backend = "sim" needs a folder for its receipts')
        simulator = SimulatedPrinter(out_dir=sim_out_dir, width_px=section.width_px).start()
        printer = SimulatedReceiptPrinter.device(simulator.port_path, width_px=section.width_px)
        printer.simulator = simulator
        return printer
    raise ValueError(f"[printer] backend {section.backend!r}: must be device, serial, sim or none")


class SimulatedReceiptPrinter(ReceiptPrinter):
    """A printer with its simulator in this process (``khidmat kiosk --sim desk``)."""

    simulator = None  # type: ignore[var-annotated]

    def close(self) -> None:
        super().close()
        if self.simulator is not None:
            self.simulator.close()
