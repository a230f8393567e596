"""Small widgets: a QR code and large text, both drawn with half blocks."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def qr_text(data: str, *, border: int = 2) -> str:
    """``data`` as a QR code in half-block characters (two modules per character cell).

    Dark modules are drawn as foreground on a light background (the widget's style), so a
    phone reads it from the screen. Cost: ~5 ms for a tracking number. Pure.
    """
    import segno

    matrix = [list(row) for row in segno.make(data, error="m", micro=False).matrix]
    size = len(matrix)
    quiet = [[0] * (size + 2 * border) for _ in range(border)]
    rows = quiet + [[0] * border + row + [0] * border for row in matrix] + quiet
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        line = []
        for a, b in zip(top, bottom, strict=True):
            line.append("█" if a and b else "▀" if a else "▄" if b else " ")
        lines.append("".join(line))
    return "\n".join(lines)


class QRCode(Static):
    """A QR code of ``data`` (black modules on white)."""

    DEFAULT_CSS = """
    QRCode { width: auto; height: auto; color: black; background: white; }
    """

    def __init__(self, data: str, *, id: str | None = None) -> None:
        super().__init__(Content(qr_text(data)), id=id)
        self.data = data


#: A 3x5 pixel font for tracking numbers (A-Z, 0-9, -): rows top to bottom, "#" = ink.
FONT_3X5: dict[str, tuple[str, ...]] = {
    "0": ("###", "# #", "# #", "# #", "###"),
    "1": (" # ", "## ", " # ", " # ", "###"),
    "2": ("###", "  #", "###", "#  ", "###"),
    "3": ("###", "  #", "###", "  #", "###"),
    "4": ("# #", "# #", "###", "  #", "  #"),
    "5": ("###", "#  ", "###", "  #", "###"),
    "6": ("###", "#  ", "###", "# #", "###"),
    "7": ("###", "  #", "  #", "  #", "  #"),
    "8": ("###", "# #", "###", "# #", "###"),
    "9": ("###", "# #", "###", "  #", "###"),
    "A": (" # ", "# #", "###", "# #", "# #"),
    "B": ("## ", "# #", "## ", "# #", "## "),
    "C": (" ##", "#  ", "#  ", "#  ", " ##"),
    "D": ("## ", "# #", "# #", "# #", "## "),
    "E": ("###", "#  ", "## ", "#  ", "###"),
    "F": ("###", "#  ", "## ", "#  ", "#  "),
    "G": (" ##", "#  ", "# #", "# #", " ##"),
    "H": ("# #", "# #", "###", "# #", "# #"),
    "I": ("###", " # ", " # ", " # ", "###"),
    "J": ("  #", "  #", "  #", "# #", " # "),
    "K": ("# #", "# #", "## ", "# #", "# #"),
    "L": ("#  ", "#  ", "#  ", "#  ", "###"),
    "M": ("# #", "###", "###", "# #", "# #"),
    "N": ("## ", "# #", "# #", "# #", "# #"),
    "O": (" # ", "# #", "# #", "# #", " # "),
    "P": ("## ", "# #", "## ", "#  ", "#  "),
    "Q": (" # ", "# #", "# #", "## ", " ##"),
    "R": ("## ", "# #", "## ", "# #", "# #"),
    "S": (" ##", "#  ", " # ", "  #", "## "),
    "T": ("###", " # ", " # ", " # ", " # "),
    "U": ("# #", "# #", "# #", "# #", "###"),
    "V": ("# #", "# #", "# #", "# #", " # "),
    "W": ("# #", "# #", "###", "###", "# #"),
    "X": ("# #", "# #", " # ", "# #", "# #"),
    "Y": ("# #", "# #", " # ", " # ", " # "),
    "Z": ("###", "  #", " # ", "#  ", "###"),
    "-": ("   ", "   ", "###", "   ", "   "),
    " ": ("   ", "   ", "   ", "   ", "   "),
}


def big_text(text: str) -> str:
    """``text`` (A-Z, 0-9, -) three rows tall in half blocks, one blank column between
    characters. Raises KeyError for a character the font lacks. Pure."""
    rows = [" ".join(FONT_3X5[c][r] for c in text.upper()) for r in range(5)]
    rows.append(" " * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        lines.append(
            "".join(
                "█" if a == "#" and b == "#" else "▀" if a == "#" else "▄" if b == "#" else " "
                for a, b in zip(top, bottom, strict=True)
            )
        )
    return "\n".join(lines)


class BigText(Static):
    """Large text (tracking numbers), readable from a step back."""

    DEFAULT_CSS = """
    BigText { width: auto; height: auto; text-style: bold; }
    """

    def __init__(self, text: str, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(Content(big_text(text)), id=id, classes=classes)
        self.text = text
