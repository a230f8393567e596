"""Searching persons by two fingers: every finger searched, candidates fused."""

from __future__ import annotations

import pytest

from matcher_cy import Gallery, fuse, match_score
from matcher_cy.distractors import distractor_template
from matcher_cy.persons import (
    LEFT_INDEX,
    RIGHT_INDEX,
    UNKNOWN_FINGER,
    PersonCandidate,
    rank_key,
    search_persons,
    search_probes,
)


@pytest.fixture(scope="module")
def galleries(synthetic_templates: dict) -> dict[int, Gallery]:
    """Person p has synthetic finger p as right index and distractor p as left index."""
    right, left = Gallery(), Gallery()
    for finger in (1, 2, 3):
        right.add(f"person-{finger}", synthetic_templates[finger, 0])
        left.add(f"person-{finger}", distractor_template(finger, seed=5))
    for index in range(20):
        right.add(f"stranger-{index}", distractor_template(100 + index, seed=6))
        left.add(f"stranger-{index}", distractor_template(200 + index, seed=6))
    return {RIGHT_INDEX: right, LEFT_INDEX: left}


def test_both_fingers_are_scored_and_fused(galleries: dict, synthetic_templates: dict) -> None:
    probes = {RIGHT_INDEX: synthetic_templates[2, 1], LEFT_INDEX: distractor_template(2, seed=5)}
    best = search_persons(galleries, probes, k=3)
    assert best[0].person == "person-2" and best[0].fingers == 2
    scores = dict(best[0].finger_scores)
    assert scores[RIGHT_INDEX] == pytest.approx(
        match_score(synthetic_templates[2, 1], synthetic_templates[2, 0])
    )
    assert best[0].score == pytest.approx(fuse(scores.values()))
    assert [c.score for c in best] == sorted((c.score for c in best), reverse=True)


def test_a_missing_finger_is_not_compared(galleries: dict, synthetic_templates: dict) -> None:
    best = search_persons(galleries, {RIGHT_INDEX: synthetic_templates[3, 2]}, k=2)
    assert best[0].person == "person-3"
    assert best[0].fingers == 1
    ((position, right),) = best[0].finger_scores
    assert position == RIGHT_INDEX
    assert best[0].score == pytest.approx(fuse([right]))


def test_positions_without_a_gallery_are_ignored(galleries: dict) -> None:
    only_right = {RIGHT_INDEX: galleries[RIGHT_INDEX]}
    assert search_persons(only_right, {LEFT_INDEX: distractor_template(1)}) == []
    with pytest.raises(ValueError):
        search_persons(galleries, {}, k=0)


def test_ties_at_the_cap_rank_by_the_uncapped_scores() -> None:
    capped = fuse([0.9, 0.5])
    weaker = PersonCandidate("weaker", capped, 2, ((RIGHT_INDEX, 0.5), (LEFT_INDEX, 0.5)))
    stronger = PersonCandidate("stronger", capped, 2, ((RIGHT_INDEX, 0.9), (LEFT_INDEX, 0.5)))
    lower = PersonCandidate("lower", capped - 0.001, 2, ((RIGHT_INDEX, 0.02), (LEFT_INDEX, 0.9)))
    ranked = sorted([lower, weaker, stronger], key=rank_key)
    assert [c.person for c in ranked] == ["stronger", "weaker", "lower"]


def test_a_probe_of_unknown_position_is_one_finger_against_every_position(
    galleries: dict, synthetic_templates: dict
) -> None:
    """The form a one-finger gate's scan takes (position 0): every position searched, each
    person kept once at their best position; known positions are searched as such."""
    probe = distractor_template(2, seed=5)  # person-2's left index, position not given
    found = search_probes(galleries, {UNKNOWN_FINGER: probe}, k=3)
    assert found[0].person == "person-2" and found[0].fingers == 1
    assert found[0].finger_scores == ((LEFT_INDEX, pytest.approx(1.0, abs=0.5)),)
    assert len({c.person for c in found}) == len(found)
    known = {RIGHT_INDEX: synthetic_templates[2, 1], LEFT_INDEX: probe}
    both = search_probes(galleries, {**known, UNKNOWN_FINGER: probe}, k=3)
    assert both == search_persons(galleries, known, k=3)
    assert search_probes(galleries, {}) == []
