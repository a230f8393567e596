"""``khidmat bench fusion``: the fused impostor-tail model behind matcher_cy.decision.

Scores every pair of the images of the given FVC-style sets (within and across sets),
then builds the person-level impostor tail as matcher_cy.params documents it: the pooled
one-finger impostor scores, each capped at the fusion cap, as measured down to FMR 1e-2,
an exponential tail beyond (scale by maximum likelihood from the scores above the 1e-2
point), two fingers independent (convolution). Prints

* ``cap``: the rule's finger cap (the largest, in 0.001 steps, for which a red against
  10,000 persons needs the weaker finger at or above the one-finger FMR 1e-2 score);
* ``tail_1``, ``tail_2``: (decades, fused score) tables as params.FUSED_TAIL_1/2 hold;
* ``lodo``: leave one set out: the cap and the 10,000-person red threshold from the
  other sets, and on the held-out set the two-finger FNIR at that threshold (persons of
  consecutive fingers, first impressions enrolled, the others searched) and the
  held-out fused impostor rate at it (the held-out set's own impostor scores paired
  independently: model-free, resolution about 1e-7) against the rate the model promised;
* ``safety``: the same leave-one-set-out check for each tail safety factor of
  ``SAFETIES`` (``params.FUSION_FMR_SAFETY`` is one of them), with the in-sample FNIR
  beside it, and ``nested``: the safety *chosen* without the held-out set (the smallest
  whose model, checked leave-one-out on the other sets alone, never promised less than a
  training set gave) and the held-out set's FNIR and fused impostor rate at it.

Cost: extraction of every image (~30 ms each) and ~50,000 1:1 scores; one core.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Score grid of the model (fused scores are rounded up to it).
STEP = 1e-4
#: Decades (FMR = 10**-decades) tabulated.
DECADES = tuple(np.round(np.arange(2.0, 12.01, 0.5), 1))
#: The list size of the cap rule and of the leave-one-out check.
RULE_GALLERY = 10_000
#: Candidate caps of the rule.
CAPS = tuple(np.round(np.arange(0.015, 0.0401, 0.001), 3))
#: Tail safety factors compared (the model's FMR is divided by it), smallest first.
SAFETIES = (1.0, 3.0, 10.0)


@dataclass(frozen=True, slots=True)
class Scored:
    """Every image's set, finger and impression, and the symmetric score matrix."""

    sets: np.ndarray
    fingers: np.ndarray
    impressions: np.ndarray
    scores: np.ndarray

    def impostor(self, sets: set[str]) -> np.ndarray:
        """Scores of pairs of different fingers, both images in ``sets``."""
        i, j = np.triu_indices(len(self.sets), 1)
        inside = np.isin(self.sets[i], list(sets)) & np.isin(self.sets[j], list(sets))
        different = (self.sets[i] != self.sets[j]) | (self.fingers[i] != self.fingers[j])
        return self.scores[i[inside & different], j[inside & different]]

    def person_genuine(self, name: str, cap: float) -> np.ndarray:
        """Fused mated scores of the set's two-finger persons (consecutive fingers, first
        impression enrolled against each other impression)."""
        where = {
            (int(f), int(m)): k
            for k, (s, f, m) in enumerate(
                zip(self.sets, self.fingers, self.impressions, strict=True)
            )
            if s == name
        }
        fingers = sorted({f for f, _ in where})
        out = []
        for right, left in zip(fingers[::2], fingers[1::2], strict=False):
            impressions = sorted(
                {m for f, m in where if f == right} & {m for f, m in where if f == left}
            )
            first = impressions[0]
            for other in impressions[1:]:
                a = min(self.scores[where[right, first], where[right, other]], cap)
                b = min(self.scores[where[left, first], where[left, other]], cap)
                out.append(a + b)
        return np.array(out)


def score_sets(data: list[tuple[Path, int]]) -> Scored:
    """Extract every image of every set and score all pairs."""
    from bench.matcher import find_samples, load_templates
    from matcher_cy.matching import DEFAULT_BACKEND, search_form

    sets, fingers, impressions, forms = [], [], [], []
    for directory, dpi in data:
        samples = find_samples(directory, "image")
        templates, _ = load_templates(samples, "image", dpi)
        for sample, template in zip(samples, templates, strict=True):
            sets.append(directory.name)
            fingers.append(sample.finger)
            impressions.append(sample.impression)
            forms.append(search_form(template))
    n = len(forms)
    scores = np.zeros((n, n))
    for i, j in itertools.combinations(range(n), 2):
        scores[i, j] = scores[j, i] = DEFAULT_BACKEND.score(forms[i], forms[j])
    return Scored(np.array(sets), np.array(fingers), np.array(impressions), scores)


