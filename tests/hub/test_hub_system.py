"""Done-when tests on a real broker: units, agents, the hub service and the console together.

- a complaint filed from a unit reaches the hub, is assigned and resolved in the console
  (Textual Pilot), and the unit sees each status by tracking number (also via a lookup
  from another unit);
- a due time passing escalates the complaint;
- every status change of a complaint, made by the hub or in the console, reaches the
  citizen's phone once as a text through the simulated GSM modem;
- an urgent complaint filed at the desk alerts the console within 5 s, escalates while no
  operator acknowledges it, and stops escalating once acknowledged;
- a two-finger gate scan of an enrolled wanted person that the gate's watchlist missed
  is searched at the hub on both fingers, fused, and raises an alert at the hub and at
  the gate; the signed watchlist reaches the gate as well.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from textual.widgets import Select

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from hub.config import load_hub_config
from hub.console.app import build_app
from hub.console.backend import ConsoleBackend, Operator
from hub.console.status_dialog import StatusDialog
from hub.service import HubService
from hub.sms.sim_modem import SimulatedModem
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import decode, make_envelope
from khidmat_wire.messages import EnrolledFinger, Enrolment, Lookup, Scan, ScanFinger
from matcher_cy import Template, fuse, match_score
from matcher_cy.params import FUSION_FINGER_CAP
from provisioning.registry import Registry

pytestmark = pytest.mark.broker


def _wait(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@dataclasses.dataclass
class System:
    testbed: Testbed
    hub: HubService
    agents: dict[str, Agent]
    modem: SimulatedModem


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, testbed_databases) -> Iterator[System]:
    root = tmp_path_factory.mktemp("system")
    testbed = Testbed(
        root,
        ["unit-1", "unit-2", "gate-1", "enrol-1"],
        resend_after_s=0.5,
        database=testbed_databases(),
    ).start()
    modem = SimulatedModem(link=root / "modem0", report_delay_s=0.1).start()
    key = Ed25519PrivateKey.generate()
    (root / "hub" / "signing.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (root / "hub.pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    hub_toml = testbed.hub_config
    hub_toml.write_text(
        hub_toml.read_text().replace(
            "[hub]\n",
            '[hub]\nsigning_key_file = "signing.pem"\nescalation_check_s = 0.2\nwatchlist_check_s = 0.3\n'
            "urgent_ack_s = 1.5\nurgent_check_s = 0.2\n",
        )
        + "\n[complaints.due_hours]\nnuisance = 0.0003\n"  # about one second
        + f'\n[sms]\nport = "{modem.port_path}"\ncheck_s = 0.2\nquiet_from_h = 0\nquiet_to_h = 0\n'
        'duty_officer = "0300-9998887"\n'
    )
    for device, unit_toml in testbed.unit_configs.items():
        text = unit_toml.read_text() + f'\n[hub]\npublic_key_file = "{root / "hub.pub"}"\n'
        if not device.startswith("unit"):
            text = text.replace('role = "desk"', f'role = "{device.split("-")[0]}"')
        unit_toml.write_text(text)
    with Registry(testbed.hub_db) as registry:
        for device in testbed.devices:
            registry.register(
                device,
                role={"gate": "gate", "enrol": "enrol"}.get(device.split("-")[0], "desk"),
                station="QTA01",
                name=device,
                mqtt_password_hash="$7$unused",
                has_client_cert=False,
            )
    hub = HubService(load_hub_config(hub_toml))
    agents = {d: Agent(load_unit_config(testbed.unit_configs[d])) for d in testbed.devices}
    threads = [threading.Thread(target=hub.run, daemon=True)] + [
        threading.Thread(target=a.run, daemon=True) for a in agents.values()
    ]
    for thread in threads:
        thread.start()
    assert hub.session.wait_connected(10)
    assert all(a.session.wait_connected(10) for a in agents.values())
    try:
        yield System(testbed, hub, agents, modem)
    finally:
        for agent in agents.values():
            agent.stop()
        hub.stop()
        for thread in threads:
            thread.join(10)
        for agent in agents.values():
            agent.store.close()
        hub.store.close()
        testbed.close()
        modem.close()


def test_a_complaint_is_worked_in_the_console_and_the_unit_sees_it(system: System) -> None:
    unit = system.agents["unit-1"]
    body = sample_complaint("QTA01", 41, device_id="unit-1")
    unit.store.enqueue(make_envelope("complaint", "unit-1", body))
    complaints = system.hub.modules.complaints
    assert _wait(lambda: complaints.get(body.tracking_no, desk="general") is not None)
    assert _wait(
        lambda: getattr(unit.store.complaint_status(body.tracking_no), "status", None) == "received"
    )

    async def work_the_queue() -> None:
        app = build_app(
            ConsoleBackend(load_hub_config(system.testbed.hub_config), Operator("Insp. Nadia"))
        )
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            for key, status, assignee, message in (
                ("s", "registered", "", ""),
                ("a", "assigned", "SI Rashid", ""),
                ("s", "under-investigation", "", ""),
                ("s", "resolved", "", "Your phone is at the station"),
            ):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, StatusDialog)
                app.screen.query_one("#new-status", Select).value = status
                if assignee:
                    await pilot.click("#assignee")
                    await pilot.press(*assignee)
                if message:
                    await pilot.click("#message")
                    await pilot.press(*message)
                await pilot.click("#reason")
                await pilot.press(*f"{status} by console", "enter")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()

    asyncio.run(work_the_queue())
    assert _wait(
        lambda: getattr(unit.store.complaint_status(body.tracking_no), "status", None) == "resolved"
    )
    status = unit.store.complaint_status(body.tracking_no)
    assert status is not None
    assert [h.status for h in status.history] == [
        "received",
        "registered",
        "assigned",
        "under-investigation",
        "resolved",
    ]
    # the unit gets the message written for the citizen, never the reasons or the assignee
    assert status.can_rate and [h.message for h in status.history] == [""] * 4 + [
        "Your phone is at the station"
    ]
    other = system.agents["unit-2"]
    other.store.enqueue(make_envelope("lookup", "unit-2", Lookup(body.tracking_no)))
    assert _wait(
        lambda: (
            getattr(other.store.complaint_status(body.tracking_no), "status", None) == "resolved"
        )
    )


def test_a_due_time_passing_escalates(system: System) -> None:
    unit = system.agents["unit-2"]
    body = sample_complaint("QTA01", 42, device_id="unit-2", category="nuisance")
    unit.store.enqueue(make_envelope("complaint", "unit-2", body))
    complaints = system.hub.modules.complaints

    def level() -> int:
        view = complaints.get(body.tracking_no, desk="general")
        return view.escalation_level if view else -1

    assert _wait(lambda: level() >= 1, 15)
    events = complaints.history(body.tracking_no, desk="general")
    assert any(e.action == "escalated" and "SHO" in e.reason for e in events)
    alerts = system.hub.modules.alerts
    key = f"escalation:{body.tracking_no}"
    assert _wait(lambda: any(a.key == key for a in alerts.list()))
    complaints.change_status(
        body.tracking_no, "rejected", reason="not a police matter", officer="SHO", desk="general"
    )
    assert _wait(lambda: all(a.key != key for a in alerts.list()))  # cleared with the complaint


def test_a_wanted_person_missed_by_the_gate_raises_alerts(system: System, templates) -> None:
    enrolment = Enrolment(
        officer="CRO-7",
        name="Gul Khan",
        father_name="Sher Khan",
        cnic="54400-7777777-1",
        offences=("PPC 392",),
        status="wanted",
        fingers=(
            EnrolledFinger(2, base64.b64encode(templates[(2, 0)]).decode(), 80),
            EnrolledFinger(7, base64.b64encode(templates[(3, 0)]).decode(), 80),
        ),
    )
    records = system.hub.modules.records
    desk = make_envelope("enrolment", "unit-1", enrolment)
    system.agents["unit-1"].store.enqueue(desk)  # a desk unit may not enrol
    assert _wait(lambda: any(desk.record_id in a[2] for a in records.audit_log("-")))
    assert records.search("54400-7777777-1") == []
    system.agents["enrol-1"].store.enqueue(make_envelope("enrolment", "enrol-1", enrolment))
    assert _wait(lambda: bool(records.search("54400-7777777-1")))
    person_id = records.search("54400-7777777-1")[0].person_id
    gate = system.agents["gate-1"]
    right, left = (base64.b64encode(templates[(f, 1)]).decode() for f in (2, 3))
    scan = make_envelope(
        "scan",
        "gate-1",
        Scan("GATE-OFF-3", right, 70, "green", (), 0, finger=2,
             more_fingers=(ScanFinger(7, left, 70),)),
    )  # fmt: skip
    gate.store.enqueue(scan)
    alerts = system.hub.modules.alerts
    assert _wait(lambda: bool(alerts.list(kind="hit")))
    hit = alerts.list(kind="hit")[0]
    assert hit.device_id == "gate-1" and person_id in hit.detail and scan.record_id in hit.detail
    assert _wait(lambda: bool(gate.store.unhandled_inbox(["alert"])))
    alert = decode(gate.store.unhandled_inbox(["alert"])[0][2]).body
    assert (alert.person_id, alert.status, alert.scan_id) == (person_id, "wanted", scan.record_id)
    searches = system.hub.identifier.searches()
    assert searches[0]["scan_id"] == scan.record_id and searches[0]["officer"] == "GATE-OFF-3"
    # the hub's score is both fingers fused, as the gate computes it
    probes = [Template.from_bytes(templates[(f, 1)]) for f in (2, 3)]
    enrolled = [Template.from_bytes(templates[(f, 0)]) for f in (2, 3)]
    fused = fuse([match_score(p, e) for p, e in zip(probes, enrolled, strict=True)])
    assert searches[0]["score"] == pytest.approx(fused, abs=1e-6)
    assert searches[0]["score"] > FUSION_FINGER_CAP  # more than one finger can give
    # and the signed watchlist with that person reaches the gate
    assert _wait(lambda: any(e[0] == person_id for e in gate.store.watchlist_entries()), 15)


def test_an_urgent_complaint_from_the_desk_alerts_the_console_within_5_s(system: System) -> None:
    from edge_agent.store import LocalStore
    from kiosk.context import KioskContext
    from kiosk.desk import Draft, file_complaint

    # The kiosk's own store on the unit's database file, as `khidmat kiosk` opens it; the
    # agent delivers from the same file over the real broker.
    kiosk_store = LocalStore(load_unit_config(system.testbed.unit_configs["unit-1"]).store_path)
    try:
        draft = Draft(
            category="domestic-violence",
            answers={"when": "now", "danger_now": "yes", "happening_now": "no", "injured": "no"},
            name="Ayesha Bibi",
            cnic="54400-7654321-2",
            mobile="0301-7654321",
            description="My husband is beating me and has locked the door.",
            gender_desk=True,
        )
        context = KioskContext("unit-1", "QTA01", kiosk_store)
        started = time.monotonic()
        tracking_no = file_complaint(context, draft, "ur")
    finally:
        kiosk_store.close()
    backend = ConsoleBackend(load_hub_config(system.testbed.hub_config), Operator("Insp. Nadia"))
    key = f"urgent:{tracking_no}"

    def alert():
        return next((a for a in backend.alerts() if a.key == key), None)

    assert _wait(lambda: alert() is not None, 5.0), "no console alert within 5 s"
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    raised = alert()
    assert raised.severity == "critical" and raised.kind == "urgent-complaint"
    assert "in danger now" in raised.title
    for secret in ("Ayesha", "54400-7654321-2", "0301-7654321", "beating"):
        assert secret not in raised.title + raised.detail
    view = system.hub.modules.complaints.get(tracking_no, desk="women")
    assert view is not None and view.urgent == "danger-now"
    assert view.due_at_ms - view.filed_ms == 2 * 3_600_000
    # nobody acknowledges: after urgent_ack_s (1.5 s here) it escalates, and again
    complaints = system.hub.modules.complaints
    # the level is raised, then the alert bumped (two steps): wait for both
    assert _wait(
        lambda: (
            complaints.get(tracking_no, desk="women").escalation_level >= 2
            and "not acknowledged" in alert().title
            and alert().times >= 3
        ),
        10,
    )
    backend.acknowledge(raised.id)
    level = complaints.get(tracking_no, desk="women").escalation_level
    time.sleep(2.5)  # more than one urgent_ack_s: an acknowledged alert escalates no further
    assert complaints.get(tracking_no, desk="women").escalation_level == level
    assert alert().state == "acknowledged"
    # the duty officer's phone was texted about it at once (no names, no citizen's number)
    officer = [m.text for m in system.modem.received() if m.number == "+923009998887"]
    assert len(officer) == 1 and tracking_no in officer[0] and "in danger now" in officer[0]
    for secret in ("Ayesha", "54400-7654321-2", "0301-7654321", "beating"):
        assert secret not in officer[0]
    # the citizen (women's desk) gets a plain receipt: no "urgent", no "15"
    (receipt,) = [m.text for m in system.modem.received() if m.number == "+923017654321"]
    assert tracking_no in receipt and "URGENT" not in receipt and "فوری" not in receipt


def test_every_status_change_reaches_the_citizens_phone_once(system: System) -> None:
    unit = system.agents["unit-2"]
    body = dataclasses.replace(
        sample_complaint("QTA01", 43, device_id="unit-2"), mobile="0345-1112223"
    )
    unit.store.enqueue(make_envelope("complaint", "unit-2", body))
    complaints = system.hub.modules.complaints
    assert _wait(lambda: complaints.get(body.tracking_no, desk="general") is not None)
    complaints.change_status(
        body.tracking_no, "registered", reason="ok", officer="SHO", desk="general"
    )
    # the console is another process with its own modules: its change is texted too
    backend = ConsoleBackend(load_hub_config(system.testbed.hub_config), Operator("Insp. Nadia"))
    backend.modules.complaints.change_status(
        body.tracking_no, "assigned", reason="r", officer="Insp. Nadia", desk="general",
        assignee="SI Rashid", message="SI Rashid will call you today.",
    )  # fmt: skip

    def texts() -> list[str]:
        return [m.text for m in system.modem.received() if m.number == "+923451112223"]

    assert _wait(lambda: len(texts()) == 3, 15), texts()
    assert "received" in texts()[0] and "Registered" in texts()[1]
    assert "SI Rashid will call you today." in texts()[2]
    assert _wait(
        lambda: all(
            t["state"] == "delivered" for t in system.hub.modules.sms.texts(body.tracking_no)
        )
    )
    time.sleep(1.0)  # a few more rounds of the sms duty send nothing again
    assert len(texts()) == 3 and len(set(texts())) == 3
