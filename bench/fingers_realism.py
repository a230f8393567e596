"""Synthetic fingers against real ones: impostor and genuine rates at the matcher's thresholds.

Usage::

    .venv/bin/python -m bench.fingers_realism --fingers 200 --impressions 3 \\
        --data ../shared/fingerprints/FVC2002/DB1_B --data ../shared/fingerprints/FVC2002/DB2_B:569 \\
        --data ../shared/fingerprints/FVC2002/DB3_B --real-impressions 8 --by-class

Scores every pair of ``--impressions`` impressions of ``--fingers`` synthetic fingers (seed
``--seed``) and of up to as many fingers and ``--real-impressions`` impressions (default:
``--impressions``) of each ``--data`` set (FVC-style ``<finger>_<impression>.<ext>``, pairs
within a set; ``DIR:DPI`` gives a set's resolution, 500 by default), and prints, for each
source, the share of impostor pairs above and of genuine pairs below THRESHOLD_FMR_1E2/1E3/1E4
of ``matcher_cy.params``. A rate of 0 is printed as an upper bound ``< 1/pairs``.
``--by-class`` also splits the synthetic impostor pairs by the two fingers' pattern classes
(``MasterFinger.finger_class``): a generator whose fingers of one class look alike shows
there first.

It also prints each source's *ladder share* (:func:`ladder_share`) and *sense coherence* (:func:`sense_coherence`): how often
neighbouring minutiae point the same way along the ridge flow. MCC compares directed
minutia angles, so prints whose neighbouring minutiae mostly share one sense look alike
to the matcher whoever they belong to; FVC2002 DB1_B and DB3_B give 0.18 and -0.01.
Cost: one extraction per image (~0.1 s) and one match per pair. One core.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Neighbours within this distance count for the sense coherence, px at 500 dpi (about the
#: radius of an MCC cylinder).
COHERENCE_RADIUS_PX = 60.0


def sense_coherence(template) -> float:
    """Mean cosine of the directed angle difference over pairs of a template's minutiae
    closer than ``COHERENCE_RADIUS_PX``: 1 when neighbours point the same way, near 0
    when their senses are mixed (as in real prints), nan with no such pair."""
    minutiae = template.minutiae
    x = minutiae["x"].astype(float)
    y = minutiae["y"].astype(float)
    angle = minutiae["angle"].astype(float)
    distance = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(distance, np.inf)
    near = distance < COHERENCE_RADIUS_PX
    if not near.any():
        return float("nan")
    return float(np.cos(angle[:, None] - angle[None, :])[near].mean())


#: A ladder rung: a neighbour of the same sense (directions within about 37 degrees) this
#: far away, px at 500 dpi (about one to three ridge periods), displaced more across the
#: minutia's direction than along it.
LADDER_DISTANCE_PX = (6.0, 30.0)


def ladder_share(template) -> float:
    """Share of a template's minutiae that have a *ladder* neighbour: one of the same sense
    ``LADDER_DISTANCE_PX`` away, across the ridges rather than along them, as where ridges
    end one after another along a line. Synthetic prints have many more such minutiae
    than real ones (docs/matcher.md); nan without minutiae. Cost: O(n^2), n <= 100."""
    minutiae = template.minutiae
    if len(minutiae) == 0:
        return float("nan")
    x = minutiae["x"].astype(float)
    y = minutiae["y"].astype(float)
    angle = minutiae["angle"].astype(float)
    dx = x[None, :] - x[:, None]
    dy = y[None, :] - y[:, None]
    distance = np.hypot(dx, dy)
    along = np.abs(dx * np.cos(angle)[:, None] + dy * np.sin(angle)[:, None])
    across = np.abs(-dx * np.sin(angle)[:, None] + dy * np.cos(angle)[:, None])
    same = np.cos(angle[:, None] - angle[None, :]) > 0.8
    low, high = LADDER_DISTANCE_PX
    rung = same & (distance > low) & (distance < high) & (across > along)
    return float(rung.any(axis=1).mean())


def _coherence(templates: dict[tuple[int, int], object]) -> tuple[float, float, float]:
    """(mean sense coherence, mean minutiae per print, mean ladder share) of ``templates``."""
    return (
        float(np.nanmean([sense_coherence(t) for t in templates.values()])),
        float(np.mean([len(t.minutiae) for t in templates.values()])),
        float(np.nanmean([ladder_share(t) for t in templates.values()])),
    )


def _scores(templates: dict[tuple[int, int], object]) -> tuple[np.ndarray, np.ndarray]:
    from matcher_cy import match_score

    genuine, impostor = [], []
    for a, b in itertools.combinations(sorted(templates), 2):
        score = match_score(templates[a], templates[b])
        (genuine if a[0] == b[0] else impostor).append(score)
    return np.array(genuine), np.array(impostor)


def synthetic(
    fingers: int, impressions: int, seed: int, classes: dict[int, str] | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """(genuine, impostor) scores and the sense coherence of synthetic fingers 1..fingers
    of ``seed``; fills ``classes`` (finger id -> pattern class) when given."""
    from edge_agent.sim.fingers import impression_from_master
    from edge_agent.sim.fingers_master import build_master
    from matcher_cy import extract

    templates = {}
    for f in range(1, fingers + 1):
        master = build_master(f, seed=seed)
        if classes is not None:
            classes[f] = master.finger_class
        for i in range(1, impressions + 1):
            templates[(f, i)] = extract(impression_from_master(master, i), dpi=500)
    return (*_scores(templates), _coherence(templates))


def impostor_rates_by_class(
    fingers: int, impressions: int, classes: dict[int, str], impostor: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """Impostor scores of :func:`synthetic` grouped by the (sorted) class pair of the two
    fingers. Relies on :func:`_scores`' pair order (sorted keys, all combinations)."""
    keys = [(f, i) for f in range(1, fingers + 1) for i in range(1, impressions + 1)]
    groups: dict[tuple[str, str], list[int]] = {}
    index = 0
    for a, b in itertools.combinations(sorted(keys), 2):
        if a[0] != b[0]:
            pair = tuple(sorted((classes[a[0]], classes[b[0]])))
            groups.setdefault(pair, []).append(index)  # type: ignore[arg-type]
            index += 1
    return {pair: impostor[idx] for pair, idx in groups.items()}


