"""1:N thresholds grow with the gallery so that the false-positive identification rate holds."""

from __future__ import annotations

import pytest

from matcher_cy import params
from matcher_cy.decision import threshold_for_fmr, threshold_for_fpir, verdict_thresholds


def test_measured_points_are_returned_exactly() -> None:
    assert threshold_for_fmr(1e-2) == pytest.approx(params.THRESHOLD_FMR_1E2)
    assert threshold_for_fmr(1e-3) == pytest.approx(params.THRESHOLD_FMR_1E3)
    assert threshold_for_fmr(1e-4) == pytest.approx(params.THRESHOLD_FMR_1E4)


def test_thresholds_rise_monotonically_as_the_fmr_falls() -> None:
    fmrs = [0.5, 1e-1, 1e-2, 3e-3, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8]
    scores = [threshold_for_fmr(f) for f in fmrs]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores)


def test_a_bigger_gallery_needs_a_higher_score() -> None:
    one, thousand, ten_thousand = (threshold_for_fpir(1e-3, n) for n in (1, 1000, 10_000))
    assert one == pytest.approx(params.THRESHOLD_FMR_1E3)
    assert one < thousand < ten_thousand
    assert threshold_for_fpir(1e-2, 100) == pytest.approx(params.THRESHOLD_FMR_1E4)


def test_red_is_stricter_than_yellow_and_the_empty_gallery_is_safe() -> None:
    for size in (0, 1, 50, 10_000, 300_000):
        red, yellow = verdict_thresholds(size)
        assert red > yellow


@pytest.mark.parametrize("fmr", [0.0, 1.0, -1e-3, 2.0])
def test_impossible_rates_are_refused(fmr: float) -> None:
    with pytest.raises(ValueError):
        threshold_for_fmr(fmr)
