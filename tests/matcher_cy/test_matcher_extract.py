"""Extraction on synthetic prints: input validation, plausible minutiae, quality."""

from __future__ import annotations

import numpy as np
import pytest

from matcher_cy import MinutiaType, extract


@pytest.mark.parametrize(
    ("image", "dpi", "message"),
    [
        (np.zeros((100, 100), np.float32), 500, "uint8"),
        (np.zeros((100, 100, 3), np.uint8), 500, "2-D"),
        (np.zeros((40, 100), np.uint8), 500, "sides"),
        (np.zeros((100, 100), np.uint8), 100, "dpi"),
        ([[0] * 100] * 100, 500, "numpy array"),
    ],
)
def test_rejects_bad_input(image, dpi: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        extract(image, dpi=dpi)


def test_blank_image_gives_empty_template_of_quality_zero() -> None:
    template = extract(np.full((288, 256), 200, np.uint8))
    assert len(template) == 0 and template.quality == 0
    assert (template.width, template.height, template.dpi) == (256, 288, 500)


def test_synthetic_print_gives_plausible_minutiae(synthetic_templates) -> None:
    template = synthetic_templates[(1, 0)]
    assert (template.width, template.height) == (256, 288)
    assert 15 <= len(template) <= 120
    types = set(template.minutiae["type"].tolist())
    assert types <= {MinutiaType.ENDING, MinutiaType.BIFURCATION} and len(types) == 2
    assert template.quality >= 40
    assert np.all(template.minutiae["quality"] >= 1)


def test_four_bit_sensor_image_still_extracts() -> None:
    from edge_agent.sim.fingers import impression_image

    image = impression_image(1, 0)
    four_bit = (image >> 4) * 17  # R307 4-bit pixels expanded to 8 bits
    template = extract(four_bit.astype(np.uint8))
    assert len(template) >= 15


def test_resolution_is_kept_and_geometry_scaled() -> None:
    from edge_agent.sim.fingers import impression_image

    image = impression_image(2, 0, dpi=569, width=296, height=328)
    template = extract(image, dpi=569)
    assert template.dpi == 569
    assert template.minutiae["x"].max() < 296 and template.minutiae["y"].max() < 328
    assert len(template) >= 15
