"""The desk as the unit's screen shows it: ``khidmat kiosk --serve`` in headless Chromium.

This is the shipped route (deploy/khidmat-kiosk-serve.service and
khidmat-kiosk-session.service): the real ``khidmat kiosk --sim desk --language ur
--serve 127.0.0.1:PORT`` process (textual-serve, xterm.js), a real Chromium driven over
the DevTools protocol with keys and typed Urdu, the fonts the unit installs, the kiosk's
own page (kiosk/served.py). Screenshots of the Urdu welcome, the category grid, the
questions (the wrapped cognizable-offence notice and an Urdu answer typed into its box),
the English questions, an alef with madda typed into a box (measured against the
browser's own drawing of it: not clipped) and a two-paragraph Urdu description typed
into the multi-line box are checked by where their text is drawn;
``KHIDMAT_SCREENSHOT_DIR`` keeps the PNGs (docs/images/ holds the committed
browser-desk-*.png). Skipped without Chromium unless ``KHIDMAT_REQUIRE_BROWSER=1``
(scripts/test.sh), where a missing browser fails.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from khidmat_base.mosquitto import free_port
from kiosk.categories import CATEGORIES, COGNIZABLE_GUIDANCE
from kiosk.i18n import Translator, citizen_sources, marked_strings
from kiosk.text import shape

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("KHIDMAT_REQUIRE_BROWSER") == "1"
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED, reason="chromium is not installed"
)
#: The desk walk (about 30 screens, each awaited until drawn) runs in the first test's
#: time; a loaded CI machine needs more than the default 300 s.
pytestmark = pytest.mark.timeout(900)
#: Screenshots this far apart that are equal mean the screen has settled, seconds.
STEP_S = 1.0
TYPED = "کل رات نو بجے"
#: An alef with a madda above: the tallest mark the desk's Urdu has (0.94 em in DejaVu).
MADDA = "آ"
#: A description typed in three parts: a paragraph that wraps, more of it, a second one.
DESCRIPTION = (
    "کل رات نو بجے میرا موبائل فون بازار میں چوری ہو گیا۔ میں دکان سے باہر نکلا تو دو"
    " لڑکے موٹر سائیکل پر آئے اور فون چھین کر بھاگ گئے",
    " ان میں سے ایک نے سیاہ قمیض پہنی تھی",
    "آپ سے گزارش ہے کہ مدد کریں",
)
#: The reference glyphs' box at the top left of the page, pixels.
REFERENCE_BOX = 120
#: The browser window, pixels: narrow enough that the notice wraps (as in the issue).
WIDTH, HEIGHT = 900, 800


def wait_http(url: str, timeout_s: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Page:
    """One Chromium tab over the DevTools protocol: navigate, keys, text, screenshots."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws
        self.counter = 0

    async def call(self, method: str, **params: object) -> dict:
        self.counter += 1
        await self.ws.send_str(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads((await self.ws.receive()).data)
            if message.get("id") == self.counter:
                return message.get("result", {})

    async def key(self, key: str, code: str, key_code: int, text: str = "") -> None:
        base = {"key": key, "code": code, "windowsVirtualKeyCode": key_code}
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=text, **base)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **base)

    async def shot(self) -> bytes:
        return base64.b64decode((await self.call("Page.captureScreenshot", format="png"))["data"])

    async def settled(self, before: bytes | None, timeout_s: float = 45.0) -> bytes:
        """A screenshot once the screen differs from ``before`` and has stopped changing
        (two shots STEP_S apart are equal): a loaded machine draws late, never early."""
        deadline = time.monotonic() + timeout_s
        last = await self.shot()
        while time.monotonic() < deadline:
            await asyncio.sleep(STEP_S)
            now = await self.shot()
            if now == last and now != before:
                return now
            last = now
        return last


