"""The printed receipt at the desk: a filed complaint prints on the simulated printer (the
real ESC/POS stream over a pty), in English or Urdu; printer faults are told to the citizen
and the officer, and the complaint is in the outbox whatever the printer does."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from edge_agent.config import UnitConfig
from edge_agent.printer import ReceiptPrinter
from edge_agent.sim.printer import SimulatedPrinter, read_receipts
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire.codec import decode
from khidmat_wire.messages import ComplaintStatus, StatusEntry
from kiosk.app import KioskApp, build_app
from kiosk.i18n import Translator
from kiosk.receipt_print import NOT_PRINTED, PRINTER_MESSAGES
from kiosk.screens.receipt import ReceiptScreen
from kiosk.sim import seed_store
from tests.kiosk.conftest import FIXED_NOW_S
from tests.kiosk.desk_flow import NAME, to_review

TRACK_URL = "https://track.khidmat.example/"


def decode_qr(path: Path) -> list[str]:
    import zxingcpp  # a dev dependency (pyproject.toml): a real QR decoder

    return [r.text for r in zxingcpp.read_barcodes(Image.open(path).convert("L"))]


def complaints(store: LocalStore) -> list:
    found = [decode(r.payload) for r in store.due_records(2**62, 100)]
    return [r.body for r in found if r.kind == "complaint"]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    with SimulatedPrinter(link=tmp_path / "printer0") as printer:
        yield printer


@pytest.fixture
def printing_desk(
    unit: Callable[[str], UnitConfig], store: LocalStore, sim: SimulatedPrinter
) -> Iterator[Callable[..., KioskApp]]:
    printers: list[ReceiptPrinter] = []

    def make(**options: object) -> KioskApp:
        seed_store(store, entries=None, issued_at_ms=0)
        config = unit("desk")
        config = dataclasses.replace(
            config, printer=dataclasses.replace(config.printer, track_url=TRACK_URL)
        )
        printer = ReceiptPrinter.device(sim.port_path, reply_timeout_s=1.0, chunk_timeout_s=2.0)
        printers.append(printer)
        return build_app(
            "desk",
            config,
            store=store,
            printer=printer,
            clock=SettableClock(int(FIXED_NOW_S * 1000)),
            **options,
        )  # type: ignore[arg-type]

    yield make
    for printer in printers:
        printer.close()


async def settle(pilot, screen, until: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if until():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the screen did not settle")


def shown(screen, selector: str) -> str:
    return " ".join(str(w.render()) for w in screen.query(selector))


def outcome_of(screen) -> str:
    """The print's outcome once the screen shows it ("" before; "printing" while it runs)."""
    outcome = screen.print_outcome
    if outcome is None:
        return ""
    drawn = shown(screen, "#print-status")
    if not drawn or "..." in drawn:  # the rebuild after the outcome is still to come
        return "printing"
    return outcome.state


async def file_one(pilot, **people: str) -> ReceiptScreen:
    await to_review(pilot, **people)
    await pilot.click("#submit")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ReceiptScreen)
    await settle(pilot, screen, lambda: outcome_of(screen) not in ("", "printing"))
    return screen


async def test_a_filed_complaint_prints_its_receipt_in_english(
    printing_desk: Callable[..., KioskApp], store: LocalStore, sim: SimulatedPrinter
) -> None:
    app = printing_desk()
    async with app.run_test(size=(100, 60)) as pilot:
        screen = await file_one(pilot)
        number = screen.tracking_no
        assert screen.print_outcome.state == "printed"
        assert "take your receipt" in shown(screen, "#print-status")
    [receipt] = read_receipts(sim.out_dir)
    assert receipt["complete"]
    assert number in receipt["text"] and "QTA01" in receipt["text"]
    assert "Category: Theft" in receipt["text"]
    assert "Filed: 2026-11-30 10:00" in receipt["text"]
    assert any(line.startswith("We aim to act by 2026-12-") for line in receipt["text"])
    assert receipt["images"] == 0  # all English: the printer's own font
    url = f"{TRACK_URL}?n={number}"
    assert receipt["qr"] == [url]
    assert decode_qr(sim.out_dir / receipt["file"]) == [url]
    # no personal data on a receipt anyone could find
    assert not any(NAME.split()[0] in line for line in receipt["text"])
    assert [c.tracking_no for c in complaints(store)] == [number]


