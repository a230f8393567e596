"""1:1 scores on synthetic prints, for both implementations."""

from __future__ import annotations

import numpy as np

import matcher_cy
from matcher_cy import Matcher, Template, match_score, params
from matcher_cy.template import MINUTIA_DTYPE


def test_genuine_pairs_outscore_impostor_pairs(synthetic_templates, backend) -> None:
    genuine, impostor = [], []
    keys = sorted(synthetic_templates)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            s = match_score(synthetic_templates[a], synthetic_templates[b], backend=backend)
            (genuine if a[0] == b[0] else impostor).append(s)
    assert min(genuine) > max(impostor)
    assert min(genuine) > params.THRESHOLD_FMR_1E4
    assert max(impostor) < params.THRESHOLD_FMR_1E4


def test_self_match_is_high_and_score_bounded(synthetic_templates, backend) -> None:
    template = synthetic_templates[(1, 0)]
    assert 0.5 < match_score(template, template, backend=backend) <= 1.0


def test_matcher_equals_match_score(synthetic_templates, backend) -> None:
    probe = synthetic_templates[(2, 0)]
    matcher = Matcher(probe, backend=backend)
    assert matcher.implementation == backend.name
    for candidate in synthetic_templates.values():
        assert matcher.match(candidate) == match_score(probe, candidate, backend=backend)


def test_empty_and_tiny_templates_score_zero(synthetic_templates, backend) -> None:
    empty = Template(np.zeros(0, MINUTIA_DTYPE), width=100, height=100)
    one = Template(np.zeros(1, MINUTIA_DTYPE), width=100, height=100)
    some = synthetic_templates[(1, 0)]
    assert match_score(empty, some, backend=backend) == 0.0
    assert match_score(one, some, backend=backend) == 0.0
    assert match_score(empty, empty, backend=backend) == 0.0


def test_rotation_and_translation_do_not_change_genuine_verdict(
    synthetic_templates, backend
) -> None:
    template = synthetic_templates[(3, 0)]
    m = template.minutiae
    angle = 0.4
    cx, cy = 128.0, 144.0
    x = m["x"] - cx
    y = m["y"] - cy
    # rotate points by +angle on screen (counter-clockwise as seen, y down)
    rx = np.cos(angle) * x + np.sin(angle) * y + cx + 20
    ry = -np.sin(angle) * x + np.cos(angle) * y + cy + 15
    inside = (rx >= 0) & (rx < 320) & (ry >= 0) & (ry < 320)
    moved = np.zeros(int(inside.sum()), MINUTIA_DTYPE)
    moved["x"] = np.round(rx[inside])
    moved["y"] = np.round(ry[inside])
    moved["angle"] = m["angle"][inside] + angle
    moved["type"] = m["type"][inside]
    rotated = Template(moved, width=320, height=320)
    assert match_score(template, rotated, backend=backend) > params.THRESHOLD_FMR_1E4


def test_implementation_name_is_known() -> None:
    assert matcher_cy.implementation in ("cython", "reference")
