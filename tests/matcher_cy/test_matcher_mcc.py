"""The consolidation stages of matcher_cy.mcc: one-to-one pairs, alignment, overlap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from matcher_cy import mcc, params


def rigid_copy(
    x: np.ndarray, y: np.ndarray, theta: np.ndarray, angle: float, shift: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, theta) rotated by ``angle`` about the origin (image axes) and shifted."""
    c, s = math.cos(angle), math.sin(angle)
    return (
        c * x - s * y + shift[0],
        s * x + c * y + shift[1],
        np.mod(theta + angle, 2 * math.pi),
    )


def scattered(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` minutiae at least 12 px apart in a 300 x 300 px square."""
    rng = np.random.default_rng(seed)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        p = rng.uniform(0, 300, 2)
        if all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= 144 for q in points):
            points.append((float(p[0]), float(p[1])))
    x, y = np.array(points).T
    return x, y, rng.uniform(0, 2 * math.pi, count)


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 80), st.integers(0, 2**32 - 1))
def test_hull_edges_bound_exactly_the_convex_hull(count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 400, count), rng.uniform(0, 400, count)
    edges = mcc.hull_edges(x, y)
    hull = ConvexHull(np.column_stack([x, y]))
    assert len(edges) == len(hull.vertices)
    assert np.allclose(np.hypot(edges[:, 0], edges[:, 1]), 1.0)
    side = edges[:, 0][None, :] * x[:, None] + edges[:, 1][None, :] * y[:, None] + edges[:, 2]
    assert np.all(side >= -1e-9)  # every point inside or on the hull
    on_hull = np.isclose(side, 0.0, atol=1e-9).any(axis=1)
    assert set(hull.vertices) <= set(np.flatnonzero(on_hull))
    # just beyond the margin, outward from each edge's middle: outside (a far point need
    # not be: at a sharp vertex the margin's edges meet far out)
    ends = np.roll(hull.vertices, -1)
    mid_x = (x[hull.vertices] + x[ends]) / 2
    mid_y = (y[hull.vertices] + y[ends]) / 2
    beyond = params.MCC_OVERLAP_MARGIN_PX + 0.5
    for edge in edges:
        on_edge = np.isclose(edge[0] * mid_x + edge[1] * mid_y + edge[2], 0.0, atol=1e-6)
        k = int(np.flatnonzero(on_edge)[0])
        out_x, out_y = mid_x[k] - beyond * edge[0], mid_y[k] - beyond * edge[1]
        assert mcc.inside_count(edges, np.array([out_x]), np.array([out_y])) == 0
        assert mcc.inside_count(edges, np.array([mid_x[k]]), np.array([mid_y[k]])) == 1


def test_hull_edges_of_collinear_or_few_points_are_empty() -> None:
    assert mcc.hull_edges(np.array([1.0, 2.0]), np.array([1.0, 5.0])).shape == (0, 3)
    line = np.arange(5, dtype=np.float64)
    assert mcc.hull_edges(line, 2 * line).shape == (0, 3)
    assert mcc.inside_count(np.zeros((0, 3)), line, line) == 0


def test_select_pairs_takes_each_minutia_once_best_first() -> None:
    sims = np.array(
        [
            [0.9, 0.8, 0.0],
            [0.85, 0.1, 0.3],
            [0.0, 0.7, 0.2],
        ]
    )
    chosen = mcc.select_pairs(sims, limit=3)
    assert [divmod(int(c), 3) for c in chosen] == [(0, 0), (2, 1), (1, 2)]
    assert len(mcc.select_pairs(sims, limit=1)) == 1
    assert len(mcc.select_pairs(np.zeros((3, 3)), limit=3)) == 0


@pytest.mark.parametrize("angle", [0.0, 0.4, -0.9])
def test_a_rigid_copy_aligns_every_minutia(angle: float) -> None:
    x, y, theta = scattered(30, seed=7)
    a = mcc.build_cylinders(x, y, theta)
    b = mcc.build_cylinders(*rigid_copy(x, y, theta, angle, (25.0, -10.0)))
    assert mcc.matched_count(a, b, 4, 4) == 30
    assert mcc.overlap_counts(a, b, 4, 4) == (30, 30)
    ia = ib = np.arange(30)
    assert mcc.global_consistency(a, b, ia, ib, np.ones(30)) == pytest.approx(30 / 35)


def test_a_wrong_alignment_pairs_few_minutiae() -> None:
    x, y, theta = scattered(30, seed=8)
    a = mcc.build_cylinders(x, y, theta)
    b = mcc.build_cylinders(*rigid_copy(x, y, theta, 0.3, (0.0, 0.0)))
    assert mcc.matched_count(a, b, 0, 5) < 8


def test_overlap_counts_only_the_shared_area() -> None:
    x, y, theta = scattered(40, seed=9)
    left = x < 150
    a = mcc.build_cylinders(x, y, theta)
    b = mcc.build_cylinders(x[left], y[left], theta[left])
    i = int(np.flatnonzero(left)[0])
    inside_a, inside_b = mcc.overlap_counts(a, b, i, 0)
    margin = params.MCC_OVERLAP_MARGIN_PX
    assert inside_b == left.sum()
    assert left.sum() <= inside_a <= (x < 150 + margin + 12).sum()
    assert inside_a < 40


def test_partial_overlap_mate_outscores_unrelated_print() -> None:
    x, y, theta = scattered(45, seed=10)
    part = (x > 60) & (y > 40)
    a = mcc.build_cylinders(x, y, theta)
    mate = mcc.build_cylinders(*rigid_copy(x[part], y[part], theta[part], 0.2, (-30.0, 12.0)))
    stranger = mcc.build_cylinders(*scattered(int(part.sum()), seed=11))
    assert mcc.score(a, mate) > 5 * max(mcc.score(a, stranger), 1e-3)
