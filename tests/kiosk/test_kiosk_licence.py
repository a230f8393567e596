"""Desk: tracking a driving licence by token and CNIC (the hub's answer through the store)."""

from __future__ import annotations

import json
from collections.abc import Callable

from edge_agent.store import LocalStore
from khidmat_wire.messages import LicenceStatus, LicenceStep
from kiosk.app import KioskApp
from kiosk.licence import parse_token
from kiosk.screens.licence import LicenceScreen


def test_a_token_is_read_as_typed() -> None:
    assert parse_token("qta 2026004512") == "QTA-2026004512"
    assert parse_token("QTA-۲۰۲۶۰۰۴۵۱۲") == "QTA-2026004512"
    assert parse_token("2026004512") == "" and parse_token("QTA-12") == ""


async def test_the_citizen_sees_the_hubs_answer(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#licence")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LicenceScreen)
        await pilot.press(*"qta 2026004512", "enter")
        await pilot.press(*"۵۴۴۰۰۱۲۳۴۵۶۷۱", "enter")
        await pilot.pause()
        assert screen.query("#waiting") and screen.request_id
        (row,) = store.db.query("SELECT kind, payload FROM outbox WHERE record_id = ?",
                                (screen.request_id,))  # fmt: skip
        assert row[0] == "licence-lookup"
        assert json.loads(row[1])["body"] == {"token": "QTA-2026004512", "cnic": "54400-1234567-1"}
        # what the agent stores when the hub's licence-status arrives
        store.put_licence_answer(
            LicenceStatus("QTA-2026004512", screen.request_id, True, "ready", "LTV", (
                LicenceStep("applied", 1_796_000_000_000, ""),
                LicenceStep("ready", 1_796_030_000_000, "Bring your CNIC to window 3."),
            ))
        )  # fmt: skip
        for _ in range(40):
            await pilot.pause(0.1)
            if screen.query("#status"):
                break
        assert "Ready for collection" in str(screen.query_one("#status").render())
        shown = " ".join(str(w.render()) for w in screen.query(".reason"))
        assert "window 3" in shown


async def test_a_wrong_token_or_cnic_is_explained_and_nothing_is_sent(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        await pilot.press(*"2026004512", "enter", *"54400-1234567-1", "enter")
        await pilot.pause()
        assert screen.query("#error") and not screen.request_id
        screen.query_one("#token").value = "QTA-2026004512"
        screen.query_one("#cnic").value = "5440012"
        await pilot.click("#check")
        await pilot.pause()
        assert screen.query("#error") and not screen.request_id
        assert store.outbox_depth() == 0
