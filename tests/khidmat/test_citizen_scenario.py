"""The citizen scenario through its command: every status change texted once, the urgent
alert in time, the tracking page answering, nothing lost (the whole demo system, real
Mosquitto, the simulated modem's inbox). One run: it takes a minute or two."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from khidmat.citizen_scenario import CITIZENS, URGENT_ALERT_LIMIT_S

pytestmark = [pytest.mark.broker, pytest.mark.slow]
KEYS = {
    "complaints", "sms_sent", "sms_delivered", "sms_duplicates", "urgent_alerts",
    "urgent_ack_s", "receipts_printed", "web_tracking_ok", "lost",
}  # fmt: skip


def test_every_change_is_texted_once_and_the_urgent_case_alerts_in_time(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "khidmat", "demo", "--headless", "--scenario", "citizen",
         "--json", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["complaints"] == len(CITIZENS)
    assert figures["sms_duplicates"] == 0 and figures["lost"] == 0, figures["notes"]
    # one text per change for every complaint off the women's desk, as the hub queued them
    assert figures["texted_once_each"] == sum(1 for c in CITIZENS if not c.women_desk)
    owed = sum(1 + len(c.steps) for c in CITIZENS)  # the receipt and each change
    assert figures["status_changes"] == owed and figures["sms_sent"] == owed
    assert figures["sms_delivered"] == owed  # every delivery report matched
    assert figures["women_desk_details"] == 0
    assert figures["urgent_alerts"] == 1 and figures["duty_officer_texts"] == 1
    assert 0 <= figures["urgent_alert_s"] < URGENT_ALERT_LIMIT_S
    assert figures["urgent_alert_s"] <= figures["urgent_ack_s"] < URGENT_ALERT_LIMIT_S
    assert figures["web_tracking_ok"] == len(CITIZENS)
    assert figures["receipts_printed"] == len(CITIZENS)  # the desk's simulated printer
    assert done.returncode == 0
