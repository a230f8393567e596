"""``khidmat bench identify``: FNIR and FPIR of 1:N person search, measured, not extrapolated.

Persons come from each DIR's fingers (FVC-style ``<finger>_<impression>`` images; DIR
or DIR:DPI): with two fingers consecutive finger ids are paired (101+102 as right and
left index, 103+104, ...), with one finger each finger is a person. Without DIR, 20
synthetic fingers of edge_agent.sim (4 impressions) stand in. The persons are split in
two folds (alternating); each fold in turn is enrolled from its first impressions into
a gallery of N synthetic distractor persons (matcher_cy.distractors, one template per
finger) and searched with its other impressions (mated searches), while every
impression of the other fold's persons is searched as a stranger (non-mated). Further
non-mated searches come from synthetic persons drawn with another seed (half per fold).

A search is ``matcher_cy.persons.search_persons`` (every finger searched, candidates
fused); its verdict uses the system's own thresholds for this gallery size in persons
and the fingers compared (``matcher_cy.decision.red_threshold`` / ``yellow_threshold``).
A mated search is a miss at a threshold unless its top candidate is the mate at or above
it (FNIR, rank 1); a non-mated search is a false positive when its top candidate is at
or above it (FPIR). A mated search whose top candidate is another person at or above red
is counted apart (``wrong_identity_at_red``). Rates in percent. A rate with no event is
given as the string ``"<X"``, X the one-sided 95% upper bound (1 - 0.05**(1/n)), since
0 would claim more than the searches resolve. A threshold is null where the fingers
cannot reach that verdict against a list that large (matcher_cy.decision). ``fnir_at_fpir_1e-2`` / ``_1e-3`` use the
threshold the non-mated searches themselves give (null when they are too few).

Cost: building N persons (~1.5-3 ms per template) and two Gallery searches per search;
the search time is the median wall-clock of a person search on one core. With
``cache`` (``--cache DIR``) the distractor persons are built once by ``processes``
worker processes (``bench.gallery.distractor_file``: the distractor templates
0..fingers x N - 1 in one prepared file, extending a smaller cached one), split into one
prepared file per finger position and mapped by later runs: the same templates in the
same order as built in memory, so the same results (build_s is then the cached build's).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SYNTHETIC_FINGERS = 20
SYNTHETIC_IMPRESSIONS = 4
#: Seed offset of the synthetic non-mated persons (never enrolled).
STRANGER_SEED_OFFSET = 1000


@dataclass(frozen=True, slots=True)
class Person:
    """One person of the data: key and impressions (position -> template) in order."""

    key: str
    impressions: tuple[dict[int, object], ...]


def parse_data(value: str) -> tuple[Path, int]:
    """``DIR`` or ``DIR:DPI`` -> (directory, dpi); default 500 dpi."""
    directory, _, dpi = value.rpartition(":")
    if directory and dpi.isdigit():
        return Path(directory), int(dpi)
    return Path(value), 500


def positions(fingers: int) -> tuple[int, ...]:
    """ISO finger positions used for ``fingers`` (1: right index; 2: right, left index)."""
    from matcher_cy.persons import GATE_FINGERS

    if fingers not in (1, 2):
        raise ValueError("--fingers must be 1 or 2")
    return GATE_FINGERS[:fingers]


def real_persons(data: list[tuple[Path, int]], fingers: int) -> list[Person]:
    """Persons from FVC-style directories (module docstring)."""
    from bench.matcher import find_samples, load_templates

    wanted = positions(fingers)
    persons = []
    for directory, dpi in data:
        samples = find_samples(directory, "image")
        templates, _ = load_templates(samples, "image", dpi)
        by_finger: dict[int, dict[int, object]] = {}
        for sample, template in zip(samples, templates, strict=True):
            by_finger.setdefault(sample.finger, {})[sample.impression] = template
        ids = sorted(by_finger)
        for start in range(0, len(ids) - fingers + 1, fingers):
            group = ids[start : start + fingers]
            common = sorted(set.intersection(*(set(by_finger[f]) for f in group)))
            impressions = tuple(
                {position: by_finger[f][m] for position, f in zip(wanted, group, strict=True)}
                for m in common
            )
            if len(impressions) >= 2:
                persons.append(Person(f"{directory.name}-{group[0]}", impressions))
    return persons


def synthetic_persons(fingers: int) -> list[Person]:
    """Persons from edge_agent.sim's synthetic fingers (ids 1.., impressions 0..)."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    wanted = positions(fingers)
    persons = []
    for first in range(1, SYNTHETIC_FINGERS + 1, fingers):
        group = range(first, first + fingers)
        impressions = tuple(
            {p: extract(impression_image(f, m)) for p, f in zip(wanted, group, strict=True)}
            for m in range(SYNTHETIC_IMPRESSIONS)
        )
        persons.append(Person(f"synthetic-{first}", impressions))
    return persons


