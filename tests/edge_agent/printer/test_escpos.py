"""The ESC/POS encoder: printable text only, and the same bytes as python-escpos, the
reference implementation, for the QR code and the raster image."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from edge_agent.printer import escpos
from edge_agent.printer.raster import image_rows


@pytest.mark.parametrize("text", ["a\x1b@", "\x1dV\x00", "x\x10\x04\x01", "tab\there", "é", "\x7f"])
def test_text_refuses_anything_but_printable_ascii(text: str) -> None:
    with pytest.raises(escpos.EncodeError):
        escpos.text_line(text)


def test_text_line_is_the_bytes_and_a_line_feed() -> None:
    assert escpos.text_line("QTA01-261130-120001-D") == b"QTA01-261130-120001-D\n"


def _reference():
    # a dev dependency (pyproject.toml): missing, the check fails rather than skips;
    # imported here only, since importing it configures logging and writes a temp file
    from escpos.printer import Dummy

    return Dummy()


def test_qr_bytes_equal_the_reference_encoders() -> None:
    reference = _reference()
    data = "https://track.khidmat.example/?n=QTA01-261130-120001-D"
    reference.qr(data, native=True, size=6, ec=0)  # ec 0 = level L in python-escpos
    theirs = reference.output
    ours = escpos.qr(data, module_px=6, level="L")
    assert ours in theirs  # theirs may add an alignment or a line feed around it


def test_raster_bytes_equal_the_reference_encoders() -> None:
    reference = _reference()
    image = Image.new("1", (576, 40), 1)
    ImageDraw.Draw(image).rectangle((10, 5, 300, 30), fill=0)
    reference.image(image, impl="bitImageRaster", center=False, fragment_height=256)
    ours = escpos.raster(image_rows(image), 576)
    assert ours in reference.output


def test_a_tall_image_goes_in_bands_the_printer_buffer_takes() -> None:
    rows = [b"\xff" * 72] * 600
    data = escpos.raster(rows, 576)
    assert data.count(b"\x1dv0\x00") == 3  # 256 + 256 + 88 rows
    assert len(data) == 3 * 8 + 600 * 72


def test_qr_data_must_be_printable_and_bounded() -> None:
    with pytest.raises(escpos.EncodeError):
        escpos.qr("a\x1bb")
    with pytest.raises(escpos.EncodeError):
        escpos.qr("x" * (escpos.QR_DATA_MAX + 1))
