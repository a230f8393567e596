"""Text the printer's font cannot show (Urdu, any non-ASCII) drawn as 1-bit raster lines.

Thermal printers carry a Latin code page and no Arabic-script font, so an Urdu line is
drawn here and sent as an image. Shaping is real: Pillow's raqm layout (HarfBuzz for the
joined letter forms, FriBiDi for direction; the Pillow wheels load the system's
libfribidi0) with Noto Naskh Arabic. That font has no Latin letters and no hyphen, so a
line is cut into runs, Arabic-script text in Noto Naskh Arabic and everything else
(a tracking number, a date, a time) in DejaVu Sans; the runs are placed in the
paragraph's direction (right to left when its first strong letter is Arabic script), and
raqm shapes and orders each run. Lines are wrapped at word boundaries in logical order
before drawing. Cost: about 2-5 ms a line on a Pi 4. Thread-safe (fonts are loaded per
call through a small cache of immutable font objects).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, features

from khidmat_base.fonts import find_font

KEEP_FORMAT = {"\u200c", "\u200d"}
"""Zero-width non-joiner and joiner: Urdu spelling needs them; other format characters
(bidi embeddings and overrides, which could make a line read differently) are dropped."""


def clean(text: str) -> str:
    """``text`` with every control, format (but ZWNJ/ZWJ), surrogate, private-use and
    unassigned character removed and line breaks made spaces: what may be printed."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\u2028\u2029" or cat in ("Zl", "Zp"):
            out.append(" ")
        elif cat in ("Cc", "Cs", "Co", "Cn") or (cat == "Cf" and ch not in KEEP_FORMAT):
            continue
        else:
            out.append(ch)
    return "".join(out)


def is_arabic(ch: str) -> bool:
    code = ord(ch)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
        or ch in KEEP_FORMAT
    )