async def drive(url: str, debug_port: int) -> dict[str, bytes]:
    """Walk the desk with keys and typed text; a screenshot after each step, by name."""
    import aiohttp

    targets = json.loads(wait_http(f"http://127.0.0.1:{debug_port}/json"))
    target = next(t for t in targets if t["type"] == "page")
    shots: dict[str, bytes] = {}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=64 << 20) as ws,
    ):
        page = Page(ws)
        await page.call("Page.enable")
        await page.call("Page.navigate", url=url)
        # the page has the app's first bytes (textual-serve marks the body), then drawn
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = await page.call(
                "Runtime.evaluate", expression="document.body.classList.contains('-first-byte')"
            )
            if state.get("result", {}).get("value"):
                break
            await asyncio.sleep(0.5)
        blank = await page.shot()
        # xterm.js takes keys through its hidden textarea: click the terminal first
        await page.call("Input.dispatchMouseEvent", type="mousePressed", x=5, y=5, button="left", clickCount=1)  # fmt: skip
        await page.call("Input.dispatchMouseEvent", type="mouseReleased", x=5, y=5, button="left", clickCount=1)  # fmt: skip
        shots["desk-welcome-ur"] = await page.settled(blank)
        await page.key("c", "KeyC", 67, "c")  # File a complaint
        shots["desk-categories-ur"] = await page.settled(shots["desk-welcome-ur"])
        await page.key("Enter", "Enter", 13, "\r")  # the first category (Theft) has focus
        shots["desk-notice-ur"] = await page.settled(shots["desk-categories-ur"])
        await page.call("Input.insertText", text=TYPED)  # an Urdu keyboard's text
        shots["desk-notice-typed-ur"] = await page.settled(shots["desk-notice-ur"])
        await page.key("F2", "F2", 113)  # the same screen in English
        shots["desk-notice-en"] = await page.settled(shots["desk-notice-typed-ur"])
        await page.key("F2", "F2", 113)  # and back to Urdu, focus still in the first box
        # the second box ("Where did it happen?") empty and without focus, then typed into
        # and left: the letter is the only new ink at its right end
        shots["madda-before"] = await page.settled(shots["desk-notice-en"])
        await enter(page)
        focused = await page.settled(shots["madda-before"])
        await page.call("Input.insertText", text=MADDA)
        typed = await page.settled(focused)
        await enter(page)  # focus moves on: no cursor next to the letter
        shots["madda-typed"] = await page.settled(typed)
        shots["madda-reference"] = await reference_glyphs(page, shots["madda-typed"])
        # on to the description: the women's desk choice, Next, the person step
        await enter(page)
        screen = await page.settled(shots["madda-typed"])
        await page.key("Tab", "Tab", 9, "\t")
        screen = await page.settled(screen)
        await enter(page)
        screen = await page.settled(screen)
        # each field drawn before Enter: a key that comes with the text may be taken as
        # part of a paste
        for value in ("علی خان", "۴۲۱۰۱۱۲۳۴۵۶۷۱", "03001234567"):
            await page.call("Input.insertText", text=value)
            screen = await page.settled(screen)
            await enter(page)
            screen = await page.settled(screen)
        await page.key("Tab", "Tab", 9, "\t")  # from the text-message choice to Next
        screen = await page.settled(screen)
        await enter(page)
        shots["description-empty"] = await page.settled(screen)
        await page.call("Input.insertText", text=DESCRIPTION[0])
        shots["description-1"] = await page.settled(shots["description-empty"])
        await page.call("Input.insertText", text=DESCRIPTION[1])
        shots["description-2"] = await page.settled(shots["description-1"])
        await enter(page)  # a new paragraph
        screen = await page.settled(shots["description-2"])
        await page.call("Input.insertText", text=DESCRIPTION[2])
        shots["desk-description-typed-ur"] = await page.settled(shots["description-2"])
    return shots


async def enter(page: Page) -> None:
    await page.key("Enter", "Enter", 13, "\r")


def terminal_font_family() -> str:
    """The font family textual-serve's xterm.js asks for (read from its bundle)."""
    import re

    import textual_serve

    bundle = Path(textual_serve.__file__).with_name("static") / "js" / "textual.js"
    found = re.search(r'scrollback:0,fontFamily:"([^"]+)"', bundle.read_text(encoding="utf-8"))
    assert found, f"no terminal font family in {bundle}"
    return found.group(1)


async def reference_glyphs(page: Page, before: bytes) -> bytes:
    """A screenshot with MADDA and a plain alef drawn by the browser's own text layout
    (not xterm.js) in the terminal's font family and size, with room above and below,
    at the top left of the page; the element is removed afterwards."""
    glyphs = json.dumps(f"{shape(MADDA)} \u0627")
    family = json.dumps(terminal_font_family())
    show = f"""(() => {{
        const box = document.createElement('div');
        box.id = 'khidmat-reference';
        box.textContent = {glyphs};
        box.style.cssText = 'position:fixed;left:0;top:0;width:{REFERENCE_BOX}px;' +
            'height:{REFERENCE_BOX}px;padding:20px;line-height:4;background:#000;' +
            'color:#fff;z-index:100;white-space:pre;font-kerning:none';
        box.style.fontFamily = {family};
        box.style.fontSize = document.getElementById('terminal').dataset.fontSize + 'px';
        document.body.appendChild(box);
    }})()"""
    result = await page.call("Runtime.evaluate", expression=show)
    assert "exceptionDetails" not in result, result
    shot = await page.settled(before)
    await page.call(
        "Runtime.evaluate", expression="document.getElementById('khidmat-reference').remove()"
    )
    return shot


