"""The officer roster end to end: the public CLI changes it, the running hub sends each
unit its signed subset, the kiosk's sign-in checks it, and sign-ins, failures and
lockouts come back to the hub. Real Mosquitto, hub and agents (threads), CLI processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_first_watchlist import Site, _wait

from edge_agent.officers import installed_version
from hub.roster import Roster, RosterError, Unit
from khidmat_wire.pins import hash_pin
from kiosk.officers import MAX_FAILURES, check, sign_in

pytestmark = pytest.mark.broker


def _khidmat(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "khidmat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def site(tmp_path: Path, templates) -> Iterator[Site]:
    site = Site(tmp_path, templates)
    try:
        site.register("gate-1")
        site.start_agent("gate-1")
        yield site
    finally:
        site.close()


def test_an_officer_added_at_the_cli_signs_in_at_the_gate_and_is_suspended(site: Site) -> None:
    config = str(site.testbed.hub_config)
    gate, enrol = site.agents["gate-1"], site.agents["enrol-1"]
    added = _khidmat(
        "officer", "add", "QTA-0412", "--name", "Nadia Baloch", "--rank", "ASI",
        "--station", "QTA01", "--roles", "gate", "--by", "Insp. Karim", "--config", config,
        stdin="654321\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "654321" not in added.stdout + added.stderr
    # the gate gets the officer within seconds; the enrolment unit's list stays empty
    assert _wait(lambda: "officer.qta-0412" in gate.store.settings(), 15)
    assert check(gate.store.settings(), "QTA-0412", "654321")[0] == "QTA-0412"
    assert _wait(lambda: installed_version(enrol.store) >= 1, 15)
    assert "officer.qta-0412" not in enrol.store.settings()
    roster = site.hub.modules.roster
    assert _wait(
        lambda: any(
            u.device_id == "gate-1" and u.installed_version == u.version and u.officers == 1
            for u in roster.unit_lists()
        ),
        15,
    )
    # wrong PINs at the gate lock the badge; the hub hears and shows it
    now = int(time.time() * 1000)
    for attempt in range(MAX_FAILURES):
        officer, _ = sign_in(
            gate.store, "QTA-0412", "000000", now_ms=now + attempt, device_id="gate-1"
        )
        assert officer is None
    assert _wait(lambda: roster.officers()[0].locked, 15)
    assert roster.officers()[0].failures == MAX_FAILURES
    assert _wait(lambda: bool(site.hub.modules.alerts.list(kind="officer")), 5)
    listed = json.loads(_khidmat("officer", "list", "--json", "--config", config).stdout)
    assert listed["officers"][0]["badge"] == "QTA-0412" and listed["officers"][0]["locked"]
    assert "pin" not in json.dumps(listed).lower().replace("pin_", "")
    # suspended: the gate drops the officer at once
    suspended = _khidmat(
        "officer", "suspend", "QTA-0412", "--by", "Insp. Karim", "--config", config
    )
    assert suspended.returncode == 0, suspended.stderr
    assert _wait(lambda: "officer.qta-0412" not in gate.store.settings(), 15)
    assert check(gate.store.settings(), "QTA-0412", "654321")[0] is None
    audit = roster.audit_log()
    assert [(a[1], a[2], a[4], a[5]) for a in audit[:1]] == [
        ("Insp. Karim", "officer status", "active", "suspended")
    ]
    assert any(a[2] == "officer add" for a in audit)


def test_bad_roster_changes_are_refused_with_a_reason(site: Site) -> None:
    config = str(site.testbed.hub_config)
    short_pin = _khidmat(
        "officer", "add", "QTA-1", "--name", "A", "--rank", "SI", "--station", "QTA01",
        "--roles", "gate", "--by", "Insp. Karim", "--config", config, stdin="1234\n",
    )  # fmt: skip
    assert short_pin.returncode == 1 and "6 to 8 digits" in short_pin.stderr
    bad_role = _khidmat(
        "officer", "add", "QTA-1", "--name", "A", "--rank", "SI", "--station", "QTA01",
        "--roles", "driver", "--by", "Insp. Karim", "--config", config, stdin="123456\n",
    )  # fmt: skip
    assert bad_role.returncode == 1 and "roles" in bad_role.stderr
    unknown = _khidmat("officer", "suspend", "NOPE", "--by", "x", "--config", config)
    assert unknown.returncode == 1 and "no officer" in unknown.stderr
    roster: Roster = site.hub.modules.roster
    assert roster.officers() == []
    with pytest.raises(RosterError):
        roster.add(
            "QTA-2", name="Gul\nKhan", rank="SI", station="QTA01", roles=["gate"],
            pin_hash=hash_pin("123456", memory_kib=1024, time_cost=1), actor="x",
        )  # fmt: skip


def test_assignments_choose_the_units(site: Site) -> None:
    roster: Roster = site.hub.modules.roster
    pin = hash_pin("123456", memory_kib=1024, time_cost=1)
    roster.add(
        "QTA-7", name="Amna", rank="SI", station="QTA01", roles=["gate", "enrolment"],
        pin_hash=pin, actor="x",
    )  # fmt: skip
    roster.add(
        "SBI-3", name="Karim", rank="ASI", station="SBI02", roles=["gate"],
        pin_hash=pin, actor="x", assignments=["gate-9"],
    )  # fmt: skip
    gate = Unit("gate-9", "gate", "QTA01")
    assert [e.badge for e in roster.entries_for(gate)] == ["QTA-7", "SBI-3"]
    assert [e.badge for e in roster.entries_for(Unit("gate-8", "gate", "QTA01"))] == ["QTA-7"]
    assert [e.badge for e in roster.entries_for(Unit("desk-1", "desk", "QTA01"))] == []
    roster.assign("QTA-7", "SBI02", actor="x")  # now only station SBI02's units
    assert [e.badge for e in roster.entries_for(gate)] == ["SBI-3"]
