"""The diary on a real broker: complaints filed at a unit and a unit whose process dies
(its last will) are entered by the running hub; the duty officer closes the day from the
command line while the hub runs; later events go to the next day; a tampered entry is named."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from hub.config import load_hub_config
from hub.diary import station_day
from hub.service import HubService
from khidmat.cli import main
from khidmat.testbed import Testbed
from khidmat_base.clock import now_ms
from provisioning.registry import Registry

pytestmark = pytest.mark.broker
STATION = "D0000"  # the station of the testbed's complaints from its first unit


def _wait(predicate, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_running_hub_keeps_the_diary(tmp_path, capsys) -> None:
    with Testbed(tmp_path, ["desk-1", "desk-2"], resend_after_s=0.5) as testbed:
        with Registry(testbed.hub_db) as registry:
            for device in testbed.devices:
                registry.register(
                    device, role="desk", station=STATION, name=device,
                    mqtt_password_hash="$7$unused", has_client_cert=False,
                )  # fmt: skip
        hub = HubService(load_hub_config(testbed.hub_config))
        thread = threading.Thread(target=hub.run, daemon=True)
        thread.start()
        diary = hub.modules.diary
        try:
            assert hub.session.wait_connected(10)
            testbed.fill_outbox("desk-1", 3)
            testbed.start_agent("desk-1")
            testbed.start_agent("desk-2")
            assert _wait(lambda: len(diary.search(kind="complaint-received")) == 3)
            states = hub.store.device_states
            assert _wait(lambda: states().get("desk-2", ("",))[0] == "online")
            testbed.stop_agent("desk-2", kill=True)  # the broker publishes its will
            assert _wait(lambda: len(diary.search(kind="unit-offline")) == 1)
            testbed.start_agent("desk-2")
            assert _wait(lambda: len(diary.search(kind="unit-online")) == 1)
            [offline] = diary.search(kind="unit-offline")
            assert offline.station == STATION and "desk-2" in offline.text
            today = station_day(now_ms())
            assert diary.verify(STATION, today).ok and diary.count(STATION) == 5

            config = str(testbed.hub_config)
            close = ["diary", "close", "--config", config, "--station", STATION, "--date", today]
            assert main([*close, "--officer", "Insp. Nadia"]) == 0
            testbed.stop_agent("desk-2", kill=True)  # after the close: the next day's page
            assert _wait(lambda: len(diary.search(kind="unit-offline")) == 2)
            late = diary.search(kind="unit-offline")[0]
            assert late.day > today and late.seq == 1
            assert diary.verify(STATION, today).closed and diary.count(STATION, today) == 6

            conn = sqlite3.connect(testbed.hub_db)
            with conn:
                conn.execute(
                    "UPDATE diary_entries SET officer = 'x' WHERE day = ? AND seq = 2", (today,)
                )
            conn.close()
            verify = ["diary", "verify", "--config", config, "--station", STATION, "--date", today]
            capsys.readouterr()
            assert main(verify) == 1
            assert f"TAMPERED at entry {STATION}/{today}/2" in capsys.readouterr().err
        finally:
            hub.stop()
            thread.join(10)
            hub.store.close()
