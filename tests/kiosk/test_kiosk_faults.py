"""The kiosk under resource faults (issue 16, finding 6): a full disk, a vanished sensor, a crash.

Real parts: the unit's SQLite store on a tiny tmpfs that the test fills up, the real
adafruit driver against the pty simulated sensor that the test closes mid-scan.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from edge_agent.config import SensorSection, UnitConfig
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire import decode
from kiosk.app import KioskApp, build_app
from kiosk.desk import STORE_FAULT_MESSAGE
from kiosk.i18n import Translator
from kiosk.screens.complaint import ComplaintScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.sim import seed_store, watchlist_entries
from tests.attacks.unit_faults import fill, free, small_filesystem
from tests.kiosk.desk_flow import CNIC, MOBILE, NAME
from tests.kiosk.desk_flow import to_review as _to_review


def _screen_text(app: KioskApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def test_disk_full_at_submit_keeps_the_draft_and_says_so_in_urdu(
    tmp_path: Path, unit: Callable[[str], UnitConfig], fixed_now_s: float
) -> None:
    with small_filesystem(tmp_path / "data", 1024) as data:
        store = LocalStore(data / "unit.db")
        try:
            seed_store(store, entries=None, issued_at_ms=0)
            app = build_app(
                "desk", unit("desk"), store=store, clock=SettableClock(int(fixed_now_s * 1000))
            )
            async with app.run_test(size=(100, 40)) as pilot:
                screen = await _to_review(pilot)
                await pilot.click("#submit")  # the first citizen's complaint is filed
                await pilot.pause()
                assert isinstance(app.screen, ReceiptScreen)
                first = app.screen.tracking_no
                await pilot.press("f12")
                await pilot.pause()

                screen = await _to_review(pilot)
                app.action_toggle_language()  # the second citizen reads Urdu
                await pilot.pause()
                fill(data)
                await pilot.click("#submit")
                await pilot.pause()
                assert app.is_running
                screen = app.screen
                assert isinstance(screen, ComplaintScreen) and screen.step_name == "review"
                # the message in Urdu (logical text; the paragraph shapes it as drawn)
                error = screen.query_one("#submit-error").value
                assert error == Translator("ur")(STORE_FAULT_MESSAGE)
                assert error != STORE_FAULT_MESSAGE  # translated, not English
                assert CNIC not in error and NAME not in error
                assert (screen.draft.name, screen.draft.cnic) == (NAME, CNIC)
                assert app.store_fault == "disk-full"
                assert store.outbox_depth() == 1  # the first complaint is kept

                free(data)  # room again: the same draft goes through
                await pilot.click("#submit")
                await pilot.pause()
                assert isinstance(app.screen, ReceiptScreen)
                second = app.screen.tracking_no
            filed = {decode(r.payload).body for r in store.due_records(2**62, 10)}
            assert {b.tracking_no for b in filed} == {first, second}
            assert {b.cnic for b in filed} == {CNIC}
        finally:
            store.close()


async def test_sensor_unplugged_mid_scan_shows_a_fault_not_a_traceback(
    unit: Callable[[str], UnitConfig], store: LocalStore, fixed_now_s: float
) -> None:
    from edge_agent.sensor import open_sensor
    from kiosk.sim import SIM_OFFICER, SIM_PIN

    section = SensorSection(backend="sim", model="r307", baud=115200, packet_size=256)
    sensor = open_sensor(section, sim_wire_delay=False)
    try:
        seed_store(store, entries=watchlist_entries()[:1], issued_at_ms=int(fixed_now_s * 1000))
        app = build_app(
            "gate",
            unit("gate"),
            store=store,
            sensor=sensor,
            clock=SettableClock(int(fixed_now_s * 1000)),
        )
        async with app.run_test(size=(120, 40)) as pilot:
            app.screen.query_one("#badge").value = SIM_OFFICER
            app.screen.query_one("#pin").value = SIM_PIN
            await pilot.click("#sign-in")
            for _ in range(200):
                await pilot.pause(0.05)
                if app.screen.__class__.__name__ == "GateScreen" and app.screen.gallery:
                    break
            await pilot.pause(0.5)  # the scan worker is polling the sensor
            sensor.simulator.close()  # unplugged: the pty goes away under the driver
            for _ in range(200):
                await pilot.pause(0.05)
                if store.health("sensor") == "fault":
                    break
            assert app.is_running
            assert store.health("sensor") == "fault"
            assert "Sensor fault" in _screen_text(app) or "sensor" in _screen_text(app).lower()
    finally:
        sensor.close()


async def test_a_crash_prints_no_personal_data(
    desk_app: Callable[..., KioskApp], capsys: pytest.CaptureFixture[str]
) -> None:
    app = desk_app()
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(100, 40)) as pilot:
            screen = await _to_review(pilot)

            def broken() -> None:
                citizen = screen.draft  # what a frame's locals would show
                raise RuntimeError(f"boom for {type(citizen).__name__}")

            screen.call_later(broken)
            await pilot.pause()
    printed = capsys.readouterr().err
    assert "RuntimeError" in printed
    assert CNIC not in printed and NAME not in printed and MOBILE not in printed


async def test_desk_on_a_read_only_card_starts_and_says_it_cannot_save(
    tmp_path: Path, unit: Callable[[str], UnitConfig], fixed_now_s: float
) -> None:
    from tests.attacks.unit_faults import remount

    config = unit("desk")
    with small_filesystem(config.device.data_dir, 1024) as data:
        LocalStore(config.store_path).close()  # the unit ran before; then the card failed
        remount(data, read_only=True)
        try:
            app = build_app(
                "desk", config, clock=SettableClock(int(fixed_now_s * 1000))
            )  # opens its own store
            assert app.store_fault == "read-only"
            async with app.run_test(size=(100, 40)) as pilot:
                screen = await _to_review(pilot)
                await pilot.click("#submit")
                await pilot.pause()
                assert app.is_running and app.screen is screen
                error = screen.query_one("#submit-error").value
                assert error == Translator("en")(STORE_FAULT_MESSAGE)
                assert CNIC not in error
        finally:
            remount(data, read_only=False)
