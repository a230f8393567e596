"""The agent under unit faults (issue 16, finding 6): full disk, read-only card, clock jumps.

Real parts: Mosquitto and the hub service, the agent with its SQLite store on a tiny
tmpfs that the test fills or mounts read-only, and the clock port stepped by hand.
Before the fix the agent died on its first telemetry write to a full disk, and never
opened a store on a read-only card: saved records stopped moving and the hub never
heard why. A clock stepped back a day held every re-send for a day.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from edge_agent.store import LocalStore
from hub.alerts import AlertBoard
from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import Testbed, sample_complaint
from khidmat_base.clock import SettableClock
from khidmat_wire import make_envelope
from tests.attacks.unit_faults import fill, free, remount, small_filesystem

pytestmark = pytest.mark.broker

DEVICE = "unit-1"


def _wait(predicate: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class Unit:
    """A testbed (broker), the hub service in a thread, and the unit's data on a small tmpfs."""

    def __init__(self, root: Path, database: str | None = None) -> None:
        """``database``: a PostgreSQL URL for the hub (None: the testbed's SQLite hub.db)."""
        self.testbed = Testbed(
            root, [DEVICE], resend_after_s=0.5, telemetry_interval_s=0.5, database=database
        )
        self.data = self.testbed.store_path(DEVICE).parent
        self.hub: HubService | None = None
        self.agent: Agent | None = None
        self._threads: list[threading.Thread] = []

    def start_hub(self) -> HubService:
        self.testbed.start()
        self.hub = HubService(load_hub_config(self.testbed.hub_config))
        self._run(self.hub.run)
        assert self.hub.session.wait_connected(10)
        return self.hub

    def start_agent(self, **options: object) -> Agent:
        self.agent = Agent(load_unit_config(self.testbed.unit_configs[DEVICE]), **options)  # type: ignore[arg-type]
        self._run(self.agent.run)
        assert self.agent.session.wait_connected(10)
        return self.agent

    def _run(self, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def agent_alive(self) -> bool:
        return self._threads[-1].is_alive()

    def file_complaints(self, count: int) -> list[str]:
        with LocalStore(self.testbed.store_path(DEVICE)) as store:
            return [
                store.enqueue(
                    make_envelope(
                        "complaint", DEVICE, sample_complaint("QTA01", i, device_id=DEVICE)
                    )
                )
                for i in range(1, count + 1)
            ]

    def hub_has(self, record_ids: list[str]) -> bool:
        assert self.hub is not None
        rows = self.hub.store.db.query("SELECT record_id FROM records WHERE kind = 'complaint'")
        return set(record_ids) <= {r[0] for r in rows}

    def hub_events(self, event_type: str) -> list[str]:
        assert self.hub is not None
        rows = self.hub.store.db.query("SELECT payload FROM records WHERE kind = 'event'")
        return [r[0] for r in rows if f'"event_type":"{event_type}"' in r[0]]

    def close(self) -> None:
        if self.agent is not None:
            self.agent.stop()
        if self.hub is not None:
            self.hub.stop()
        for thread in self._threads:
            thread.join(10)
        if self.agent is not None:
            self.agent.store.close()
        if self.hub is not None:
            self.hub.store.close()
        self.testbed.close()


@pytest.fixture
def unit(tmp_path: Path, testbed_databases) -> Iterator[Unit]:
    unit = Unit(tmp_path, testbed_databases())
    with small_filesystem(unit.data, 1024):
        try:
            yield unit
        finally:
            unit.close()


def test_disk_full_agent_keeps_delivering_and_reports_the_fault(unit: Unit) -> None:
    hub = unit.start_hub()
    filed = unit.file_complaints(5)  # saved by the kiosk before the card filled up
    fill(unit.data)
    agent = unit.start_agent()
    assert _wait(lambda: unit.hub_has(filed)), "records on a full disk were not delivered"
    assert _wait(lambda: bool(unit.hub_events("store-fault")))
    assert "disk-full" in unit.hub_events("store-fault")[0]
    alerts = AlertBoard(hub.store).list(kind="store-fault")
    assert alerts and alerts[0].device_id == DEVICE
    telemetry = hub.store.db.query(
        "SELECT disk_free_mb FROM device_telemetry WHERE device_id = ?", (DEVICE,)
    )
    assert telemetry and telemetry[0][0] < 0.1
    time.sleep(1.5)  # several telemetry intervals on the full disk
    assert unit.agent_alive() and agent.store_fault is not None

    free(unit.data)  # room again: marks, acks and the outbox catch up
    assert _wait(lambda: bool(unit.hub_events("store-recovered")))
    assert _wait(lambda: agent.store.outbox_depth() == 0)
    assert agent.store_fault is None and unit.agent_alive()


def test_read_only_card_agent_delivers_what_it_holds(unit: Unit) -> None:
    unit.start_hub()
    filed = unit.file_complaints(3)
    remount(unit.data, read_only=True)  # the card failed into read-only before boot
    try:
        agent = unit.start_agent()
        assert _wait(lambda: unit.hub_has(filed))
        assert _wait(lambda: bool(unit.hub_events("store-fault")))
        assert '"read-only"' in unit.hub_events("store-fault")[0] or "read-only" in str(
            agent.store_fault
        )
        time.sleep(1.0)
        assert unit.agent_alive()
    finally:
        if unit.agent is not None:
            unit.agent.stop()
        remount(unit.data, read_only=False)


def test_clock_stepped_back_a_day_does_not_hold_resends(unit: Unit) -> None:
    unit.start_hub()
    clock = SettableClock(int(time.time() * 1000))
    ticking = threading.Event()

    def tick() -> None:  # the clock port runs in real time until the test steps it
        while not ticking.is_set():
            clock.advance(20)
            time.sleep(0.02)

    threading.Thread(target=tick, daemon=True).start()
    try:
        assert unit.hub is not None
        unit.hub.stop()  # the hub is away: records wait with a re-send time set
        agent = unit.start_agent(clock=clock)
        filed = unit.file_complaints(3)
        assert _wait(lambda: agent.published >= 3)
        clock.advance(-86_400_000)  # NTP steps the clock back a day
        unit.hub = HubService(load_hub_config(unit.testbed.hub_config))
        unit._run(unit.hub.run)
        assert _wait(lambda: unit.hub_has(filed), 20.0), "re-sends held by the clock step"
        assert _wait(lambda: bool(unit.hub_events("clock-jump")))
    finally:
        ticking.set()
