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


@pytest.mark.parametrize(
    ("sigma", "order", "truncate"), [(1.0, 0, 4.0), (1.0, 1, 4.0), (9.0, 0, 2.5), (2.3, 1, 3.0)]
)
def test_gaussian_kernel_is_scipys(sigma: float, order: int, truncate: float) -> None:
    from scipy import ndimage

    from matcher_cy.extraction import gaussian_kernel

    line = np.random.default_rng(7).normal(size=80)
    expected = ndimage.gaussian_filter1d(line, sigma, order=order, truncate=truncate)
    assert np.array_equal(
        ndimage.correlate1d(line, gaussian_kernel(sigma, order, truncate)), expected
    )


@pytest.mark.parametrize("shape", [(64, 64), (97, 130), (300, 71)])
@pytest.mark.parametrize("implementation", ["reference", "cython"])
def test_correlate_separable_equals_gaussian_filter(shape, implementation: str) -> None:
    from scipy import ndimage

    from matcher_cy import extraction
    from matcher_cy.extraction import gaussian_kernel

    if implementation == "cython":
        _extract = pytest.importorskip("matcher_cy._extract")
        correlate = _extract.correlate_separable
    else:
        correlate = extraction.correlate_separable
    image = np.random.default_rng(shape[0]).uniform(0, 255, shape).astype(np.float32)
    smooth, derivative = gaussian_kernel(1.0, 0, 4.0), gaussian_kernel(1.0, 1, 4.0)
    window = gaussian_kernel(9.0, 0, 2.5)
    cases = [
        (correlate(image, smooth, derivative), ndimage.gaussian_filter(image, 1.0, order=(0, 1))),
        (correlate(image, derivative, smooth), ndimage.gaussian_filter(image, 1.0, order=(1, 0))),
        (correlate(image, window, window), ndimage.gaussian_filter(image, 9.0, truncate=2.5)),
    ]
    for got, expected in cases:
        assert got.dtype == np.float32
        # bit for bit on x86-64; a compiler fusing multiply-adds (AArch64) may round apart
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-4)


def test_orientation_field_same_with_either_correlate() -> None:
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extraction

    _extract = pytest.importorskip("matcher_cy._extract")
    image = impression_image(3, 1).astype(np.float32)
    a = extraction.orientation_field(image)
    b = extraction.orientation_field(image, _extract.correlate_separable)
    wrapped = np.abs(np.angle(np.exp(2j * (a.angle.astype(np.float64) - b.angle)))) / 2
    assert wrapped.max() < 1e-4 and np.abs(a.coherence - b.coherence).max() < 1e-5


def test_border_distance_equals_distance_transform() -> None:
    from scipy import ndimage

    from matcher_cy.extraction import border_distance

    rng = np.random.default_rng(3)
    mask = ndimage.binary_opening(rng.uniform(size=(90, 120)) < 0.8, iterations=2)
    ys, xs = np.nonzero(mask)
    expected = ndimage.distance_transform_edt(mask)[ys, xs]
    assert np.array_equal(border_distance(mask, ys, xs), expected)
    full = np.ones((70, 70), bool)
    ys, xs = np.nonzero(full)
    assert np.array_equal(
        border_distance(full, ys, xs), ndimage.distance_transform_edt(full)[ys, xs]
    )
