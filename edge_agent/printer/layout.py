"""A receipt as a list of blocks, and the one ESC/POS job that prints it.

Blocks: :class:`Line` (text; ``size`` 2 doubles it), :class:`Qr`, :class:`Rule`,
:class:`Gap`. :func:`encode` sends a line in the printer's own font when, cleaned
(:func:`edge_agent.printer.raster.clean`), it is printable ASCII (a tracking
number, English text); every other line (Urdu, any non-ASCII letter) is wrapped and drawn
as a raster image. Nothing from a
block's text is sent as anything but ``0x20..0x7E`` text or image dots, so a control byte a
person typed never reaches the printer as a command. Pure apart from font loading;
thread-safe. Cost: about 20-60 ms for a receipt with a dozen Urdu lines on a Pi 4.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

from edge_agent.printer import escpos
from edge_agent.printer.raster import LineDrawer, clean, image_rows, is_rtl

FONT_A_DOTS = 12
"""Width of one character of the printer's Font A (12 x 24 dots)."""


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    size: int = 1
    bold: bool = False
    align: str = "start"
    """start (the receipt's reading side), centre or end."""


@dataclass(frozen=True, slots=True)
class Qr:
    data: str
    module_px: int = 6


@dataclass(frozen=True, slots=True)
class Rule:
    pass


@dataclass(frozen=True, slots=True)
class Gap:
    lines: int = 1


Block = Line | Qr | Rule | Gap


def encode(blocks: Sequence[Block], *, width_px: int = 576, rtl: bool = False) -> bytes:
    """One job: initialise, the blocks, feed and cut. ``rtl``: the receipt reads right to
    left (Urdu), so lines start on the right. EncodeError for a QR that cannot be carried."""
    columns = width_px // FONT_A_DOTS
    out = bytearray(escpos.INIT)
    drawers: dict[tuple[int, bool], LineDrawer] = {}
    for block in blocks:
        if isinstance(block, Gap):
            out += escpos.feed(block.lines)
        elif isinstance(block, Rule):
            out += escpos.align("left") + escpos.text_line("-" * columns)
        elif isinstance(block, Qr):
            # a line of white above it: the quiet zone a phone's camera needs
            out += escpos.feed(1) + escpos.align("centre")
            out += escpos.qr(block.data, module_px=block.module_px)
            out += escpos.feed(1)
        else:
            out += _line(block, width_px, columns, rtl, drawers)
    out += escpos.align("left") + escpos.feed(3) + escpos.CUT
    return bytes(out)


def _side(align: str, rtl: bool) -> str:
    if align == "centre":
        return "centre"
    start = "right" if rtl else "left"
    end = "left" if rtl else "right"
    return start if align == "start" else end


def _line(
    line: Line, width_px: int, columns: int, rtl: bool, drawers: dict[tuple[int, bool], LineDrawer]
) -> bytes:
    text = " ".join(clean(line.text).split())
    out = bytearray()
    if escpos.is_printable(text):
        # the printer's own font: crisp, and a few bytes instead of an image
        width = columns // line.size
        out += escpos.align(_side(line.align, rtl)) + escpos.bold(line.bold)
        out += escpos.size(line.size, line.size)
        for piece in textwrap.wrap(text, width, break_on_hyphens=False) or [""]:
            out += escpos.text_line(piece)
        return bytes(out + escpos.size(1, 1) + escpos.bold(False))
    key = (line.size, line.bold)
    if key not in drawers:
        drawers[key] = LineDrawer(width_px, 26 if line.size == 1 else 40, bold=line.bold)
    drawer = drawers[key]
    paragraph_rtl = rtl or is_rtl(text)
    side = _side(line.align, paragraph_rtl)
    out += escpos.align(side)
    for piece in drawer.wrap(text):
        image = _inked(drawer.draw(piece, line.align, rtl=paragraph_rtl), side)
        out += escpos.raster(image_rows(image), image.width)
    return bytes(out)


def _inked(image: Image.Image, side: str) -> Image.Image:
    """``image`` cut to the columns with ink, on whole bytes, keeping the edge it is
    aligned to (the printer places it with ESC a): a short Urdu line sends a third of
    the dots a full-width one would. Cost: one bounding-box scan."""
    box = ImageOps.invert(image.convert("L")).getbbox()
    if box is None:
        return image.crop((0, 0, 8, image.height))
    width = image.width
    left, right = box[0], box[2]
    if side == "right":
        left = width - (width - left + 7) // 8 * 8
        right = width
    elif side == "left":
        left, right = 0, (right + 7) // 8 * 8
    else:
        half = max(width // 2 - left, right - width // 2)
        half = (half + 3) // 4 * 4
        left, right = width // 2 - half, width // 2 + half
    return image.crop((max(0, left), 0, min(width, right), image.height))
