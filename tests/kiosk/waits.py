"""Waiting in Textual pilot tests for what a loaded machine shows later, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


async def wait_until(
    pilot, condition: Callable[[], bool], timeout_s: float = 20.0, what: Callable[[], object] = str
) -> None:
    """Pause in 0.05 s steps until ``condition()``; fail with ``what()`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what()}"
        await pilot.pause(0.05)


async def click_when_placed(pilot, selector: str, timeout_s: float = 5.0) -> None:
    """Click ``selector`` once it is laid out where a finger would touch it.

    A recompose mounts the new widgets before the layout gives them their place; on a
    loaded machine a click in between lands on whatever was there before (or nothing).
    Waits up to ``timeout_s``, then clicks wherever the widget is.
    """
    app = pilot.app

    def placed() -> bool:
        found = app.screen.query(selector)
        if not found:
            return False
        widget = found.first()
        region = widget.region
        if not region.area:
            return False
        under, _ = app.screen.get_widget_at(region.x, region.y)
        return under is widget or widget in under.ancestors

    deadline = time.monotonic() + timeout_s
    while not placed() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.click(selector)
