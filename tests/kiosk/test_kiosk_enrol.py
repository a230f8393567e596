"""Enrol mode on the simulated sensor: record entry, impressions, consolidation, submit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from edge_agent.config import SensorSection, UnitConfig
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire import decode
from kiosk.app import build_app
from kiosk.enrol import consolidate
from kiosk.identify import RED_THRESHOLD
from kiosk.screens.sim_panel import sim_image
from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store
from tests.kiosk.waits import wait_until


@pytest.fixture
def sensor() -> Iterator[object]:
    from edge_agent.sensor import open_sensor

    section = SensorSection(backend="sim", model="r307", baud=57600, packet_size=256)
    with open_sensor(section, sim_wire_delay=False) as s:
        yield s


def test_consolidation_keeps_best_and_rejects_mixed_fingers() -> None:
    from matcher_cy import extract

    same = [extract(sim_image(f"enrolee-{i}")) for i in range(3)]
    result = consolidate(same)
    assert result.ok and result.quality == max(t.quality for t in same)
    # every impression agrees with the best at the gate's red threshold (the third is a
    # partial print: 13 minutiae, score 0.046)
    assert all(score >= RED_THRESHOLD for score in result.agreement)
    mixed = consolidate([same[0], extract(sim_image("stranger"))])
    assert not mixed.ok and "do not match" in mixed.problem


async def test_enrol_person_with_one_finger_and_the_other_index_missing(
    unit: Callable[[str], UnitConfig], store: LocalStore, sensor: object, fixed_now_s: float
) -> None:
    from kiosk.screens.enrol import EnrolScreen

    seed_store(store, entries=None, issued_at_ms=0)
    app = build_app(
        "enrol",
        unit("enrol"),
        store=store,
        sensor=sensor,
        clock=SettableClock(int(fixed_now_s * 1000)),
    )
    simulator = sensor.simulator  # type: ignore[attr-defined]
    async with app.run_test(size=(120, 60)) as pilot:
        app.screen.query_one("#badge").value = SIM_OFFICER
        app.screen.query_one("#pin").value = SIM_PIN
        await pilot.click("#sign-in")
        await wait_until(pilot, lambda: isinstance(app.screen, EnrolScreen))
        screen = app.screen
        await pilot.press("f6")
        await pilot.pause()
        assert "Capture at least" not in str(screen.query_one("#form-error").render())
        for impression in range(3):
            await wait_until(pilot, lambda: "Place" in str(screen.query_one("#prompt").render()))
            simulator.place(sim_image(f"enrolee-{impression}"))
            await wait_until(pilot, lambda: "Lift" in str(screen.query_one("#prompt").render()))
            simulator.lift()
            await wait_until(pilot, lambda: not screen.capturing)
            if impression < 2:
                await pilot.press("f6")
                await pilot.pause()
        assert 2 in screen.fingers, str(screen.query_one("#prompt").render())
        screen.query_one("#name").value = "[@click=app.quit]Dad[/] Khan"
        screen.query_one("#father").value = "Noor [/b]"
        screen.query_one("#cnic").value = "5440012345671"
        screen.query_one("#offences").value = "302 PPC, 392 PPC"
        # both index fingers are required: the left index is selected next
        assert screen.query_one("#finger").value == 7
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "both index fingers" in str(screen.query_one("#form-error").render())
        assert screen.fingers and "queued" not in str(screen.query_one("#prompt").render())
        # the left index is injured: recorded, and the enrolment goes with one finger
        await pilot.press("f7")
        await pilot.pause()
        assert screen.missing == {7}
        assert "Missing or injured: 7 left index" in str(screen.query_one("#fingers").render())
        screen.query_one("#submit").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "queued" in str(screen.query_one("#prompt").render())
        assert (
            str(screen.query_one("#last").render()) == "Last enrolled: [@click=app.quit]Dad[/] Khan"
        )
        assert screen.fingers == {}
    # the officer's sign-in is reported too (an event); one enrolment
    [record] = [decode(r.payload) for r in store.due_records(2**62, 10) if r.kind == "enrolment"]
    body = record.body
    assert record.kind == "enrolment" and body.officer == SIM_OFFICER
    assert (body.name, body.father_name, body.cnic) == (
        "[@click=app.quit]Dad[/] Khan",
        "Noor [/b]",
        "54400-1234567-1",
    )
    assert body.offences == ("302 PPC", "392 PPC")
    assert [f.finger for f in body.fingers] == [2] and body.fingers[0].quality >= 50
    assert any(detail.endswith("left index missing") for _, _, _, detail in store.audit_log(10))
