"""The immutable minutiae Template and its compact, versioned byte form.

A Template holds minutiae in the pixel coordinates of the image it came from (origin top
left, y down), directions in radians counter-clockwise from the x axis as seen on the
image (the ISO/IEC 19794-2 convention), plus the image size and resolution. Templates
are immutable and safe to share between threads.

Compact form (``to_bytes``), all little-endian::

    magic b"KHMT" | version u8 (=1) | width u16 | height u16 | dpi u16 | quality u8 |
    count u16 | count x (x u16, y u16, angle u16 in 1/65536 turn, type u8, quality u8) |
    crc32 u32 of everything before it

8 bytes per minutia, 18 bytes overhead: at most 2,058 bytes.
"""

from __future__ import annotations

import math
import struct
import zlib
from enum import IntEnum
from typing import Any

import numpy as np

from matcher_cy import params

#: dtype of ``Template.minutiae``.
MINUTIA_DTYPE = np.dtype(
    [("x", "<u2"), ("y", "<u2"), ("angle", "<f8"), ("type", "u1"), ("quality", "u1")]
)

_MAGIC = b"KHMT"
_VERSION = 1
_HEADER = struct.Struct("<4sBHHHBH")
_RECORD_DTYPE = np.dtype(
    [("x", "<u2"), ("y", "<u2"), ("angle", "<u2"), ("type", "u1"), ("quality", "u1")]
)
_ANGLE_UNITS = 65536


class TemplateFormatError(ValueError):
    """A serialized template (compact, ISO or ANSI) is malformed; the message says where."""


class MinutiaType(IntEnum):
    """Minutia type codes (the ISO/ANSI two-bit codes)."""

    OTHER = 0
    ENDING = 1
    BIFURCATION = 2


def quantize_angle(angle: np.ndarray) -> np.ndarray:
    """Round radians to the 1/65536-turn grid of the compact form, in [0, 2 pi)."""
    units = np.round(np.asarray(angle, dtype=np.float64) * (_ANGLE_UNITS / (2 * math.pi)))
    return np.mod(units, _ANGLE_UNITS) * (2 * math.pi / _ANGLE_UNITS)