def real(
    data: Path, fingers: int, impressions: int, dpi: int = 500
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """(genuine, impostor) scores and the sense coherence of the first ``fingers`` fingers
    of an FVC-style set scanned at ``dpi``."""
    from PIL import Image

    from matcher_cy import extract

    files = {}
    for path in sorted(data.iterdir()):
        finger, _, impression = path.stem.partition("_")
        if finger.isdigit() and impression.isdigit():
            files[(int(finger), int(impression))] = path
    ids = sorted({f for f, _ in files})[:fingers]
    templates = {
        key: extract(np.asarray(Image.open(path).convert("L")), dpi=dpi)
        for key, path in files.items()
        if key[0] in ids and key[1] <= impressions
    }
    return (*_scores(templates), _coherence(templates))


def _rate(hits: int, pairs: int) -> str:
    return f"{100 * hits / pairs:.2f}%" if hits else f"<{100 / pairs:.2f}%"


def _data_dir(text: str) -> tuple[Path, int]:
    """``DIR`` or ``DIR:DPI`` -> (path, dpi)."""
    path, sep, dpi = text.rpartition(":")
    if sep and dpi.isdigit():
        return Path(path), int(dpi)
    return Path(text), 500


def main(argv: Sequence[str] | None = None) -> int:
    from matcher_cy.params import THRESHOLD_FMR_1E2, THRESHOLD_FMR_1E3, THRESHOLD_FMR_1E4

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fingers", type=int, default=20)
    parser.add_argument("--impressions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument(
        "--data", type=_data_dir, action="append", default=[], help="an FVC-style set: DIR[:DPI]"
    )
    parser.add_argument(
        "--real-impressions", type=int, default=None, help="impressions per real finger"
    )
    parser.add_argument(
        "--by-class", action="store_true", help="split synthetic impostors by pattern class"
    )
    args = parser.parse_args(argv)
    for data, _dpi in args.data:
        if not data.is_dir():  # before the synthetic half, which takes minutes
            parser.error(f"--data {data}: not a directory")
    classes: dict[int, str] = {}
    sources = {"synthetic": synthetic(args.fingers, args.impressions, args.seed, classes)}
    if args.data:
        per_set = args.real_impressions or args.impressions
        parts = [real(d, args.fingers, per_set, dpi) for d, dpi in args.data]
        sources["real"] = (
            np.concatenate([g for g, _, _ in parts]),
            np.concatenate([i for _, i, _ in parts]),
            (
                float(np.mean([c[0] for _, _, c in parts])),
                float(np.mean([c[1] for _, _, c in parts])),
                float(np.mean([c[2] for _, _, c in parts])),
            ),
        )
    thresholds = {"1e-2": THRESHOLD_FMR_1E2, "1e-3": THRESHOLD_FMR_1E3, "1e-4": THRESHOLD_FMR_1E4}
    for name, (genuine, impostor, (coherence, minutiae, ladder)) in sources.items():
        print(
            f"{name}: {len(genuine)} genuine, {len(impostor)} impostor pairs; "
            f"sense coherence {coherence:.3f}, ladder share {ladder:.2f}, "
            f"{minutiae:.1f} minutiae per print"
        )
        for label, threshold in thresholds.items():
            fmr = _rate(int((impostor > threshold).sum()), len(impostor))
            fnmr = _rate(int((genuine <= threshold).sum()), len(genuine))
            print(
                f"  FMR {label} threshold {threshold:.4f}: impostors above {fmr}, "
                f"genuine below {fnmr}"
            )
    if args.by_class:
        impostor = sources["synthetic"][1]
        groups = impostor_rates_by_class(args.fingers, args.impressions, classes, impostor)
        print("synthetic impostors by pattern class (impostors above 1e-2 / 1e-3 / 1e-4):")
        for pair, scores in sorted(groups.items(), key=lambda item: -len(item[1])):
            rates = " / ".join(
                _rate(int((scores > t).sum()), len(scores)) for t in thresholds.values()
            )
            print(f"  {pair[0]} x {pair[1]}: {len(scores)} pairs, {rates}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
