"""``khidmat bench urgent`` measures urgent complaints to console alerts (real Mosquitto,
hub and agent processes)."""

from __future__ import annotations

import json

import pytest

from khidmat.cli import main

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_every_urgent_complaint_raises_its_alert_and_the_command_prints_json(capsys) -> None:
    assert main(["bench", "urgent", "--complaints", "3", "--gap", "0.1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["complaints"] == printed["alerts"] == printed["within_5_s"] == 3
    assert printed["missing"] == 0 and 0 < printed["median_s"] <= printed["max_s"] < 5
