"""Safe display of text that came from a person or a device.

Every string a citizen typed, the hub sent or the store holds is shown through
:func:`shown`, which returns a Textual :class:`~textual.content.Content` (never parsed as
markup, so ``[@click=app.quit]x[/]`` stays those characters), with control characters
made visible (``\\x1b`` becomes ``␛``) and Arabic-script runs shaped and put in visual
order (:func:`kiosk.rtl.shape`), since terminals have no right-to-left layout. Text that
may wrap is shown by :class:`kiosk.rtl_widgets.Paragraph`, which wraps before it shapes.
Pure; thread-safe.
"""

from __future__ import annotations

import re
import unicodedata

from textual.content import Content

from khidmat_wire.vocabulary import ascii_digits
from kiosk.rtl import has_arabic, shape

__all__ = ["ascii_digits", "clean_input", "display", "has_arabic", "literal", "shape", "shown"]

#: C0 controls but tab and newline, DEL, and the C1 controls.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
#: Control characters a citizen's record never needs (kept: tab and newline).
_STRIP_RE = _CONTROL_RE


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
