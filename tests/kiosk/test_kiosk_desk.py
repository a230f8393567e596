"""Desk mode end to end through Pilot: complaint, receipt, tracking, feedback, clearing."""

from __future__ import annotations

from collections.abc import Callable

from edge_agent.store import LocalStore
from khidmat_wire import decode
from kiosk.app import KioskApp
from kiosk.screens.complaint import ComplaintScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.tracking import parse_tracking_no


def outbox(store: LocalStore) -> list:
    return [decode(r.payload) for r in store.due_records(2**62, 100)]


async def fill(pilot, selector: str, value: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.value = value
    await pilot.pause()


async def test_complaint_filed_with_tracking_number(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click("#file")
        await pilot.pause()
        assert isinstance(app.screen, ComplaintScreen)
        await pilot.click("#cat-theft")
        await pilot.pause()
        assert "cognizable" in str(app.screen.query_one("#guidance").render())
        await fill(pilot, "#q-when", "yesterday 9 pm")
        await fill(pilot, "#q-where", "Jinnah Road")
        await fill(pilot, "#q-items", "phone")
        await pilot.click("#next")
        await pilot.pause()
        # wrong CNIC and mobile are explained, the step does not advance
        await fill(pilot, "#name", "Ayesha Bibi")
        await fill(pilot, "#cnic", "4210112345")
        await fill(pilot, "#mobile", "0412-345")
        await pilot.click("#next")
        await pilot.pause()
        screen = app.screen
        assert screen.step_name == "person"
        assert "13 numbers" in str(screen.query_one("#error-cnic").render())
        assert "starts with 03" in str(screen.query_one("#error-mobile").render())
        await fill(pilot, "#cnic", "4210112345671")
        await fill(pilot, "#mobile", "+92 300 1234567")
        await pilot.click("#next")
        await pilot.pause()
        screen.query_one("#description").text = "My phone was taken from my shop counter."
        await pilot.pause()
        await pilot.click("#next")
        await pilot.pause()
        assert screen.step_name == "review"
        assert screen.draft.cnic == "42101-1234567-1"
        assert screen.draft.mobile == "0300-1234567"
        await pilot.click("#submit")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        number = app.screen.tracking_no
        assert parse_tracking_no(number) == number
        assert number.startswith("QTA01-261130-")
    [record] = outbox(store)
    assert record.kind == "complaint"
    assert record.body.tracking_no == number
    assert record.body.cnic == "42101-1234567-1"
    assert record.body.cognizable is True
    assert [a.question for a in record.body.answers] == ["when", "where", "items"]
