"""End-to-end delivery on a real broker: every record arrives exactly once, whatever fails.

Real processes: Mosquitto, ``khidmat hub`` and ``khidmat agent`` per unit (khidmat.testbed).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from khidmat.testbed import Testbed
from tests.khidmat.testbed_runs import delivered

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _assert_exactly_once(testbed: Testbed, filed: dict[str, list[str]]) -> None:
    """Every complaint in the filer's log opened once at the hub, by its side effects:
    one record, one opening (``received`` audit row) and one status push per tracking
    number (the record id is the hub's primary key: counting it could never fail)."""
    check = delivered(testbed, 60)
    assert check.filed == sum(len(ids) for ids in filed.values())
    assert (check.lost, check.duplicated, check.unlogged) == (0, 0, 0), check
    expected = {record_id for ids in filed.values() for record_id in ids}
    assert set(testbed.hub_record_ids("complaint")) == expected


def test_three_units_through_broker_and_hub_restarts(tmp_path: Path) -> None:
    devices = ["unit-1", "unit-2", "unit-3"]
    with Testbed(
        tmp_path, devices, catchup_per_s=150, batch_size=50, resend_after_s=1.0
    ) as testbed:
        filed = {d: testbed.fill_outbox(d, 300) for d in devices}
        testbed.start_hub()
        for device in devices:
            testbed.start_agent(device)
        time.sleep(0.8)
        testbed.broker.restart(down_s=0.5)
        # Kill the hub mid-stream: once it holds some records but not all of them.
        deadline = time.monotonic() + 30
        while not testbed.hub_record_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        testbed.stop_hubs(kill=True)
        assert 0 < len(testbed.hub_record_ids()) < 900
        time.sleep(0.5)
        testbed.start_hub()
        _assert_exactly_once(testbed, filed)


def test_agent_killed_mid_flush_loses_and_doubles_nothing(tmp_path: Path) -> None:
    devices = ["unit-1", "unit-2"]
    with Testbed(
        tmp_path, devices, catchup_per_s=300, batch_size=30, resend_after_s=0.5
    ) as testbed:
        filed = {d: testbed.fill_outbox(d, 300) for d in devices}
        testbed.start_hub()
        for device in devices:
            testbed.start_agent(device)
        for _ in range(3):
            time.sleep(0.3)
            testbed.stop_agent("unit-1", kill=True)
            testbed.start_agent("unit-1")
        # more records filed while the agent restarts, as the kiosk would
        filed["unit-2"] += testbed.fill_outbox("unit-2", 50, start=300)
        _assert_exactly_once(testbed, filed)


def test_broker_down_for_a_while_then_back(tmp_path: Path) -> None:
    devices = ["unit-1"]
    with Testbed(tmp_path, devices, resend_after_s=0.5) as testbed:
        testbed.start_hub()
        testbed.start_agent("unit-1")
        filed = {"unit-1": testbed.fill_outbox("unit-1", 20)}
        assert testbed.wait_delivered(20)
        testbed.broker.stop()
        filed["unit-1"] += testbed.fill_outbox("unit-1", 100, start=20)
        time.sleep(2.0)
        assert testbed.pending("unit-1") == 100  # nothing acked while the broker is down
        testbed.broker.start()
        _assert_exactly_once(testbed, filed)


def test_mqtt_311_units_deliver_too(tmp_path: Path) -> None:
    with Testbed(tmp_path, ["unit-1"], protocol=311) as testbed:
        filed = {"unit-1": testbed.fill_outbox("unit-1", 50)}
        testbed.start_hub()
        testbed.start_agent("unit-1")
        _assert_exactly_once(testbed, filed)
        with sqlite3.connect(testbed.hub_db) as conn:
            state = conn.execute(
                "SELECT status FROM device_state WHERE device_id = 'unit-1'"
            ).fetchone()
        assert state == ("online",)


def test_catch_up_after_an_outage_is_rate_limited(tmp_path: Path) -> None:
    with Testbed(tmp_path, ["unit-1"], catchup_per_s=100, batch_size=20) as testbed:
        filed = {"unit-1": testbed.fill_outbox("unit-1", 400)}  # a backlog from a long outage
        testbed.start_hub()
        testbed.start_agent("unit-1")
        _assert_exactly_once(testbed, filed)
        from edge_agent.store import LocalStore

        with LocalStore(testbed.store_path("unit-1")) as store:
            first_sends = sorted(sent for _, sent, _ in store.delivery_times())
        span_s = (first_sends[-1] - first_sends[0]) / 1000
        # a burst of at most 100 (the bucket), then 100 per second
        assert span_s >= (400 - 100) / 100 * 0.9
        for start in first_sends:
            in_window = sum(1 for t in first_sends if start <= t < start + 1000)
            assert in_window <= 100 + 100 + 20
