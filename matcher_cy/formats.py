"""ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 finger minutiae records.

Both are big-endian records: a general header, then finger views, each a 4-byte view
header, 6 bytes per minutia (type in the top 2 bits over a 14-bit x; 2 reserved bits over a
14-bit y; one angle byte; one quality byte) and an extended-data block. They differ in
the header (ANSI has a 2-or-6-byte length and a CBEFF product id) and the angle unit
(ISO 360/256 degrees, ANSI 2 degrees). Angles are counter-clockwise from the x axis, y
down; resolution is in pixels per centimetre. Decoding reads every view (so a truncated
or inconsistent record is rejected) and returns the first. Pure functions, thread-safe.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

from matcher_cy.template import MINUTIA_DTYPE, Template, TemplateFormatError

_MAGIC = b"FMR\x00"
_VERSION = b" 20\x00"
_CM_PER_INCH = 2.54


@dataclass(frozen=True, slots=True)
class RecordFormat:
    """What differs between the ISO and ANSI records."""

    name: str
    angle_unit_rad: float
    max_angle_code: int
    ansi_header: bool


ISO = RecordFormat("ISO/IEC 19794-2:2005", 2 * math.pi / 256, 255, ansi_header=False)
ANSI = RecordFormat("ANSI INCITS 378-2004", math.radians(2.0), 179, ansi_header=True)


def _ppcm(dpi: int) -> int:
    return round(dpi / _CM_PER_INCH)


def encode(template: Template, fmt: RecordFormat) -> bytes:
    """Serialise ``template`` as one finger view (right thumb unknown: position 0)."""
    minutiae = template.minutiae
    codes = np.round(minutiae["angle"] / fmt.angle_unit_rad).astype(np.int64)
    codes %= fmt.max_angle_code + 1
    view = bytearray(struct.pack(">BBBB", 0, 0, template.quality, len(minutiae)))
    for m, code in zip(minutiae, codes, strict=True):
        view += struct.pack(
            ">HHBB",
            (int(m["type"]) << 14) | int(m["x"]),
            int(m["y"]),
            int(code),
            int(m["quality"]),
        )
    view += struct.pack(">H", 0)  # no extended data
    size = struct.pack(
        ">HHHHBB", template.width, template.height, _ppcm(template.dpi), _ppcm(template.dpi), 1, 0
    )
    if fmt.ansi_header:
        length = 8 + 2 + 4 + 2 + len(size) + len(view)
        if length > 0xFFFF:
            raise ValueError("ANSI record too long")
        head = _MAGIC + _VERSION + struct.pack(">HIH", length, 0, 0)
    else:
        length = 8 + 4 + 2 + len(size) + len(view)
        head = _MAGIC + _VERSION + struct.pack(">IH", length, 0)
    return head + size + bytes(view)


def _need(data: bytes, offset: int, count: int, what: str, fmt: RecordFormat) -> None:
    if offset + count > len(data):
        raise TemplateFormatError(
            f"{fmt.name}: truncated at byte {offset}: {what} needs {count} bytes, "
            f"{max(0, len(data) - offset)} left"
        )


def decode(data: bytes, fmt: RecordFormat) -> Template:
    """Parse a record of format ``fmt``; TemplateFormatError names the first problem."""
    data = bytes(data)
    _need(data, 0, 8, "magic and version", fmt)
    if data[:4] != _MAGIC:
        raise TemplateFormatError(
            f"{fmt.name}: bad magic {data[:4]!r} at byte 0, expected 'FMR\\0'"
        )
    if data[4:8] != _VERSION:
        raise TemplateFormatError(f"{fmt.name}: unsupported version {data[4:8]!r} at byte 4")
    offset = 8
    if fmt.ansi_header:
        _need(data, offset, 2, "record length", fmt)
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if length == 0:
            _need(data, offset, 4, "long record length", fmt)
            (length,) = struct.unpack_from(">I", data, offset)
            offset += 4
        offset += 4  # CBEFF product identifier
    else:
        _need(data, offset, 4, "record length", fmt)
        (length,) = struct.unpack_from(">I", data, offset)
        offset += 4
    if length != len(data):
        raise TemplateFormatError(
            f"{fmt.name}: record length field says {length} bytes, record has {len(data)}"
        )
    _need(data, offset, 12, "general header", fmt)
    _equipment, width, height, xres, yres, views, _reserved = struct.unpack_from(
        ">HHHHHBB", data, offset
    )
    offset += 12
    if width == 0 or height == 0:
        raise TemplateFormatError(f"{fmt.name}: image size {width}x{height} has a zero side")
    if xres == 0 or yres == 0:
        raise TemplateFormatError(f"{fmt.name}: resolution {xres}x{yres} px/cm has a zero")
    if views == 0:
        raise TemplateFormatError(f"{fmt.name}: record holds no finger view")
    first: tuple[np.ndarray, int] | None = None
    for view_index in range(views):
        _need(data, offset, 4, f"finger view {view_index} header", fmt)
        position, _view_impression, quality, count = struct.unpack_from(">BBBB", data, offset)
        if position > 10:
            raise TemplateFormatError(
                f"{fmt.name}: view {view_index}: finger position {position} outside 0..10"
            )
        if quality > 100:
            raise TemplateFormatError(
                f"{fmt.name}: view {view_index}: finger quality {quality} outside 0..100"
            )
        offset += 4
        _need(data, offset, 6 * count, f"view {view_index}'s {count} minutiae", fmt)
        raw = np.frombuffer(data, dtype=">u2,>u2,u1,u1", count=count, offset=offset)
        minutiae = _minutiae(raw, width, height, fmt, view_index, offset)
        offset += 6 * count
        _need(data, offset, 2, f"view {view_index} extended data length", fmt)
        (extended,) = struct.unpack_from(">H", data, offset)
        offset += 2
        _need(data, offset, extended, f"view {view_index} extended data", fmt)
        offset += extended
        if first is None:
            first = (minutiae, quality)
    if offset != len(data):
        raise TemplateFormatError(
            f"{fmt.name}: {len(data) - offset} unexpected bytes after the last view at {offset}"
        )
    assert first is not None
    dpi = round(xres * _CM_PER_INCH)
    try:
        return Template(first[0], width=width, height=height, dpi=dpi, quality=first[1])
    except ValueError as error:
        raise TemplateFormatError(f"{fmt.name}: {error}") from None


def _minutiae(
    raw: np.ndarray, width: int, height: int, fmt: RecordFormat, view: int, offset: int
) -> np.ndarray:
    word_x, word_y, angle, quality = (raw[name] for name in raw.dtype.names or ())
    types = (word_x >> 14).astype(np.uint8)
    xs = word_x & 0x3FFF
    ys = word_y & 0x3FFF
    checks = (
        (types == 3, "minutia type code 3 is reserved"),
        (xs >= width, f"x outside the image width {width}"),
        (ys >= height, f"y outside the image height {height}"),
        (angle > fmt.max_angle_code, f"angle code above {fmt.max_angle_code}"),
        (quality > 100, "minutia quality above 100"),
    )
    for bad, message in checks:
        if np.any(bad):
            index = int(np.argmax(bad))
            raise TemplateFormatError(
                f"{fmt.name}: view {view}, minutia {index} (byte {offset + 6 * index}): {message}"
            )
    minutiae = np.zeros(len(raw), dtype=MINUTIA_DTYPE)
    minutiae["x"] = xs
    minutiae["y"] = ys
    minutiae["angle"] = angle * fmt.angle_unit_rad
    minutiae["type"] = types
    minutiae["quality"] = quality
    return minutiae
