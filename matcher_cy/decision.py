"""1:N decisions: score thresholds that hold a false-positive identification rate.

A search compares a probe with every template of a gallery, so an innocent person gets a
false candidate with probability about ``N x FMR`` (the false-positive identification
rate, FPIR). The 1:1 thresholds of :mod:`matcher_cy.params` (FMR 1e-2, 1e-3, 1e-4) are
therefore far too low for a watchlist of thousands: at FMR 1e-3, a 10,000-template list
would flag nearly everyone. :func:`threshold_for_fpir` gives the score that keeps the
FPIR at the target for a gallery of ``N`` templates: the 1:1 threshold at FMR = FPIR / N.

Between the measured points the FMR is interpolated log-linearly in the score; beyond
FMR 1e-4 (not measurable on FVC2002's 11,520 impostor pairs) it is extrapolated with the
steepest measured segment, i.e. the tail is assumed to fall no faster than it did between
1e-3 and 1e-4 (so the threshold is, if anything, too strict). Pure; thread-safe; O(1).

Persons searched by several fingers (``matcher_cy.persons``) are decided on the fused
score (``matcher_cy.fuse``) with :func:`red_threshold` and :func:`yellow_threshold`,
which depend on the gallery size in persons and on the number of fingers compared. They
read the person-level impostor tail of ``params.FUSED_TAIL_1`` / ``FUSED_TAIL_2`` (how it
was measured and modelled: params and docs/matcher.md) at FMR = FPIR / (N x
``params.FUSION_FMR_SAFETY``), interpolated linearly in decades. Where the table ends the
threshold is ``math.inf``: the fingers compared cannot reach that verdict against a list
that large. With one finger (each finger's contribution is capped) that happens from
about 300 persons for red and 3,000 for yellow, so a red against a large list always
rests on two fingers.
"""

from __future__ import annotations

import math

from matcher_cy import params

RED_FPIR = 1e-3
"""Probable match: about one innocent person in a thousand would be flagged red."""
YELLOW_FPIR = 1e-2
"""Possible match (the officer decides): about one innocent person in a hundred."""


def _points() -> list[tuple[float, float]]:
    """(decades, score): FMR = 10**-decades was measured at that score; most frequent first."""
    return [
        (2.0, params.THRESHOLD_FMR_1E2),
        (3.0, params.THRESHOLD_FMR_1E3),
        (4.0, params.THRESHOLD_FMR_1E4),
    ]


def threshold_for_fmr(fmr: float) -> float:
    """The 1:1 score at which the false-match rate is ``fmr`` (0 < fmr < 1)."""
    if not 0.0 < fmr < 1.0:
        raise ValueError(f"fmr must be in (0, 1), got {fmr}")
    decades = -math.log10(fmr)  # 2 for 1e-2, 3 for 1e-3, ...
    points = _points()
    steps = [
        (later - earlier) / (d1 - d0)
        for (d0, earlier), (d1, later) in zip(points, points[1:], strict=False)
    ]
    if decades <= points[0][0]:  # more frequent than the first point: the first segment's slope
        return points[0][1] + (decades - points[0][0]) * steps[0]
    for (d0, score0), (d1, _), step in zip(points, points[1:], steps, strict=False):
        if decades <= d1:
            return score0 + (decades - d0) * step
    last_decades, last_score = points[-1]  # rarer than measured: the steepest measured step
    return last_score + (decades - last_decades) * max(steps)


def threshold_for_fpir(fpir: float, gallery_size: int) -> float:
    """The score that keeps the FPIR at ``fpir`` when searching ``gallery_size`` templates."""
    if gallery_size < 0:
        raise ValueError("gallery_size must be >= 0")
    return threshold_for_fmr(fpir / max(1, gallery_size))


def verdict_thresholds(gallery_size: int) -> tuple[float, float]:
    """(red, yellow) score thresholds for a gallery of ``gallery_size`` templates."""
    return threshold_for_fpir(RED_FPIR, gallery_size), threshold_for_fpir(YELLOW_FPIR, gallery_size)


def _fused_threshold(fpir: float, gallery_size: int, fingers: int) -> float:
    """The fused score holding ``fpir`` for ``gallery_size`` persons (module docstring)."""
    if gallery_size < 0:
        raise ValueError("gallery_size must be >= 0")
    tables = {1: params.FUSED_TAIL_1, 2: params.FUSED_TAIL_2}
    if fingers not in tables:
        raise ValueError(f"thresholds are measured for 1 or 2 fingers, not {fingers!r}")
    table = tables[fingers]
    fmr = fpir / (max(1, gallery_size) * params.FUSION_FMR_SAFETY)
    decades = -math.log10(fmr)
    if decades <= table[0][0]:
        return table[0][1]
    for (d0, score0), (d1, score1) in zip(table, table[1:], strict=False):
        if decades <= d1:
            return score0 + (decades - d0) / (d1 - d0) * (score1 - score0)
    return math.inf


def red_threshold(gallery_size: int, fingers: int) -> float:
    """Fused score for red (probable match, FPIR ``RED_FPIR``) against ``gallery_size``
    persons searched with ``fingers`` (1 or 2) fingers; ``math.inf`` when unreachable."""
    return _fused_threshold(RED_FPIR, gallery_size, fingers)


def yellow_threshold(gallery_size: int, fingers: int) -> float:
    """Fused score for yellow (possible match, FPIR ``YELLOW_FPIR``); as red_threshold."""
    return _fused_threshold(YELLOW_FPIR, gallery_size, fingers)
