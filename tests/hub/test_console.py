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
        sample_complaint("QTA01", 1, device_id="unit-1"),
        complainant_name=INJECTED_NAME,
        description=INJECTED_TEXT,
    )
    _file(ingestor, body)
    ingestor.process([("khidmat/v1/dev/unit-1/up/complaint", b'{"[/b] [@click=app.quit]q[/]": 1}')])
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await _settle(app, pilot)
        table = app.query_one("#complaint-table", DataTable)
        assert table.row_count == 1
        cell = table.get_row_at(0)[-1]
        assert cell.plain == INJECTED_NAME and not cell.spans  # no link, no style from the text
        detail = app.query_one("#complaint-detail", Static)
        rendered = str(detail.render())
        assert INJECTED_NAME in rendered and INJECTED_TEXT in rendered
        await pilot.click("#category-filter")
        await pilot.press(*"fraud", "enter")
        await _settle(app, pilot)
        assert table.row_count == 0  # filtered by category
        app.query_one("#category-filter", Input).value = ""
        await pilot.press("enter")
        await _settle(app, pilot)
        assert table.row_count == 1
        table.focus()  # the tab keys are plain digits: not while typing in a filter
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
        # in the box "2" is text; Escape leaves the box, then "2" is the Complaints tab
        await pilot.press("2")
        assert app.query_one("#search-input", Input).value.endswith("2")
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is found
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one("TabbedContent").active == "complaints"
        assert app.is_running


def test_assign_and_resolve_from_the_console(hub_files) -> None:
    asyncio.run(_assign_and_resolve(hub_files))


async def _assign_and_resolve(hub_files) -> None:
    config, ingestor, service = hub_files
    body = sample_complaint("QTA01", 2, device_id="unit-1")
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


def test_devices_and_alerts_panes(hub_files) -> None:
    asyncio.run(_devices_and_alerts(hub_files))


async def _devices_and_alerts(hub_files) -> None:
    from textual.widgets import Sparkline

    from hub.console.status_dialog import ReasonDialog
    from khidmat_wire.messages import Event, State, Telemetry
    from provisioning.registry import Registry

    config, ingestor, service = hub_files
    with Registry(config.hub.database) as registry:
        registry.register(
            "qta-gate-1", role="gate", station="QTA01", name="Gate 1",
            mqtt_password_hash="$7$x", has_client_cert=False,
        )  # fmt: skip
    for kind, body in (
        ("state", State("online", "gate", "0.1")),
        ("telemetry", Telemetry(10, 50, 0.2, 900, 4, 8.0, 1, 10.0, "ok")),
        ("telemetry", Telemetry(20, 50, 0.2, 900, 9, 8.0, 1, 10.0, "ok")),
        ("event", Event("tamper", "error", INJECTED_NAME)),
    ):
        topic = "khidmat/v1/dev/qta-gate-1/" + ("state" if kind == "state" else f"up/{kind}")
        ingestor.process([(topic, encode(make_envelope(kind, "qta-gate-1", body)))])
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("1")
        await _settle(app, pilot)
        devices = app.query_one("#device-table", DataTable)
        row = [cell.plain for cell in devices.get_row_at(0)]
        assert row[0] == "qta-gate-1" and row[3] == "online" and row[6] == "9"
        assert row[7] == "ok" and row[-1] == "50.0"
        assert app.query_one("#backlog-sparkline", Sparkline).data == [4, 9]
        await pilot.press("3")
        await _settle(app, pilot)
        alerts = app.query_one("#alert-table", DataTable)
        assert [c.plain for c in alerts.get_row_at(0)][1:4] == ["new", "critical", "tamper"]
        assert INJECTED_NAME in str(app.query_one("#alert-detail", Static).render())
        await pilot.press("k")
        await _settle(app, pilot)
        assert service.modules.alerts.list()[0].acked_by == "Insp. Nadia", app.focused
        assert alerts.get_row_at(0)[1].plain == "acknowledged"
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press(*"case resealed", "enter")
        await _settle(app, pilot)
        assert alerts.row_count == 0
    closed = service.modules.alerts.list(include_closed=True)[0]
    assert (closed.acked_by, closed.closed_by, closed.close_reason) == (
        "Insp. Nadia",
        "Insp. Nadia",
        "case resealed",
    )


def test_officers_pane_shows_the_roster_and_suspends_under_the_operator(hub_files) -> None:
    asyncio.run(_officers(hub_files))


async def _officers(hub_files) -> None:
    from khidmat_wire.pins import hash_pin

    config, _, service = hub_files
    roster = service.modules.roster
    roster.add(
        "QTA-9", name=INJECTED_NAME, rank="ASI", station="QTA01", roles=["gate"],
        pin_hash=hash_pin("123456", memory_kib=1024, time_cost=1), actor="CLI",
    )  # fmt: skip
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("6")
        await _settle(app, pilot)
        table = app.query_one("#officer-table", DataTable)
        assert table.row_count == 1
        name = table.get_row_at(0)[1]
        assert name.plain == INJECTED_NAME and not name.spans
        await pilot.press("s")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert roster.officers()[0].status == "suspended"
        assert "suspended" in table.get_row_at(0)[5].plain
    actor, action, old, new = [(a[1], a[2], a[4], a[5]) for a in roster.audit_log()][0]
    assert (actor, action, old, new) == ("Insp. Nadia", "officer status", "active", "suspended")


