"""Synthetic fingerprints: determinism, geometry, ridge period, singular points, rendering."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from edge_agent.sim.fingers import (
    impression_from_master,
    impression_image,
    master_finger,
    write_set,
)
from edge_agent.sim.fingers_impression import ImpressionParams, render_impression
from edge_agent.sim.fingers_master import CLASSES, orientation_field


def _ridge_period_px(image: np.ndarray) -> float:
    """Dominant ridge period of the centre 128 x 128 patch, from the spectrum's ring peak."""
    h, w = image.shape
    patch = image[h // 2 - 64 : h // 2 + 64, w // 2 - 64 : w // 2 + 64].astype(np.float64)
    patch = (patch - patch.mean()) * np.outer(np.hanning(128), np.hanning(128))
    power = np.abs(np.fft.fftshift(np.fft.fft2(patch))) ** 2
    fy, fx = np.meshgrid(
        np.fft.fftshift(np.fft.fftfreq(128)), np.fft.fftshift(np.fft.fftfreq(128)), indexing="ij"
    )
    radius = np.hypot(fx, fy)
    bins = np.round(radius * 128).astype(int)
    ring = np.bincount(bins.ravel(), power.ravel())[:64]
    ring[:4] = 0  # illumination, contact edge
    return 128 / float(np.argmax(ring))


def _poincare_index(orientation: np.ndarray, x: float, y: float, radius: float = 12.0) -> float:
    angles = np.linspace(0.0, 2 * np.pi, 97)
    xs = np.rint(x + radius * np.cos(angles)).astype(int)
    ys = np.rint(y + radius * np.sin(angles)).astype(int)
    doubled = 2.0 * orientation[ys, xs].astype(np.float64)
    return float(np.angle(np.exp(1j * np.diff(doubled))).sum() / (4 * np.pi))


def test_impression_is_deterministic_and_shaped() -> None:
    first = impression_image(3, 1, seed=5)
    again = impression_image(3, 1, seed=5)
    assert first.dtype == np.uint8
    assert first.shape == (288, 256)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, impression_image(3, 2, seed=5))
    assert not np.array_equal(first, impression_image(3, 1, seed=6))
    small = impression_image(3, 1, seed=5, width=192, height=192)
    assert small.shape == (192, 192)
    with pytest.raises(ValueError, match="finger_id"):
        impression_image(-1, 1)
    with pytest.raises(ValueError, match="impression"):
        impression_image(3, -2, seed=5)


def test_master_is_memoised_and_read_only() -> None:
    master = master_finger(3, seed=5)
    assert master_finger(3, seed=5) is master
    assert master_finger(4) is master_finger(4, seed=0)
    assert master.finger_class in CLASSES
    with pytest.raises(ValueError):
        master.ridges[0, 0] = 0.0
    fresh = impression_from_master(master, 2)
    assert np.array_equal(fresh, impression_image(3, 2, seed=5))


def test_different_fingers_have_different_ridges() -> None:
    a = master_finger(1, seed=5).ridges
    b = master_finger(2, seed=5).ridges
    correlation = np.corrcoef(a.ravel(), b.ravel())[0, 1]
    assert abs(correlation) < 0.2


@pytest.mark.parametrize("finger_class", ["left_loop", "right_loop", "whorl", "tented_arch"])
def test_singular_points_have_their_poincare_index(finger_class: str) -> None:
    orientation, cores, deltas = orientation_field(
        np.random.default_rng(11), finger_class, (448, 384), 9.5
    )
    assert cores and deltas
    if len(cores) == 2 and abs(cores[0] - cores[1]) < 24:  # a whorl's cores close together
        middle, gap = (cores[0] + cores[1]) / 2, abs(cores[0] - cores[1])
        index = _poincare_index(orientation, middle.real + 192, 224 - middle.imag, gap / 2 + 12)
        assert index == pytest.approx(1.0)
    else:
        for core in cores:
            index = _poincare_index(orientation, core.real + 192, 224 - core.imag)
            assert index == pytest.approx(0.5)
    for delta in deltas:
        assert _poincare_index(orientation, delta.real + 192, 224 - delta.imag) == pytest.approx(
            -0.5
        )
    assert _poincare_index(orientation, 192, 420) == pytest.approx(0.0, abs=1e-9)


def test_ridge_period_is_fingerlike_and_follows_dpi() -> None:
    # the median over four impressions: one dry impression's pores can move the ring's peak
    impressions = range(4)
    at_500 = float(
        np.median([_ridge_period_px(impression_image(4, i, seed=5)) for i in impressions])
    )
    at_1000 = float(
        np.median([_ridge_period_px(impression_image(4, i, seed=5, dpi=1000)) for i in impressions])
    )
    # 0.38 to 0.61 mm: a finger's mean period is 8-11.5 px, and it widens by up to 1.35x
    # where the flow spreads (fingers_master.flow_period_log); the ring's bins are 128 / k px
    assert 7.5 <= at_500 <= 12.0
    assert at_1000 / at_500 == pytest.approx(2.0, rel=0.15)


