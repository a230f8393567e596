"""Score fusion: one person score from the scores of several fingers.

Rule (docs/matcher.md, "Two fingers"): the fused score is the sum over the fingers that
were compared of each finger's ``match_score`` capped at ``params.FUSION_FINGER_CAP``;
a finger that was not compared (missing or injured at capture, or not enrolled) is
``None`` and adds nothing. The decision thresholds (:mod:`matcher_cy.decision`) are
per number of fingers compared, so a missing finger is never counted as a finger that
failed to match, and one finger's score is never read as two fingers' evidence.

Why a capped sum: impostor scores of two different fingers of one person against two of
another are close to independent, so the impostor tail of the sum falls roughly as the
product of the two fingers' tails (two fingers at FMR 1e-4 each give about 1e-8), while
a genuine pair has two scores well above the impostor range. The cap bounds what one
finger alone can contribute: with it, the fused thresholds for large lists lie above
the cap, so a red needs both fingers (a sum without a cap lets one strong finger of a
genuine mate, or one freak impostor score, decide alone). The sum needs no calibration
across sensors beyond the one score scale the 1:1 thresholds already assume.

Pure Python on at most a few floats: no compiled twin, so no parity rule applies (the
per-finger scores themselves come from either implementation of ``match_score``, which
agree to 1e-9). Thread-safe.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from matcher_cy import params

#: ISO/IEC 19794-2 finger position codes used at enrolment and at the gate.
UNKNOWN_FINGER = 0
RIGHT_INDEX = 2
LEFT_INDEX = 7
#: The fingers every person is enrolled on and the gate asks for, in that order.
GATE_FINGERS = (RIGHT_INDEX, LEFT_INDEX)


def fingers_compared(scores: Iterable[float | None]) -> int:
    """How many of ``scores`` are present (not ``None``)."""
    return sum(score is not None for score in scores)


def fuse(scores: Iterable[float | None]) -> float:
    """The fused person score: the sum of the present scores, each capped at
    ``params.FUSION_FINGER_CAP``; 0.0 when none is present.

    ValueError for a score that is not a finite number in [0, 1].
    """
    total = 0.0
    for score in scores:
        if score is None:
            continue
        value = float(score)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"finger scores must be in [0, 1], got {score!r}")
        total += min(value, params.FUSION_FINGER_CAP)
    return total