def _strong(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("L", "R", "AL")


def is_rtl(text: str) -> bool:
    """True when the first strong letter of ``text`` is right to left."""
    for ch in text:
        if _strong(ch):
            return unicodedata.bidirectional(ch) in ("R", "AL")
    return False


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    arabic: bool


@functools.lru_cache(maxsize=1)
def _urdu_cmap() -> frozenset[int]:
    """The code points Noto Naskh Arabic has glyphs for (read once, about 30 ms)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(find_font("urdu")), lazy=True) as font:
        return frozenset(font.getBestCmap())


def runs(text: str) -> list[Run]:
    """``text`` cut where the font must change; spaces and punctuation stay with the run
    they follow (a leading one with the run it precedes) when its font has them, else
    go with the Latin face (Noto Naskh Arabic has no quotation mark or hyphen). Logical
    order."""
    found: list[Run] = []
    pending = ""
    covered = _urdu_cmap()
    for ch in text:
        if _strong(ch) or ch.isdigit() or (ord(ch) not in covered and not ch.isspace()):
            arabic = is_arabic(ch)
            if found and found[-1].arabic == arabic:
                found[-1] = Run(found[-1].text + pending + ch, arabic)
            elif found:
                found[-1] = Run(found[-1].text + pending, found[-1].arabic)
                found.append(Run(ch, arabic))
            else:
                found.append(Run(pending + ch, arabic))
            pending = ""
        else:
            pending += ch
    if pending:
        if found:
            found[-1] = Run(found[-1].text + pending, found[-1].arabic)
        else:
            found.append(Run(pending, False))
    return found


def check_layout() -> None:
    """RuntimeError unless Pillow can shape (raqm and FriBiDi present): Urdu drawn without
    them would come out as unjoined letters in the wrong order."""
    if not (features.check_feature("raqm") and features.check_feature("fribidi")):
        raise RuntimeError(
            "Pillow cannot shape Urdu here (raqm/FriBiDi missing): apt-get install libfribidi0"
        )


@functools.lru_cache(maxsize=16)
def _font(arabic: bool, bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    check_layout()
    path = find_font("urdu" if arabic else "latin", bold=bold)
    return ImageFont.truetype(str(path), size_px, layout_engine=ImageFont.Layout.RAQM)


class LineDrawer:
    """Draws lines of ``size_px`` text into images ``width_px`` wide."""

    def __init__(self, width_px: int, size_px: int = 26, *, bold: bool = False) -> None:
        self.width_px = width_px
        self.size_px = size_px
        self.bold = bold
        self.gap_px = max(2, size_px // 4)
        # one line height for both faces: Naskh's tall marks decide it
        ascent, descent = _font(True, bold, size_px).getmetrics()
        self.height_px = ascent + descent

    def _pieces(self, text: str, rtl: bool) -> list[tuple[Run, ImageFont.FreeTypeFont, float]]:
        """Runs in drawing order (left to right) with their widths; a run's width includes
        a word space after it (in logical order) where the text had one."""
        pieces = []
        found = runs(text.strip())
        for i, run in enumerate(found):
            body = run.text.strip()
            if not body:
                continue
            font = _font(run.arabic, self.bold, self.size_px)
            direction = "rtl" if run.arabic else "ltr"
            spaced = i + 1 < len(found) and (
                run.text[-1:].isspace() or found[i + 1].text[:1].isspace()
            )
            width = font.getlength(body, direction=direction) + (self.gap_px if spaced else 0)
            pieces.append((Run(body, run.arabic), font, width))
        return pieces[::-1] if rtl else pieces

    def width(self, text: str, rtl: bool) -> float:
        return sum(w for _, _, w in self._pieces(text, rtl))

    def wrap(self, text: str) -> list[str]:
        """``text`` cut at spaces into lines that fit (a word too long for a line is cut)."""
        rtl = is_rtl(text)
        lines: list[str] = []
        line = ""
        for word in clean(text).split():
            candidate = f"{line} {word}" if line else word
            if self.width(candidate, rtl) <= self.width_px:
                line = candidate
                continue
            if line:
                lines.append(line)
            while self.width(word, rtl) > self.width_px and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and self.width(word[:cut], rtl) > self.width_px:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        if line:
            lines.append(line)
        return lines

    def draw(self, text: str, align: str = "start", *, rtl: bool | None = None) -> Image.Image:
        """One line (no wrapping) as a mode "1" image, white paper, black ink. ``align``:
        start (the paragraph's own side), centre or end; ``rtl``: the paragraph direction
        (None: from the text)."""
        rtl = is_rtl(text) if rtl is None else rtl
        image = Image.new("1", (self.width_px, self.height_px), 1)
        pen = ImageDraw.Draw(image)
        pieces = self._pieces(clean(text), rtl)
        total = sum(w for _, _, w in pieces)
        side = {"start": "right" if rtl else "left", "end": "left" if rtl else "right"}
        where = side.get(align, align)
        x = {"left": 0.0, "centre": (self.width_px - total) / 2, "right": self.width_px - total}[
            where
        ]
        ascent = _font(True, self.bold, self.size_px).getmetrics()[0]
        for run, font, width in pieces:
            direction = "rtl" if run.arabic else "ltr"
            language = "ur" if run.arabic else "en"
            inked = font.getlength(run.text, direction=direction)
            # in right-to-left order a run's trailing space is on its left
            left = x + (width - inked if rtl else 0)
            pen.text(
                (left, ascent),
                run.text,
                font=font,
                fill=0,
                anchor="ls",
                direction=direction,
                language=language,
            )
            x += width
        return image


def image_rows(image: Image.Image) -> list[bytes]:
    """A mode "1" image as raster rows for ESC/POS (MSB left, 1 = black)."""
    inverted = image.convert("L").point(lambda v: 255 if v < 128 else 0).convert("1")
    width_bytes = (image.width + 7) // 8
    data = inverted.tobytes()
    return [data[r * width_bytes : (r + 1) * width_bytes] for r in range(image.height)]
