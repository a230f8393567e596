"""The operator console driven by Textual's Pilot over a real hub database."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from textual.widgets import DataTable, Input, Select, Static

from hub.config import load_hub_config
from hub.console.app import build_app
from hub.console.backend import ConsoleBackend, Operator
from hub.console.status_dialog import StatusDialog
from hub.ingest import Ingestor
from hub.service import HubService
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope

INJECTED_NAME = "[@click=app.quit]x[/]"
INJECTED_TEXT = "Hi [/b] there [bold]"


@pytest.fixture
def hub_files(hub_toml):
    config = load_hub_config(hub_toml())
    service = HubService(config)  # builds every table and handler; never started here
    ingestor = Ingestor(service.store, lambda topic, payload: True)
    yield config, ingestor, service
    service.store.close()


def _file(ingestor: Ingestor, body) -> None:
    envelope = make_envelope("complaint", "unit-1", body)
    ingestor.process([("khidmat/v1/dev/unit-1/up/complaint", encode(envelope))])


async def _settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def test_text_from_people_and_devices_renders_literally(hub_files) -> None:
    asyncio.run(_literal_text(hub_files))


async def _literal_text(hub_files) -> None:
    config, ingestor, service = hub_files
    body = dataclasses.replace(
        sample_complaint("QTA01", 1), complainant_name=INJECTED_NAME, description=INJECTED_TEXT
    )
    _file(ingestor, body)
    ingestor.process([("khidmat/v1/dev/unit-1/up/complaint", b'{"[/b] [@click=app.quit]q[/]": 1}')])
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(app, pilot)
        table = app.query_one("#complaint-table", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[-1].plain == INJECTED_NAME
        detail = app.query_one("#complaint-detail", Static)
        rendered = str(detail.render())
        assert INJECTED_NAME in rendered and INJECTED_TEXT in rendered
        await pilot.click("#complaint-table")  # clicking the literal text must not quit
        await pilot.press("4")
        await _settle(app, pilot)
        quarantine = app.query_one("#quarantine-table", DataTable)
        assert quarantine.row_count == 1
        assert quarantine.get_row_at(0)[4].plain.startswith("[/b] [@click=app.quit]q[/]")
        await pilot.press("5")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "search"
        await pilot.press(*"54400-1234567-1", "enter")
        await _settle(app, pilot)
        assert app.query_one("#search-input", Input).value == "54400-1234567-1", app.focused
        found = app.query_one("#search-complaints", DataTable)
        assert found.get_row_at(0)[4].plain == INJECTED_NAME
        assert app.is_running


def test_assign_and_resolve_from_the_console(hub_files) -> None:
    asyncio.run(_assign_and_resolve(hub_files))


async def _assign_and_resolve(hub_files) -> None:
    config, ingestor, service = hub_files
    body = sample_complaint("QTA01", 2)
    _file(ingestor, body)
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(app, pilot)
        for key, status, assignee in (
            ("s", "registered", ""),
            ("a", "assigned", "SI Rashid"),
            ("s", "under-investigation", ""),
            ("s", "resolved", ""),
        ):
            await pilot.press(key)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, StatusDialog)
            if key == "s":
                dialog.query_one("#new-status", Select).value = status
            else:
                assert dialog.query_one("#new-status", Select).value == "assigned"
            if assignee:
                await pilot.click("#assignee")
                await pilot.press(*assignee)
            await pilot.click("#reason")
            await pilot.press(*f"step {status}", "enter")
            await _settle(app, pilot)
            assert not isinstance(app.screen, StatusDialog)
        table = app.query_one("#complaint-table", DataTable)
        assert table.row_count == 0  # resolved: no longer in the open queue
    view = service.modules.complaints.get(body.tracking_no, desk="general")
    assert view.status == "resolved" and view.assignee == "SI Rashid"
    officers = {
        e.officer for e in service.modules.complaints.history(body.tracking_no, desk="general")[1:]
    }
    assert officers == {"Insp. Nadia"}
