"""The sensor link rate: the hub's sensor.baud setting, what the kiosk reports, telemetry."""

from __future__ import annotations

import time
from pathlib import Path

from edge_agent.config import SensorSection
from edge_agent.store import LocalStore
from edge_agent.telemetry import read_telemetry
from kiosk.context import _with_hub_baud


def test_the_hub_setting_chooses_the_rate_and_telemetry_reports_the_rate_used(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "unit.db")
    try:
        section = SensorSection(backend="sim")
        assert section.baud == 115200  # the fastest R307/AS608/R503 rate by default
        assert _with_hub_baud(section, store).baud == 115200
        store.put_setting("sensor.baud", "57600")
        assert _with_hub_baud(section, store).baud == 57600
        store.put_setting("sensor.baud", "100000")  # not 9600*N: ignored
        assert _with_hub_baud(section, store).baud == 115200
        assert (
            read_telemetry(store, started_monotonic=time.monotonic(), data_dir=tmp_path).sensor_baud
            == 0
        )
        store.put_health("sensor_baud", "115200")
        telemetry = read_telemetry(store, started_monotonic=time.monotonic(), data_dir=tmp_path)
        assert telemetry.sensor_baud == 115200
    finally:
        store.close()
