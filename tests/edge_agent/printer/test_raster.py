"""Urdu drawn for the printer: cleaned, cut into font runs, shaped and right to left."""

from __future__ import annotations

import numpy as np
import pytest

from edge_agent.printer.raster import LineDrawer, Run, clean, is_rtl, runs

URDU = "آپ کی شکایت درج ہو گئی ہے"


def test_clean_drops_controls_and_bidi_overrides_but_keeps_zwnj() -> None:
    assert clean("Ali\x1b@\x1dV\x00\x10\x04\x01 Khan") == "Ali@V Khan"
    assert clean("a\u202eb\u200fc") == "abc"  # RLO and RLM would reorder what is read
    assert clean("ت\u200cو") == "ت\u200cو"  # Urdu spelling keeps the non-joiner
    assert clean("one\ntwo\tthree") == "one two three"


def test_runs_split_urdu_from_latin_and_digits() -> None:
    assert runs("نمبر QTA01-2 ہے") == [
        Run("نمبر ", True),
        Run("QTA01-2 ", False),
        Run("ہے", True),
    ]
    assert is_rtl(URDU) and not is_rtl("12:00 QTA01") and is_rtl("12:00 نمبر")


def _ink_columns(image) -> np.ndarray:
    pixels = np.asarray(image.convert("L")) < 128
    return np.flatnonzero(pixels.any(axis=0))


def test_urdu_is_shaped_joined_not_isolated_letters() -> None:
    drawer = LineDrawer(576, 26)
    joined = drawer.width("شکایت", True)
    isolated = drawer.width(" ".join("شکایت"), True) - 4 * drawer.width(" ", True)
    # joined forms are narrower than the same letters standing alone
    assert joined < isolated * 0.85


def test_an_urdu_line_starts_on_the_right() -> None:
    drawer = LineDrawer(576, 26)
    ink = _ink_columns(drawer.draw(URDU))
    assert ink.size and ink.max() >= 570 and ink.min() > 200


def test_urdu_with_a_tracking_number_reads_right_to_left() -> None:
    """The Urdu word before the number is at the right edge, the number to its left."""
    drawer = LineDrawer(576, 26)
    full = np.asarray(drawer.draw("نمبر QTA01").convert("L")) < 128
    word = np.asarray(drawer.draw("نمبر").convert("L")) < 128
    word_left = _ink_columns(drawer.draw("نمبر")).min()
    assert (full[:, word_left:] == word[:, word_left:]).all()  # the same word, same place
    assert full[:, : word_left - 2].any()  # and the number to its left


@pytest.mark.parametrize("text", [URDU * 4, "x" * 200])
def test_long_lines_wrap_to_the_width(text: str) -> None:
    drawer = LineDrawer(384, 26)
    lines = drawer.wrap(text)
    assert len(lines) > 1
    assert all(drawer.width(line, is_rtl(line)) <= 384 for line in lines)