def _still(pressure: float, cut: float | None = None) -> ImpressionParams:
    return ImpressionParams(0.0, 0.0, 0.0, 0.0, pressure, 0.0, 0.0, cut, 0.3)


def test_ridges_render_dark_on_light_where_the_master_has_them() -> None:
    master = master_finger(4, seed=5)
    image = render_impression(
        master, _still(0.0), np.random.default_rng(0), width=256, height=288, dpi=500
    )
    h, w = master.shape
    centre = master.ridges[h // 2 - 144 : h // 2 + 144, w // 2 - 128 : w // 2 + 128]
    correlation = np.corrcoef(centre[72:216, 64:192].ravel(), image[72:216, 64:192].ravel())[0, 1]
    assert correlation < -0.8
    assert image[72:216, 64:192].mean() < 200 < np.percentile(image, 95)


def test_wet_is_darker_than_dry_and_a_cut_leaves_background() -> None:
    master = master_finger(4, seed=5)

    def render(params: ImpressionParams) -> np.ndarray:
        rng = np.random.default_rng(0)
        return render_impression(master, params, rng, width=256, height=288, dpi=500)

    dry, wet = render(_still(-0.8)), render(_still(0.8))
    assert wet.mean() + 15 < dry.mean()
    whole, cut = render(_still(0.0)), render(_still(0.0, cut=0.0))
    assert (cut > 190).mean() > (whole > 190).mean() + 0.12


def test_write_set_and_cli_write_fvc_names(tmp_path) -> None:
    from khidmat.cli import main

    assert (
        main(
            [
                "sim",
                "fingers",
                "--out",
                str(tmp_path / "cli"),
                "--fingers",
                "2",
                "--impressions",
                "2",
                "--seed",
                "5",
                "--width",
                "160",
                "--height",
                "176",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert names == ["1_1.png", "1_2.png", "2_1.png", "2_2.png"]
    with Image.open(tmp_path / "cli" / "2_1.png") as png:
        assert png.mode == "L" and png.size == (160, 176)
        assert np.array_equal(
            np.asarray(png), impression_image(2, 1, seed=5, width=160, height=176)
        )
    with pytest.raises(ValueError):
        write_set(tmp_path / "none", fingers=0, impressions=1)


def test_write_set_with_threads_writes_the_same_files(tmp_path) -> None:
    size = {"width": 96, "height": 112, "seed": 5}
    serial = write_set(tmp_path / "one", fingers=2, impressions=1, **size)
    threaded = write_set(tmp_path / "two", fingers=2, impressions=1, jobs=2, **size)
    assert [p.name for p in threaded] == ["1_1.png", "2_1.png"]
    for a, b in zip(serial, threaded, strict=True):
        with Image.open(a) as first, Image.open(b) as second:
            assert np.array_equal(np.asarray(first), np.asarray(second))


def test_the_period_grows_where_the_flow_spreads_and_stays_flat_where_it_does_not() -> None:
    from edge_agent.sim.fingers_master import FLOW_PERIOD_MAX_LOG, flow_period_log

    rows, cols = np.mgrid[0:448, 0:384].astype(np.float64)
    # ridges along lines through a point 300 px left of the canvas: they spread to the right
    fan = np.arctan2(rows - 224, cols + 300).astype(np.float32)
    log_period = flow_period_log(fan)
    assert log_period[:, -100:].mean() > log_period[:, :100].mean() + 0.3
    assert np.abs(log_period).max() <= FLOW_PERIOD_MAX_LOG + 1e-9
    assert np.abs(flow_period_log(np.zeros((448, 384), np.float32))).max() < 1e-9


def test_dislocations_cut_minutiae_of_both_senses_into_parallel_ridges() -> None:
    from edge_agent.sim.fingers_master import add_dislocations
    from matcher_cy import extract

    rows = np.mgrid[0:448, 0:384][0].astype(np.float64)
    ridges = np.cos(2 * np.pi * rows / 10).astype(np.float32)  # horizontal, 10 px apart
    flat = np.zeros((448, 384), np.float32)

    def minutiae(pattern: np.ndarray) -> np.ndarray:
        window = np.clip(128 - 100 * pattern, 0, 255).astype(np.uint8)[100:388, 64:320]
        return extract(window, dpi=500).minutiae

    assert len(minutiae(ridges)) == 0
    cut = add_dislocations(np.random.default_rng(3), ridges, flat, flat + 10, [])
    found = minutiae(cut)
    assert len(found) >= 6
    along = np.cos(found["angle"].astype(np.float64))  # ridges run along x
    assert np.all(np.abs(along) > 0.9)
    # each dislocation is a pair of opposite sense, so both senses appear about equally
    assert abs(int((along > 0).sum()) - int((along < 0).sum())) <= 2
