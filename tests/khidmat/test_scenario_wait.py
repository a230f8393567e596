"""The scenarios' waits: a screen stack that is empty for a moment is "not yet", not a crash."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ScreenStackError

from khidmat.scenario import ScenarioError, _until


def test_an_empty_screen_stack_for_a_moment_is_waited_out() -> None:
    calls = {"n": 0}

    def condition() -> bool:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise ScreenStackError("No screens on stack")
        return True

    async def run() -> None:
        async with App().run_test() as pilot:
            await _until(pilot, condition, 5, "the screen")

    asyncio.run(run())
    assert calls["n"] == 4


def test_a_stack_that_stays_empty_times_out_with_what_was_awaited() -> None:
    def condition() -> bool:
        raise ScreenStackError("No screens on stack")

    async def run() -> None:
        async with App().run_test() as pilot:
            await _until(pilot, condition, 0.3, "the sign-in screen")

    with pytest.raises(ScenarioError, match="waiting for the sign-in screen"):
        asyncio.run(run())
