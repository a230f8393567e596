"""The agent against a real broker and a real hub service: downlinks, telemetry, credentials, systemd."""

from __future__ import annotations

import dataclasses
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from edge_agent.store import LocalStore
from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import build_topic, encode, make_envelope
from khidmat_wire.messages import (
    Command,
    ComplaintStatus,
    ComplaintStatuses,
    Config,
    Setting,
    StatusEntry,
    WatchEntry,
    Watchlist,
)
from khidmat_wire.signing import sign_watchlist

pytestmark = pytest.mark.broker

HUB_KEY = Ed25519PrivateKey.generate()


def _wait(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def system(tmp_path: Path) -> Iterator[tuple[Testbed, HubService, Agent]]:
    testbed = Testbed(tmp_path, ["unit-1"], resend_after_s=0.5, telemetry_interval_s=0.5).start()
    key_path = tmp_path / "hub.pub"
    key_path.write_bytes(
        HUB_KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    unit_toml = testbed.unit_configs["unit-1"]
    unit_toml.write_text(unit_toml.read_text() + f'\n[hub]\npublic_key_file = "{key_path}"\n')
    hub = HubService(load_hub_config(testbed.hub_config))
    agent = Agent(load_unit_config(unit_toml))
    threads = [
        threading.Thread(target=hub.run, daemon=True),
        threading.Thread(target=agent.run, daemon=True),
    ]
    for thread in threads:
        thread.start()
    assert agent.session.wait_connected(10) and hub.session.wait_connected(10)
    try:
        yield testbed, hub, agent
    finally:
        agent.stop()
        hub.stop()
        for thread in threads:
            thread.join(10)
        agent.store.close()
        hub.store.close()
        testbed.close()


def _events(hub: HubService, event_type: str) -> list[str]:
    rows = hub.store.db.query("SELECT payload FROM records WHERE kind = 'event'")
    return [r[0] for r in rows if f'"event_type":"{event_type}"' in r[0]]


def _send(hub: HubService, kind: str, body: object) -> str:
    envelope = make_envelope(kind, "hub", body)
    assert hub.publish(build_topic("unit-1", "down", kind), encode(envelope))
    return envelope.record_id


def test_telemetry_and_birth_reach_the_hub(system) -> None:
    testbed, hub, agent = system
    assert _wait(lambda: hub.store.record_count("telemetry") >= 1)
    payload = hub.store.db.query("SELECT payload FROM records WHERE kind = 'telemetry'")[0][0]
    assert '"outbox_depth"' in payload and '"sensor_status":"unknown"' in payload
    assert _wait(lambda: hub.store.device_states().get("unit-1", ("",))[0] == "online")


def test_ping_config_and_status_are_applied_and_answered(system) -> None:
    testbed, hub, agent = system
    ping = _send(hub, "command", Command("ping"))
    _send(hub, "config", Config((Setting("kiosk.idle_timeout_s", "90"),)))
    status = ComplaintStatus(
        "QTA01-261130-000001-K",
        True,
        "assigned",
        5000,
        (StatusEntry("assigned", "to SI Rashid", 4000),),
        False,
    )
    _send(hub, "complaint-status", status)
    assert _wait(lambda: any(ping in e for e in _events(hub, "command-result")))
    assert "pong from unit-1" in _events(hub, "command-result")[0]
    assert _wait(lambda: agent.store.settings().get("kiosk.idle_timeout_s") == "90")
    assert _wait(
        lambda: (
            getattr(agent.store.complaint_status("QTA01-261130-000001-K"), "status", None)
            == "assigned"
        )
    )


def test_a_complaint_statuses_downlink_applies_every_entry_once(system) -> None:
    testbed, hub, agent = system
    numbers = [f"QTA01-261130-00000{i}-K" for i in (2, 3, 4)]
    statuses = ComplaintStatuses(
        tuple(
            ComplaintStatus(n, True, "received", 7000 + i, (StatusEntry("received", "", 6000),))
            for i, n in enumerate(numbers)
        )
    )
    record_id = _send(hub, "complaint-statuses", statuses)
    assert _wait(lambda: all(agent.store.complaint_status(n) is not None for n in numbers))
    assert [agent.store.complaint_status(n).due_at_ms for n in numbers] == [7000, 7001, 7002]
    handled = agent.store.db.query("SELECT handled_ms FROM inbox WHERE record_id = ?", (record_id,))
    assert len(handled) == 1 and handled[0][0] is not None


def test_complaints_filed_together_come_back_received_with_their_due_times(system) -> None:
    """Complaints filed at once (one flush, so one or a few hub batches): each one's
    opening status reaches the unit, whichever message carried it."""
    testbed, hub, agent = system
    bodies = [sample_complaint("QTA01", 40 + i, device_id="unit-1") for i in range(12)]
    agent.store.enqueue_many(make_envelope("complaint", "unit-1", b) for b in bodies)

    def arrived() -> bool:
        return all(agent.store.complaint_status(b.tracking_no) is not None for b in bodies)

    assert _wait(arrived, timeout_s=30)
    desk = hub.modules.complaints
    for body in bodies:
        status = agent.store.complaint_status(body.tracking_no)
        view = desk.get(body.tracking_no, desk="general")
        assert status.status == "received" and view is not None
        assert status.due_at_ms == view.due_at_ms
    assert set(desk.statuses_pushed_per_tracking_no().values()) == {1}


def test_hardware_commands_wait_in_the_inbox_for_the_kiosk(system) -> None:
    testbed, hub, agent = system
    record_id = _send(hub, "command", Command("gate-test"))
    assert _wait(lambda: [r[0] for r in agent.store.unhandled_inbox(["command"])] == [record_id])


def _watchlist(version: int, base: int, people: list[str], key=HUB_KEY) -> Watchlist:
    entries = tuple(WatchEntry(p, f"Person {p}", "wanted", 1, "AAAA") for p in people)
    return sign_watchlist(Watchlist(version, base, int(time.time() * 1000), entries, (), ""), key)


def test_signed_watchlist_installed_forged_and_old_rejected_with_events(system) -> None:
    testbed, hub, agent = system
    _send(hub, "watchlist", _watchlist(3, 0, ["p1", "p2"]))
    assert _wait(
        lambda: (
            (
                agent.store.watchlist_info() or dataclasses.make_dataclass("X", ["version"])(0)
            ).version
            == 3
        )
    )
    _send(hub, "watchlist", _watchlist(4, 0, ["evil"], key=Ed25519PrivateKey.generate()))
    _send(hub, "watchlist", _watchlist(2, 0, ["old"]))
    assert _wait(lambda: len(_events(hub, "watchlist-rejected")) == 2)
    assert sorted(e[0] for e in agent.store.watchlist_entries()) == ["p1", "p2"]
    reasons = " ".join(_events(hub, "watchlist-rejected"))
    assert "signature" in reasons and "not newer" in reasons


def test_bad_credentials_stop_the_agent_with_a_clear_code(tmp_path: Path) -> None:
    with Testbed(tmp_path, ["unit-1"]) as testbed:
        (testbed.unit_configs["unit-1"].parent / "mqtt.password").write_text("wrong\n")
        agent = Agent(load_unit_config(testbed.unit_configs["unit-1"]))
        started = time.monotonic()
        assert agent.run() == 3
        assert time.monotonic() - started < 10
        assert "refused the credentials" in (agent.session.fatal_error or "")
        agent.store.close()


def test_systemd_ready_watchdog_and_stopping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Testbed(tmp_path, ["unit-1"]) as testbed:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        monkeypatch.setenv("WATCHDOG_USEC", "200000")
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
        agent = Agent(load_unit_config(testbed.unit_configs["unit-1"]))
        thread = threading.Thread(target=agent.run, daemon=True)
        thread.start()
        messages = [sock.recv(100) for _ in range(3)]
        agent.stop()
        thread.join(10)
        messages += [sock.recv(100)]
        while True:
            try:
                sock.settimeout(0.2)
                messages.append(sock.recv(100))
            except TimeoutError:
                break
        sock.close()
        agent.store.close()
        assert (
            messages[0] == b"READY=1"
            and b"WATCHDOG=1" in messages[1:3]
            and messages[-1] == b"STOPPING=1"
        )


def test_will_marks_a_killed_unit_offline(tmp_path: Path) -> None:
    with Testbed(tmp_path, ["unit-1"]) as testbed:
        testbed.start_hub()
        testbed.start_agent("unit-1")

        def state() -> str | None:
            if not testbed.hub_db.exists():
                return None
            with sqlite3.connect(testbed.hub_db) as conn:
                try:
                    row = conn.execute(
                        "SELECT status FROM device_state WHERE device_id = 'unit-1'"
                    ).fetchone()
                except sqlite3.OperationalError:
                    return None
            return row[0] if row else None

        assert _wait(lambda: state() == "online", 15)
        testbed.stop_agent("unit-1", kill=True)  # no clean goodbye: the broker sends the will
        assert _wait(lambda: state() == "offline", 15)
        with LocalStore(testbed.store_path("unit-1")) as store:
            assert store.outbox_depth() == 0
