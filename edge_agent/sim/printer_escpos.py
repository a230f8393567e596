"""The simulated printer's mechanism: reads an ESC/POS byte stream and draws the paper.

:class:`EscPosReader` takes bytes in any chunking (:meth:`feed`), acts on each complete
command and keeps what a test looks at: the text lines printed in the printer's font,
the QR codes' data, the commands in order (``text``, ``raster``, ``qr-store``, ...; an
unknown command is logged as ``unknown:1B 5A`` and its bytes are never printed), and,
at each cut, a finished :class:`Page` (a white image with black dots, 576 or 384 wide,
the printer's 203 dpi). It understands the subset :mod:`edge_agent.printer.escpos`
documents, plus ``ESC !`` and ``ESC t`` (accepted, no effect). ``DLE EOT n`` is answered
through the ``reply`` callback with the status bytes of the current ``state``. Not
thread-safe: one reader per printer thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import segno
from PIL import Image, ImageDraw, ImageFont

from edge_agent.printer.status import status_bytes

CELL_W, CELL_H = 12, 24
"""Font A's character cell, dots."""
LINE_PITCH = 30
"""Default line spacing (ESC 2): 1/6 inch at 180 dpi, what most printers use."""
QR_LEVELS = {48: "L", 49: "M", 50: "Q", 51: "H"}
MONO = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",)
MONO_BOLD = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",)


@dataclass
class Page:
    """One receipt as it came out of the printer."""

    image: Image.Image
    text: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: int = 0
    commands: list[str] = field(default_factory=list)
    complete: bool = True
    bytes: int = 0
    """Bytes from the page's first command to its cut (the cut itself not counted)."""