def distractor_person(index: int, fingers: int, seed: int) -> dict[int, object]:
    """Synthetic person ``index``: one distractor template per finger."""
    from matcher_cy.distractors import distractor_template

    return {
        position: distractor_template(fingers * index + k, seed=seed)
        for k, position in enumerate(positions(fingers))
    }


def distractor_galleries(
    gallery_size: int, fingers: int, seed: int, *, cache: Path | None, processes: int
) -> tuple[dict[int, object], float]:
    """Gallery per finger position holding the N distractor persons, and the build
    seconds. In memory without ``cache``; else mapped from prepared files in ``cache``
    (built there first when missing; see the module docstring)."""
    from matcher_cy import Gallery

    wanted = positions(fingers)
    if cache is None:
        galleries = {position: Gallery() for position in wanted}
        start = time.perf_counter()
        for index in range(gallery_size):
            for position, template in distractor_person(index, fingers, seed).items():
                galleries[position].add(f"distractor-{index}", template)
        return galleries, time.perf_counter() - start
    from bench.gallery import distractor_file
    from matcher_cy import gallery_file, packed

    cache.mkdir(parents=True, exist_ok=True)
    source, built = distractor_file(fingers * gallery_size, 0, seed, processes, cache)
    galleries = {}
    for k, position in enumerate(wanted):
        path = cache / f"persons-{gallery_size}-fingers{fingers}-seed{seed}-position{position}.khg"
        if not path.exists():
            opened = gallery_file.open_prepared(source, verify=False)
            rows = np.arange(k, fingers * gallery_size, fingers)  # template fingers*i + k
            columns = packed.gather([(opened.columns, rows)])
            keys = [f"distractor-{index}" for index in range(gallery_size)]
            gallery_file.write(path, columns, keys, generation=seed + 1, stamp=0)
            del opened, columns
        galleries[position] = Gallery.load(path)
    return galleries, float(built["build_s"])


def finite(threshold: float) -> float | None:
    """The threshold, or None where it is unreachable (math.inf: not valid JSON)."""
    return threshold if math.isfinite(threshold) else None


def rate(events: int, searches: int) -> float | str | None:
    """Percent, or ``"<X"`` (95% upper bound) with no event; None without searches."""
    if searches == 0:
        return None
    if events == 0:
        return f"<{100.0 * (1.0 - 0.05 ** (1.0 / searches)):.3g}"
    return 100.0 * events / searches


@dataclass(frozen=True, slots=True)
class Outcome:
    """The top candidate of one search: is it the mate, its fused score, fingers compared."""

    mate: bool
    score: float
    fingers: int


def top(galleries: dict, probes: dict[int, object], mate: str | None) -> tuple[Outcome, float]:
    """(top candidate, search ms) of one person search."""
    from matcher_cy.persons import search_persons

    start = time.perf_counter()
    found = search_persons(galleries, probes, k=1)
    elapsed = (time.perf_counter() - start) * 1e3
    if not found:
        return Outcome(False, 0.0, 0), elapsed
    return Outcome(found[0].person == mate, found[0].score, found[0].fingers), elapsed


def fnir_at_fpir(mated: list[Outcome], nonmated: list[Outcome], fpir: float) -> float | str | None:
    """FNIR (as ``rate``) at the threshold the non-mated top scores give for ``fpir``."""
    if len(nonmated) * fpir < 1:
        return None
    from bench.matcher import threshold_at_fmr

    threshold = threshold_at_fmr(np.array([o.score for o in nonmated]), fpir)
    return rate(sum(not (o.mate and o.score >= threshold) for o in mated), len(mated))