def tail_pmf(impostor: np.ndarray, cap: float) -> tuple[np.ndarray, float]:
    """(pmf of min(score, cap) on the STEP grid, exponential scale) of the model."""
    ordered = np.sort(impostor)
    t0 = float(np.quantile(impostor, 1 - 1e-2))
    beta = float(np.mean(ordered[ordered >= t0] - t0))
    grid = np.arange(int(round(cap / STEP)) + 1) * STEP
    measured = 1.0 - np.searchsorted(ordered, grid, side="left") / len(ordered)
    modelled = 1e-2 * np.exp(-(grid - t0) / beta)
    survival = np.where(grid <= t0, measured, modelled)
    return np.append(survival[:-1] - survival[1:], survival[-1]), beta


def threshold(pmf: np.ndarray, fmr: float, fingers: int) -> float:
    """Smallest grid score whose fused survival is at most ``fmr``; inf when none."""
    fused = pmf
    for _ in range(fingers - 1):
        fused = np.convolve(fused, pmf)
    survival = np.cumsum(fused[::-1])[::-1]
    below = np.flatnonzero(survival <= fmr)
    return float(below[0] * STEP) if len(below) else math.inf


def rule_cap(impostor: np.ndarray, safety: float, red_fpir: float) -> float:
    """The cap rule (module docstring)."""
    floor = float(np.quantile(impostor, 1 - 1e-2))
    chosen = CAPS[0]
    for cap in CAPS:
        pmf, _ = tail_pmf(impostor, cap)
        if threshold(pmf, red_fpir / (RULE_GALLERY * safety), 2) - cap >= floor:
            chosen = cap
    return float(chosen)


def tables(impostor: np.ndarray, cap: float) -> dict[str, list]:
    """tail_1 / tail_2 tables up to the first unreachable decade."""
    pmf, beta = tail_pmf(impostor, cap)
    result: dict[str, list] = {"beta": [beta]}
    for fingers in (1, 2):
        rows = []
        for decades in DECADES:
            value = threshold(pmf, 10.0**-decades, fingers)
            if not math.isfinite(value):
                break
            rows.append((float(decades), round(value, 4)))
        result[f"tail_{fingers}"] = rows
    return result


def lodo(
    scored: Scored, safety: float, red_fpir: float, names: list[str] | None = None
) -> list[dict]:
    """Leave one set out (module docstring), over ``names`` (default: every set)."""
    names = sorted(set(scored.sets.tolist())) if names is None else sorted(names)
    rows = []
    for held in names:
        train = scored.impostor(set(names) - {held})
        cap = rule_cap(train, safety, red_fpir)
        pmf, _ = tail_pmf(train, cap)
        promised = red_fpir / (RULE_GALLERY * safety)
        red = threshold(pmf, promised, 2)
        genuine = scored.person_genuine(held, cap)
        held_impostor = np.minimum(np.sort(scored.impostor({held})), cap)
        # P(a + b >= red) for a, b drawn independently from the held-out impostor scores
        needed = red - held_impostor
        reached = len(held_impostor) - np.searchsorted(held_impostor, needed, side="left")
        rows.append(
            {
                "held_out": held,
                "cap": cap,
                "red_threshold_10000": red,
                "fnir_at_red_10000": 100.0 * float(np.mean(genuine < red)),
                "mated_searches": len(genuine),
                "held_out_fused_fmr_at_red": float(np.sum(reached)) / len(held_impostor) ** 2,
                "model_fmr_at_red": promised,
            }
        )
    return rows


def in_sample_fnir(scored: Scored, safety: float, red_fpir: float) -> float:
    """FNIR (percent) at the 10,000-person red of a model built on every set, on them."""
    names = sorted(set(scored.sets.tolist()))
    impostor = scored.impostor(set(names))
    cap = rule_cap(impostor, safety, red_fpir)
    pmf, _ = tail_pmf(impostor, cap)
    red = threshold(pmf, red_fpir / (RULE_GALLERY * safety), 2)
    genuine = np.concatenate([scored.person_genuine(name, cap) for name in names])
    return 100.0 * float(np.mean(genuine < red))


