"""Right-to-left text on the grid: wrapping order, shaping, the input box, Urdu digits, limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from textual.app import App, ComposeResult

from edge_agent.config import UnitConfig
from edge_agent.store import LocalStore
from khidmat_wire.messages import ComplaintStatus, StatusEntry
from kiosk import rtl
from kiosk.app import KioskApp
from kiosk.categories import COGNIZABLE_GUIDANCE
from kiosk.i18n import Translator
from kiosk.rtl_widgets import LimitedTextArea
from kiosk.text import ascii_digits, shape
from kiosk.tracking import make_tracking_no, parse_tracking_no
from kiosk.validation import DESCRIPTION_MAX, check_cnic, check_mobile
from tests.kiosk.waits import click_when_placed, wait_until

NOTICE = Translator("ur")(COGNIZABLE_GUIDANCE)


def test_an_urdu_paragraph_wraps_top_to_bottom() -> None:
    words = NOTICE.split(" ")
    drawn = rtl.lines(NOTICE, 40)
    assert len(drawn) > 2
    # the notice's first words are on the first line, its last words on the last line,
    # each line reversed for the grid (its first word at the right end)
    assert drawn[0].endswith(shape(words[0]))
    assert drawn[-1].startswith(shape(words[-1]))
    assert all(cell_len(line) <= 40 for line in drawn)
    # and every line is one wrapped logical line shaped on its own
    assert drawn == [shape(line) for line in rtl.wrap(NOTICE, 40)]


def test_wrap_keeps_english_and_splits_long_words() -> None:
    assert rtl.lines("Hello world this is English", 12) == ["Hello world", "this is", "English"]
    assert rtl.wrap("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    assert rtl.wrap("one\ntwo", 10) == ["one", "two"]


def test_numbers_stay_left_to_right_inside_urdu() -> None:
    line = shape("شناختی کارڈ 42101-1234567-1 ہے")
    assert "42101-1234567-1" in line


def test_combining_marks_follow_their_letter() -> None:
    # zer under lam in قابلِ: after reversal the mark must come right after the lam
    line = rtl.visual("قابلِ")
    kasra = line.text.index("\u0650")
    assert line.order[kasra] == 4 and line.order[kasra - 1] == 3


def test_visual_map_points_each_cell_at_its_typed_letter() -> None:
    line = rtl.visual("کل رات 12")
    assert sorted(line.order) == list(range(len("کل رات 12")))
    assert line.text.startswith("12")  # the number, typed last, is at the left end
    assert line.order[-1] == 0  # the first typed letter is in the right-most cell


def test_urdu_and_arabic_indic_digits_count() -> None:
    assert ascii_digits("۴۲۱۰۱-١٢٣") == "42101-123"
    assert check_cnic("۴۲۱۰۱-۱۲۳۴۵۶۷-۱") == ("42101-1234567-1", None)
    assert check_cnic("٤٢١٠١١٢٣٤٥٦٧١") == ("42101-1234567-1", None)
    assert check_mobile("۰۳۰۰-۱۲۳۴۵۶۷") == ("0300-1234567", None)


def test_tracking_numbers_are_read_leniently() -> None:
    number = make_tracking_no("DEMO", datetime(2026, 12, 6), 56, 1)
    station, date, sequence, check = number.split("-")
    for typed in (
        f"{station.lower()} {date} {sequence} {check.lower()}",
        f" {station}-{date} - {sequence}–{check} ",
        f"{station}{date}{sequence}{check}".lower(),
        f"{station}-{ascii_digits(date).translate(str.maketrans('0123456789', '۰۱۲۳۴۵۶۷۸۹'))}-{sequence}-{check}",
    ):
        assert parse_tracking_no(typed) == number, typed


async def test_input_box_shows_urdu_joined_right_to_left(desk_app: Callable[..., KioskApp]) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("c")
        await pilot.click("#cat-theft")
        await pilot.pause()
        box = app.screen.query_one("#q-when")
        assert app.focused is box
        await pilot.press(*"کل رات")
        assert box.value == "کل رات"
        drawn = box.render_line(0).text.rstrip()
        assert drawn.endswith(shape("کل رات")), drawn  # joined, right to left, right-aligned
        width = box.scrollable_content_region.width
        _, order = box._layout(width)
        # the cursor (end of typing) is the blank cell left of the text
        at_end = order.index(box.cursor_position)
        assert at_end == width - len("کل رات") - 1
        # Right moves towards the start of the text (logically back one letter), one
        # cell to the right on the screen
        await pilot.press("right")
        assert box.cursor_position == len("کل رات") - 1
        assert box._layout(width)[1].index(box.cursor_position) == at_end + 1
        await pilot.press("left")
        assert box.cursor_position == len("کل رات")
        # typing in the middle lands in the middle
        await pilot.press("home", "ا")
        assert box.value == "اکل رات"
        # an English value is Textual's own drawing, left aligned
        box.value = "Quetta"
        assert box.render_line(0).text.startswith("Quetta")


async def test_description_limit_bites_while_typing(desk_app: Callable[..., KioskApp]) -> None:
    app = desk_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("c")
        # each step is a recompose: a loaded machine lays it out a few rounds later
        await click_when_placed(pilot, "#cat-nuisance")
        await wait_until(pilot, lambda: bool(app.screen.query("#next")))
        await click_when_placed(pilot, "#next")
        await wait_until(pilot, lambda: bool(app.screen.query("#name")))
        screen = app.screen
        screen.query_one("#name").value = "Ali"
        screen.query_one("#cnic").value = "42101-1234567-1"
        screen.query_one("#mobile").value = "0300-1234567"
        await pilot.pause()
        await click_when_placed(pilot, "#next")
        await wait_until(pilot, lambda: bool(screen.query("#description")))
        area = screen.query_one("#description")
        await wait_until(pilot, lambda: app.focused is area, 5, lambda: app.focused)
        area._replace_via_keyboard("x" * 6600, *area.selection)  # a paste of 6,600 letters
        await pilot.pause()
        assert len(area.text) == DESCRIPTION_MAX
        await pilot.press("y")  # full: nothing more goes in
        assert len(area.text) == DESCRIPTION_MAX
        counter = str(screen.query_one("#count-description").render())
        assert f"{DESCRIPTION_MAX} of {DESCRIPTION_MAX}" in counter


class DescriptionBox(App[None]):
    """The description box alone, 34 cells wide inside its border."""

    CSS = "LimitedTextArea { width: 36; height: 12; }"

    def compose(self) -> ComposeResult:
        yield LimitedTextArea(id="box", soft_wrap=True, max_length=DESCRIPTION_MAX)


def drawn_rows(box: LimitedTextArea) -> list[str]:
    return [box.render_line(y).text for y in range(box.wrapped_document.height)]


async def test_the_description_box_shows_urdu_joined_right_to_left() -> None:
    app = DescriptionBox()
    async with app.run_test(size=(60, 20)) as pilot:
        box = app.query_one(LimitedTextArea)
        width = box.scrollable_content_region.width
        await pilot.press(*"کل رات")
        assert box.text == "کل رات"  # filed in typing order
        row = box.render_line(0).text
        assert len(row) == width
        assert row.rstrip().endswith(rtl.visual("کل رات").text)  # joined, from the right
        assert row.rstrip() == row.rstrip().rjust(width)[-len(row.rstrip()) :]
        cells, order = box.visual_row(0)  # type: ignore[misc]
        # the cursor (end of typing) is the blank cell left of the text
        assert order.index(box.cursor_location[1]) == width - len("کل رات") - 1
        # Right goes back one letter (one cell to the right), Left forward again
        await pilot.press("right")
        assert box.cursor_location == (0, len("کل رات") - 1)
        assert box.visual_row(0)[1].index(5) == width - len("کل رات")  # type: ignore[index]
        await pilot.press("left")
        assert box.cursor_location == (0, len("کل رات"))
        # deletion: Backspace removes the letter before the cursor in typing order
        await pilot.press("right", "backspace")  # the alef, right of the cursor's cell
        assert box.text == "کل رت"
        assert box.render_line(0).text.rstrip().endswith(rtl.visual("کل رت").text)
        # Home is the start of the line: the right end
        await pilot.press("home")
        assert box.cursor_location == (0, 0)
        assert box.visual_row(0)[1].index(0) == width - 1  # type: ignore[index]
        # a click lands on the letter under it: the fourth cell from the right edge
        region = box.content_region
        await pilot.click(box, offset=(region.x - box.region.x + width - 4, 1 + 0))
        assert box.cursor_location == (0, 3)


async def test_a_long_urdu_description_wraps_top_to_bottom() -> None:
    app = DescriptionBox()
    text = "کل رات نو بجے میرا موبائل فون بازار میں چوری ہو گیا اور چور بھاگ گئے"
    async with app.run_test(size=(60, 20)) as pilot:
        box = app.query_one(LimitedTextArea)
        width = box.scrollable_content_region.width
        await pilot.press(*text, "enter", *"آپ مدد کریں")
        assert box.text == text + "\nآپ مدد کریں"
        rows = drawn_rows(box)
        assert len(rows) >= 4
        offsets = box.wrapped_document.get_offsets(0)
        sections = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)], strict=True)]
        assert len(sections) >= 3
        # each row is one wrapped logical line, shaped and reordered, right-aligned: the
        # paragraph's first words at the right of the first row, its last on its last
        for row, section in zip(rows, sections, strict=False):
            assert row.rstrip().endswith(rtl.visual(section, rtl=True).text), (row, section)
        assert rows[0].rstrip().endswith(shape("کل رات"))
        assert shape("گئے") in rows[len(sections) - 1]
        # the second paragraph starts on a row of its own, from the right edge
        assert rows[len(sections)].rstrip().endswith(rtl.visual("آپ مدد کریں").text)
        assert len(rows[len(sections)].rstrip()) == width
        # Down from the first row keeps the distance from the right edge
        box.move_cursor((0, 0))
        await pilot.press("left", "left", "down")
        assert box.cursor_location == (0, offsets[0] + 2)
        # deleting at a wrap moves the next row's words up, still in order
        box.move_cursor((0, 0))
        for _ in range(len("کل رات ")):
            await pilot.press("delete")
        assert box.text.startswith("نو بجے")
        assert drawn_rows(box)[0].rstrip().endswith(shape("نو بجے"))


async def test_english_in_the_description_box_is_drawn_by_textual() -> None:
    app = DescriptionBox()
    async with app.run_test(size=(60, 20)) as pilot:
        box = app.query_one(LimitedTextArea)
        await pilot.press(*"Quetta", "enter", *"کل")
        assert box.render_line(0).text.startswith("Quetta")
        assert box.visual_row(0) is None and box.visual_row(1) is not None
        assert box.render_line(1).text.rstrip().endswith(rtl.visual("کل").text)
        # Left on an English line moves left in the text
        await pilot.press("up", "end", "left")
        assert box.cursor_location == (0, 5)


def check_mirroring(app: KioskApp, where: str) -> None:
    """In Urdu every row of buttons, the footer's keys and the tick boxes read from the
    right; in English from the left."""
    from textual.containers import Horizontal
    from textual.widgets import Button, Checkbox
    from textual.widgets._footer import FooterKey

    from kiosk.rtl_widgets import MirroredFooterKey

    urdu = app.language == "ur"
    width = app.screen.size.width
    keys = sorted(app.screen.query(FooterKey), key=lambda k: k.region.x)
    assert keys, where
    shown_keys = [k.key for k in keys]
    if urdu:
        assert all(isinstance(k, MirroredFooterKey) for k in keys), where
        assert keys[-1].region.right >= width - 1, where  # right-aligned
        assert shown_keys[-1] == "f12", (where, shown_keys)  # the first binding at the right
        label = keys[-1].render().plain.strip()
        assert label.endswith("F12") and not label.startswith("F12"), (where, label)
    else:
        assert keys[0].region.x == 0 and shown_keys[0] == "f12", (where, shown_keys)
    rows = [r for r in app.screen.query(Horizontal) if r.has_class("nav", "choices", "ratings")]
    for row in rows:
        buttons = list(row.query(Button))
        if not buttons or not row.display:
            continue
        if urdu:
            assert max(b.region.right for b in buttons) >= width - 6, (where, row)
        else:
            assert min(b.region.x for b in buttons) <= 4, (where, row)
    for box in app.screen.query(Checkbox):
        drawn = box.render_line(box.size.height // 2).text.strip()
        # the box (its X between half blocks) right of the label in Urdu, left in English
        assert drawn.endswith("▌") == urdu and drawn.startswith("▐") != urdu, (where, drawn)


async def test_citizen_screens_mirror_in_urdu(
    desk_app: Callable[..., KioskApp], store: LocalStore, fixed_now_s: float
) -> None:
    from kiosk.screens.feedback import FeedbackScreen
    from kiosk.screens.receipt import ReceiptScreen
    from kiosk.tracking import make_tracking_no

    number = make_tracking_no("QTA01", datetime.fromtimestamp(fixed_now_s), 12, 1)
    store.put_complaint_status(
        ComplaintStatus(
            number, True, "resolved", 0, (StatusEntry("resolved", "", 1_796_031_000_000),), True
        )
    )
    for language in ("en", "ur"):
        app = desk_app(start_language=language)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            check_mirroring(app, f"welcome {language}")
            await pilot.press("c")
            await pilot.pause()
            check_mirroring(app, f"categories {language}")
            first = app.screen.query_one("#cat-theft")
            assert (first.region.x >= 50) == (language == "ur")  # the grid reads from the right
            await pilot.click("#cat-theft")
            await pilot.pause()
            check_mirroring(app, f"questions {language}")
            await pilot.click("#next")
            await pilot.pause()
            check_mirroring(app, f"person {language}")
            app.switch_screen(ReceiptScreen(number))
            await pilot.pause()
            check_mirroring(app, f"receipt {language}")
            await pilot.press("f12")
            await pilot.pause()
            app.language = language
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#number").value = number
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen.query("#rate"), "no rating offered"
            check_mirroring(app, f"tracking {language}")
            app.push_screen(FeedbackScreen(number))
            await pilot.pause()
            check_mirroring(app, f"feedback {language}")
            await pilot.press("f12")
            await pilot.pause()
            app.language = language
            await pilot.press("l")
            await pilot.pause()
            check_mirroring(app, f"licence {language}")


def shown_in_english(app: KioskApp, where: str) -> str:
    """The name of the screen on top, once checked to show no Arabic letter anywhere and
    the footer's labels in English."""
    from textual.widgets._footer import FooterKey

    keys = [k.description for k in app.screen.query(FooterKey)]
    assert "Contrast" in keys, (where, keys)
    assert not rtl.has_arabic(app.export_screenshot()), where
    return type(app.screen).__name__


