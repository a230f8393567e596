"""``khidmat bench search``: 1:N search time and rank-1 rate with a prefilter vs exhaustive.

The gallery holds N synthetic distractor templates (matcher_cy.distractors: drawn
directly as minutiae sets, since rendering 100,000 images would take hours) plus the
first impression of every finger: from DIR (FVC-style ``<finger>_<impression>.<ext>``
images) or, without DIR, 20 synthetic fingers from edge_agent.sim.fingers. Every other
impression is a probe. rank1_rate: the probe's finger is the top candidate of
``Gallery.search`` (prefilter + shortlist); rank1_rate_exhaustive: the same with every
template scored. Rates in percent; search time is the median wall-clock per probe on
one core (the machine is shared: expect noise).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

SYNTHETIC_FINGERS = 20
SYNTHETIC_PROBES_PER_FINGER = 3


def mates(data: Path | None, dpi: int) -> tuple[dict[int, object], list[tuple[int, object]]]:
    """Enrolled template per finger and (finger, probe template) pairs."""
    from matcher_cy import extract

    if data is None:
        from edge_agent.sim.fingers import impression_image

        enrolled = {f: extract(impression_image(f, 0)) for f in range(1, SYNTHETIC_FINGERS + 1)}
        probes = [
            (f, extract(impression_image(f, i)))
            for f in enrolled
            for i in range(1, SYNTHETIC_PROBES_PER_FINGER + 1)
        ]
        return enrolled, probes
    from bench.matcher import find_samples, load_templates

    samples = find_samples(data, "image")
    templates, _ = load_templates(samples, "image", dpi)
    first = {}
    for sample in samples:
        first.setdefault(sample.finger, sample.impression)
    enrolled = {}
    probes = []
    for sample, template in zip(samples, templates, strict=True):
        if sample.impression == first[sample.finger]:
            enrolled[sample.finger] = template
        else:
            probes.append((sample.finger, template))
    return enrolled, probes


def run(gallery_size: int, *, data: Path | None, dpi: int, probes: int, seed: int) -> dict:
    """Build the gallery, run every probe both ways; returns the figures."""
    from matcher_cy import Gallery
    from matcher_cy.distractors import distractor_template

    enrolled, probe_list = mates(data, dpi)
    if probes > 0:
        probe_list = probe_list[:probes]
    gallery = Gallery()
    start = time.perf_counter()
    for index in range(gallery_size):
        gallery.add(f"distractor-{index}", distractor_template(index, seed=seed))
    for finger, template in enrolled.items():
        gallery.add(f"finger-{finger}", template)
    build_s = time.perf_counter() - start
    times_ms, hits, hits_exhaustive = [], 0, 0
    for finger, probe in probe_list:
        start = time.perf_counter()
        best = gallery.search(probe, k=1)
        times_ms.append((time.perf_counter() - start) * 1e3)
        hits += best[0][0] == f"finger-{finger}"
        hits_exhaustive += gallery.search(probe, k=1, exhaustive=True)[0][0] == f"finger-{finger}"
    return {
        "gallery": len(gallery),
        "search_ms_median": float(np.median(times_ms)),
        "rank1_rate": 100.0 * hits / len(probe_list),
        "rank1_rate_exhaustive": 100.0 * hits_exhaustive / len(probe_list),
        "distractors": gallery_size,
        "enrolled": len(enrolled),
        "probes": len(probe_list),
        "shortlist": gallery.shortlist_size(),
        "build_s": build_s,
        "implementation": gallery.implementation,
        "data": str(data) if data else "synthetic",
    }


def main(
    *, gallery: int, data: Path | None, dpi: int, probes: int, seed: int, as_json: bool
) -> int:
    """CLI body: run and print text or JSON."""
    result = run(gallery, data=data, dpi=dpi, probes=probes, seed=seed)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"gallery {result['gallery']} ({result['distractors']} distractors + "
            f"{result['enrolled']} enrolled, {result['data']}, {result['implementation']}), "
            f"{result['probes']} probes, shortlist {result['shortlist']}\n"
            f"  search median {result['search_ms_median']:.1f} ms/probe; rank-1 "
            f"{result['rank1_rate']:.1f}% (exhaustive {result['rank1_rate_exhaustive']:.1f}%)"
        )
    return 0
