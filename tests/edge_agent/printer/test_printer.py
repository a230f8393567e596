"""The printer driver against the simulated printer on a pty: receipts, and every fault.

The simulator draws what the real byte stream says; the tests read its PNG back (the QR
code with zxing-cpp, a real decoder) and its text lines.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from edge_agent.printer import Gap, Line, PrinterFault, Qr, ReceiptPrinter, Rule, encode
from edge_agent.sim.printer import SimulatedPrinter, read_receipts

NUMBER = "QTA01-261130-120001-D"
URL = f"https://track.khidmat.example/?n={NUMBER}"


def decode_qr(path: Path) -> list[str]:
    import zxingcpp  # a dev dependency (pyproject.toml): a real QR decoder

    return [r.text for r in zxingcpp.read_barcodes(Image.open(path).convert("L"))]


def wait_for(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def receipt_job(extra: list | None = None) -> bytes:
    return encode(
        [
            Line("QTA01", bold=True, align="centre"),
            Rule(),
            Line(NUMBER, size=2, bold=True, align="centre"),
            Qr(URL),
            Line("Category: Theft"),
            Line("آپ کی شکایت درج ہو گئی ہے"),
            *(extra or []),
            Gap(1),
        ]
    )


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    with SimulatedPrinter(link=tmp_path / "printer0") as printer:
        yield printer


@pytest.fixture(params=["device", "serial"])
def printer(request: pytest.FixtureRequest, sim: SimulatedPrinter) -> Iterator[ReceiptPrinter]:
    if request.param == "device":
        made = ReceiptPrinter.device(sim.port_path, reply_timeout_s=1.0, chunk_timeout_s=2.0)
    else:
        made = ReceiptPrinter.serial(
            sim.port_path, 115200, reply_timeout_s=1.0, chunk_timeout_s=2.0
        )
    with made:
        yield made


def test_a_receipt_comes_out_with_its_text_and_a_qr_code_that_decodes(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    assert printer.status() == "ok"
    printed = printer.print_job(receipt_job())
    assert printed.state == "ok" and printed.bytes_sent > 1000
    assert wait_for(lambda: sim.printed() == 1)
    [receipt] = read_receipts(sim.out_dir)
    assert (
        receipt["complete"] and NUMBER in receipt["text"] and "Category: Theft" in receipt["text"]
    )
    assert receipt["qr"] == [URL]
    assert receipt["images"] == 1  # the Urdu line, drawn
    assert [c for c in receipt["commands"] if c.startswith("unknown")] == []
    assert decode_qr(sim.out_dir / receipt["file"]) == [URL]


def test_paper_out_prints_nothing_and_says_so(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    sim.set_state("paper-out")
    with pytest.raises(PrinterFault) as fault:
        printer.print_job(receipt_job())
    assert fault.value.kind == "paper-out" and not fault.value.partial
    assert sim.receipts() == [] and sim.discarded_bytes == 0  # nothing was even sent
    sim.set_state("ok")  # the officer loads a new roll
    printer.print_job(receipt_job())
    assert wait_for(lambda: sim.printed() == 1)


@pytest.mark.parametrize("state", ["cover-open", "error"])
def test_a_stopped_printer_is_not_sent_the_receipt(
    printer: ReceiptPrinter, sim: SimulatedPrinter, state: str
) -> None:
    sim.set_state(state)
    with pytest.raises(PrinterFault) as fault:
        printer.print_job(receipt_job())
    assert fault.value.kind == state
    assert sim.receipts() == []


def test_paper_running_low_still_prints_and_warns(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    sim.set_state("paper-low")
    assert printer.print_job(receipt_job()).state == "paper-low"
    assert wait_for(lambda: sim.printed() == 1)


def test_a_printer_switched_off_is_offline_within_the_reply_time(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    sim.power_off()
    started = time.monotonic()
    with pytest.raises(PrinterFault) as fault:
        printer.print_job(receipt_job())
    assert fault.value.kind == "offline" and not fault.value.partial
    assert time.monotonic() - started < 4.5  # three unanswered queries of 1 s
    sim.power_on()
    printer.print_job(receipt_job())
    assert wait_for(lambda: sim.printed() == 1)


def test_the_roll_ending_mid_receipt_is_an_incomplete_receipt(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    sim.paper_out_after_bytes = 400
    with pytest.raises(PrinterFault) as fault:
        printer.print_job(receipt_job())
    assert fault.value.kind == "paper-out" and fault.value.partial
    assert wait_for(lambda: len(sim.receipts()) == 1)
    assert sim.receipts()[0]["complete"] is False and sim.printed() == 0


def test_a_printer_unplugged_mid_receipt_then_plugged_in_again(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    sim.vanish_after_bytes = 2000
    with pytest.raises(PrinterFault) as fault:
        printer.print_job(receipt_job([Line("x" * 40)] * 200))
    assert fault.value.kind == "offline" and fault.value.partial
    assert wait_for(lambda: not Path(sim.port_path).exists())
    assert printer.status() == "offline"  # no device at the path
    sim.plug_in()  # a new pty behind the same link, as a USB printer comes back
    assert wait_for(lambda: printer.status() == "ok")
    printer.print_job(receipt_job())
    assert wait_for(lambda: sim.printed() == 1)
    assert [r["complete"] for r in sim.receipts()] == [False, True]


def test_no_device_at_the_path_is_offline(tmp_path: Path) -> None:
    with ReceiptPrinter.device(str(tmp_path / "nothing"), reply_timeout_s=0.1) as printer:
        assert printer.status() == "offline"
        with pytest.raises(PrinterFault) as fault:
            printer.print_job(b"\x1b@")
        assert fault.value.kind == "offline"


def test_hostile_text_reaches_the_printer_only_as_text(
    printer: ReceiptPrinter, sim: SimulatedPrinter
) -> None:
    """ESC @, GS V (cut), DLE EOT, GS ( k and NUL in a line: none becomes a command."""
    hostile = "Ali\x1b@\x1dV\x00\x10\x04\x01\x1d(k\x03\x001Q0 Khan\x1bd\x09"
    benign = receipt_job([Line("Ali Khan")])
    printer.print_job(receipt_job([Line(hostile), Line("نام " + hostile)]))
    printer.print_job(benign)
    assert wait_for(lambda: sim.printed() == 2)
    hostile_receipt, benign_receipt = read_receipts(sim.out_dir)
    commands = hostile_receipt["commands"]
    assert commands.count("cut") == 1 and commands.count("init") == 1
    assert [c for c in commands if c.startswith("unknown")] == []
    assert commands.count("qr-print") == 1 and hostile_receipt["qr"] == [URL]
    assert "Ali@V(k1Q0 Khand" in hostile_receipt["text"]  # printable bytes, as text

    # the same commands as the benign receipt, but for the Urdu line's image
    def without_images(found: list[str]) -> list[str]:
        return [c for c in found if c not in ("align", "raster")]

    assert without_images(commands) == without_images(benign_receipt["commands"])
    assert commands.count("raster") > benign_receipt["commands"].count("raster")
