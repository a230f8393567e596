"""Safe display of text that came from a person or a device.

Every string a citizen typed, the hub sent or the store holds is shown through
:func:`shown`, which returns a Textual :class:`~textual.content.Content` (never parsed as
markup, so ``[@click=app.quit]x[/]`` stays those characters), with control characters
made visible (``\\x1b`` becomes ``␛``) and Arabic-script runs shaped and put in visual
order (:func:`shape`), since terminals have no right-to-left layout. Pure; thread-safe.
"""

from __future__ import annotations

import re
import unicodedata

from textual.content import Content

#: Arabic-script blocks: Arabic, Arabic Supplement, Extended-A, presentation forms.
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
#: Numbers joined by - / : . (CNIC, mobile, dates, times): kept left to right inside
#: Urdu text. Without this the bidi algorithm turns digits after Arabic letters into
#: "Arabic numbers" and shows 42101-1234567-1 as 1-1234567-42101.
_LTR_NUMBER_RE = re.compile(r"[0-9]+(?:[-/:.][0-9]+)+")
_LRE, _PDF = "\u202a", "\u202c"
#: C0 controls but tab and newline, DEL, and the C1 controls.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
#: Control characters a citizen's record never needs (kept: tab and newline).
_STRIP_RE = _CONTROL_RE


def has_arabic(text: str) -> bool:
    """True when ``text`` holds a letter of the Arabic script (Urdu, Arabic, Persian)."""
    return _ARABIC_RE.search(text) is not None


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ .. ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def visible_controls(text: str) -> str:
    """Replace control characters (not tab/newline) with visible symbols."""
    return _CONTROL_RE.sub(_picture, text)


def clean_input(text: str) -> str:
    """Text as it will be filed: control characters (not tab/newline) removed, NFC, stripped."""
    return unicodedata.normalize("NFC", _STRIP_RE.sub("", text)).strip()


def shape(text: str) -> str:
    """Arabic-script text shaped (joined letter forms) and reordered for a left-to-right grid.

    Text without Arabic letters is returned unchanged. Each line is handled on its own.
    Cost: ~50 us per short line.
    """
    if not has_arabic(text):
        return text
    import arabic_reshaper
    from bidi.algorithm import get_display

    def one(line: str) -> str:
        line = _LTR_NUMBER_RE.sub(lambda m: _LRE + m.group() + _PDF, line)
        return get_display(arabic_reshaper.reshape(line))

    return "\n".join(one(line) for line in text.split("\n"))


def display(text: str) -> str:
    """Plain string for display: controls visible, Arabic script shaped."""
    return shape(visible_controls(text))


def literal(text: str) -> Content:
    """Content that renders ``text`` exactly (no markup, controls visible, no reshaping).

    For strings already shaped by the translator (``t(...)``).
    """
    return Content(visible_controls(text))


def shown(text: str) -> Content:
    """Content for text from a person or a device: literal, controls visible, Urdu shaped."""
    return Content(display(text))
