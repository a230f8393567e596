"""Urdu and English screens rendered graphically: the app's SVG screenshot in headless Chromium.

A terminal lays characters cell by cell in the order it gets them (no bidi), so the SVG
is shown with ``unicode-bidi: bidi-override`` - what a graphical terminal (or xterm.js
under textual-serve) shows. Skipped where Chromium is not installed
(``apt-get install chromium fonts-noto-core``). Set ``KHIDMAT_SCREENSHOT_DIR`` to keep
the PNGs for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app import KioskApp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OVERRIDE = "text { unicode-bidi: bidi-override; direction: ltr; }</style>"


def render_png(svg: str, directory: Path, name: str) -> Path:
    source = directory / f"{name}.svg"
    source.write_text(svg.replace("</style>", OVERRIDE, 1), encoding="utf-8")
    target = directory / f"{name}.png"
    subprocess.run(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--hide-scrollbars", f"--screenshot={target}", "--window-size=1300,1000",
         source.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return target


def ink_centre(png: Path) -> float:
    """Mean x (0..1) of bright text pixels in the upper text area (below the window bar)."""
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(png) as image:
        grey = image.convert("L")
        width, height = grey.size
        box = grey.crop((0, int(height * 0.17), width, int(height * 0.32)))
        pixels = box.load()
        xs = [
            x
            for y in range(box.size[1])
            for x in range(box.size[0])
            if pixels[x, y] > 150  # type: ignore[index]
        ]
    assert xs, "no text drawn"
    return sum(xs) / len(xs) / width


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
async def test_welcome_renders_in_both_languages(
    desk_app: Callable[..., KioskApp], tmp_path: Path
) -> None:
    from kiosk.i18n import Translator
    from kiosk.text import shape

    keep = os.environ.get("KHIDMAT_SCREENSHOT_DIR")
    directory = Path(keep) if keep else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    centres: dict[str, float] = {}
    for language in ("en", "ur"):
        app = desk_app()
        async with app.run_test(size=(100, 30)) as pilot:
            app.language = language
            await pilot.pause()
            svg = app.export_screenshot()
        # the shaped Urdu title is in the picture, in visual order
        assert shape(Translator(language)("Police Facilitation Desk")).replace(" ", "&#160;") in svg
        png = render_png(svg, directory, f"welcome-{language}")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[language] = png.stat().st_size
        centres[language] = ink_centre(png)
    assert sizes["en"] != sizes["ur"]
    # Urdu text sits on the right of the screen, English on the left
    assert centres["ur"] > 0.6 > 0.4 > centres["en"], centres
