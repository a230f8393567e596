"""The station scenario through the public command: the diary, Hotel Eye and driving-licence
tracking over real Mosquitto with TLS, the hub and agent processes, and the desk kiosk app;
then one stored diary entry is changed and ``khidmat diary verify`` names it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_station_day_loses_nothing_and_misses_no_wanted_guest(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", "demo", "--headless", "--scenario", "station",
         "--json", "--dir", str(run)],
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # the hub's own entry (the complaint filed at the desk) and the officers' seven
    assert result["diary_chain_ok"] is True and result["diary_entries"] >= 8
    # 3 wanted and 6 others through the Serena's unit; 2 wanted and 6 others in the
    # Grand's file, whose 2 wrong rows are refused
    assert result["hotel_guests"] == 17 and result["hotel_rows_refused"] == 2
    assert result["hotel_hits"] == 5 and result["hotel_missed"] == 0
    assert result["hotel_false_hits"] == 0  # innocent guests; namesakes of a CNIC hit
    assert result["licence_tracked"] == 3 and result["licence_texts"] == 3
    assert result["lost"] == 0

    # someone changes a stored entry behind the hub's back: the chain names it
    config = run / "deployment" / "hub.toml"
    day = result["diary_day"]
    with sqlite3.connect(run / "deployment" / "hub.db") as db:
        (seq,) = db.execute(
            "SELECT seq FROM diary_entries WHERE station = 'DEMO' AND day = ? AND kind = 'visitor'",
            (day,),
        ).fetchone()
        db.execute(
            "UPDATE diary_entries SET text = 'nobody came' WHERE station = 'DEMO' AND day = ? "
            "AND seq = ?",
            (day, seq),
        )
    verify = subprocess.run(
        [sys.executable, "-m", "khidmat", "diary", "verify", "--config", str(config),
         "--station", "DEMO", "--date", day],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verify.returncode == 1
    assert f"TAMPERED at entry DEMO/{day}/{seq}" in verify.stderr