def ink(png: bytes, top: float = 0.0, bottom: float = 1.0) -> list[int]:
    """x of every bright (text) pixel between ``top`` and ``bottom`` (fractions of height)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
        width, height = grey.size
        band = grey.crop((0, int(height * top), width, int(height * bottom)))
        pixels = band.load()
        return [
            x
            for y in range(band.size[1])
            for x in range(band.size[0])
            if pixels[x, y] > 150  # type: ignore[index, operator]
        ]


def centre(xs: list[int], width: int) -> float:
    assert xs, "nothing drawn there"
    return sum(xs) / len(xs) / width


@pytest.fixture(scope="module")
def desk_shots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if CHROMIUM is None:
        pytest.fail("KHIDMAT_REQUIRE_BROWSER=1 but chromium is not installed (scripts/setup.sh)")
    khidmat = str(Path(sys.executable).with_name("khidmat"))
    port, debug_port = free_port(), free_port()
    server = subprocess.Popen(
        [khidmat, "kiosk", "--sim", "desk", "--language", "ur", "--serve", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    profile = tmp_path_factory.mktemp("chromium")
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--remote-debugging-port={debug_port}", f"--user-data-dir={profile}",
         f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        shots = asyncio.run(drive(f"http://127.0.0.1:{port}/", debug_port))
    finally:
        browser.terminate()
        server.terminate()
        browser.wait(timeout=10)
        server.wait(timeout=10)
    keep = os.environ.get("KHIDMAT_SCREENSHOT_DIR")
    target = Path(keep) if keep else tmp_path_factory.mktemp("shots")
    target.mkdir(parents=True, exist_ok=True)
    for name, png in shots.items():
        (target / f"browser-{name}.png").write_bytes(png)
    return shots


def changed_x(before: bytes, after: bytes) -> list[int]:
    """x of every pixel drawn brighter in ``after`` than in ``before`` (new ink; the
    placeholder that typing removes is not counted)."""
    import io

    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(before)) as one, Image.open(io.BytesIO(after)) as two:
        diff = ImageChops.subtract(two.convert("L"), one.convert("L"))
        box = diff.getbbox()
        assert box is not None, "typing drew nothing on the screen"
        pixels = diff.load()
        return [
            x
            for y in range(box[1], box[3])
            for x in range(box[0], box[2])
            if pixels[x, y] > 60  # type: ignore[index, operator]
        ]


@needs_browser
def test_urdu_desk_is_drawn_from_the_right(desk_shots: dict[str, bytes]) -> None:
    # the title rows: Urdu on the right, English (same screen after F2) on the left
    for name in ("desk-welcome-ur", "desk-categories-ur", "desk-notice-ur"):
        assert centre(ink(desk_shots[name], 0.0, 0.08), WIDTH) > 0.7, name
    assert centre(ink(desk_shots["desk-notice-en"], 0.0, 0.08), WIDTH) < 0.3
    # the mirrored grid: the focused first category (Theft) is the right-hand cell, so the
    # first row's brightest cell (focus) is right of the middle
    first_row = ink(desk_shots["desk-categories-ur"], 0.1, 0.2)
    assert first_row and centre(first_row, WIDTH) > 0.5


@needs_browser
def test_typed_urdu_is_drawn_right_to_left_in_its_box(desk_shots: dict[str, bytes]) -> None:
    # what typing changed: the answer in its box (right) and the letter counter (left)
    xs = changed_x(desk_shots["desk-notice-ur"], desk_shots["desk-notice-typed-ur"])
    typed = [x for x in xs if x > WIDTH * 0.3]
    assert typed, "the typed Urdu is not drawn"
    # drawn from the box's right edge leftwards, and only as wide as the answer
    assert max(typed) > WIDTH * 0.9
    right = [x for x in typed if x > WIDTH * 0.6]
    assert len(right) > 0.9 * len(typed), (len(right), len(typed))


def test_installed_fonts_draw_every_urdu_glyph_the_desk_sends() -> None:
    """Every character of every shaped Urdu string (presentation forms included) has a
    font on this machine; DejaVu alone lacks heh goal and yeh barree forms (boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        if REQUIRED:
            pytest.fail("fontconfig is not installed (scripts/setup.sh installs it)")
        pytest.skip("fontconfig is not installed")
    t = Translator("ur")
    texts = [shape(t(m)) for m in marked_strings(citizen_sources())]
    texts += [shape(TYPED), shape(t(COGNIZABLE_GUIDANCE))]
    texts += [shape(t(c.title)) for c in CATEGORIES]
    needed = sorted({c for text in texts for c in text if ord(c) > 0x7F and not c.isspace()})
    assert len(needed) > 40
    missing = [
        f"U+{ord(c):04X}"
        for c in needed
        if not subprocess.run(
            [fc_list, f":charset={ord(c):x}", "family"], capture_output=True, text=True
        ).stdout.strip()
    ]
    assert not missing, f"no installed font draws {missing} (apt-get install fonts-noto-core)"


def new_ink(before: bytes, after: bytes, left: float = 0.0) -> list[tuple[int, int]]:
    """(x, y) of every pixel drawn brighter in ``after`` than in ``before``, right of
    ``left`` (a fraction of the width)."""
    import io

    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(before)) as one, Image.open(io.BytesIO(after)) as two:
        diff = ImageChops.subtract(two.convert("L"), one.convert("L"))
        pixels = diff.load()
        width, height = diff.size
        return [
            (x, y)
            for y in range(height)
            for x in range(int(width * left), width)
            if pixels[x, y] > 60  # type: ignore[index, operator]
        ]


