"""Two hub worker processes on one hub database (SQLite file or PostgreSQL server), one of
them killed mid-stream: every complaint is opened once and pushed back once.

Real processes: Mosquitto, two ``khidmat hub --worker n`` sharing the units' topics, and
``khidmat agent`` per unit (khidmat.testbed); with ``KHIDMAT_TEST_DATABASE=postgresql``
both workers use the test's PostgreSQL database, as workers on two machines would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from khidmat.testbed import Testbed
from tests.khidmat.testbed_runs import delivered, start_mid_stream

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_two_workers_share_the_database_and_a_killed_one_loses_nothing(
    tmp_path: Path, hub_database
) -> None:
    devices = ["unit-1", "unit-2", "unit-3"]
    database = hub_database if isinstance(hub_database, str) else None
    with Testbed(
        tmp_path, devices, catchup_per_s=200, batch_size=40, resend_after_s=1.0,
        hub_workers=2, database=database,
    ) as testbed:  # fmt: skip
        filed = start_mid_stream(testbed, 200, workers=2)
        testbed.hubs[1].kill()  # worker 1 dies holding what it had not acknowledged
        testbed.hubs[1].wait()
        check = delivered(testbed, 90)
        assert check.filed == 600
        assert (check.lost, check.duplicated, check.unlogged) == (0, 0, 0), check
        expected = {record_id for ids in filed.values() for record_id in ids}
        assert set(testbed.hub_record_ids("complaint")) == expected
