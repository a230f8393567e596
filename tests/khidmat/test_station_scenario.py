"""The station scenario through the public command: Hotel Eye and driving-licence tracking
over real Mosquitto with TLS, the hub and agent processes, and the desk kiosk app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_station_day_loses_nothing_and_misses_no_wanted_guest(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", "demo", "--headless", "--scenario", "station",
         "--json", "--dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # 3 wanted and 6 others through the Serena's unit; 2 wanted and 6 others in the
    # Grand's file, whose 2 wrong rows are refused
    assert result["hotel_guests"] == 17 and result["hotel_rows_refused"] == 2
    assert result["hotel_hits"] == 5 and result["hotel_missed"] == 0
    assert result["hotel_false_hits"] == 0  # innocent guests; namesakes of a CNIC hit
    assert result["licence_tracked"] == 3 and result["licence_texts"] == 3
    assert result["lost"] == 0