async def test_an_urdu_citizen_gets_an_urdu_receipt(
    printing_desk: Callable[..., KioskApp], sim: SimulatedPrinter
) -> None:
    app = printing_desk(start_language="ur")
    async with app.run_test(size=(100, 60)) as pilot:
        screen = await file_one(pilot)
        number = screen.tracking_no
        assert screen.print_outcome.state == "printed"
    [receipt] = read_receipts(sim.out_dir)
    # the number, the station and the rules are in the printer's font; every sentence is
    # Urdu, drawn as an image (the printer has no Urdu font)
    assert number in receipt["text"]
    assert not any("Category" in line or "track" in line.lower() for line in receipt["text"])
    assert receipt["images"] >= 7
    assert decode_qr(sim.out_dir / receipt["file"]) == [f"{TRACK_URL}?n={number}"]
    # Urdu lines start on the right of the paper
    pixels = Image.open(sim.out_dir / receipt["file"]).convert("L")
    height = pixels.height
    right = pixels.crop((400, height // 2, 576, height)).getextrema()[0]
    assert right == 0  # ink on the right half, where Urdu lines begin


async def test_paper_out_is_shown_and_the_complaint_is_kept_then_reprinted(
    printing_desk: Callable[..., KioskApp], store: LocalStore, sim: SimulatedPrinter
) -> None:
    sim.set_state("paper-out")
    app = printing_desk()
    t = Translator("en")
    async with app.run_test(size=(100, 70)) as pilot:
        screen = await file_one(pilot)
        assert screen.print_outcome.state == "paper-out"
        assert t(PRINTER_MESSAGES["paper-out"]) in shown(screen, "#print-status")
        assert "filed and safe" in shown(screen, "#print-note")
        assert NOT_PRINTED.startswith("Your complaint is filed")
        assert [c.tracking_no for c in complaints(store)] == [screen.tracking_no]
        assert sim.receipts() == []
        sim.set_state("ok")  # the officer loads a roll and presses the button
        await pilot.click("#reprint")
        await settle(pilot, app.screen, lambda: outcome_of(app.screen) == "printed")
        assert not app.screen.query("#reprint")
    assert sim.printed() == 1
    assert len(complaints(store)) == 1  # a reprint files nothing


async def test_a_printer_unplugged_mid_receipt_says_it_may_be_incomplete(
    printing_desk: Callable[..., KioskApp], store: LocalStore, sim: SimulatedPrinter
) -> None:
    sim.vanish_after_bytes = 300
    app = printing_desk()
    async with app.run_test(size=(100, 70)) as pilot:
        screen = await file_one(pilot)
        assert screen.print_outcome.state == "offline" and screen.print_outcome.partial
        said = shown(screen, "#print-status")
        assert "not answering" in said and "incomplete" in said
        assert len(complaints(store)) == 1
        sim.plug_in()
        await pilot.click("#reprint")
        await settle(pilot, app.screen, lambda: outcome_of(app.screen) == "printed")
    assert [r["complete"] for r in sim.receipts()] == [False, True]


async def test_a_printer_switched_off_is_told_in_urdu_too(
    printing_desk: Callable[..., KioskApp], store: LocalStore, sim: SimulatedPrinter
) -> None:
    sim.power_off()
    app = printing_desk(start_language="ur")
    t = Translator("ur")
    async with app.run_test(size=(100, 70)) as pilot:
        screen = await file_one(pilot)
        assert screen.print_outcome.state == "offline" and not screen.print_outcome.partial
        assert screen.query("#reprint")
        message = t(PRINTER_MESSAGES["offline"])
        assert message != PRINTER_MESSAGES["offline"]  # translated
    assert len(complaints(store)) == 1 and sim.receipts() == []


async def test_hostile_name_and_description_never_reach_the_printer(
    printing_desk: Callable[..., KioskApp], sim: SimulatedPrinter
) -> None:
    hostile = "Ali\x1b@\x1dV\x00\x10\x04\x01\x1d(k Khan"
    app = printing_desk()
    async with app.run_test(size=(100, 60)) as pilot:
        await to_review(pilot, name=hostile, description=f"cut here {hostile} reset")
        await pilot.click("#submit")
        await pilot.pause()
        receipt_screen = app.screen
        assert isinstance(receipt_screen, ReceiptScreen)
        await settle(pilot, receipt_screen, lambda: outcome_of(receipt_screen) == "printed")
    [receipt] = read_receipts(sim.out_dir)
    assert receipt["commands"].count("cut") == 1 and receipt["commands"].count("init") == 1
    assert [c for c in receipt["commands"] if c.startswith("unknown")] == []
    assert not any(w in line for w in ("Ali", "Khan", "reset") for line in receipt["text"])


async def test_the_tracking_screen_prints_a_status_slip(
    printing_desk: Callable[..., KioskApp], store: LocalStore, sim: SimulatedPrinter
) -> None:
    from datetime import datetime

    from kiosk.tracking import make_tracking_no
    from tests.kiosk.test_kiosk_desk import fill

    number = make_tracking_no("QTA01", datetime(2026, 11, 29), 3, 12)
    store.put_complaint_status(
        ComplaintStatus(
            number,
            True,
            "registered",
            1_796_100_000_000,
            (StatusEntry("registered", "FIR 123/26 \x1b@", 1_796_000_000_000),),
            False,
        )
    )
    app = printing_desk(poll_interval_s=0.1)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await fill(pilot, "#number", number)
        await pilot.click("#check")
        await pilot.pause()
        screen = app.screen
        await settle(pilot, screen, lambda: bool(screen.query("#print")))
        screen.query_one("#print").press()  # below the fold at this size: pressed, not clicked
        await settle(pilot, screen, lambda: outcome_of(screen) == "printed")
    [receipt] = read_receipts(sim.out_dir)
    assert number in receipt["text"]
    assert any(line.startswith("Status: ") for line in receipt["text"])
    assert any(line.startswith("We aim to act by ") for line in receipt["text"])
    assert not any("FIR" in line for line in receipt["text"])  # the officer's words stay
    assert not any(line.startswith("Category") for line in receipt["text"])


def test_the_sim_desk_has_a_simulated_printer(tmp_path: Path) -> None:
    from kiosk.run import sim_app

    app = sim_app("desk", tmp_path)
    try:
        printer = app.context.printer
        assert printer is not None and printer.status() == "ok"
        assert printer.simulator.out_dir == tmp_path / "data" / "receipts"
    finally:
        app.context.close()


async def test_the_welcome_screen_tells_the_officer_what_the_printer_needs(
    printing_desk: Callable[..., KioskApp], sim: SimulatedPrinter
) -> None:
    """Between citizens the desk asks the printer's state; a fault stays on the welcome
    screen until it is fixed, and says filing still works."""
    sim.set_state("paper-out")
    app = printing_desk(poll_interval_s=0.1, printer_check_s=0.2)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app.screen, lambda: bool(app.screen.query("#printer-warning")))
        said = shown(app.screen, "#printer-warning")
        assert "out of paper" in said and "still filed" in said
        sim.set_state("paper-low")
        await settle(pilot, app.screen, lambda: "low" in shown(app.screen, "#printer-warning"))
        assert "still filed" not in shown(app.screen, "#printer-warning")  # it still prints
        sim.set_state("ok")
        await settle(pilot, app.screen, lambda: not app.screen.query("#printer-warning"))
        assert app.printer_state == "ok"
