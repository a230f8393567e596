"""Every desk screen walked with the keyboard alone (Tab, Enter, Escape, digits).

After each step the test asserts which control has focus, and that it is a visible
control of the screen on top: no key press may go to a widget the citizen cannot see.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Footer

from edge_agent.store import LocalStore
from khidmat_wire.messages import ComplaintStatus, StatusEntry
from kiosk.app import KioskApp
from kiosk.screens.complaint import ComplaintScreen
from kiosk.screens.feedback import FeedbackScreen
from kiosk.screens.track import TrackScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.tracking import make_tracking_no


def focus_is(app: KioskApp, widget_id: str) -> None:
    focused = app.focused
    assert focused is not None, f"nothing focused (wanted #{widget_id})"
    assert focused.id == widget_id, f"focus on {focused!r}, wanted #{widget_id}"
    assert focused.screen is app.screen and focused.display and focused.visible
    assert focused.can_focus


def footer_keys(app: KioskApp) -> int:
    """How many keys the footer shows now (0 when it has gone blank)."""
    return len(app.screen.query_one(Footer).query("FooterKey"))


async def test_desk_walked_with_the_keyboard(
    desk_app: Callable[..., KioskApp], store: LocalStore, fixed_now_s: float
) -> None:
    from datetime import datetime

    number = make_tracking_no("QTA01", datetime.fromtimestamp(fixed_now_s), 12, 1)
    store.put_complaint_status(
        ComplaintStatus(
            number,
            True,
            "resolved",
            0,
            (StatusEntry("resolved", "returned", 1_796_031_000_000),),
            True,
        )
    )
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        focus_is(app, "file")
        await pilot.press("tab")
        focus_is(app, "track")
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        # categories: the first one has focus; Tab walks the grid
        assert isinstance(app.screen, ComplaintScreen)
        focus_is(app, "cat-theft")
        await pilot.press("tab")
        focus_is(app, "cat-robbery")
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        # questions: the first field; Enter moves on like Tab
        focus_is(app, "q-when")
        await pilot.press(*"yesterday", "enter")
        focus_is(app, "q-where")
        await pilot.press(*"Jinnah Road", "enter")
        focus_is(app, "q-items")
        await pilot.press("enter")
        focus_is(app, "gender-desk")
        await pilot.press("tab")
        focus_is(app, "back")
        await pilot.press("tab")
        focus_is(app, "next")
        await pilot.press("enter")
        await pilot.pause()
        # person: name first; a wrong CNIC puts focus back on it
        focus_is(app, "name")
        await pilot.press(*"Ali", "enter")
        focus_is(app, "cnic")
        await pilot.press(*"4210", "enter")
        focus_is(app, "mobile")
        await pilot.press(*"03001234567", "tab")
        focus_is(app, "sms")  # the text-message choice, then Back and Next
        await pilot.press("tab", "tab")
        focus_is(app, "next")
        await pilot.press("enter")
        await pilot.pause()
        focus_is(app, "cnic")
        await pilot.press("ctrl+u", *"۴۲۱۰۱۱۲۳۴۵۶۷۱")  # Urdu digits from an Urdu keyboard
        assert app.screen.draft.cnic == "۴۲۱۰۱۱۲۳۴۵۶۷۱"
        await pilot.press("enter", "tab", "tab", "tab", "enter")
        await pilot.pause()
        assert app.screen.step_name == "description", app.screen.errors
        focus_is(app, "description")
        await pilot.press(*"My phone was taken.", "tab", "tab")
        focus_is(app, "next")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.step_name == "review"
        focus_is(app, "submit")
        assert app.screen.draft.cnic == "42101-1234567-1"
        # Escape goes back a step with the field focused, then back to the start
        await pilot.press("escape")
        await pilot.pause()
        focus_is(app, "description")
        for _ in range(4):
            await pilot.press("escape")
            await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        focus_is(app, "file")
        assert footer_keys(app) > 0
        # tracking: a wrong number keeps focus in the box, so typing goes on there
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TrackScreen)
        focus_is(app, "number")
        await pilot.press(*"abc", "enter")
        await pilot.pause()
        assert app.screen.query("#error")
        focus_is(app, "number")
        await pilot.press("x")
        assert app.screen.typed == "abcx"
        await pilot.press("ctrl+u", *number.lower().replace("-", " "), "enter")
        await pilot.pause()
        assert app.screen.query("#status")
        focus_is(app, "number")
        assert footer_keys(app) > 0, "the footer went blank after the result"
        # rating: focus on the ratings, digits rate, Tab reaches the comment
        await pilot.press("tab", "tab", "tab")
        focus_is(app, "rate")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FeedbackScreen)
        focus_is(app, "rate-5")
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.rating == 4
        focus_is(app, "rate-4")
        await pilot.press("tab")
        focus_is(app, "rate-5")
        await pilot.press("tab")
        focus_is(app, "comment")
        await pilot.press("3", "enter")
        assert app.screen.comment == "3" and app.screen.rating == 4
        focus_is(app, "reopen")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TrackScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        focus_is(app, "track")


async def test_focus_survives_a_language_switch(desk_app: Callable[..., KioskApp]) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("tab")
        focus_is(app, "track")
        await pilot.press("f2")
        await pilot.pause()
        assert app.language == "ur"
        focus_is(app, "track")
        assert footer_keys(app) > 0
        await pilot.press("enter")
        await pilot.pause()
        focus_is(app, "number")


async def test_officer_screens_open_on_their_first_field(
    unit, store: LocalStore, fixed_now_s: float
) -> None:
    from dataclasses import replace

    from edge_agent.config import SensorSection
    from kiosk.app import build_app
    from kiosk.sim import seed_store

    seed_store(store, entries=None, issued_at_ms=0)
    config = replace(unit("gate"), sensor=SensorSection(backend="none"))
    app = build_app("gate", config, store=store, clock=lambda: fixed_now_s)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        focus_is(app, "badge")
        await pilot.press("tab")
        focus_is(app, "pin")
