"""Personal data does not stay on a desk unit (issue 16, finding 7).

A working day on real parts: Mosquitto, the hub and the unit's agent as processes, the
desk kiosk app driven through its screens. Citizens file complaints (name, CNIC, mobile,
a description), one tracks hers; once the hub has acknowledged them, every byte under the
unit's directory (store, WAL, logs, config) is searched for each citizen's CNIC (with and
without dashes), name, mobile and description: none may be there. The hub must hold
them (else the search could pass on data that never existed). Before the fix the outbox
kept every payload for good and ``prune_acked`` was never called.
"""

from __future__ import annotations

import asyncio
import stat
import time
from pathlib import Path

import pytest

from edge_agent.config import load_unit_config
from edge_agent.store import LocalStore
from khidmat.testbed import Testbed
from kiosk.app import build_app
from kiosk.screens.receipt import ReceiptScreen
from tests.kiosk.desk_flow import to_review

pytestmark = pytest.mark.broker

DEVICE = "desk-1"
CITIZENS = (
    ("Zarghuna Khan Achakzai", "54400-7654321-9", "0333-7654321"),
    ("Mehrunnisa Baloch Rind", "56302-1122334-6", "0345-9988776"),
    ("Gul Bibi Kakar Sanzar", "54401-5566778-2", "0301-4455667"),
)
DESCRIPTION = "My bag was taken near the bus stop."


def _needles(name: str, cnic: str, mobile: str) -> list[bytes]:
    return [
        name.encode(),
        cnic.encode(),
        cnic.replace("-", "").encode(),
        mobile.encode(),
        mobile.replace("-", "").encode(),
    ]


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


async def _working_day(unit_toml: Path) -> list[str]:
    app = build_app("desk", load_unit_config(unit_toml), poll_interval_s=0.2)
    numbers = []
    async with app.run_test(size=(100, 40)) as pilot:
        for name, cnic, mobile in CITIZENS:
            await to_review(pilot, name=name, cnic=cnic, mobile=mobile)
            await pilot.click("#submit")
            await pilot.pause()
            assert isinstance(app.screen, ReceiptScreen)
            numbers.append(app.screen.tracking_no)
            await pilot.press("f12")
            await pilot.pause()
        await pilot.press("t")  # the first citizen tracks her complaint
        await pilot.pause()
        app.screen.query_one("#number").value = numbers[0]
        await pilot.click("#check")
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
    return numbers


def test_a_desk_unit_keeps_no_personal_data_after_a_working_day(tmp_path: Path) -> None:
    testbed = Testbed(tmp_path, [DEVICE], resend_after_s=0.5, telemetry_interval_s=1.0)
    unit_toml = testbed.unit_configs[DEVICE]
    unit_toml.write_text(unit_toml.read_text() + "scrub_interval_s = 0.5\n")  # [agent] is last
    unit_dir = unit_toml.parent
    with testbed:
        testbed.start_hub()
        testbed.start_agent(DEVICE)
        numbers = asyncio.run(_working_day(unit_toml))
        assert _wait(lambda: set(numbers) <= _hub_tracking_numbers(testbed), 60), "not delivered"
        assert testbed.wait_delivered(30)
        time.sleep(2.0)  # a few scrub intervals: handled downlinks erased, WAL truncated
        testbed.stop_agent(DEVICE)  # a clean stop, as at the end of a day
    hub_bytes = testbed.hub_db.read_bytes() + b"".join(
        p.read_bytes() for p in testbed.hub_db.parent.glob("hub.db-wal")
    )
    assert CITIZENS[0][1].encode() in hub_bytes  # the hub has what the unit no longer keeps

    files = [p for p in unit_dir.rglob("*") if p.is_file()]
    assert any(p.name == "unit.db" for p in files)
    found = []
    for path in files:
        data = path.read_bytes()
        for name, cnic, mobile in CITIZENS:
            found += [
                f"{path.name}: {n.decode()}" for n in _needles(name, cnic, mobile) if n in data
            ]
        if DESCRIPTION.encode() in data:
            found.append(f"{path.name}: the description")
    assert not found, found
    with LocalStore(testbed.store_path(DEVICE)) as store:  # tracking keeps the numbers
        assert sorted(store.acked_refs("complaint")) == sorted(numbers)
    data_dir = testbed.store_path(DEVICE).parent
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(testbed.store_path(DEVICE).stat().st_mode) == 0o600


def _hub_tracking_numbers(testbed: Testbed) -> set[str]:
    import json
    import sqlite3

    with sqlite3.connect(testbed.hub_db, timeout=10) as conn:
        rows = conn.execute("SELECT payload FROM records WHERE kind = 'complaint'").fetchall()
    return {json.loads(r[0])["body"]["tracking_no"] for r in rows}