def test_devices_tab_says_not_reported_instead_of_placeholders() -> None:
    from hub.console.devices_pane import sensor_shown, temperature_shown

    # -1.0 and "unknown" are what a unit sends when it cannot tell
    assert temperature_shown({"cpu_temp_c": -1.0}) == "not reported"
    assert temperature_shown({}) == "not reported"
    assert temperature_shown({"cpu_temp_c": 48.25}) == "48.2"
    assert sensor_shown("gate", {"sensor_status": "unknown"}) == "not reported"
    assert sensor_shown("gate", {}) == "not reported"
    assert sensor_shown("gate", {"sensor_status": "fault"}) == "fault"
    assert sensor_shown("desk", {"sensor_status": "unknown"}) == "none (desk)"


def test_units_pane_sets_a_setting_and_sends_a_command_under_the_operator(hub_files) -> None:
    asyncio.run(_units(hub_files))


async def _units(hub_files) -> None:
    from provisioning.registry import Registry

    config, _, service = hub_files
    with Registry(service.store.db.location) as registry:
        registry.register(
            "gate-1", role="gate", station="QTA01", name="gate",
            mqtt_password_hash="$7$x", has_client_cert=False,
        )  # fmt: skip
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("7")
        await _settle(app, pilot)
        table = app.query_one("#unit-table", DataTable)
        assert table.row_count == 1
        app.query_one("#unit-set", Input).value = "gate.red_threshold=0.6 colour=red"
        app.query_one("#unit-set", Input).focus()
        await pilot.press("enter")
        await _settle(app, pilot)
        assert service.modules.units.settings("gate-1") == {}  # refused whole: unknown key
        app.query_one("#unit-set", Input).value = "gate.red_threshold=0.6"
        await pilot.press("enter")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert service.modules.units.settings("gate-1") == {"gate.red_threshold": "0.6"}
        table.focus()
        await pilot.press("o")
        await _settle(app, pilot)
        await _settle(app, pilot)
    [command] = service.modules.units.commands("gate-1")
    assert (command.command, command.by) == ("open-relay", "Insp. Nadia")
    queued = service.store.db.query("SELECT kind FROM downlinks WHERE device_id = 'gate-1'")
    assert [r[0] for r in queued] == ["config", "command"]
    assert service.modules.roster.audit_log()[0][1:4] == ("Insp. Nadia", "unit command", "gate-1")


def test_search_exports_a_persons_templates_as_iso_and_ansi(hub_files, templates) -> None:
    asyncio.run(_export(hub_files, templates))


async def _export(hub_files, templates) -> None:
    from matcher_cy import Template

    config, _, service = hub_files
    service.modules.records.upsert_person(
        name="Gul Khan", father_name="Sher Khan", cnic="54400-7777777-1", offences=("PPC 392",),
        status="wanted", source="test", actor="CRO", person_id="CRO-1",
        templates=[(2, templates[(2, 0)], 80)],
    )  # fmt: skip
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("5")
        app.query_one("#search-input", Input).value = "Gul Khan"
        await pilot.press("enter")
        await _settle(app, pilot)
        people = app.query_one("#search-people", DataTable)
        assert people.row_count == 1
        people.focus()
        await pilot.press("i", "n")
        await _settle(app, pilot)
    exports = config.hub.data_dir / "exports"
    assert sorted(p.name for p in exports.iterdir()) == ["CRO-1-finger2.ansi", "CRO-1-finger2.iso"]
    iso = Template.from_iso((exports / "CRO-1-finger2.iso").read_bytes())
    assert len(iso) == len(Template.from_bytes(templates[(2, 0)]))
    audit = service.modules.records.audit_log("CRO-1")
    assert [a[3] for a in audit if a[1] == "export"] == ["Insp. Nadia", "Insp. Nadia"]


def test_an_urgent_complaint_is_flagged_in_the_queue_and_acknowledged_in_alerts(hub_files) -> None:
    asyncio.run(_urgent(hub_files))


async def _urgent(hub_files) -> None:
    from khidmat_wire.messages import Answer

    config, ingestor, service = hub_files
    body = dataclasses.replace(
        sample_complaint("QTA01", 90, device_id="unit-1"),
        category="missing-person",
        answers=(Answer("missing_name", "Bilal"), Answer("missing_age", "6")),
    )
    _file(ingestor, body)
    app = build_app(ConsoleBackend(config, Operator("Insp. Nadia")))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await _settle(app, pilot)
        table = app.query_one("#complaint-table", DataTable)
        category = table.get_row_at(0)[2]
        assert category.plain == "URGENT missing-person" and "red" in str(category.style)
        assert "URGENT: missing child" in str(app.query_one("#complaint-detail", Static).render())
        await pilot.press("3")
        await _settle(app, pilot)
        alerts = app.query_one("#alert-table", DataTable)
        row = [c.plain for c in alerts.get_row_at(0)]
        assert row[1:4] == ["new", "critical", "urgent-complaint"]
        await pilot.press("k")
        await _settle(app, pilot)
    (alert,) = service.modules.alerts.list(kind="urgent-complaint")
    assert alert.key == f"urgent:{body.tracking_no}" and alert.acked_by == "Insp. Nadia"
    assert "Abdul" not in alert.title + alert.detail  # the complainant's name stays out
