"""Hotel unit: the desk clerk records guests; each is one hotel-guest record in the outbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_agent.config import UnitConfig
from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire.unit_settings import HOTEL_CODE_SETTING
from kiosk.app import KioskApp, build_app
from kiosk.screens.hotel import HotelScreen
from tests.kiosk.conftest import FIXED_NOW_S


def screenshot(svg: str, name: str) -> None:
    """``svg`` as ``<name>.png`` in KHIDMAT_SCREENSHOT_DIR (docs/images for docs/station.md),
    when it is set and Chromium is installed; Urdu is already in visual order in the SVG."""
    import os
    import shutil
    import subprocess

    directory, chromium = os.environ.get("KHIDMAT_SCREENSHOT_DIR"), shutil.which("chromium")
    if not directory or chromium is None:
        return
    folder = Path(directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.svg"
    override = "text { unicode-bidi: bidi-override; direction: ltr; }</style>"
    source.write_text(svg.replace("</style>", override, 1), encoding="utf-8")
    try:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--screenshot={folder / f'{name}.png'}", "--window-size=1300,1000", source.as_uri()],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    finally:
        source.unlink()


@pytest.fixture
def hotel_app(unit: Callable[[str], UnitConfig], store: LocalStore) -> Callable[[], KioskApp]:
    return lambda: build_app(
        "hotel", unit("hotel"), store=store, clock=SettableClock(int(FIXED_NOW_S * 1000))
    )


def _guests(store: LocalStore) -> list[dict[str, object]]:
    rows = store.db.query("SELECT payload FROM outbox WHERE kind = 'hotel-guest' ORDER BY rowid")
    return [json.loads(r[0])["body"] for r in rows]


async def _fill(pilot, **values: str) -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    for field, value in values.items():
        screen.query_one(f"#{field}").value = value
    await pilot.pause()


async def test_the_clerk_records_guests_one_after_another(
    hotel_app: Callable[[], KioskApp], store: LocalStore
) -> None:
    store.put_setting(HOTEL_CODE_SETTING, "QTA-SERENA")
    app = hotel_app()
    async with app.run_test(size=(100, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HotelScreen)
        await _fill(pilot, name="محمد اکرم", cnic="۵۴۴۰۰۹۸۷۶۵۴۳۱", room="21")
        await pilot.click("#record")
        await pilot.pause()
        assert app.screen.query("#recorded") and app.screen.form.name == ""
        await _fill(pilot, name="Wang Lei", nationality="cn", passport="E 1234 5678", room="B-2")
        screenshot(app.export_screenshot(), "kiosk-hotel-checkin")
        await pilot.click("#record")
        await pilot.pause()
    first, second = _guests(store)
    assert first == {"hotel": "QTA-SERENA", "name": "محمد اکرم", "cnic": "54400-9876543-1",
                     "nationality": "PK", "passport": "", "check_in_ms": int(FIXED_NOW_S * 1000),
                     "room": "21"}  # fmt: skip
    assert (second["nationality"], second["passport"], second["cnic"]) == ("CN", "E12345678", "")


async def test_mistakes_are_named_and_nothing_is_queued(
    hotel_app: Callable[[], KioskApp], store: LocalStore
) -> None:
    app = hotel_app()
    async with app.run_test(size=(100, 45)) as pilot:
        await pilot.pause()
        await _fill(pilot, name="Ayesha Bibi", cnic="42101-1234567-1", room="3")
        await pilot.click("#record")  # no hotel.code from the hub yet
        await pilot.pause()
        assert "no hotel yet" in str(app.screen.query_one("#error").render())
        store.put_setting(HOTEL_CODE_SETTING, "QTA-SERENA")
        await _fill(pilot, cnic="", room="3")
        await pilot.click("#record")
        await pilot.pause()
        assert "needs a CNIC" in str(app.screen.query_one("#error").render())
        await _fill(pilot, nationality="GB")
        await pilot.click("#record")
        await pilot.pause()
        assert "passport" in str(app.screen.query_one("#error").render())
        assert app.screen.form.name == "Ayesha Bibi"  # what was typed stays
    assert _guests(store) == []


def test_a_hotel_unit_is_provisioned_like_any_other(tmp_path: Path) -> None:
    from edge_agent.config import load_unit_config
    from provisioning.deployment import BrokerSettings, Deployment
    from provisioning.operations import init_deployment, provision_device

    init_deployment(tmp_path / "d", BrokerSettings(host="localhost", port=8883))
    made = provision_device(Deployment(tmp_path / "d"), role="hotel", station="QTA01",
                            name="Serena desk", hardware="sim")  # fmt: skip
    unit_toml = tmp_path / "d" / "units" / made.device.device_id / "unit.toml"
    assert load_unit_config(unit_toml).device.role == "hotel"
