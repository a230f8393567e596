"""The operations scenario through the public command: provisioning, officers, settings,
a gate installed while the hub runs, scans there, alerts and a report (real Mosquitto with
TLS, hub and agent processes, the kiosk app)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_deployment_runs_from_the_command_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", "demo", "--headless", "--scenario", "operations",
         "--json", "--dir", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["officers_pushed"] == 4  # desk, gate, enrol and the new gate
    assert result["settings_acked"] == 2
    assert 0 <= result["new_gate_watchlist_s"] <= 60
    assert result["scans"] == 3 and result["red"] >= 1
    assert result["confirmed_red_alerts"] == result["red"]
    assert result["report_rows"] == 4
    assert result["lost"] == 0 and result["duplicated"] == 0