def bands(values: list[int], gap: int = 4) -> list[tuple[int, int]]:
    """Runs of ``values`` (pixel rows or columns) with less than ``gap`` empty between."""
    runs: list[tuple[int, int]] = []
    for value in sorted(set(values)):
        if runs and value - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


@needs_browser
def test_the_madda_over_a_tall_alef_is_not_clipped(desk_shots: dict[str, bytes]) -> None:
    """xterm.js clips each glyph to its cell: the alef with madda typed into a box is as
    tall as the browser draws it with room around it (same font family and size)."""
    import io

    from PIL import Image

    # the letter as the terminal drew it: the new ink at the box's right end
    typed = new_ink(desk_shots["madda-before"], desk_shots["madda-typed"], left=0.8)
    assert typed, "the typed letter is not drawn"
    top, bottom = bands([y for _, y in typed])[0]
    drawn = bottom - top + 1
    # the same glyph and a plain alef drawn by the browser's text layout
    with Image.open(io.BytesIO(desk_shots["madda-reference"])) as image:
        grey = image.convert("L")
        pixels = grey.load()
        side = REFERENCE_BOX + 40
        ink = [(x, y) for x in range(side) for y in range(side) if pixels[x, y] > 100]  # type: ignore[index, operator]
    glyphs = []
    for first, last in bands([x for x, _ in ink]):
        rows = [y for x, y in ink if first <= x <= last]
        glyphs.append(max(rows) - min(rows) + 1)
    assert len(glyphs) == 2, glyphs  # the alef with madda and the plain alef
    alef, madda = sorted(glyphs)
    assert madda >= alef + 2, glyphs  # the reference shows the madda above the alef
    assert abs(drawn - madda) <= 1, (drawn, madda, alef)


@needs_browser
def test_a_typed_urdu_description_reads_top_to_bottom_right_to_left(
    desk_shots: dict[str, bytes],
) -> None:
    """The multi-line box: a paragraph that wraps keeps its beginning on the first line,
    each line right-aligned; what is typed next goes to the left end of the last line;
    a new paragraph starts below at the right edge."""
    # the first part: two lines, the first full width, the second right-aligned and
    # ending right of the middle (each row of pixels belongs to one or the other)
    first = new_ink(desk_shots["description-empty"], desk_shots["description-1"], left=0.3)
    leftmost: dict[int, int] = {}
    for x, y in first:
        leftmost[y] = min(x, leftmost.get(y, x))
    rows_one = [y for y, x in leftmost.items() if x < WIDTH * 0.5]
    rows_two = [y for y, x in leftmost.items() if x >= WIDTH * 0.5]
    assert rows_one and rows_two and max(rows_one) < min(rows_two), "not two lines"
    lines = [(min(rows_one), max(rows_one)), (min(rows_two), max(rows_two))]
    one = [x for x, y in first if y in set(rows_one)]
    two = [x for x, y in first if y in set(rows_two)]
    assert max(one) > WIDTH * 0.9 and max(two) > WIDTH * 0.9
    # more of the same paragraph: only on the second line, left of what was there
    more = new_ink(desk_shots["description-1"], desk_shots["description-2"], left=0.3)
    assert more, "the continuation is not drawn"
    assert all(lines[1][0] - 2 <= y <= lines[1][1] + 2 for _, y in more), "not on line 2"
    left_of = [x for x, _ in more if x < min(two) + 12]
    assert len(left_of) > 0.9 * len(more), (len(left_of), len(more))
    # a new paragraph: below, from the right edge; the first line untouched
    last = new_ink(desk_shots["description-2"], desk_shots["desk-description-typed-ur"])
    assert last and all(y > lines[1][1] for _, y in last), "the new paragraph is not below"
    below = [x for x, y in last if x > WIDTH * 0.3]
    assert max(below) > WIDTH * 0.9