def run(
    gallery_size: int,
    *,
    fingers: int,
    data: list[tuple[Path, int]],
    strangers: int,
    seed: int,
    cache: Path | None = None,
    processes: int = 2,
) -> dict:
    """Build, search, count (module docstring)."""
    from matcher_cy.decision import red_threshold, yellow_threshold

    persons = real_persons(data, fingers) if data else synthetic_persons(fingers)
    galleries, build_s = distractor_galleries(
        gallery_size, fingers, seed, cache=cache, processes=processes
    )
    folds = (persons[0::2], persons[1::2])
    size = gallery_size + max(len(f) for f in folds)
    red, yellow = red_threshold(size, fingers), yellow_threshold(size, fingers)
    mated: list[Outcome] = []
    nonmated_real: list[Outcome] = []
    nonmated_synthetic: list[Outcome] = []
    wrong_at_red = 0
    times_ms: list[float] = []
    for fold, (enrolled, others) in enumerate((folds, folds[::-1])):
        for person in enrolled:
            for position, template in person.impressions[0].items():
                galleries[position].add(person.key, template)
        for person in enrolled:
            for probes in person.impressions[1:]:
                outcome, ms = top(galleries, probes, person.key)
                mated.append(outcome)
                times_ms.append(ms)
                wrong_at_red += (not outcome.mate) and outcome.score >= red
        for person in others:
            for probes in person.impressions:
                outcome, ms = top(galleries, probes, None)
                nonmated_real.append(outcome)
                times_ms.append(ms)
        for index in range(fold, strangers, 2):
            probes = distractor_person(index, fingers, seed + STRANGER_SEED_OFFSET)
            outcome, ms = top(galleries, probes, None)
            nonmated_synthetic.append(outcome)
            times_ms.append(ms)
        for person in enrolled:
            for position in person.impressions[0]:
                galleries[position].remove(person.key)
    nonmated = nonmated_real + nonmated_synthetic

    def misses(threshold: float) -> int:
        return sum(not (o.mate and o.score >= threshold) for o in mated)

    def false_positives(outcomes: list[Outcome], threshold: float) -> int:
        return sum(o.score >= threshold for o in outcomes)

    return {
        "gallery": size,
        "fingers": fingers,
        "persons": len(persons),
        "mated_searches": len(mated),
        "nonmated_searches": len(nonmated),
        "fnir_at_fpir_1e-2": fnir_at_fpir(mated, nonmated, 1e-2),
        "fnir_at_fpir_1e-3": fnir_at_fpir(mated, nonmated, 1e-3),
        "red_threshold": finite(red),
        "fnir_at_red": rate(misses(red), len(mated)),
        "fpir_at_red": rate(false_positives(nonmated, red), len(nonmated)),
        "yellow_threshold": finite(yellow),
        "fnir_at_yellow": rate(misses(yellow), len(mated)),
        "fpir_at_yellow": rate(false_positives(nonmated, yellow), len(nonmated)),
        "search_ms_median": float(np.median(times_ms)),
        "nonmated_searches_real": len(nonmated_real),
        "fpir_at_red_real": rate(false_positives(nonmated_real, red), len(nonmated_real)),
        "fpir_at_yellow_real": rate(false_positives(nonmated_real, yellow), len(nonmated_real)),
        "wrong_identity_at_red": wrong_at_red,
        "rank1_rate": 100.0 * sum(o.mate for o in mated) / len(mated),
        "distractors": gallery_size,
        "build_s": build_s,
        "data": [f"{d}:{dpi}" for d, dpi in data] or "synthetic",
    }


def _shown(value: float | str | None) -> str:
    if value is None:
        return "n/a"
    return value + "%" if isinstance(value, str) else f"{value:.2f}%"


def main(
    *,
    gallery: int,
    fingers: int,
    data: list[tuple[Path, int]],
    strangers: int,
    seed: int,
    as_json: bool,
    cache: Path | None = None,
    processes: int = 2,
) -> int:
    """CLI body: run and print text or JSON."""
    result = run(
        gallery,
        fingers=fingers,
        data=data,
        strangers=strangers,
        seed=seed,
        cache=cache,
        processes=processes,
    )
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    red, yellow = (
        "unreachable" if value is None else f"{value:.4f}"
        for value in (result["red_threshold"], result["yellow_threshold"])
    )
    print(
        f"{result['fingers']} finger(s), gallery {result['gallery']} persons, "
        f"{result['persons']} persons of the data; {result['mated_searches']} mated and "
        f"{result['nonmated_searches']} non-mated searches "
        f"({result['nonmated_searches_real']} real)\n"
        f"  red {red}: FNIR {_shown(result['fnir_at_red'])}, FPIR "
        f"{_shown(result['fpir_at_red'])} (real {_shown(result['fpir_at_red_real'])}), "
        f"wrong identity {result['wrong_identity_at_red']}\n"
        f"  yellow {yellow}: FNIR {_shown(result['fnir_at_yellow'])}, FPIR "
        f"{_shown(result['fpir_at_yellow'])} (real {_shown(result['fpir_at_yellow_real'])})\n"
        f"  FNIR at FPIR 1e-2 {_shown(result['fnir_at_fpir_1e-2'])}, at 1e-3 "
        f"{_shown(result['fnir_at_fpir_1e-3'])}; search median "
        f"{result['search_ms_median']:.1f} ms"
    )
    return 0
