"""The gate's watchlist search by two fingers: fused, per-finger scores, one-finger limits."""

from __future__ import annotations

import base64

import pytest

from edge_agent.store import LocalStore
from kiosk.identify import WatchlistGallery
from matcher_cy import extract, fuse
from matcher_cy.distractors import distractor_template
from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX


def encoded(template) -> str:
    return base64.b64encode(template.to_bytes()).decode()


@pytest.fixture(scope="module")
def prints() -> dict[tuple[int, int], object]:
    """Synthetic fingers 31 (right index) and 32 (left index) of one wanted person."""
    from edge_agent.sim.fingers import impression_image

    return {(f, m): extract(impression_image(f, m, seed=9)) for f in (31, 32) for m in (0, 1)}


@pytest.fixture
def watchlist(store: LocalStore, prints: dict) -> WatchlistGallery:
    entries = [
        ("BAL-000201", RIGHT_INDEX, "Wanted One", "wanted", encoded(prints[31, 0])),
        ("BAL-000201", LEFT_INDEX, "Wanted One", "wanted", encoded(prints[32, 0])),
    ]
    for index in range(30):  # strangers on the list, both fingers
        for k, position in enumerate((RIGHT_INDEX, LEFT_INDEX)):
            template = distractor_template(2 * index + k, seed=4)
            entries.append((f"BAL-1{index:05d}", position, "Other", "wanted", encoded(template)))
    store.replace_watchlist(3, 0, entries)
    return WatchlistGallery.load(store)


def test_two_fingers_are_fused_and_each_shown(watchlist: WatchlistGallery, prints: dict) -> None:
    assert len(watchlist) == 31 and watchlist.positions == (RIGHT_INDEX, LEFT_INDEX)
    found = watchlist.identify({RIGHT_INDEX: prints[31, 1], LEFT_INDEX: prints[32, 1]})
    assert found.fingers == (RIGHT_INDEX, LEFT_INDEX)
    best = found.candidates[0]
    assert best.person_id == "BAL-000201" and best.verdict == found.verdict != "green"
    scores = dict(best.finger_scores)
    assert set(scores) == {RIGHT_INDEX, LEFT_INDEX} and None not in scores.values()
    assert best.score == pytest.approx(fuse(scores.values()))


def test_a_missing_finger_is_recorded_and_searched_on_one(
    watchlist: WatchlistGallery, prints: dict
) -> None:
    found = watchlist.identify({RIGHT_INDEX: prints[31, 1]}, missing=(LEFT_INDEX,))
    assert found.fingers == (RIGHT_INDEX,) and found.missing == (LEFT_INDEX,)
    best = found.candidates[0]
    ((position, score),) = best.finger_scores
    assert best.person_id == "BAL-000201" and position == RIGHT_INDEX
    assert best.score == pytest.approx(fuse([score]))


def test_one_finger_never_red_against_a_large_list(store: LocalStore, prints: dict) -> None:
    entries = [("BAL-000201", RIGHT_INDEX, "Wanted One", "wanted", encoded(prints[31, 0]))]
    entries += [
        (f"BAL-2{index:05d}", RIGHT_INDEX, "Other", "wanted", encoded(distractor_template(index)))
        for index in range(1_200)
    ]
    store.replace_watchlist(4, 0, entries)
    large = WatchlistGallery.load(store)
    found = large.identify({RIGHT_INDEX: prints[31, 1]})
    assert found.verdict != "red"
    # the same print against a short list is red
    store.replace_watchlist(5, 0, entries[:1])
    assert WatchlistGallery.load(store).identify({RIGHT_INDEX: prints[31, 1]}).verdict == "red"
