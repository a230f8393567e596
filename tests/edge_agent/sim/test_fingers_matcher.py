"""The matcher separates synthetic mates from non-mates (the generator's realism check)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from edge_agent.sim.fingers import impression_image

FINGERS = 5
IMPRESSIONS = 3
SEEDS = (2, 3)


def test_matcher_separates_synthetic_mates_from_non_mates() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # reference matcher if not compiled
        from matcher_cy import extract, match_score
    from bench.fingers_realism import ladder_share, sense_coherence
    from matcher_cy.params import THRESHOLD_FMR_1E2, THRESHOLD_FMR_1E3, THRESHOLD_FMR_1E4

    mates, non_mates = [], []
    all_templates = []
    for seed in SEEDS:  # two independent sets of fingers, compared within each set
        templates = {
            (finger, impression): extract(impression_image(finger, impression, seed=seed), dpi=500)
            for finger in range(1, FINGERS + 1)
            for impression in range(1, IMPRESSIONS + 1)
        }
        all_templates += templates.values()
        for a, b in itertools.combinations(templates, 2):
            score = match_score(templates[a], templates[b])
            (mates if a[0] == b[0] else non_mates).append(score)
    mates_arr, non_arr = np.array(mates), np.array(non_mates)
    assert len(mates_arr) == len(SEEDS) * FINGERS * 3 and len(non_arr) == len(SEEDS) * 90
    mate_rate = float(np.mean(mates_arr > THRESHOLD_FMR_1E3))
    non_mate_rate = float(np.mean(non_arr > THRESHOLD_FMR_1E3))
    assert mate_rate >= 0.8, f"mates above threshold: {mate_rate:.2f} ({np.sort(mates_arr)})"
    # Synthetic strangers pass the real-impostor scores a little more often than real ones,
    # and the bounds only ever tighten: of the 180 non-mate pairs of seeds 2 and 3, 3 pass
    # the FMR 1e-2 score and none the 1e-3 or 1e-4 score (measured 2026-12-06 with the calm
    # flow, hairpin loops and random dislocations; before them 15 / 1 / 0 with bounds 0.10 /
    # 0.02 / 0.006, earlier 17 and 6 past 1e-3 and 1e-4 with bounds 0.11 and 0.04, and 19
    # and 8).
    assert float(np.mean(non_arr > THRESHOLD_FMR_1E2)) <= 0.02
    assert non_mate_rate <= 1 / 180, f"non-mates above the 1e-3 threshold: {non_mate_rate:.3f}"
    assert float(np.mean(non_arr > THRESHOLD_FMR_1E4)) <= 1 / 180
    assert np.median(mates_arr) > 10 * np.median(non_arr)
    # neighbouring minutiae point both ways along the flow and do not stand in rows of one
    # sense, as in real prints (bench.fingers_realism: FVC2002 DB1-3_B sense coherence 0.11,
    # ladder share 0.28; the generator before 2026-12-06 0.30 and 0.62 here); measured 0.03
    # and 0.26 for these prints
    coherence = float(np.nanmean([sense_coherence(t) for t in all_templates]))
    assert coherence <= 0.15, f"sense coherence {coherence:.3f}"
    ladders = float(np.nanmean([ladder_share(t) for t in all_templates]))
    assert ladders <= 0.35, f"ladder share {ladders:.3f}"
    # area under the ROC: how often a mate pair outscores a non-mate pair
    auc = float(np.mean(mates_arr[:, None] > non_arr[None, :]))
    assert auc >= 0.99, f"AUC {auc:.4f}"
