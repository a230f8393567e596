"""The console's Hotel Eye tab and the hotel alerts, over a real hub database.

With ``KHIDMAT_SCREENSHOT_DIR`` set (and Chromium installed) the screens are also written
there as PNG, the pictures of docs/station.md:
``KHIDMAT_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest tests/hub/test_console_hotels.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from hub.config import load_hub_config
from hub.console.app import build_app
from hub.console.backend import ConsoleBackend, Operator
from hub.hotel_import import import_guests
from hub.service import HubService

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(svg: str, name: str) -> None:
    """Write ``svg`` as ``<name>.png`` into KHIDMAT_SCREENSHOT_DIR (when set and possible)."""
    directory = os.environ.get("KHIDMAT_SCREENSHOT_DIR")
    if not directory or CHROMIUM is None:
        return
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.svg"
    source.write_text(svg, encoding="utf-8")
    try:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={folder / f'{name}.png'}", "--window-size=1500,900", source.as_uri()],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    finally:
        source.unlink()


@pytest.fixture
def hub(hub_toml, tmp_path: Path):
    config = load_hub_config(hub_toml(extra=""))
    service = HubService(config)  # every table and handler; never started here
    records = service.modules.records
    for name, cnic, status in (
        ("Muhammad Akram", "54400-9876543-1", "wanted"),
        ("Zahid Hussain", "54301-1231231-1", "proclaimed-offender"),
    ):
        records.upsert_person(
            name=name, father_name="-", cnic=cnic, offences=["PPC 302"], status=status,
            source="test", actor="CRO",
        )  # fmt: skip
    eye = service.modules.hotels
    eye.register("QTA-SERENA", name="Serena Hotel", station="QTA01", device_id="desk-7")
    eye.register("QTA-GRAND", name="Grand Hotel", station="QTA02")
    register = tmp_path / "grand.csv"
    register.write_text(
        "name,cnic,nationality,passport,room,check_in\n"
        "Mohammad Akram,5440098765431,PK,,21,2026-11-30 20:00\n"
        "زاہد حسین,35202-0000000-1,PK,,22,2026-11-30 20:10\n"
        "Ayesha Bibi,42101-1234567-1,PK,,23,2026-11-30 20:20\n"
        "Wang Lei,,CN,E12345678,24,2026-11-30 20:30\n",
        encoding="utf-8",
    )
    assert import_guests(eye, register, hotel_id="QTA-GRAND").hits == 2
    yield config
    service.store.close()


async def _settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_the_station_officer_sees_hits_and_hotels(hub) -> None:
    asyncio.run(_hotel_tab(hub))


async def _hotel_tab(config) -> None:
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(150, 36)) as pilot:
        await _settle(app, pilot)
        app.query_one("#complaint-table").focus()
        await pilot.press("8")
        await _settle(app, pilot)
        hits = app.query_one("#hotel-hit-table", DataTable)
        rows = [[str(c) for c in hits.get_row_at(i)] for i in range(hits.row_count)]
        assert len(rows) == 2
        by_how = {r[-1].split()[0]: r for r in rows}
        assert by_how["CNIC"][5] == "Mohammad Akram" and "Muhammad Akram" in by_how["CNIC"][6]
        assert by_how["name"][5] == "زاہد حسین" and "Zahid Hussain" in by_how["name"][6]
        assert all(r[1] == "QTA02" and r[2] == "Grand Hotel" for r in rows)
        assert "5440098765431" not in str(rows)  # the guest's CNIC is not shown
        hotels = app.query_one("#hotel-table", DataTable)
        shown = {str(hotels.get_row_at(i)[0]): str(hotels.get_row_at(i)[4]) for i in range(2)}
        assert shown == {"QTA-GRAND": "4", "QTA-SERENA": "0"}
        screenshot(app.export_screenshot(), "console-hotel-eye")
        await pilot.press("3")
        await _settle(app, pilot)
        alerts = app.query_one("#alert-table", DataTable)
        titles = [str(alerts.get_row_at(i)[5]) for i in range(alerts.row_count)]
        assert any("Hotel Eye: wanted person Muhammad Akram at Grand Hotel" in t for t in titles)
        assert any("possible match for Zahid Hussain" in t for t in titles)
        detail = str(app.query_one("#alert-detail", Static).render())
        assert "station QTA02" in detail
        screenshot(app.export_screenshot(), "console-hotel-alerts")
