"""``khidmat bench matcher``: accuracy and speed of matcher_cy on an FVC-style set.

DIR holds ``<finger>_<impression>.<tif|png|bmp|iso>``. All-pairs protocol: genuine =
every pair of impressions of the same finger, impostor = every pair of impressions of
different fingers (FVC2002 B set: 280 genuine, 2,880 impostor). Reports EER and FNMR
at FMR 1e-2 and 1e-3 (percent), the median extraction time per image and 1:1 match
time per pair (search forms prepared, as a gallery holds them), and the mean minutiae
count. Timings are wall-clock on one core with whatever else the machine runs.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".bmp")
_NAME = re.compile(r"^(?P<finger>\d+)_(?P<impression>\d+)$")


@dataclass(frozen=True, slots=True)
class Sample:
    """One file of the set."""

    finger: int
    impression: int
    path: Path


def find_samples(data: Path, fmt: str) -> list[Sample]:
    """FVC-style files of ``fmt`` ("image" or "iso") in ``data``, by finger then impression."""
    suffixes = IMAGE_SUFFIXES if fmt == "image" else (".iso",)
    samples = []
    for path in sorted(data.iterdir()):
        match = _NAME.match(path.stem)
        if match and path.suffix.lower() in suffixes:
            samples.append(Sample(int(match["finger"]), int(match["impression"]), path))
    if not samples:
        raise ValueError(f"no <finger>_<impression>{'/'.join(suffixes)} files in {data}")
    samples.sort(key=lambda s: (s.finger, s.impression))
    return samples


def error_rates(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float]:
    """EER and FNMR at FMR 1e-2 / 1e-3, in percent (decision: accept when score >= t)."""
    thresholds = np.unique(np.concatenate([genuine, impostor, [np.inf]]))
    genuine_sorted = np.sort(genuine)
    impostor_sorted = np.sort(impostor)
    fnmr = np.searchsorted(genuine_sorted, thresholds, side="left") / len(genuine)
    fmr = 1.0 - np.searchsorted(impostor_sorted, thresholds, side="left") / len(impostor)
    best = int(np.argmin(np.abs(fnmr - fmr)))
    result = {"eer": 100.0 * (fnmr[best] + fmr[best]) / 2}
    for name, target in (("fnmr_at_fmr_1e-2", 1e-2), ("fnmr_at_fmr_1e-3", 1e-3)):
        index = int(np.argmax(fmr <= target))  # fmr falls as the threshold rises
        result[name] = 100.0 * float(fnmr[index])
    return result


def threshold_at_fmr(impostor: np.ndarray, target: float) -> float:
    """Smallest score t with FMR(t) = P(impostor >= t) <= target."""
    ordered = np.sort(impostor)
    allowed = int(np.floor(target * len(ordered)))
    if allowed >= len(ordered):
        return float(ordered[0])
    return float(np.nextafter(ordered[len(ordered) - 1 - allowed], np.inf))


def load_templates(samples: list[Sample], fmt: str, dpi: int) -> tuple[list, list[float]]:
    """Templates of every sample and the extraction times (ms; empty for ISO)."""
    from PIL import Image

    from matcher_cy import Template, extract

    templates, times_ms = [], []
    for sample in samples:
        if fmt == "iso":
            templates.append(Template.from_iso(sample.path.read_bytes()))
            continue
        image = np.asarray(Image.open(sample.path).convert("L"))
        start = time.perf_counter()
        templates.append(extract(image, dpi=dpi))
        times_ms.append((time.perf_counter() - start) * 1e3)
    return templates, times_ms


def run(data: Path, *, fmt: str = "image", dpi: int = 500) -> dict:
    """Run the all-pairs protocol on ``data``; returns the figures (see module docstring)."""
    from matcher_cy.matching import DEFAULT_BACKEND, search_form

    samples = find_samples(data, fmt)
    templates, extract_ms = load_templates(samples, fmt, dpi)
    forms = [search_form(t) for t in templates]
    score = DEFAULT_BACKEND.score
    genuine, impostor, match_ns = [], [], []
    for i in range(len(samples)):
        for j in range(i + 1, len(samples)):
            start = time.perf_counter_ns()
            value = score(forms[i], forms[j])
            match_ns.append(time.perf_counter_ns() - start)
            (genuine if samples[i].finger == samples[j].finger else impostor).append(value)
    genuine_scores = np.array(genuine)
    impostor_scores = np.array(impostor)
    result = {
        "data": str(data),
        "format": fmt,
        "implementation": DEFAULT_BACKEND.name,
        **error_rates(genuine_scores, impostor_scores),
        "extract_ms_median": float(np.median(extract_ms)) if extract_ms else None,
        "match_us_median": float(np.median(match_ns)) / 1e3,
        "minutiae_mean": float(np.mean([len(t) for t in templates])),
        "genuine": len(genuine),
        "impostor": len(impostor),
        "threshold_fmr_1e-2": threshold_at_fmr(impostor_scores, 1e-2),
        "threshold_fmr_1e-3": threshold_at_fmr(impostor_scores, 1e-3),
    }
    result["_scores"] = (genuine_scores, impostor_scores)
    return result


def format_text(result: dict) -> str:
    """Human-readable summary of ``run``'s result."""
    extract_ms = result["extract_ms_median"]
    return "\n".join(
        [
            f"{result['data']} ({result['format']}, {result['implementation']})",
            f"  pairs: {result['genuine']} genuine, {result['impostor']} impostor",
            f"  EER {result['eer']:.2f}%  FNMR@FMR1% {result['fnmr_at_fmr_1e-2']:.2f}%  "
            f"FNMR@FMR0.1% {result['fnmr_at_fmr_1e-3']:.2f}%",
            "  extract median "
            + ("n/a (templates)" if extract_ms is None else f"{extract_ms:.1f} ms")
            + f", match median {result['match_us_median']:.1f} us, "
            f"minutiae mean {result['minutiae_mean']:.1f}",
        ]
    )


def main(data: Path, *, fmt: str, dpi: int, as_json: bool, plot: Path | None) -> int:
    """CLI body: run, print text or JSON, optionally draw the DET curve."""
    result = run(data, fmt=fmt, dpi=dpi)
    genuine, impostor = result.pop("_scores")
    if plot is not None:
        from bench.det_plot import draw_det

        draw_det(genuine, impostor, plot, title=f"DET {data.name} ({fmt})")
    print(json.dumps(result, indent=2) if as_json else format_text(result))
    return 0