async def test_officer_screens_stay_english_whatever_language_is_asked(
    unit: Callable[[str], UnitConfig], store: LocalStore, fixed_now_s: float
) -> None:
    """Gate and enrol screens are English (docs/decisions/kiosk-urdu-display.md): a run
    started with --language ur or a hub default of Urdu shows them all in English, the
    footer included, and F2 does not switch them; the same screens drawn either way."""
    from dataclasses import replace

    from edge_agent.config import SensorSection
    from khidmat_base.clock import SettableClock
    from kiosk.app import build_app
    from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store

    seed_store(store, entries=None, issued_at_ms=int(fixed_now_s * 1000))
    drawn: dict[tuple[str, str | None], list[str]] = {}
    for mode in ("gate", "enrol"):
        config = replace(unit(mode), sensor=SensorSection(backend="none"))
        for asked in (None, "ur"):
            store.put_setting("kiosk.default_language", asked or "en")
            app = build_app(
                mode,
                config,
                store=store,
                clock=SettableClock(int(fixed_now_s * 1000)),
                start_language=asked,
            )
            screens: list[str] = []
            async with app.run_test(size=(110, 36)) as pilot:
                await pilot.pause()
                await pilot.press("f2")
                assert app.language == "en"
                screens.append(shown_in_english(app, f"{mode} sign-in, asked {asked}"))
                app.screen.query_one("#badge").value = SIM_OFFICER
                app.screen.query_one("#pin").value = SIM_PIN
                await pilot.click("#sign-in")
                for _ in range(200):
                    await pilot.pause(0.05)
                    if screens[-1] != type(app.screen).__name__:
                        break
                await pilot.press("f2")
                assert app.language == "en"
                screens.append(shown_in_english(app, f"{mode} officer screen, asked {asked}"))
            drawn[(mode, asked)] = screens
        assert drawn[(mode, None)] == drawn[(mode, "ur")]
        assert drawn[(mode, "ur")][1] != "SignInScreen", drawn  # the officer's screen


