"""A DET curve (FNMR against FMR, log-log) drawn with Pillow alone, into a PNG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

_SIZE_PX = 640
_MARGIN_PX = 70
_DECADES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def det_points(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FMR and FNMR at every distinct score threshold (accept when score >= t)."""
    thresholds = np.unique(np.concatenate([genuine, impostor]))
    fnmr = np.searchsorted(np.sort(genuine), thresholds, side="left") / len(genuine)
    fmr = 1.0 - np.searchsorted(np.sort(impostor), thresholds, side="left") / len(impostor)
    return fmr, fnmr


def draw_det(genuine: np.ndarray, impostor: np.ndarray, path: Path, *, title: str) -> None:
    """Write the DET curve of the scores to ``path`` (PNG, 640x640)."""
    fmr, fnmr = det_points(genuine, impostor)
    image = Image.new("RGB", (_SIZE_PX, _SIZE_PX), "white")
    draw = ImageDraw.Draw(image)
    span = _SIZE_PX - 2 * _MARGIN_PX
    low = math.log10(_DECADES[0])

    def to_px(rate_x: float, rate_y: float) -> tuple[float, float]:
        fx = (math.log10(max(rate_x, _DECADES[0])) - low) / -low
        fy = (math.log10(max(rate_y, _DECADES[0])) - low) / -low
        return _MARGIN_PX + fx * span, _SIZE_PX - _MARGIN_PX - fy * span

    for decade in _DECADES:
        x, _ = to_px(decade, 1.0)
        _, y = to_px(1.0, decade)
        draw.line([(x, _MARGIN_PX), (x, _SIZE_PX - _MARGIN_PX)], fill="#dddddd")
        draw.line([(_MARGIN_PX, y), (_SIZE_PX - _MARGIN_PX, y)], fill="#dddddd")
        label = f"{decade * 100:g}%"
        draw.text((x - 12, _SIZE_PX - _MARGIN_PX + 8), label, fill="black")
        draw.text((8, y - 6), label, fill="black")
    draw.line([to_px(1e-4, 1e-4), to_px(1.0, 1.0)], fill="#bbbbbb")
    points = [to_px(float(x), float(y)) for x, y in zip(fmr, fnmr, strict=True)]
    draw.line(points, fill="#c0392b", width=2)
    draw.text((_MARGIN_PX, 20), title, fill="black")
    draw.text((_SIZE_PX // 2 - 20, _SIZE_PX - 30), "FMR", fill="black")
    draw.text((8, _MARGIN_PX - 30), "FNMR", fill="black")
    image.save(path)
