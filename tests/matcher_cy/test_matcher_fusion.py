"""Fusion of finger scores, the fused thresholds and the search of persons by two fingers."""

from __future__ import annotations

import math

import pytest

from matcher_cy import fuse, params
from matcher_cy.decision import red_threshold, yellow_threshold
from matcher_cy.fusion import fingers_compared


def test_fuse_sums_capped_scores_and_skips_missing_fingers() -> None:
    cap = params.FUSION_FINGER_CAP
    assert fuse([0.01, 0.005]) == pytest.approx(0.015)
    assert fuse([0.01, None]) == pytest.approx(0.01)
    assert fuse([0.9, 0.002]) == pytest.approx(cap + 0.002)
    assert fuse([None, None]) == 0.0
    assert fuse([]) == 0.0
    assert fingers_compared([0.3, None, 0.0]) == 2


@pytest.mark.parametrize("bad", [-0.01, 1.5, math.nan, math.inf])
def test_fuse_refuses_scores_outside_the_unit_interval(bad: float) -> None:
    with pytest.raises(ValueError):
        fuse([0.01, bad])


def test_one_finger_can_never_be_red_against_a_large_list() -> None:
    # a finger adds at most the cap, so red must need more than the cap
    for size in (1_000, 10_000, 300_000):
        assert red_threshold(size, 1) == math.inf
        assert red_threshold(size, 2) > params.FUSION_FINGER_CAP
    assert yellow_threshold(10_000, 1) == math.inf
    # the weaker finger must itself reach the one-finger FMR 1e-2 score at 10,000 persons
    weaker = red_threshold(10_000, 2) - params.FUSION_FINGER_CAP
    assert weaker >= params.FUSED_TAIL_1[0][1]
    # small lists can still be decided on one finger
    assert red_threshold(10, 1) < params.FUSION_FINGER_CAP


def test_fused_thresholds_rise_with_the_list_and_red_is_above_yellow() -> None:
    for fingers in (1, 2):
        reds = [red_threshold(n, fingers) for n in (0, 1, 10, 100, 1_000, 10_000, 300_000)]
        assert reds == sorted(reds)
        for size in (0, 1, 100, 10_000, 300_000):
            assert red_threshold(size, fingers) >= yellow_threshold(size, fingers)
    assert red_threshold(10_000, 2) < red_threshold(300_000, 2) < math.inf


def test_thresholds_read_the_table_at_the_safety_adjusted_fmr() -> None:
    # FPIR 1e-3 at 1 person with the safety factor: FMR 1e-3 / 3, 3.48 decades
    decades = -math.log10(1e-3 / params.FUSION_FMR_SAFETY)
    (d0, s0), (d1, s1) = params.FUSED_TAIL_2[2], params.FUSED_TAIL_2[3]
    assert d0 < decades < d1
    assert red_threshold(1, 2) == pytest.approx(s0 + (decades - d0) / (d1 - d0) * (s1 - s0))


@pytest.mark.parametrize("fingers", [0, 3, 10])
def test_unmeasured_finger_counts_are_refused(fingers: int) -> None:
    with pytest.raises(ValueError):
        red_threshold(100, fingers)
    with pytest.raises(ValueError):
        yellow_threshold(-1, 2)
