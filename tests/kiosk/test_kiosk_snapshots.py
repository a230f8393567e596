"""Snapshot (SVG screenshot) tests of the key screens, in English and in Urdu.

Update after an intended change: ``.venv/bin/pytest tests/kiosk/test_kiosk_snapshots.py
--snapshot-update``, then look at the SVGs (a browser shows them with real glyphs).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from edge_agent.store import LocalStore
from khidmat_base.clock import SettableClock
from khidmat_wire.messages import ComplaintStatus, StatusEntry
from kiosk.app import KioskApp

SIZE = (100, 36)
LANGUAGES = ["en", "ur"]
DESCRIPTION = (
    "کل رات نو بجے میرا موبائل فون بازار میں چوری ہو گیا۔ میں دکان سے باہر نکلا تو دو"
    " لڑکے موٹر سائیکل پر آئے اور فون چھین کر بھاگ گئے",
    "آپ سے گزارش ہے کہ مدد کریں",
)


class TestDeskScreens:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_welcome(self, snap_compare, desk_app: Callable[..., KioskApp], language: str) -> None:
        app = desk_app(start_language=language)
        assert snap_compare(app, terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_categories(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        app = desk_app(start_language=language)
        assert snap_compare(app, press=["c"], terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_person_step_with_errors(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("c")
            await pilot.click("#cat-theft")
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#name").value = "[@click=app.quit]x[/] \u202eعلی"
            app.screen.query_one("#cnic").value = "42101-12"
            app.screen.query_one("#mobile").value = "0412"
            await pilot.click("#next")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_questions_with_notice_and_typed_urdu(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        """The cognizable-offence notice wrapped top to bottom; Urdu typed into a box."""
        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("c")
            await pilot.click("#cat-theft")
            await pilot.pause()
            await pilot.press(*"کل رات نو بجے")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_description_with_typed_urdu(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        """Two Urdu paragraphs typed into the box: the first wraps; each row is shaped
        and right-aligned, the cursor at the end of the second."""
        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("c")
            await pilot.click("#cat-nuisance")
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#name").value = "علی خان"
            app.screen.query_one("#cnic").value = "۴۲۱۰۱-۱۲۳۴۵۶۷-۱"
            app.screen.query_one("#mobile").value = "0300 1234567"
            # typed once the box is laid out (a TextArea built with text is wrapped at a
            # width that depends on timing)
            await pilot.click("#next")
            await pilot.pause()
            await pilot.press(*DESCRIPTION[0], "enter", *DESCRIPTION[1])
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 60), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_review(self, snap_compare, desk_app: Callable[..., KioskApp], language: str) -> None:
        """The last step before filing: every answer shown back literally, the notice."""
        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("c")
            await pilot.click("#cat-theft")
            await pilot.pause()
            app.screen.query_one("#q-when").value = "کل رات نو بجے"
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#name").value = "علی خان"
            app.screen.query_one("#cnic").value = "۴۲۱۰۱-۱۲۳۴۵۶۷-۱"
            app.screen.query_one("#mobile").value = "0300 1234567"
            await pilot.click("#next")
            await pilot.pause()
            await pilot.press(*DESCRIPTION[1])
            await pilot.click("#next")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 60), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_licence_form(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        app = desk_app(start_language=language)
        assert snap_compare(app, press=["l"], terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_tracking_mistake_and_feedback(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        from kiosk.screens.feedback import FeedbackScreen

        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("t")
            await pilot.pause()
            await pilot.press(*"QTA01-261130-120001-X", "enter")
            await pilot.pause()
            app.push_screen(FeedbackScreen("QTA01-261130-120001-D"))
            await pilot.pause()
            await pilot.press("4")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 36), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_tracking_mistake(
        self, snap_compare, desk_app: Callable[..., KioskApp], language: str
    ) -> None:
        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            await pilot.press("t")
            await pilot.pause()
            await pilot.press(*"QTA01-261130-120001-X", "enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 36), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_receipt(self, snap_compare, desk_app: Callable[..., KioskApp], language: str) -> None:
        from kiosk.screens.receipt import ReceiptScreen

        app = desk_app(start_language=language)

        async def run_before(pilot) -> None:
            app.push_screen(ReceiptScreen("QTA01-261130-120001-D"))
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_tracking_timeline(
        self,
        snap_compare,
        desk_app: Callable[..., KioskApp],
        store: LocalStore,
        language: str,
    ) -> None:
        number = "QTA01-261130-120001-D"
        app = desk_app(start_language=language)
        store.put_complaint_status(
            ComplaintStatus(
                number,
                True,
                "under-investigation",
                1_796_200_000_000,
                (
                    StatusEntry("registered", "FIR 211/26 registered", 1_796_030_000_000),
                    StatusEntry(
                        "under-investigation", "[b]SI Rashid[/b] assigned", 1_796_031_000_000
                    ),
                ),
                False,
            )
        )

        async def run_before(pilot) -> None:
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#number").value = number
            await pilot.press("enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)

    def test_high_contrast(self, snap_compare, desk_app: Callable[..., KioskApp]) -> None:
        assert snap_compare(desk_app(high_contrast=True), terminal_size=SIZE)


class TestGateScreens:
    def test_red_verdict(self, snap_compare, unit, store: LocalStore, fixed_now_s: float) -> None:
        """The verdict screen, driven by a real search result (no sensor: no worker runs)."""
        from kiosk.app import build_app
        from kiosk.capture import Capture
        from kiosk.identify import Candidate, Identification
        from kiosk.screens.gate import GateScreen
        from kiosk.screens.sim_panel import sim_image
        from kiosk.sim import seed_store
        from matcher_cy import extract

        seed_store(store, entries=None, issued_at_ms=int(fixed_now_s * 1000) - 7_200_000)
        from dataclasses import replace

        from edge_agent.config import SensorSection

        config = replace(unit("gate"), sensor=SensorSection(backend="none"))
        app = build_app("gate", config, store=store, clock=SettableClock(int(fixed_now_s * 1000)))
        image = sim_image("wanted")
        capture = Capture(extract(image), image, 3.2, 0.2)
        identification = Identification(
            "red",
            (
                Candidate(
                    "BAL-000101",
                    2,
                    "[@click=app.quit]Gul[/] Khan",
                    "wanted",
                    0.048,
                    ((2, 0.159), (7, 0.031)),
                    "red",
                ),
            ),
            0.048,
            1,
            0.021,
            (2, 7),
        )

        async def run_before(pilot) -> None:
            app.switch_screen(GateScreen("demo"))
            await pilot.pause()
            app.screen.post_message(GateScreen.Result(identification, capture))
            for _ in range(100):  # a loaded machine may need a few frames
                await pilot.pause(0.02)
                if app.screen.query_one("#verdict").has_class("red"):
                    break
            app.screen.refresh_status()  # the queued scan on the status line, not a timer race
            await pilot.pause()

        assert snap_compare(app, terminal_size=(110, 36), run_before=run_before)
