"""Fleet view and alerts: registry + state + telemetry; offline, backlog, sensor, stale list."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.alerts import AlertBoard
from hub.config import FleetSection
from hub.fleet import Fleet
from hub.ingest import Ingestor
from hub.store import HubStore
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Event, State, Telemetry
from provisioning.registry import Registry


@pytest.fixture
def fleet(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    with Registry(hub_database) as registry:
        for device, role in (("qta-gate-1", "gate"), ("qta-desk-1", "desk"), ("old-1", "desk")):
            registry.register(
                device,
                role=role,
                station="QTA01",
                name=device,
                mqtt_password_hash="$7$x",
                has_client_cert=False,
            )
        registry.retire("old-1")
    alerts = AlertBoard(store)
    fleet = Fleet(store, alerts, FleetSection(backlog_records=10), offline_alert_s=60)
    fleet.install()
    ingestor = Ingestor(store, lambda topic, payload: True)
    yield fleet, alerts, ingestor, store
    fleet.close()
    store.close()


def _send(ingestor: Ingestor, device: str, kind: str, body: object) -> None:
    envelope = make_envelope(kind, device, body)
    topic = (
        f"khidmat/v1/dev/{device}/state"
        if kind == "state"
        else f"khidmat/v1/dev/{device}/up/{kind}"
    )
    ingestor.process([(topic, encode(envelope))])


def _telemetry(depth: int, sensor: str = "ok", version: int = 1) -> Telemetry:
    return Telemetry(10, 50, 0.2, 900, depth, depth * 2.0, version, 100_000.0, sensor)


def test_devices_join_registry_state_and_telemetry(fleet) -> None:
    fleet, alerts, ingestor, store = fleet
    _send(ingestor, "qta-gate-1", "state", State("online", "gate", "0.1"))
    _send(ingestor, "qta-gate-1", "telemetry", _telemetry(3))
    _send(ingestor, "qta-gate-1", "telemetry", _telemetry(5))
    _send(ingestor, "stray-1", "state", State("online", "desk", "0.1"))
    views = {d.device_id: d for d in fleet.devices()}
    assert sorted(list(views)[:3]) == ["old-1", "qta-desk-1", "qta-gate-1"]
    assert list(views)[3] == "stray-1"  # heard from, not registered: listed last
    gate = views["qta-gate-1"]
    assert (
        gate.status == "online"
        and gate.telemetry["outbox_depth"] == 5
        and gate.backlog_history == (3, 5)
    )
    assert views["qta-desk-1"].status == "unknown" and not views["old-1"].active
    assert not views["stray-1"].registered and views["stray-1"].role == "desk"


def test_fleet_alerts_are_raised_once_and_cleared(fleet) -> None:
    fleet, alerts, ingestor, store = fleet
    _send(ingestor, "qta-desk-1", "state", State("offline", "desk", "0.1"))
    _send(ingestor, "qta-gate-1", "telemetry", _telemetry(50, sensor="fault", version=1))
    _send(ingestor, "qta-gate-1", "event", Event("tamper", "error", "case opened"))
    now = store.device_states()["qta-desk-1"][1]
    assert fleet.check(current_watchlist=3, now_ms=now + 30_000) == {
        "backlog:qta-gate-1",
        "sensor:qta-gate-1",
        "watchlist:qta-gate-1",
    }
    assert "offline:qta-desk-1" in fleet.check(current_watchlist=3, now_ms=now + 61_000)
    fleet.check(current_watchlist=3, now_ms=now + 62_000)
    open_alerts = alerts.list()
    assert sorted(a.key for a in open_alerts) == [
        "backlog:qta-gate-1",
        "offline:qta-desk-1",
        "sensor:qta-gate-1",
        "tamper:qta-gate-1",
        "watchlist:qta-gate-1",
    ]
    assert {a.key: a.times for a in open_alerts}["backlog:qta-gate-1"] == 3
    _send(ingestor, "qta-gate-1", "telemetry", _telemetry(0, version=3))
    _send(ingestor, "qta-desk-1", "state", State("online", "desk", "0.1"))
    assert fleet.check(current_watchlist=3, now_ms=now + 63_000) == set()
    assert [a.key for a in alerts.list()] == ["tamper:qta-gate-1"]  # needs an operator
    seen = fleet.registry.get("qta-gate-1").last_seen_ms
    assert seen is not None and seen >= store.db.scalar("SELECT max(received_ms) FROM records")
    cleared = [a for a in alerts.list(include_closed=True) if a.closed_by == "cleared"]
    assert len(cleared) == 4


def test_a_retired_unit_shows_retired_whatever_its_last_state_said(fleet) -> None:
    from hub.reports import Period, fleet_report

    fleet, alerts, ingestor, store = fleet
    _send(ingestor, "old-1", "state", State("online", "desk", "0.1"))  # retained birth
    views = {d.device_id: d for d in fleet.devices()}
    assert views["old-1"].status == "retired" and not views["old-1"].active
    assert views["qta-gate-1"].status == "unknown"
    rows = {r["device_id"]: r for r in fleet_report(store, fleet, Period(0, 2**53))}
    assert rows["old-1"]["status"] == "retired"
