"""The console's diary tab driven by Textual's Pilot over a real hub database: read, add,
correct, close, and a tampered day shown as such. ``KHIDMAT_SCREENSHOT_DIR`` keeps an SVG
screenshot of the tab (docs/images/console-diary.svg is one)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from hub.config import load_hub_config
from hub.console.app import build_app
from hub.console.backend import ConsoleBackend, Operator
from hub.console.diary_dialog import ConfirmDialog, EntryDialog
from hub.diary import station_day
from hub.ingest import Ingestor
from hub.service import HubService
from khidmat.testbed import sample_complaint
from khidmat_base.clock import now_ms
from khidmat_wire import encode, make_envelope
from provisioning.registry import Registry
from tests.hub.raw_sql import run_raw

INJECTED = "[@click=app.quit]x[/] [bold]loud"
URDU = "ملاقاتی: گل خان کے والد، بیس منٹ"


@pytest.fixture
def hub_files(hub_toml):
    config = load_hub_config(hub_toml())
    service = HubService(config)  # every table and handler; never started here
    with Registry(service.store.db.location) as registry:
        registry.register(
            "desk-qta1-1", role="desk", station="QTA1", name="desk",
            mqtt_password_hash="x", has_client_cert=False,
        )  # fmt: skip
    body = sample_complaint("QTA1", 1, device_id="desk-qta1-1")
    envelope = make_envelope("complaint", "desk-qta1-1", body)
    Ingestor(service.store, lambda topic, payload: True).process(
        [("khidmat/v1/dev/desk-qta1-1/up/complaint", encode(envelope))]
    )
    diary = service.modules.diary
    diary.add("QTA1", "arrival", "SI Ahmed (QTA-0412)", "night duty", source="test")
    diary.add(
        "QTA1", "prisoner-in", "SI Ahmed (QTA-0412)", "Gul Khan s/o Sher Khan", ref="FIR 112/26"
    )
    diary.add("QTA1", "visitor", "ASI Rubina", URDU)
    diary.add("QTA1", "report", "HC Bashir", "Patrol of Jinnah Road and Prince Road, all quiet")
    yield config, service
    service.store.close()


async def _settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _cells(app) -> list[list[str]]:
    table = app.query_one("#diary-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _state(app) -> str:
    return str(app.query_one("#diary-state", Static).render())


def test_read_add_correct_close_and_see_tampering(hub_files) -> None:
    config, service = hub_files
    today = station_day(now_ms())
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))

    async def drive() -> None:
        async with app.run_test(size=(150, 40)) as pilot:
            await pilot.press("8")
            await _settle(app, pilot)
            assert app.query_one("#diary-station", Input).value == "QTA1"
            rows = _cells(app)
            assert [r[3] for r in rows] == [
                "Complaint received", "Arrival on duty", "Prisoner brought in", "Visitor", "Report",
            ]  # fmt: skip
            assert rows[3][5] == URDU and rows[2][6] == "FIR 112/26"
            assert "open, 5 entries" in _state(app) and "Hash chain intact" in _state(app)
            if os.environ.get("KHIDMAT_SCREENSHOT_DIR"):
                folder = Path(os.environ["KHIDMAT_SCREENSHOT_DIR"])
                app.save_screenshot("console-diary.svg", str(folder))
            service.modules.diary.add("QTA1", "report", INJECTED, "[red]patrol[/red] done")
            await pilot.press("r")
            await _settle(app, pilot)
            assert _cells(app)[5][4:6] == [INJECTED, "[red]patrol[/red] done"]

            await pilot.press("a")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, EntryDialog)
            dialog.query_one("#entry-kind", Select).value = "property"
            await pilot.click("#entry-text")
            await pilot.press(*"one motorcycle LEA-1234", "enter")
            await _settle(app, pilot)
            assert _cells(app)[-1][3:6] == ["Property", "Insp. Nadia", "one motorcycle LEA-1234"]

            app.query_one("#diary-table", DataTable).move_cursor(row=6)
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, EntryDialog)
            await pilot.click("#entry-text")
            await pilot.press(*"registration LEB-1234", "enter")
            await _settle(app, pilot)
            assert _cells(app)[-1][5] == f"corrects QTA1/{today}/7: registration LEB-1234"

            app.query_one("#diary-search", Input).value = "gul khan"
            await pilot.click("#diary-search")
            await pilot.press("enter")
            await _settle(app, pilot)
            assert len(_cells(app)) == 1 and "Search: 1 matching" in _state(app)
            app.query_one("#diary-search", Input).value = ""
            await pilot.click("#diary-search")
            await pilot.press("enter")
            await _settle(app, pilot)

            app.query_one("#diary-table", DataTable).focus()
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.click("#yes")
            await _settle(app, pilot)
            assert "closed by Insp. Nadia" in _state(app) and "9 entries" in _state(app)

            run_raw(
                config.hub.database, "UPDATE diary_entries SET text = 'nobody came' WHERE seq = 4"
            )
            await pilot.press("v")
            await _settle(app, pilot)
            assert f"TAMPERED at entry QTA1/{today}/4" in _state(app)
            assert app.is_running  # nothing a person typed ran as markup

    asyncio.run(drive())