class EscPosReader:
    """Feed it bytes; it calls ``on_page(page)`` at each cut and ``reply(bytes)`` for
    status queries. ``state`` (a :mod:`edge_agent.printer.status` state) decides whether
    print data reaches the paper (ok, paper-low) or is thrown away."""

    def __init__(
        self,
        width_px: int = 576,
        *,
        on_page: Callable[[Page], None],
        reply: Callable[[bytes], None],
    ) -> None:
        self.width_px = width_px
        self.on_page = on_page
        self.reply = reply
        self.state = "ok"
        self.discarded = 0
        self.consumed = 0
        """Bytes taken in so far (status queries and discarded data included)."""
        self._page_start = 0
        self._buf = bytearray()
        self._fonts = {
            False: ImageFont.truetype(_first(MONO), 20),
            True: ImageFont.truetype(_first(MONO_BOLD), 20),
        }
        self._new_page()

    # ---------------------------------------------------------------- paper
    def _new_page(self) -> None:
        self._strips: list[Image.Image] = []
        self._page = Page(Image.new("1", (self.width_px, 1), 1))
        self._line = bytearray()
        self._page_start = getattr(self, "consumed", 0)
        self._reset_modes()

    def _reset_modes(self) -> None:
        self._align = 0
        self._bold = False
        self._size = (1, 1)
        self._qr_data = b""
        self._qr_module = 3
        self._qr_level = "M"

    def _strip(self, image: Image.Image) -> None:
        self._strips.append(image)

    def _place(self, image: Image.Image) -> Image.Image:
        """``image`` on a paper-wide strip at the current alignment."""
        strip = Image.new("1", (self.width_px, image.height), 1)
        room = max(0, self.width_px - image.width)
        x = (0, room // 2, room)[min(self._align, 2)]
        strip.paste(image.crop((0, 0, min(image.width, self.width_px), image.height)), (x, 0))
        return strip

    def _print_line(self) -> None:
        text = self._line.decode("cp437")
        self._line = bytearray()
        self._page.text.append(text)
        self._page.commands.append("text")
        w, h = self._size
        cell = Image.new("1", (max(1, len(text)) * CELL_W, CELL_H), 1)
        ImageDraw.Draw(cell).text((0, 1), text, font=self._fonts[self._bold], fill=0)
        if (w, h) != (1, 1):
            cell = cell.resize((cell.width * w, cell.height * h), Image.Resampling.NEAREST)
        line = Image.new("1", (self.width_px, CELL_H * h + (LINE_PITCH - CELL_H)), 1)
        line.paste(self._place(cell), (0, 0))
        self._strip(line)

    def _finish(self, complete: bool) -> None:
        if self._line:
            self._print_line()
        height = sum(s.height for s in self._strips) + 2 * LINE_PITCH
        paper = Image.new("1", (self.width_px, max(height, 1)), 1)
        y = LINE_PITCH
        for strip in self._strips:
            paper.paste(strip, (0, y))
            y += strip.height
        self._page.image = paper
        self._page.complete = complete
        self._page.bytes = self.consumed - self._page_start
        page = self._page
        self._new_page()
        if page.commands:
            self.on_page(page)

    def tear_off(self, *, reset: bool = False) -> None:
        """The paper ran out or the link went: what was printed so far, incomplete.
        ``reset``: the printer restarts too (a half-received command is dropped)."""
        self._finish(complete=False)
        if reset:
            self._buf.clear()

    # ------------------------------------------------------------------ bytes
    def feed(self, data: bytes) -> None:
        self._buf += data
        while self._buf:
            used = self._one()
            if used == 0:
                return  # an incomplete command: wait for more bytes
            del self._buf[:used]
            self.consumed += used

    def _printing(self) -> bool:
        return self.state in ("ok", "paper-low")

    def _one(self) -> int:
        buf = self._buf
        first = buf[0]
        if first == 0x10:  # DLE
            if len(buf) < 3:
                return 0
            if buf[1] == 0x04 and buf[2] in (1, 2, 3, 4):
                printer, offline, paper = status_bytes(self.state)
                self.reply(bytes(({1: printer, 2: offline, 3: 0x12, 4: paper}[buf[2]],)))
                return 3
            return self._unknown(2)
        if not self._printing():
            self.discarded += 1  # a stopped printer takes data and prints none of it
            return 1
        if first == 0x0A:
            self._print_line()
            return 1
        if 0x20 <= first <= 0x7E or first >= 0x80:
            self._line.append(first)
            return 1
        if first == 0x1B:
            return self._esc()
        if first == 0x1D:
            return self._gs()
        return self._unknown(1)

    def _unknown(self, length: int) -> int:
        self._page.commands.append("unknown:" + bytes(self._buf[:length]).hex(" ").upper())
        return length

    def _esc(self) -> int:
        buf = self._buf
        if len(buf) < 2:
            return 0
        op = buf[1]
        if op == 0x40:
            self._reset_modes()
            self._page.commands.append("init")
            return 2
        if op in (0x61, 0x45, 0x64, 0x21, 0x74):
            if len(buf) < 3:
                return 0
            n = buf[2]
            if op == 0x61:
                self._align = n % 48 if n >= 48 else n
                self._page.commands.append("align")
            elif op == 0x45:
                self._bold = bool(n & 1)
                self._page.commands.append("bold")
            elif op == 0x64:
                if self._line:
                    self._print_line()
                self._strip(Image.new("1", (self.width_px, LINE_PITCH * n or 1), 1))
                self._page.commands.append("feed")
            else:
                self._page.commands.append({0x21: "mode", 0x74: "codepage"}[op])
            return 3
        return self._unknown(2)

    def _gs(self) -> int:
        buf = self._buf
        if len(buf) < 2:
            return 0
        op = buf[1]
        if op == 0x21:
            if len(buf) < 3:
                return 0
            self._size = ((buf[2] >> 4) + 1, (buf[2] & 0x0F) + 1)
            self._page.commands.append("size")
            return 3
        if op == 0x56:
            if len(buf) < 3:
                return 0
            length = 4 if buf[2] in (65, 66) else 3
            if len(buf) < length:
                return 0
            self._page.commands.append("cut")
            self._finish(complete=True)
            return length
        if op == 0x76:
            return self._raster()
        if op == 0x28:
            return self._function()
        return self._unknown(2)

    def _raster(self) -> int:
        buf = self._buf
        if len(buf) < 8:
            return 0
        if buf[2] != 0x30:
            return self._unknown(3)
        width_bytes = buf[4] | buf[5] << 8
        rows = buf[6] | buf[7] << 8
        end = 8 + width_bytes * rows
        if len(buf) < end:
            return 0
        if self._line:
            self._print_line()
        data = bytes(buf[8:end])
        if width_bytes and rows:
            # 1 = black on the wire; Pillow's "1" mode is 1 = white
            image = Image.frombytes("1", (width_bytes * 8, rows), data)
            image = Image.eval(image.convert("L"), lambda v: 255 - v).convert("1")
            self._strip(self._place(image.crop((0, 0, min(width_bytes * 8, 65535), rows))))
        self._page.images += 1
        self._page.commands.append("raster")
        return end

    def _function(self) -> int:
        buf = self._buf
        if len(buf) < 5:
            return 0
        length = buf[3] | buf[4] << 8
        end = 5 + length
        if len(buf) < end:
            return 0
        if buf[2] != 0x6B or length < 2 or buf[5] != 0x31:
            return self._unknown(end)
        fn, body = buf[6], bytes(buf[7:end])
        if fn == 0x41:
            self._page.commands.append("qr-model")
        elif fn == 0x43 and body:
            self._qr_module = max(1, min(16, body[0]))
            self._page.commands.append("qr-size")
        elif fn == 0x45 and body:
            self._qr_level = QR_LEVELS.get(body[0], "M")
            self._page.commands.append("qr-level")
        elif fn == 0x50 and body[:1] == b"\x30":
            self._qr_data = body[1:]
            self._page.commands.append("qr-store")
        elif fn == 0x51:
            self._print_qr()
            self._page.commands.append("qr-print")
        else:
            return self._unknown(end)
        return end

    def _print_qr(self) -> None:
        if self._line:
            self._print_line()
        if not self._qr_data:
            return
        data = self._qr_data.decode("latin-1")
        code = segno.make_qr(data, error=self._qr_level.lower(), boost_error=False)
        scale = self._qr_module
        size = code.symbol_size(scale=scale, border=0)
        image = Image.new("1", size, 1)
        pen = ImageDraw.Draw(image)
        for y, row in enumerate(code.matrix):
            for x, dark in enumerate(row):
                if dark:
                    pen.rectangle(
                        (x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0
                    )
        self._strip(self._place(image))
        self._page.qr.append(data)


def _first(paths: tuple[str, ...]) -> str:
    from pathlib import Path

    for path in paths:
        if Path(path).exists():
            return path
    raise FileNotFoundError(f"{paths[0]} is not installed: apt-get install fonts-dejavu-core")
