"""Desk mode end to end through Pilot: complaint, receipt, tracking, feedback, clearing."""

from __future__ import annotations

from collections.abc import Callable

from edge_agent.store import LocalStore
from khidmat_wire import decode
from khidmat_wire.messages import ComplaintStatus, StatusEntry
from kiosk.app import KioskApp
from kiosk.screens.complaint import ComplaintScreen
from kiosk.screens.receipt import ReceiptScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.tracking import parse_tracking_no
from tests.kiosk.waits import click_when_placed


def outbox(store: LocalStore) -> list:
    return [decode(r.payload) for r in store.due_records(2**62, 100)]


async def fill(pilot, selector: str, value: str) -> None:
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.value = value
    await pilot.pause()


async def test_complaint_filed_with_tracking_number(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click("#file")
        await pilot.pause()
        assert isinstance(app.screen, ComplaintScreen)
        await pilot.click("#cat-theft")
        await pilot.pause()
        assert "cognizable" in str(app.screen.query_one("#guidance").render())
        await fill(pilot, "#q-when", "yesterday 9 pm")
        await fill(pilot, "#q-where", "Jinnah Road")
        await fill(pilot, "#q-items", "phone")
        await pilot.click("#next")
        await pilot.pause()
        # wrong CNIC and mobile are explained, the step does not advance
        await fill(pilot, "#name", "Ayesha Bibi")
        await fill(pilot, "#cnic", "4210112345")
        await fill(pilot, "#mobile", "0412-345")
        await pilot.click("#next")
        await pilot.pause()
        screen = app.screen
        assert screen.step_name == "person"
        assert "13 numbers" in str(screen.query_one("#error-cnic").render())
        assert "starts with 03" in str(screen.query_one("#error-mobile").render())
        await fill(pilot, "#cnic", "4210112345671")
        await fill(pilot, "#mobile", "+92 300 1234567")
        assert screen.query_one("#sms").value is True  # texts by default
        screen.query_one("#sms").toggle()  # the citizen opts out
        await pilot.pause()
        await pilot.click("#next")
        await pilot.pause()
        screen.query_one("#description").text = "My phone was taken from my shop counter."
        await pilot.pause()
        await pilot.click("#next")
        await pilot.pause()
        assert screen.step_name == "review"
        assert screen.draft.cnic == "42101-1234567-1"
        assert screen.draft.mobile == "0300-1234567"
        await pilot.click("#submit")
        await pilot.pause()
        assert isinstance(app.screen, ReceiptScreen)
        number = app.screen.tracking_no
        assert parse_tracking_no(number) == number
        assert number.startswith("QTA01-261130-")
    [record] = outbox(store)
    assert record.kind == "complaint"
    assert record.body.tracking_no == number
    assert record.body.cnic == "42101-1234567-1"
    assert record.body.cognizable is True
    assert record.body.sms is False  # opted out: the hub texts nothing
    assert [a.question for a in record.body.answers] == ["when", "where", "items"]


HOSTILE = [
    "[@click=app.quit]x[/]",
    "[/b]",
    "a" * 3000,
    "ctl\x1b[31m\x07\x08end",
    "\u202eRTL override \u200fمارک\u200e",
]


async def test_hostile_input_renders_literally_in_review(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from kiosk.rtl import lines
    from kiosk.text import visible_controls

    # each run puts a different hostile string in every field
    for first in (0, 3):  # together the two runs put every string in some field
        values = HOSTILE[first:] + HOSTILE[:first]
        app = desk_app()
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.click("#file")
            await pilot.click("#cat-nuisance")
            await pilot.pause()
            await fill(pilot, "#q-where", values[1][:500])
            await fill(pilot, "#q-who", values[3][:500])
            await pilot.click("#next")
            await pilot.pause()
            await fill(pilot, "#name", values[0][:100])
            await fill(pilot, "#cnic", "42101-1234567-1")
            await fill(pilot, "#mobile", "0300-1234567")
            await pilot.click("#next")
            await pilot.pause()
            app.screen.query_one("#description").text = values[2] + " (it happened)"
            await pilot.pause()
            await pilot.click("#next")
            await pilot.pause()
            screen = app.screen
            assert screen.step_name == "review", values[0][:40]
            draft = screen.draft
            width = screen.query_one("#review-name").content_region.width

            def drawn(value: str) -> str:  # wrapped at the widget's width, then shaped
                return "\n".join(lines(visible_controls(value), width))  # noqa: B023

            assert str(screen.query_one("#review-name").render()) == drawn(draft.name)
            assert str(screen.query_one("#review-description").render()) == drawn(draft.description)
            shown = [str(w.render()) for w in screen.query(".value")]
            assert drawn(draft.answers["where"]) in shown
            assert drawn(draft.answers["who"]) in shown
            # clicking where a "link" is drawn does nothing
            screen.query_one("#review-name").scroll_visible(animate=False)
            await pilot.pause()
            await pilot.click("#review-name")
            await pilot.pause()
            assert app.is_running
            screen.query_one("#submit").focus()
            await pilot.press("enter")
            await pilot.pause()
    filed = sorted((r.body for r in outbox(store)), key=lambda b: b.tracking_no)
    assert [b.complainant_name for b in filed] == [HOSTILE[0], "ctl[31mend"]
    assert all("\x1b" not in b.description for b in filed)  # control characters never filed


async def test_quick_exit_clears_everything(desk_app: Callable[..., KioskApp]) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#lang-ur")
        await pilot.click("#file")
        await pilot.click("#cat-harassment")
        await pilot.pause()
        screen = app.screen
        assert screen.draft.gender_desk is True  # suggested for this category
        await fill(pilot, "#q-where", "Satellite Town")
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 2
        assert app.language == "en"
        await pilot.click("#file")
        await pilot.pause()
        assert app.screen.draft.answers == {}


async def test_idle_timeout_returns_to_welcome(desk_app: Callable[..., KioskApp]) -> None:
    import time

    app = desk_app(idle_timeout_s=1.0, poll_interval_s=0.1)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#track")
        await pilot.press("Q", "T", "A")
        typed_at = time.monotonic()
        await pilot.pause()
        if time.monotonic() - typed_at < 0.8:  # (a loaded machine may be slower)
            assert not isinstance(app.screen, WelcomeScreen)
            assert app.screen.typed == "QTA"
        # The idle timer fires after 1 s without input; a loaded machine may run it late.
        for _ in range(100):
            await pilot.pause(0.1)
            if isinstance(app.screen, WelcomeScreen):
                break
        assert isinstance(app.screen, WelcomeScreen)


async def test_track_shows_timeline_and_feedback(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from kiosk.screens.feedback import FeedbackScreen
    from kiosk.tracking import make_tracking_no

    number = make_tracking_no("QTA01", __import__("datetime").datetime(2026, 11, 29), 3, 12)
    app = desk_app(poll_interval_s=0.1)
    async with app.run_test(size=(100, 50)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await fill(pilot, "#number", number[:-1] + ("0" if number[-1] != "0" else "1"))
        await pilot.click("#check")
        await pilot.pause()
        assert "mistake" in str(app.screen.query_one("#error").render())
        await fill(pilot, "#number", number.lower())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query("#waiting")
        # the agent stores the hub's answer; the screen picks it up on its own
        store.put_complaint_status(
            ComplaintStatus(
                number,
                True,
                "resolved",
                1_796_100_000_000,
                (
                    StatusEntry("registered", "FIR 123/26 [/b]", 1_796_000_000_000),
                    StatusEntry(
                        "resolved", "[@click=app.quit]phone returned[/]", 1_796_030_000_000
                    ),
                ),
                True,
            )
        )
        # the screen polls the store every 0.1 s; a loaded machine may take a few rounds
        for _ in range(100):
            await pilot.pause(0.1)
            if app.screen.query("#status"):
                if "Resolved" in str(app.screen.query_one("#status").render()):
                    break
        screen = app.screen
        assert "Resolved" in str(screen.query_one("#status").render())
        reasons = [str(w.render()) for w in screen.query(".reason")]
        assert reasons == ["FIR 123/26 [/b]", "[@click=app.quit]phone returned[/]"]
        await click_when_placed(pilot, "#rate")
        # the press is a message and the push another: a loaded machine may take rounds
        for _ in range(50):
            if isinstance(app.screen, FeedbackScreen):
                break
            await pilot.pause(0.1)
        assert isinstance(app.screen, FeedbackScreen)
        await pilot.click("#send")
        for _ in range(50):
            if app.screen.query("#error"):
                break
            await pilot.pause(0.1)
        assert "choose a rating" in str(app.screen.query_one("#error").render())
        await pilot.press("4")  # keys 1-5 rate, as the buttons do
        await pilot.pause()
        assert app.screen.rating == 4
        await fill(pilot, "#comment", "quick [b]help")
        await pilot.press("end", "space", "5")  # a digit typed in the comment is text
        await pilot.pause()
        assert app.screen.rating == 4
        await pilot.click("#send")
        for _ in range(50):
            if app.screen.query("#thanks"):
                break
            await pilot.pause(0.1)
        assert app.screen.query("#thanks")
    by_kind = {r.kind: r.body for r in outbox(store)}
    assert by_kind["lookup"].tracking_no == number
    assert (by_kind["feedback"].rating, by_kind["feedback"].comment) == (4, "quick [b]help 5")


async def test_language_switch_is_live_and_keeps_typing(desk_app: Callable[..., KioskApp]) -> None:
    from kiosk.i18n import Translator

    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#file")
        await pilot.click("#cat-theft")
        await pilot.pause()
        await fill(pilot, "#q-where", "Quetta")
        await fill(pilot, "#q-when", "کل رات")
        from kiosk.text import shape

        # the box itself shows the typed Urdu joined and right to left
        drawn = app.screen.query_one("#q-when").render_line(0).text
        assert drawn.rstrip().endswith(shape("کل رات")), drawn
        await pilot.press("f2")
        await pilot.pause()
        assert app.language == "ur"
        assert str(app.screen.query_one("#next").label) == shape(Translator("ur")("Next"))
        assert app.focused is not None and app.focused.id == "q-when"  # focus kept
        assert app.screen.query_one("#q-where").value == "Quetta"
        await pilot.press("f2")
        await pilot.pause()
        assert str(app.screen.query_one("#next").label) == "Next"
        await pilot.press("f3")
        assert app.theme == "khidmat-high-contrast"
        await pilot.press("f3")
        assert app.theme == "khidmat"


async def test_the_hubs_language_and_idle_timeout_settings_take_effect(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    store.put_setting("kiosk.default_language", "ur")
    store.put_setting("kiosk.idle_timeout_s", "30")
    app = desk_app(idle_timeout_s=1.0, poll_interval_s=0.1)
    async with app.run_test(size=(100, 40)) as pilot:
        assert app.language == "ur"  # the screen starts in the hub's language
        await pilot.pause()
        await pilot.click("#track")
        await pilot.pause()
        assert not isinstance(app.screen, WelcomeScreen)
        await pilot.press("Q", "T", "A")
        await pilot.pause(1.6)  # past the unit file's 1 s, within the hub's 30 s
        assert not isinstance(app.screen, WelcomeScreen)
        store.put_setting("kiosk.idle_timeout_s", "bogus")  # invalid: the unit's own applies
        await pilot.pause(1.6)
        assert isinstance(app.screen, WelcomeScreen) and app.language == "ur"


async def _file_domestic_violence(pilot, danger_now: str) -> None:
    await pilot.click("#file")
    await pilot.pause()
    await pilot.click("#cat-domestic-violence")
    await pilot.pause()
    for selector, value in (
        ("#q-when", "now"),
        ("#q-danger_now", danger_now),
        ("#q-happening_now", "no"),
        ("#q-injured", "no"),
    ):
        await fill(pilot, selector, value)
    await pilot.click("#next")
    await pilot.pause()
    for selector, value in (("#name", "Ayesha Bibi"), ("#cnic", "4210112345671")):
        await fill(pilot, selector, value)
    await fill(pilot, "#mobile", "0300-1234567")
    await pilot.click("#next")
    await pilot.pause()
    pilot.app.screen.query_one("#description").text = "He is beating me and locked the door."
    await pilot.pause()
    await pilot.click("#next")
    await pilot.pause()
    await pilot.click("#submit")
    await pilot.pause()


async def test_an_urgent_complaint_is_flagged_on_the_receipt_with_the_emergency_number(
    desk_app: Callable[..., KioskApp], store: LocalStore
) -> None:
    from kiosk.i18n import Translator

    app = desk_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await _file_domestic_violence(pilot, "Yes, he is here")
        screen = app.screen
        assert isinstance(screen, ReceiptScreen)
        assert screen.urgent is not None and screen.urgent.key == "danger-now"
        shown = [p.value for p in screen.query_one("#urgent").query("Paragraph")]
        assert "This complaint is urgent: In danger now." in shown
        assert "If you are in danger now, call 15." in shown
        assert "The duty officer is told now and acts within 2 hours." in shown
        await pilot.press("f12")
        await pilot.pause()
        # in Urdu: the same, translated, with the number 15
        await pilot.press("f2")
        await pilot.pause()
        assert app.language == "ur"
        await _file_domestic_violence(pilot, "جی ہاں")
        screen = app.screen
        assert isinstance(screen, ReceiptScreen) and screen.urgent is not None
        urdu = Translator("ur")
        shown = [p.value for p in screen.query_one("#urgent").query("Paragraph")]
        assert urdu("If you are in danger now, call {number}.").format(number="15") in shown
        assert any("15" in line and "خطرے" in line for line in shown)
        await pilot.press("f12")
        await pilot.pause()
        # "no": an ordinary receipt, nothing urgent on it
        await pilot.press("f2")
        await pilot.pause()
        await _file_domestic_violence(pilot, "no")
        assert isinstance(app.screen, ReceiptScreen) and app.screen.urgent is None
        assert not app.screen.query("#urgent")
    urgent_answers = [dict((a.question, a.answer) for a in r.body.answers) for r in outbox(store)]
    assert sorted(a["danger_now"] for a in urgent_answers) == sorted(
        ["Yes, he is here", "جی ہاں", "no"]
    )
