"""Fixtures of the kiosk tests: a simulated unit's config and store, a fixed clock, apps."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge_agent.config import UnitConfig
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from kiosk.app import KioskApp, build_app
from kiosk.sim import seed_store, sim_config

#: 2026-11-30 10:00:00 UTC, so tracking numbers and snapshots do not change with the date.
FIXED_NOW_S = 1_796_032_800.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests on a fresh event loop (no async plugin is installed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()


@pytest.fixture
def unit(tmp_path: Path) -> Callable[[str], UnitConfig]:
    return lambda mode: sim_config(mode, tmp_path / mode)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "unit.db") as s:
        yield s


@pytest.fixture
def desk_app(unit: Callable[[str], UnitConfig], store: LocalStore) -> Callable[..., KioskApp]:
    def make(**options: object) -> KioskApp:
        seed_store(store, entries=None, issued_at_ms=0)
        return build_app(
            "desk",
            unit("desk"),
            store=store,
            clock=SettableClock(int(FIXED_NOW_S * 1000)),
            **options,
        )  # type: ignore[arg-type]

    return make


@pytest.fixture
def fixed_now_s() -> float:
    return FIXED_NOW_S


@pytest.fixture
def snap_compare(snap_compare):
    """pytest-textual-snapshot's ``snap_compare`` with every text cursor steady.

    Inputs and text areas blink their cursor every half second; on a loaded machine the
    screenshot can land in either phase (the red-verdict snapshot failed that way). The key
    presses and ``run_before`` run first, then every widget's ``cursor_blink`` is turned
    off once focus has settled, which leaves the focused cursor shown, as the stored
    snapshots have it.
    """

    def compare(app, *args, press=(), run_before=None, **kwargs):
        async def steady(pilot) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            if press:
                await pilot.press(*press)
            # Every screen focuses a widget when it opens (tests/kiosk/test_kiosk_focus.py);
            # on a loaded machine that can land a few frames late.
            for _ in range(100):
                if pilot.app.focused is not None:
                    break
                await pilot.pause(0.02)
            for widget in pilot.app.screen.query("*"):
                if hasattr(widget, "cursor_blink"):
                    widget.cursor_blink = False
                    # TextArea caches drawn lines under a key that, with blinking off, no
                    # longer tells "cursor shown" from an off-phase frame: drop the cache.
                    widget.notify_style_update()
                    widget.refresh()
            await pilot.pause()

        return snap_compare(app, *args, run_before=steady, **kwargs)

    return compare