class Template:
    """Minutiae of one finger impression, plus image size and resolution; immutable.

    ``minutiae`` is a read-only structured array with fields x, y (pixels), angle
    (radians, [0, 2 pi), quantised to 1/65536 turn), type (MinutiaType) and quality (0..100).
    ``quality`` is the overall quality 0..100 used for "quality check with retry".
    """

    __slots__ = ("_minutiae", "width", "height", "dpi", "quality", "_cache")

    def __init__(
        self, minutiae: np.ndarray, *, width: int, height: int, dpi: int = 500, quality: int = 0
    ) -> None:
        if not (0 < width < 65536 and 0 < height < 65536):
            raise ValueError(f"image size {width}x{height} outside 1..65535")
        if not (params.MIN_DPI <= dpi <= params.MAX_DPI):
            raise ValueError(f"dpi {dpi} outside {params.MIN_DPI}..{params.MAX_DPI}")
        if not 0 <= quality <= 100:
            raise ValueError(f"quality {quality} outside 0..100")
        source = np.asarray(minutiae)
        if source.ndim != 1:
            raise ValueError("minutiae must be a one-dimensional structured array")
        if len(source) > params.MAX_TEMPLATE_MINUTIAE:
            raise ValueError(f"{len(source)} minutiae, at most {params.MAX_TEMPLATE_MINUTIAE}")
        array = np.zeros(len(source), dtype=MINUTIA_DTYPE)
        for name in MINUTIA_DTYPE.names or ():
            array[name] = source[name]
        if np.any(array["x"] >= width) or np.any(array["y"] >= height):
            raise ValueError("a minutia lies outside the image")
        if np.any(array["type"] > 2) or np.any(array["quality"] > 100):
            raise ValueError("minutia type must be 0..2 and quality 0..100")
        array["angle"] = quantize_angle(source["angle"])
        array.flags.writeable = False
        self._minutiae = array
        self.width = int(width)
        self.height = int(height)
        self.dpi = int(dpi)
        self.quality = int(quality)
        self._cache: dict[str, Any] = {}

    @property
    def minutiae(self) -> np.ndarray:
        """Read-only structured array (see MINUTIA_DTYPE)."""
        return self._minutiae

    def __len__(self) -> int:
        return len(self._minutiae)

    def __repr__(self) -> str:
        return (
            f"Template({len(self)} minutiae, {self.width}x{self.height} px, "
            f"{self.dpi} dpi, quality {self.quality})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return (self.width, self.height, self.dpi, self.quality) == (
            other.width,
            other.height,
            other.dpi,
            other.quality,
        ) and self._minutiae.tobytes() == other._minutiae.tobytes()

    def __hash__(self) -> int:
        return hash((self.width, self.height, self.dpi, self._minutiae.tobytes()))

    def cached(self, key: str, build: Any) -> Any:
        """Return ``build(self)`` computed once per template (search-optimised forms).

        Thread-safety: two threads may both build; both results are equal, one is kept.
        """
        value = self._cache.get(key)
        if value is None:
            value = build(self)
            self._cache[key] = value
        return value

    # --- compact form -----------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Compact versioned form (see module docstring); at most 2,058 bytes."""
        records = np.zeros(len(self), dtype=_RECORD_DTYPE)
        records["x"] = self._minutiae["x"]
        records["y"] = self._minutiae["y"]
        units = np.round(self._minutiae["angle"] * (_ANGLE_UNITS / (2 * math.pi)))
        records["angle"] = np.mod(units, _ANGLE_UNITS).astype(np.uint16)
        records["type"] = self._minutiae["type"]
        records["quality"] = self._minutiae["quality"]
        body = (
            _HEADER.pack(
                _MAGIC, _VERSION, self.width, self.height, self.dpi, self.quality, len(self)
            )
            + records.tobytes()
        )
        return body + struct.pack("<I", zlib.crc32(body))

    @classmethod
    def from_bytes(cls, data: bytes) -> Template:
        """Parse ``to_bytes`` output; raises TemplateFormatError saying what is wrong."""
        data = bytes(data)
        if len(data) < _HEADER.size + 4:
            raise TemplateFormatError(
                f"compact template: {len(data)} bytes, shorter than the "
                f"{_HEADER.size + 4}-byte header and checksum"
            )
        magic, version, width, height, dpi, quality, count = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise TemplateFormatError(f"compact template: bad magic {magic!r}, expected {_MAGIC!r}")
        if version != _VERSION:
            raise TemplateFormatError(f"compact template: unsupported version {version}")
        expected = _HEADER.size + count * _RECORD_DTYPE.itemsize + 4
        if len(data) != expected:
            raise TemplateFormatError(
                f"compact template: {len(data)} bytes, but {count} minutiae need {expected}"
            )
        (crc,) = struct.unpack_from("<I", data, len(data) - 4)
        if crc != zlib.crc32(data[:-4]):
            raise TemplateFormatError("compact template: checksum mismatch (corrupted)")
        records = np.frombuffer(data, dtype=_RECORD_DTYPE, count=count, offset=_HEADER.size)
        minutiae = np.zeros(count, dtype=MINUTIA_DTYPE)
        for name in ("x", "y", "type", "quality"):
            minutiae[name] = records[name]
        minutiae["angle"] = records["angle"] * (2 * math.pi / _ANGLE_UNITS)
        try:
            return cls(minutiae, width=width, height=height, dpi=dpi, quality=quality)
        except ValueError as error:
            raise TemplateFormatError(f"compact template: {error}") from None

    # --- standard formats ---------------------------------------------------------------
    def to_iso(self) -> bytes:
        """ISO/IEC 19794-2:2005 finger minutiae record (one finger view)."""
        from matcher_cy import formats

        return formats.encode(self, formats.ISO)

    @classmethod
    def from_iso(cls, data: bytes) -> Template:
        """Parse an ISO/IEC 19794-2:2005 record (first finger view); TemplateFormatError if bad."""
        from matcher_cy import formats

        return formats.decode(data, formats.ISO)

    def to_ansi(self) -> bytes:
        """ANSI INCITS 378-2004 finger minutiae record (one finger view)."""
        from matcher_cy import formats

        return formats.encode(self, formats.ANSI)

    @classmethod
    def from_ansi(cls, data: bytes) -> Template:
        """Parse an ANSI INCITS 378-2004 record (first finger view); TemplateFormatError if bad."""
        from matcher_cy import formats

        return formats.decode(data, formats.ANSI)
