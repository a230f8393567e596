"""ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 import, export and rejection."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from matcher_cy import Template, TemplateFormatError
from matcher_cy.template import MINUTIA_DTYPE


def sample(dpi: int = 500) -> Template:
    minutiae = np.zeros(3, dtype=MINUTIA_DTYPE)
    minutiae["x"] = [10, 200, 299]
    minutiae["y"] = [0, 150, 399]
    minutiae["angle"] = [0.0, math.pi / 2, 2 * math.pi * 255 / 256]
    minutiae["type"] = [1, 2, 0]
    minutiae["quality"] = [0, 50, 100]
    return Template(minutiae, width=300, height=400, dpi=dpi, quality=66)


def test_iso_layout_matches_the_standard() -> None:
    data = sample().to_iso()
    assert data[:8] == b"FMR\x00 20\x00"
    assert struct.unpack_from(">I", data, 8)[0] == len(data) == 24 + 4 + 3 * 6 + 2
    width, height, xres, yres, views = struct.unpack_from(">HHHHB", data, 14)
    assert (width, height, xres, yres, views) == (300, 400, 197, 197, 1)
    # second minutia: bifurcation (type 2) at x=200, y=150, angle 64/256 turn, quality 50
    first = 28 + 6
    assert struct.unpack_from(">HHBB", data, first) == ((2 << 14) | 200, 150, 64, 50)


def test_iso_round_trip_is_exact() -> None:
    template = sample()
    assert Template.from_iso(template.to_iso()) == template


def test_ansi_round_trip_keeps_two_degree_angles() -> None:
    template = sample(dpi=569)
    data = template.to_ansi()
    assert struct.unpack_from(">H", data, 8)[0] == len(data) == 26 + 4 + 18 + 2
    again = Template.from_ansi(data)
    assert again.dpi == 569
    assert np.array_equal(again.minutiae["x"], template.minutiae["x"])
    wrapped = np.abs(np.angle(np.exp(1j * (again.minutiae["angle"] - template.minutiae["angle"]))))
    assert np.all(wrapped <= math.radians(1.0) + 1e-9)


def test_ansi_long_length_form_is_read() -> None:
    data = sample().to_ansi()
    long_form = data[:8] + b"\x00\x00" + struct.pack(">I", len(data) + 4) + data[10:]
    assert (
        Template.from_ansi(long_form).minutiae.tobytes()
        == Template.from_ansi(data).minutiae.tobytes()
    )


def _patch(data: bytes, offset: int, fmt: str, *values: int) -> bytes:
    patched = bytearray(data)
    struct.pack_into(fmt, patched, offset, *values)
    return bytes(patched)


ISO_CASES = [
    (lambda d: d[:6], "truncated at byte 0"),
    (lambda d: b"FMX\x00" + d[4:], "bad magic"),
    (lambda d: d[:4] + b" 30\x00" + d[8:], "unsupported version"),
    (lambda d: _patch(d, 8, ">I", len(d) + 1), "length field says"),
    (lambda d: _patch(d, 14, ">H", 0), "zero side"),
    (lambda d: _patch(d, 18, ">H", 0), "resolution"),
    (lambda d: _patch(d, 22, ">B", 0), "no finger view"),
    (lambda d: _patch(d, 24, ">B", 11), "finger position 11"),
    (lambda d: _patch(d, 26, ">B", 101), "finger quality 101"),
    (lambda d: _patch(d, 28, ">H", (3 << 14) | 10), "minutia 0 .*type code 3"),
    (lambda d: _patch(d, 34, ">H", (1 << 14) | 300), "minutia 1 .*x outside"),
    (lambda d: _patch(d, 36, ">H", 400), "minutia 1 .*y outside"),
    (lambda d: _patch(d, 39, ">B", 101), "minutia 1 .*quality above 100"),
    (lambda d: _patch(_patch(d, 27, ">B", 9), 8, ">I", len(d)), "truncated at byte 28"),
    (lambda d: _patch(d + b"\x00", 8, ">I", len(d) + 1), "unexpected bytes"),
    (lambda d: _patch(d, 46, ">H", 5), "extended data"),
]


@pytest.mark.parametrize(("mutate", "message"), ISO_CASES)
def test_iso_rejects_malformed(mutate, message: str) -> None:
    with pytest.raises(TemplateFormatError, match=message):
        Template.from_iso(mutate(sample().to_iso()))


def test_ansi_rejects_angle_code_above_179() -> None:
    data = sample().to_ansi()
    with pytest.raises(TemplateFormatError, match="angle code above 179"):
        Template.from_ansi(_patch(data, 30 + 4, ">B", 180))


def test_ansi_rejects_iso_record() -> None:
    with pytest.raises(TemplateFormatError, match="ANSI"):
        Template.from_ansi(sample().to_iso())
