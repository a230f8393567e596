"""Template construction and the compact byte form."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest

from matcher_cy import Template, TemplateFormatError
from matcher_cy.template import MINUTIA_DTYPE


def make_template(count: int = 5, *, dpi: int = 500) -> Template:
    minutiae = np.zeros(count, dtype=MINUTIA_DTYPE)
    minutiae["x"] = (np.arange(count) * 10 + 3) % 290
    minutiae["y"] = (np.arange(count) * 7 + 1) % 390
    minutiae["angle"] = np.linspace(0, 6, count)
    minutiae["type"] = [1, 2] * (count // 2) + [1] * (count % 2)
    minutiae["quality"] = 60
    return Template(minutiae, width=300, height=400, dpi=dpi, quality=77)


def test_compact_round_trip_is_exact_and_small() -> None:
    template = make_template(120)
    data = template.to_bytes()
    assert len(data) == 18 + 8 * 120
    assert len(data) < 12 * 1024
    again = Template.from_bytes(data)
    assert again == template
    assert again.quality == 77 and again.dpi == 500 and (again.width, again.height) == (300, 400)


def test_minutiae_are_read_only() -> None:
    template = make_template()
    with pytest.raises(ValueError):
        template.minutiae["x"][0] = 1


def test_angles_are_quantised_and_wrapped() -> None:
    minutiae = np.zeros(1, dtype=MINUTIA_DTYPE)
    minutiae["angle"] = -math.pi / 2
    template = Template(minutiae, width=10, height=10)
    assert template.minutiae["angle"][0] == pytest.approx(3 * math.pi / 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0, "height": 10}, "image size"),
        ({"width": 10, "height": 10, "dpi": 100}, "dpi"),
        ({"width": 10, "height": 10, "quality": 101}, "quality"),
        ({"width": 3, "height": 10}, "outside the image"),
    ],
)
def test_constructor_rejects_bad_values(kwargs: dict, message: str) -> None:
    minutiae = np.zeros(1, dtype=MINUTIA_DTYPE)
    minutiae["x"] = 5
    with pytest.raises(ValueError, match=message):
        Template(minutiae, **kwargs)


def _rechecksum(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:10], "shorter than"),
        (lambda b: b"XXXX" + b[4:], "bad magic"),
        (lambda b: _rechecksum(b[:4] + b"\x09" + b[5:-4]), "unsupported version"),
        (lambda b: b[:-5] + b[-4:], "need"),
        (lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], "checksum"),
        (lambda b: _rechecksum(b[:5] + struct.pack("<H", 5) + b[7:-4]), "outside the image"),
    ],
)
def test_from_bytes_rejects_malformed(mutate, message: str) -> None:
    data = make_template().to_bytes()
    with pytest.raises(TemplateFormatError, match=message):
        Template.from_bytes(mutate(data))
