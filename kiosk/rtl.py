"""Right-to-left text for a left-to-right character grid: wrap, shape, reorder.

A terminal (and xterm.js under textual-serve) lays characters cell by cell from the left
in the order it receives them; it neither joins Arabic letters nor reorders right-to-left
text. So the kiosk hands it finished lines:

1. **wrap in logical order** (:func:`wrap`): a paragraph is broken into lines of at most
   ``width`` cells while still in typing order, so its first words land on the first line;
2. **shape** each line (arabic-reshaper: the joined initial / medial / final forms);
3. **reorder** each line on its own (the Unicode bidi algorithm of python-bidi, pure-Python
   variant, which lets us keep the map from screen cell to typed character), with the
   paragraph's direction (taken from its first strong letter) for every one of its lines.

Numbers joined by ``- / : .`` (CNIC, mobile, dates, times) stay left to right inside Urdu.
:func:`visual` returns the reordered line and, for each cell, the index of the typed
character it shows, which the input box needs to place its cursor.

Everything here is pure and thread-safe. Cost: ~0.1 ms per short line (pure Python).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rich.cells import cell_len

#: Arabic-script blocks: Arabic, Arabic Supplement, Extended-A, presentation forms.
ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
#: Numbers joined by - / : . kept left to right inside Urdu. Without this the bidi
#: algorithm treats digits after Arabic letters as "Arabic numbers" and shows
#: 42101-1234567-1 as 1-1234567-42101.
LTR_NUMBER_RE = re.compile(
    r"[0-9\u0660-\u0669\u06f0-\u06f9]+(?:[-/:.][0-9\u0660-\u0669\u06f0-\u06f9]+)+"
)
_LRE, _PDF = "\u202a", "\u202c"


def has_arabic(text: str) -> bool:
    """True when ``text`` holds a letter of the Arabic script (Urdu, Arabic, Persian)."""
    return ARABIC_RE.search(text) is not None


def is_rtl(text: str) -> bool:
    """True when the first strong letter of ``text`` is right-to-left (Urdu, Arabic).

    Text without strong letters (digits, punctuation) is left to right.
    """

    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` cells, in logical (typing) order.

    Newlines are kept as line breaks; lines break at spaces, and a word longer than
    ``width`` is split. Spaces at a break are dropped. ``width`` < 1 is taken as 1.
    """
    width = max(1, width)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if cell_len(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while cell_len(word) > width:
                cut = width
                while cut > 1 and cell_len(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


@dataclass(frozen=True, slots=True)
class VisualLine:
    """One line as the grid shows it: ``text`` left to right, ``order[i]`` the index in
    the typed line of the character in cell ``i`` (one character per cell)."""

    text: str
    order: tuple[int, ...]


def _reshaper(ligatures: bool):  # -> arabic_reshaper.ArabicReshaper
    import arabic_reshaper

    return arabic_reshaper.ArabicReshaper(
        configuration={"delete_harakat": False, "support_ligatures": ligatures}
    )


def visual(line: str, *, rtl: bool | None = None, ligatures: bool = False) -> VisualLine:
    """One logical line shaped and reordered, with the cell -> typed-index map.

    ``rtl`` is the paragraph direction (default: from the line's first strong letter).
    Without ``ligatures`` each typed letter keeps one cell (the map is to ``line``);
    with them (lam-alef) the map is to the shaped line, for display only.
    """
    from bidi import algorithm as uba

    if rtl is None:
        rtl = is_rtl(line)
    shaped = _reshaper(ligatures).reshape(line) if has_arabic(line) else line
    if not ligatures and len(shaped) != len(line):  # one form per letter; be safe
        shaped = line
    # the number groups held left to right: (character, typed index or None)
    marked: list[tuple[str, int | None]] = []
    last = 0
    for match in LTR_NUMBER_RE.finditer(shaped):
        marked += [(shaped[i], i) for i in range(last, match.start())]
        marked.append((_LRE, None))
        marked += [(shaped[i], i) for i in range(match.start(), match.end())]
        marked.append((_PDF, None))
        last = match.end()
    marked += [(shaped[i], i) for i in range(last, len(shaped))]

    storage = uba.get_empty_storage()
    storage["base_level"] = 1 if rtl else 0
    storage["base_dir"] = "R" if rtl else "L"
    uba.get_embedding_levels("".join(c for c, _ in marked), storage)
    for char, (_, index) in zip(storage["chars"], marked, strict=True):
        char["index"] = index
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage, False)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    uba.reorder_resolved_levels(storage, False)
    uba.apply_mirroring(storage, False)
    cells = _marks_after_base([c for c in storage["chars"] if c["index"] is not None])
    return VisualLine("".join(c["ch"] for c in cells), tuple(c["index"] for c in cells))


def _marks_after_base(cells: list[dict]) -> list[dict]:
    """Put combining marks (zer, zabar, tanween) back after their letter.

    Reversing a right-to-left run puts a letter's marks before it; a terminal draws a
    mark over the cell before it, so they must follow their base (UAX #9, rule L3).
    """

    out: list[dict] = []
    i = 0
    while i < len(cells):
        j = i
        while (
            j < len(cells)
            and cells[j]["level"] % 2
            and unicodedata.category(cells[j]["ch"]).startswith("M")
        ):
            j += 1
        if j > i and j < len(cells):
            out.append(cells[j])
            out.extend(cells[i:j])
            i = j + 1
        else:
            out.append(cells[i])
            i += 1
    return out


def shape_line(line: str, *, rtl: bool | None = None) -> str:
    """One line for display: shaped (with the lam-alef ligatures) and reordered."""
    if not has_arabic(line):
        return line
    return visual(line, rtl=rtl, ligatures=True).text


def shape(text: str) -> str:
    """Arabic-script text shaped and reordered line by line (no wrapping).

    Text without Arabic letters is returned unchanged. For a paragraph that may wrap, use
    :func:`lines` with the width it is shown in.
    """
    if not has_arabic(text):
        return text
    return "\n".join(shape_line(line) for line in text.split("\n"))


def lines(text: str, width: int) -> list[str]:
    """``text`` as the grid shows it at ``width`` cells: wrapped, shaped, reordered.

    Each paragraph (newline-separated) keeps its own direction for all its lines, so an
    Urdu paragraph reads top to bottom, each line right to left.
    """
    shown: list[str] = []
    for paragraph in text.split("\n"):
        rtl = is_rtl(paragraph)
        for line in wrap(paragraph, width):
            shown.append(shape_line(line, rtl=rtl) if has_arabic(line) else line)
    return shown
