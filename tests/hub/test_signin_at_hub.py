"""Officer sign-in verified at the hub whenever it is reachable (issues 16 and 19).

Real Mosquitto, the hub service and a gate's agent (threads), the kiosk's sign-in as the
sign-in screen calls it: with the hub up the hub decides (a badge suspended at the hub but
still on the gate's list is refused; wrong PINs lock the badge at the hub, for every
unit); with the hub down the gate's pushed list decides after a bounded wait. The PIN is
never kept: not in the hub's records, not in the gate's outbox after the answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_first_watchlist import Site, _wait

from edge_agent.store import LINK_HEALTH
from hub.roster import Roster
from khidmat_wire.pins import MAX_FAILURES, hash_pin
from kiosk.officers import HUB_WAIT_S, sign_in

pytestmark = pytest.mark.broker

PIN = "654321"


@pytest.fixture
def site(tmp_path: Path, templates) -> Iterator[Site]:
    site = Site(tmp_path, templates)
    try:
        site.register("gate-1")
        gate = site.start_agent("gate-1")
        roster: Roster = site.hub.modules.roster
        roster.add(
            "QTA-0412", name="Nadia Baloch", rank="ASI", station="QTA01", roles=["gate"],
            pin_hash=hash_pin(PIN, memory_kib=1024, time_cost=1), actor="Insp. Karim",
        )  # fmt: skip
        assert _wait(lambda: "officer.qta-0412" in gate.store.settings(), 20)
        assert _wait(lambda: gate.store.health(LINK_HEALTH) == "up", 10)
        yield site
    finally:
        site.close()


def _events(site: Site) -> list[tuple[str, str, str]]:
    """(badge, outcome, detail) the hub recorded from the gate's sign-in events."""
    return [(s[2], s[3], s[4]) for s in reversed(site.hub.modules.roster.signins())]


def _no_pin_kept(site: Site) -> None:
    gate = site.agents["gate-1"]
    kinds = {r[0]: r[1] for r in gate.store.db.query("SELECT record_id, kind FROM outbox")}
    assert "signin" not in kinds.values()  # withdrawn once answered or given up on
    rows = site.hub.store.db.query("SELECT payload FROM records WHERE kind = 'signin'")
    assert rows and all(r[0] == "" for r in rows)
    assert not any(PIN.encode() in bytes(r[0]) for r in site.hub.store.db.query(
        "SELECT payload FROM quarantine"
    ))  # fmt: skip


def test_the_hub_decides_while_reachable_and_its_refusal_wins(site: Site) -> None:
    gate = site.agents["gate-1"]
    roster: Roster = site.hub.modules.roster
    now = int(time.time() * 1000)
    started = time.monotonic()
    assert sign_in(gate.store, "QTA-0412", PIN, now_ms=now, device_id="gate-1") == (
        "QTA-0412",
        "",
    )
    assert time.monotonic() - started < HUB_WAIT_S  # the hub answered; no timeout
    assert _wait(
        lambda: ("QTA-0412", "signed in", "signed in (checked at hub)") in _events(site), 10
    )
    old_hash = gate.store.settings()["officer.qta-0412"]
    # suspended at the hub; the gate's list is stale (the new list has not arrived yet)
    roster.set_status("QTA-0412", "suspended", actor="Insp. Karim")
    assert _wait(lambda: "officer.qta-0412" not in gate.store.settings(), 20)
    gate.store.put_setting("officer.qta-0412", old_hash)  # the list as it was before
    officer, reason = sign_in(gate.store, "QTA-0412", PIN, now_ms=now + 1, device_id="gate-1")
    assert officer is None and "suspended" in reason
    assert _wait(
        lambda: any(e[1] == "failed" and "checked at hub" in e[2] for e in _events(site)), 10
    )
    audit = [a for a in gate.store.audit_log() if a[2].startswith("sign-in")]
    assert [a[2:] for a in audit[:2]] == [
        ("sign-in refused", "checked at hub"),
        ("sign-in accepted", "checked at hub"),
    ]
    _no_pin_kept(site)


def test_wrong_pins_lock_the_badge_at_the_hub(site: Site) -> None:
    gate = site.agents["gate-1"]
    now = int(time.time() * 1000)
    for attempt in range(MAX_FAILURES):
        officer, reason = sign_in(
            gate.store, "QTA-0412", "000000", now_ms=now + attempt, device_id="gate-1"
        )
        assert officer is None
    assert "locked at the hub" in reason
    # the gate's own count is cleared (as a technician would after a reset of the unit):
    # the hub still refuses the right PIN
    gate.store.clear_signin_failures("qta-0412")
    officer, reason = sign_in(gate.store, "QTA-0412", PIN, now_ms=now + 10, device_id="gate-1")
    assert officer is None and "locked at the hub" in reason
    assert _wait(lambda: bool(site.hub.modules.alerts.list(kind="officer")), 10)
    # a PIN reset at the hub ends the lockout there
    site.hub.modules.roster.reset_pin(
        "QTA-0412", hash_pin("112233", memory_kib=1024, time_cost=1), actor="Insp. Karim"
    )
    assert _wait(
        lambda: (
            sign_in(gate.store, "QTA-0412", "112233", now_ms=now + 20, device_id="gate-1")[0]
            == "QTA-0412"
        ),
        20,
    )
    _no_pin_kept(site)


def test_with_the_hub_down_the_gate_list_decides_after_a_bounded_wait(site: Site) -> None:
    gate = site.agents["gate-1"]
    site.hub.stop()
    site.threads[0].join(10)
    now = int(time.time() * 1000)
    started = time.monotonic()
    assert sign_in(gate.store, "QTA-0412", PIN, now_ms=now, device_id="gate-1") == (
        "QTA-0412",
        "",
    )
    waited = time.monotonic() - started
    assert HUB_WAIT_S <= waited < HUB_WAIT_S + 2  # the broker is up, the hub is not
    officer, _ = sign_in(gate.store, "QTA-0412", "000000", now_ms=now + 1, device_id="gate-1")
    assert officer is None
    audit = [a for a in gate.store.audit_log() if a[2].startswith("sign-in")]
    assert [a[2:] for a in audit[:2]] == [
        ("sign-in refused", "checked locally (hub not reachable)"),
        ("sign-in accepted", "checked locally (hub not reachable)"),
    ]
    assert not any(
        r[0] == "signin" for r in gate.store.db.query("SELECT kind FROM outbox")
    )  # withdrawn: never sent later with its PIN
    # the agent's link down too: no wait at all
    gate.stop()
    site.threads[-1].join(10)
    assert gate.store.health(LINK_HEALTH) == "down"
    started = time.monotonic()
    assert sign_in(gate.store, "QTA-0412", PIN, now_ms=now + 2, device_id="gate-1")[0] == "QTA-0412"
    assert time.monotonic() - started < 1.5