async def test_ratings_take_urdu_and_arabic_indic_digits(
    desk_app: Callable[..., KioskApp],
) -> None:
    from kiosk.screens.feedback import FeedbackScreen

    app = desk_app(start_language="ur")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = FeedbackScreen("QTA01-261130-120001-D")
        app.push_screen(screen)
        await pilot.pause()
        for key, rating in (("۴", 4), ("٢", 2), ("5", 5)):
            await pilot.press(key)
            await pilot.pause()
            assert screen.rating == rating, key
            assert app.focused is not None and app.focused.id == f"rate-{rating}"


async def test_an_officer_pin_typed_in_urdu_digits_signs_in(
    unit: Callable[[str], UnitConfig], store: LocalStore, fixed_now_s: float
) -> None:
    from dataclasses import replace

    from edge_agent.config import SensorSection
    from khidmat_base.clock import SettableClock
    from kiosk.app import build_app
    from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store

    seed_store(store, entries=None, issued_at_ms=int(fixed_now_s * 1000))
    config = replace(unit("enrol"), sensor=SensorSection(backend="none"))
    app = build_app("enrol", config, store=store, clock=SettableClock(int(fixed_now_s * 1000)))
    urdu_pin = SIM_PIN.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        app.screen.query_one("#badge").value = SIM_OFFICER
        app.screen.query_one("#pin").focus()
        await pilot.press(*urdu_pin)
        assert app.screen.query_one("#pin").value == urdu_pin  # not refused while typing
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.05)
            if type(app.screen).__name__ != "SignInScreen":
                break
        assert type(app.screen).__name__ == "EnrolScreen"
