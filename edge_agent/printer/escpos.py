"""ESC/POS commands the receipt printer is sent: the bytes, and only these. Pure; thread-safe.

The small standard subset every 58/80 mm thermal printer (Epson TM-T20/T88, Xprinter,
Rongta, GOOJPRT) understands, per Epson's ESC/POS command reference:

========================  =====================  ==========================================
what                      bytes                  notes
========================  =====================  ==========================================
initialise                ``ESC @``              clears modes (not the buffer)
align                     ``ESC a n``            0 left, 1 centre, 2 right
bold                      ``ESC E n``            0 off, 1 on
character size            ``GS ! n``             high nibble width-1, low nibble height-1
text line                 bytes 0x20..0x7E, LF   Font A: 12 x 24 dots, 48 columns on 576
feed                      ``ESC d n``            n lines
raster image              ``GS v 0 m xL xH yL yH``  1 bit per dot, MSB left, 1 = black
QR code (model 2)         ``GS ( k`` fn 65/67/69/80/81  printed by the printer itself
feed and cut              ``GS V 66 n``          partial cut after feeding n dots
real-time status          ``DLE EOT n``          n = 1 printer, 2 offline cause, 4 paper
========================  =====================  ==========================================

Text goes out only through :func:`text_line`, which refuses any byte outside 0x20..0x7E:
nothing a person typed can reach the printer as a command (anything else is drawn into
a raster image first, :mod:`edge_agent.printer.raster`).
"""

from __future__ import annotations

ESC = 0x1B
GS = 0x1D
DLE = 0x10
EOT = 0x04
LF = 0x0A

INIT = bytes((ESC, 0x40))
CUT = bytes((GS, 0x56, 66, 0))
"""Feed to the cutter and cut partially (one tab holds the receipt)."""

RASTER_BAND_ROWS = 256
"""Rows per ``GS v 0`` command: small printers' receive buffers take a band this size."""
QR_DATA_MAX = 700
"""Bytes of QR data we send (version 20 at level M holds 666 bytes in byte mode)."""
QR_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}


class EncodeError(ValueError):
    """A value the command set cannot carry (the message says which)."""


def align(where: str) -> bytes:
    """``where``: left, centre or right."""
    return bytes((ESC, 0x61, {"left": 0, "centre": 1, "right": 2}[where]))


def bold(on: bool) -> bytes:
    return bytes((ESC, 0x45, 1 if on else 0))


def size(width: int = 1, height: int = 1) -> bytes:
    """Character magnification 1..8 each way."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise EncodeError("character size must be 1..8")
    return bytes((GS, 0x21, (width - 1) << 4 | (height - 1)))


def feed(lines: int) -> bytes:
    return bytes((ESC, 0x64, max(0, min(255, lines))))


def is_printable(text: str) -> bool:
    """True when every character is ASCII 0x20..0x7E (what :func:`text_line` accepts)."""
    return all(" " <= ch <= "~" for ch in text)


def text_line(text: str) -> bytes:
    """One line in the printer's own font, then LF. EncodeError on anything but 0x20..0x7E."""
    if not is_printable(text):
        raise EncodeError("text for the printer's font must be printable ASCII")
    return text.encode("ascii") + b"\n"


def raster(rows: list[bytes], width_px: int) -> bytes:
    """A 1-bit image as ``GS v 0`` bands; ``rows``: each ``ceil(width_px / 8)`` bytes, MSB
    the leftmost dot, 1 = black. Cost: one copy of the image."""
    width_bytes = (width_px + 7) // 8
    if not 0 < width_bytes < 65536 or any(len(r) != width_bytes for r in rows):
        raise EncodeError("raster rows must all be ceil(width / 8) bytes")
    out = bytearray()
    for top in range(0, len(rows), RASTER_BAND_ROWS):
        band = rows[top : top + RASTER_BAND_ROWS]
        out += bytes((GS, 0x76, 0x30, 0))
        out += width_bytes.to_bytes(2, "little") + len(band).to_bytes(2, "little")
        out += b"".join(band)
    return bytes(out)


def qr(data: str, *, module_px: int = 6, level: str = "M") -> bytes:
    """Store ``data`` (printable ASCII) as a model 2 QR code and print it."""
    if not data or not is_printable(data) or len(data) > QR_DATA_MAX:
        raise EncodeError(f"QR data must be 1..{QR_DATA_MAX} printable ASCII characters")
    if not 1 <= module_px <= 16:
        raise EncodeError("QR module size must be 1..16 dots")
    payload = data.encode("ascii")

    def k(*body: int | bytes) -> bytes:
        raw = b"".join(bytes((b,)) if isinstance(b, int) else b for b in body)
        return bytes((GS, 0x28, 0x6B)) + len(raw).to_bytes(2, "little") + raw

    return (
        k(0x31, 0x41, 0x32, 0x00)  # model 2
        + k(0x31, 0x43, module_px)
        + k(0x31, 0x45, QR_LEVELS[level])
        + k(0x31, 0x50, 0x30, payload)  # store
        + k(0x31, 0x51, 0x30)  # print
    )


def status_query(n: int) -> bytes:
    """``DLE EOT n``: the printer answers one status byte at once, even mid-job."""
    if n not in (1, 2, 3, 4):
        raise EncodeError("DLE EOT takes 1..4")
    return bytes((DLE, EOT, n))
