"""Synthetic distractor templates for 1:N benchmarks, generated directly (no images).

Rendering 100,000 synthetic images would take hours, so distractors are drawn as
minutiae sets with fingerprint-like statistics: a count ~ N(32, 8) clipped to 12..80
(our extractor's FVC2002 mean is 22-37); positions uniform in an ellipse of a 300x400
px, 500 dpi print with at least 10 px between minutiae; directions following a
Sherlock-Monro orientation field (arch, loop or whorl, random singular points and base
angle) with a random sense and 0.15 rad noise; endings and bifurcations equally likely.
Deterministic by (seed, index). Pure functions: thread-safe.
"""

from __future__ import annotations

import math

import numpy as np

from matcher_cy.template import MINUTIA_DTYPE, Template

WIDTH_PX = 300
HEIGHT_PX = 400
MIN_SPACING_PX = 10.0


def _orientation(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ridge orientation (radians, mod pi) of a random arch, loop or whorl pattern."""
    z = x + 1j * y
    kind = rng.integers(0, 3)
    centre = complex(rng.uniform(110, 190), rng.uniform(140, 240))
    base = rng.uniform(-0.4, 0.4)
    if kind == 0:  # arch: gently curved parallel ridges
        return base + 0.5 * np.sin((x - centre.real) / 90.0) * np.exp(-((y - 330) ** 2) / 2e4)
    cores = [centre]
    deltas = [centre + complex(rng.uniform(-90, 90), rng.uniform(90, 160))]
    if kind == 2:  # whorl: two cores, two deltas
        cores.append(centre + complex(rng.uniform(-20, 20), rng.uniform(20, 50)))
        deltas.append(centre + complex(rng.uniform(-150, -90), rng.uniform(90, 160)))
    theta = np.full(x.shape, base)
    for core in cores:
        theta = theta + 0.5 * np.angle(z - core)
    for delta in deltas:
        theta = theta - 0.5 * np.angle(z - delta)
    return theta


def distractor_template(index: int, *, seed: int = 0) -> Template:
    """Distractor ``index`` of the set drawn with ``seed`` (see module docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, 0x44495354]))
    wanted = int(np.clip(round(rng.normal(32, 8)), 12, 80))
    cx, cy = WIDTH_PX / 2 + rng.normal(0, 10), HEIGHT_PX / 2 + rng.normal(0, 10)
    ax, ay = rng.uniform(95, 130), rng.uniform(130, 175)
    angle = rng.uniform(0, 2 * math.pi, 4 * wanted)
    radius = np.sqrt(rng.uniform(0, 1, 4 * wanted))
    px = np.clip(cx + ax * radius * np.cos(angle), 0, WIDTH_PX - 1)
    py = np.clip(cy + ay * radius * np.sin(angle), 0, HEIGHT_PX - 1)
    chosen: list[int] = []
    for i in range(len(px)):
        if len(chosen) == wanted:
            break
        if chosen:
            dx = px[chosen] - px[i]
            dy = py[chosen] - py[i]
            if np.min(dx * dx + dy * dy) < MIN_SPACING_PX**2:
                continue
        chosen.append(i)
    x, y = px[chosen], py[chosen]
    theta = _orientation(x, y, rng) + math.pi * rng.integers(0, 2, len(x))
    theta += rng.normal(0, 0.15, len(x))
    minutiae = np.zeros(len(x), dtype=MINUTIA_DTYPE)
    minutiae["x"] = np.round(x)
    minutiae["y"] = np.round(y)
    minutiae["angle"] = np.mod(-theta, 2 * math.pi)  # image angle -> counter-clockwise as seen
    minutiae["type"] = rng.integers(1, 3, len(x))
    minutiae["quality"] = rng.integers(40, 101, len(x))
    return Template(minutiae, width=WIDTH_PX, height=HEIGHT_PX, dpi=500, quality=80)
