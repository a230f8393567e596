"""``[printer]`` in the unit's config: the backend to open, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.config import ConfigError, parse_unit_config
from edge_agent.printer import ReceiptPrinter, open_printer

HEAD = """
[device]
id = "qta01-desk-0001"
role = "desk"
station = "QTA01"
data_dir = "data"
"""


def config(tmp_path: Path, printer: str = ""):
    return parse_unit_config(HEAD + printer, tmp_path / "unit.toml")


def test_no_printer_section_means_no_printer(tmp_path: Path) -> None:
    section = config(tmp_path).printer
    assert section.backend == "none" and open_printer(section) is None


def test_a_usb_printer_and_a_serial_one(tmp_path: Path) -> None:
    usb = config(tmp_path, '[printer]\nbackend = "device"\nport = "/dev/usb/lp0"\n').printer
    serial = config(
        tmp_path, '[printer]\nbackend = "serial"\nport = "/dev/ttyUSB0"\nbaud = 9600\n'
    ).printer
    for section in (usb, serial):
        printer = open_printer(section)
        assert isinstance(printer, ReceiptPrinter) and printer.name == section.port
        printer.close()  # opening touched no device


def test_the_sim_backend_starts_a_simulated_printer(tmp_path: Path) -> None:
    section = config(tmp_path, '[printer]\nbackend = "sim"\nwidth_px = 384\n').printer
    printer = open_printer(section, sim_out_dir=tmp_path / "receipts")
    try:
        assert printer is not None and printer.status() == "ok" and printer.width_px == 384
    finally:
        printer.close()
    assert printer.simulator is not None and printer.simulator.port_path  # closed with it


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('backend = "cups"', "[printer] backend"),
        ("width_px = 500", "[printer] width_px"),
        ("baud = 0", "[printer] baud"),
        ('track_url = "javascript:alert(1)"', "[printer] track_url"),
        ('track_url = "https://a b"', "[printer] track_url"),
        ('track_url = "https://x/\\u001b@"', "[printer] track_url"),
        ("colour = true", "[printer] colour"),
    ],
)
def test_a_bad_printer_setting_is_named(tmp_path: Path, table: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        config(tmp_path, f"[printer]\n{table}\n")