def choose_safety(scored: Scored, names: list[str], red_fpir: float) -> float:
    """The smallest of ``SAFETIES`` whose model, built leave-one-out within ``names``, gives
    no held-out set a fused impostor rate above the promised one (else the largest; the
    largest as well when ``names`` holds fewer than two sets: nothing to check it on)."""
    if len(names) < 2:
        return SAFETIES[-1]
    for safety in SAFETIES:
        rows = lodo(scored, safety, red_fpir, names)
        if all(r["held_out_fused_fmr_at_red"] <= r["model_fmr_at_red"] for r in rows):
            return safety
    return SAFETIES[-1]


def nested(scored: Scored, red_fpir: float) -> list[dict]:
    """For each held-out set: the safety chosen on the others, then lodo's row at it."""
    names = sorted(set(scored.sets.tolist()))
    rows = []
    for held in names:
        others = [name for name in names if name != held]
        safety = choose_safety(scored, others, red_fpir)
        row = next(r for r in lodo(scored, safety, red_fpir) if r["held_out"] == held)
        rows.append({"safety": safety, **row})
    return rows


def by_safety(scored: Scored, red_fpir: float) -> list[dict]:
    """Per safety of ``SAFETIES``: in-sample FNIR, leave-one-out FNIR and rates."""
    result = []
    for safety in SAFETIES:
        rows = lodo(scored, safety, red_fpir)
        result.append(
            {
                "safety": safety,
                "fnir_in_sample": in_sample_fnir(scored, safety, red_fpir),
                "fnir_lodo_mean": float(np.mean([r["fnir_at_red_10000"] for r in rows])),
                "held_out_over_promised": [
                    r["held_out_fused_fmr_at_red"] > r["model_fmr_at_red"] for r in rows
                ],
                "lodo": rows,
            }
        )
    return result


def run(data: list[tuple[Path, int]]) -> dict:
    """The figures of the module docstring."""
    from matcher_cy import params
    from matcher_cy.decision import RED_FPIR

    scored = score_sets(data)
    safety = params.FUSION_FMR_SAFETY
    names = sorted(set(scored.sets.tolist()))
    impostor = scored.impostor(set(names))
    cap = rule_cap(impostor, safety, RED_FPIR)
    return {
        "sets": names,
        "impostor_pairs": len(impostor),
        "cap": cap,
        **tables(impostor, cap),
        "lodo": lodo(scored, safety, RED_FPIR),
        "safety": by_safety(scored, RED_FPIR),
        "nested": nested(scored, RED_FPIR),
    }


def main(data: list[tuple[Path, int]], *, as_json: bool) -> int:
    """CLI body."""
    result = run(data)
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{', '.join(result['sets'])}: {result['impostor_pairs']} impostor pairs")
    print(f"  cap {result['cap']}, exponential scale {result['beta'][0]:.5f}")
    for fingers in (1, 2):
        print(f"  tail_{fingers}: {result[f'tail_{fingers}']}")
    for row in result["lodo"]:
        print(
            f"  without {row['held_out']}: cap {row['cap']}, red@10,000 "
            f"{row['red_threshold_10000']:.4f}; on it FNIR {row['fnir_at_red_10000']:.2f}% "
            f"of {row['mated_searches']}, fused FMR {row['held_out_fused_fmr_at_red']:.2e} "
            f"(model {row['model_fmr_at_red']:.2e})"
        )
    for entry in result["safety"]:
        per_set = ", ".join(f"{r['fnir_at_red_10000']:.1f}" for r in entry["lodo"])
        print(
            f"  safety {entry['safety']:g}: FNIR at red@10,000 in sample "
            f"{entry['fnir_in_sample']:.2f}%, leave-one-out mean {entry['fnir_lodo_mean']:.2f}% "
            f"({per_set}); "
            f"held-out fused FMR over the promise: {entry['held_out_over_promised']}"
        )
    for row in result["nested"]:
        print(
            f"  nested, without {row['held_out']}: safety {row['safety']:g} chosen on the "
            f"others; on it FNIR {row['fnir_at_red_10000']:.2f}%, fused FMR "
            f"{row['held_out_fused_fmr_at_red']:.2e} (model {row['model_fmr_at_red']:.2e})"
        )
    return 0
