"""Citizen screens are locked down: no quit, palette, screenshot or Ctrl-C prompt (issue 16, finding 9).

Only a technician or officer who signs in with badge and PIN (Ctrl-T) may quit the kiosk
or open the command palette, and only until the technician mode ends.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import CommandPalette

from kiosk.app import KioskApp
from kiosk.screens.technician import TechnicianScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.sim import SIM_OFFICER, SIM_PIN

LOCKED_KEYS = ("ctrl+q", "ctrl+p", "ctrl+c", "ctrl+backslash", "f1", "ctrl+s")


def _notes(app: KioskApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def test_citizen_cannot_quit_open_palette_or_see_a_quit_prompt(
    desk_app: Callable[..., KioskApp],
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#file")
        await pilot.pause()
        for key in LOCKED_KEYS:
            await pilot.press(key)
            await pilot.pause()
            assert app.is_running and app.return_code is None, key
            assert not isinstance(app.screen, CommandPalette), key
        app.action_toggle_language()  # Urdu: still nothing in English about quitting
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not [n for n in _notes(app) if "quit" in n.lower()]
        assert app.is_running


async def test_technician_pin_unlocks_quit_and_a_wrong_pin_does_not(
    desk_app: Callable[..., KioskApp],
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, TechnicianScreen)
        app.screen.query_one("#badge").value = SIM_OFFICER
        app.screen.query_one("#pin").value = "999999"
        await pilot.click("#sign-in")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.technician_mode
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running

        await pilot.press("ctrl+t")
        await pilot.pause()
        app.screen.query_one("#badge").value = SIM_OFFICER
        app.screen.query_one("#pin").value = SIM_PIN
        await pilot.click("#sign-in")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.technician_mode
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_technician_mode_ends_by_itself(desk_app: Callable[..., KioskApp]) -> None:
    app = desk_app(technician_s=0.0)
    async with app.run_test(size=(100, 40)) as pilot:
        app.start_technician_mode(SIM_OFFICER)
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
