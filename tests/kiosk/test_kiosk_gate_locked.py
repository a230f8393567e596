"""The gate with a sealed wanted list: locked without the hub's key, open once it arrives."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from edge_agent.config import SensorSection, UnitConfig
from edge_agent.store import LocalStore
from edge_agent.watchlist_key import KeyFile, new_key, seal
from khidmat_base.clock import SettableClock
from kiosk.app import build_app
from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store, watchlist_entries


async def test_gate_says_locked_without_the_key_and_opens_when_it_arrives(
    tmp_path: Path, unit: Callable[[str], UnitConfig], store: LocalStore, fixed_now_s: float
) -> None:
    from edge_agent.sensor import open_sensor

    config = unit("gate")
    runtime = tmp_path / "run"
    config = dataclasses.replace(
        config, device=dataclasses.replace(config.device, runtime_dir=runtime)
    )
    key = new_key()
    sealed = [
        (p, f, seal(key, p, f, "name", n), s, seal(key, p, f, "template", t))
        for p, f, n, s, t in watchlist_entries()
    ]
    now_ms = int(fixed_now_s * 1000)
    seed_store(store, entries=sealed, issued_at_ms=now_ms - 60_000)
    section = SensorSection(backend="sim", model="r307", baud=115200, packet_size=256)
    with open_sensor(section, sim_wire_delay=False) as sensor:
        app = build_app(
            "gate", config, store=store, sensor=sensor, clock=SettableClock(int(fixed_now_s * 1000)),
            poll_interval_s=0.1,
        )  # fmt: skip
        async with app.run_test(size=(120, 40)) as pilot:
            app.screen.query_one("#badge").value = SIM_OFFICER
            app.screen.query_one("#pin").value = SIM_PIN
            await pilot.click("#sign-in")
            for _ in range(100):
                await pilot.pause(0.05)
                if "Watchlist locked" in str(app.screen.query("#prompt").first().render()):
                    break
            assert "Watchlist locked" in str(app.screen.query_one("#prompt").render())
            assert app.screen.gallery is None  # nothing to scan against

            KeyFile(runtime).put(key, now_ms + 60_000)  # the hub's key arrives
            for _ in range(100):
                await pilot.pause(0.05)
                if app.screen.gallery is not None:
                    break
            assert app.screen.gallery is not None and len(app.screen.gallery) == 3
            assert not app.screen.locked
    assert not list(store.path.parent.glob("*.watchlist*"))  # no clear templates on the card
