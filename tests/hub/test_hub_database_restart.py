"""The hub's PostgreSQL server crashing and coming back mid-stream costs nothing: the hub
keeps running, units re-send what was not acknowledged, every complaint is opened once.

Real processes: a PostgreSQL cluster of its own (durable settings, stopped with an
immediate shutdown, as a crash), Mosquitto, ``khidmat hub`` and ``khidmat agent`` per unit.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from khidmat.testbed import Testbed
from khidmat_base.postgres_server import PostgresServer
from tests.khidmat.testbed_runs import delivered, start_mid_stream

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_the_hub_rides_out_its_database_server_crashing(tmp_path: Path) -> None:
    devices = ["unit-1", "unit-2"]
    with PostgresServer(durable=True) as server:
        url = server.create_database("hub")
        with Testbed(
            tmp_path, devices, catchup_per_s=100, batch_size=20, resend_after_s=1.0,
            database=url,
        ) as testbed:  # fmt: skip
            filed = start_mid_stream(testbed, 150)
            assert 0 < len(testbed.hub_record_ids()) < 300  # mid-stream
            server.stop()  # immediate shutdown
            time.sleep(2.0)
            server.start()
            assert testbed.hubs[0].poll() is None  # the hub kept running
            check = delivered(testbed, 90)
            assert check.filed == 300
            assert (check.lost, check.duplicated, check.unlogged) == (0, 0, 0), check
            expected = {record_id for ids in filed.values() for record_id in ids}
            assert set(testbed.hub_record_ids("complaint")) == expected
