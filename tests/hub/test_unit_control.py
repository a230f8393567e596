"""Unit settings and commands end to end: the public CLI, the running hub, the unit's agent
(real Mosquitto; hub and agents in threads, CLI processes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_first_watchlist import Site, _wait
from test_roster import _khidmat

from hub.unit_control import UnitControl, UnitControlError, UnitTarget
from khidmat_wire import make_envelope
from khidmat_wire.messages import Event

pytestmark = pytest.mark.broker


@pytest.fixture
def site(tmp_path: Path, templates, testbed_databases) -> Iterator[Site]:
    site = Site(tmp_path, templates, testbed_databases())
    try:
        site.register("gate-1")
        site.start_agent("gate-1")
        yield site
    finally:
        site.close()


def test_settings_reach_the_unit_and_are_acknowledged_and_audited(site: Site) -> None:
    config = str(site.testbed.hub_config)
    gate = site.agents["gate-1"]
    done = _khidmat(
        "unit", "set", "gate-1", "gate.red_threshold=0.62", "sensor.baud=115200",
        "--by", "Insp. Karim", "--config", config,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _wait(lambda: gate.store.settings().get("gate.red_threshold") == "0.62", 15)
    assert gate.store.settings()["sensor.baud"] == "115200"
    units = site.hub.modules.units
    assert _wait(lambda: units.config_state("gate-1") == (1, 1), 15)
    again = _khidmat(
        "unit", "set", "gate-1", "gate.red_threshold=0.7", "--by", "SI Amna", "--config", config
    )
    assert again.returncode == 0, again.stderr
    assert _wait(lambda: units.config_state("gate-1") == (2, 2), 15)
    audit = site.hub.modules.roster.audit_log()
    assert (audit[0][1], audit[0][2], audit[0][3], audit[0][4], audit[0][5]) == (
        "SI Amna", "unit set", "gate-1", "gate.red_threshold=0.62", "gate.red_threshold=0.7"
    )  # fmt: skip
    shown = json.loads(_khidmat("unit", "settings", "gate-1", "--json", "--config", config).stdout)
    assert shown["settings"]["gate.red_threshold"] == "0.7" and shown["applied_version"] == 2
    for bad, reason in (
        ("kiosk.unit_no=3", "applies to desk"),
        ("gate.red_threshold=1.5", "between 0 and 1"),
        ("sensor.baud=100000", "multiple of 9600"),
        ("colour=red", "unknown setting"),
    ):
        refused = _khidmat("unit", "set", "gate-1", bad, "--by", "x", "--config", config)
        assert refused.returncode == 1 and reason in refused.stderr, (bad, refused.stderr)
    assert units.config_state("gate-1") == (2, 2)


def test_a_command_reaches_the_unit_and_its_result_is_shown(site: Site) -> None:
    config = str(site.testbed.hub_config)
    gate = site.agents["gate-1"]
    sent = _khidmat(
        "unit", "command", "gate-1", "open-relay", "--by", "Insp. Karim", "--config", config
    )
    assert sent.returncode == 0, sent.stderr
    # the agent leaves hardware commands to the kiosk (which holds the relay)
    assert _wait(lambda: bool(gate.store.unhandled_inbox(["command"])), 15)
    record_id = gate.store.unhandled_inbox(["command"])[0][0]
    assert record_id in sent.stdout
    # the kiosk's answer, as kiosk.commands.run_command queues it
    gate.store.enqueue(
        make_envelope(
            "event",
            "gate-1",
            Event("command-result", "info", "open-relay: relay opened for 5 s", record_id),
        )
    )
    shown = lambda: json.loads(  # noqa: E731
        _khidmat("unit", "settings", "gate-1", "--json", "--config", config).stdout
    )["commands"]
    assert _wait(lambda: shown()[0]["detail"] == "open-relay: relay opened for 5 s", 20)
    refused = _khidmat("unit", "command", "enrol-1", "open-relay", "--by", "x", "--config", config)
    assert refused.returncode == 1 and "gate units" in refused.stderr
    synced = _khidmat(
        "unit", "command", "gate-1", "sync-watchlist", "--by", "x", "--config", config
    )
    assert synced.returncode == 0 and "sent at the next round" in synced.stdout


def test_a_desk_unit_number_is_unique_within_its_station(site: Site) -> None:
    units: UnitControl = site.hub.modules.units
    desks = [UnitTarget(f"desk-{i}", "desk", "QTA01") for i in (1, 2)]
    units.set(desks[0], {"kiosk.unit_no": "3"}, actor="x", station_units=desks)
    with pytest.raises(UnitControlError, match="already desk-1's"):
        units.set(desks[1], {"kiosk.unit_no": "03"}, actor="x", station_units=desks)
    assert units.set(desks[1], {"kiosk.unit_no": "4"}, actor="x", station_units=desks) == 1
    other = UnitTarget("desk-9", "desk", "SBI02")
    assert units.set(other, {"kiosk.unit_no": "3"}, actor="x", station_units=[other]) == 1
