"""Synthetic fingerprints: realistic 500 dpi optical-sensor images, deterministic by seed.

Public face::

    from edge_agent.sim.fingers import impression_image, master_finger, write_set

    image = impression_image(7, 2, seed=0)          # finger 7, impression 2: uint8 288 x 256
    master = master_finger(7, seed=0)               # the finger's identity (orientation, ridges)

A finger's identity (``master_finger``: class, cores and deltas, orientation field, ridge
period map and the ridge pattern grown by oriented filtering, see
:mod:`edge_agent.sim.fingers_master`) depends only on ``(seed, finger_id)``. Each impression
(:mod:`edge_agent.sim.fingers_impression`) adds displacement, rotation, elastic distortion,
pressure, partial contact and noise, and depends only on ``(seed, finger_id, impression)``.
Mates therefore share ridges and minutiae; different finger ids do not.

Cost (``bench/fingers.py``, one core): a master takes ~0.2 s, an impression ~10 ms. Masters
are memoised in a small bounded LRU cache (``MASTER_CACHE_SIZE`` masters, ~2 MB each), so
generating all impressions of one finger before moving to the next is cheap. Everything
here is a pure function of its arguments and thread-safe (the cache is
``functools.lru_cache``, which is thread-safe; two threads may build the same master once
each). Results are bit-identical on one machine and numpy/scipy version; FFT rounding may
differ in the last bits elsewhere.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from edge_agent.sim.fingers_impression import draw_params, render_impression
from edge_agent.sim.fingers_master import MasterFinger, build_master

__all__ = [
    "MASTER_CACHE_SIZE",
    "MasterFinger",
    "impression_from_master",
    "impression_image",
    "master_finger",
    "write_set",
]

#: Masters kept by the memo (each ~2 MB).
MASTER_CACHE_SIZE = 16
DEFAULT_WIDTH_PX = 256
DEFAULT_HEIGHT_PX = 288
DEFAULT_DPI = 500


def master_finger(finger_id: int, *, seed: int = 0) -> MasterFinger:
    """The master finger (identity) for ``(seed, finger_id)``; memoised, arrays read-only.

    ``finger_id`` and ``seed`` must be non-negative integers (ValueError otherwise).
    """
    _check_non_negative(finger_id=finger_id, seed=seed)
    return _cached_master(int(finger_id), int(seed))


def _check_non_negative(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


@functools.lru_cache(maxsize=MASTER_CACHE_SIZE)
def _cached_master(finger_id: int, seed: int) -> MasterFinger:
    return build_master(finger_id, seed=seed)


def impression_image(
    finger_id: int,
    impression: int,
    *,
    seed: int = 0,
    width: int = DEFAULT_WIDTH_PX,
    height: int = DEFAULT_HEIGHT_PX,
    dpi: int = DEFAULT_DPI,
) -> np.ndarray:
    """Impression ``impression`` of finger ``finger_id``: uint8 ``(height, width)`` grayscale.

    Ridges are dark on a light background, as an optical sensor (R307/R503) gives. ``dpi``
    scales the finger (the master is 500 dpi). Deterministic by
    ``(seed, finger_id, impression)``; the image size and dpi change only the window.
    """
    master = master_finger(finger_id, seed=seed)
    return impression_from_master(master, impression, width=width, height=height, dpi=dpi)


def impression_from_master(
    master: MasterFinger,
    impression: int,
    *,
    width: int = DEFAULT_WIDTH_PX,
    height: int = DEFAULT_HEIGHT_PX,
    dpi: int = DEFAULT_DPI,
) -> np.ndarray:
    """Like :func:`impression_image` for a master the caller holds (no cache involved)."""
    _check_non_negative(impression=impression)
    rng = np.random.default_rng(
        np.random.SeedSequence([master.seed, master.finger_id, impression, 0x494D])
    )
    params = draw_params(rng)
    return render_impression(master, params, rng, width=width, height=height, dpi=dpi)


def write_set(
    out_dir: str | Path,
    *,
    fingers: int,
    impressions: int,
    seed: int = 0,
    width: int = DEFAULT_WIDTH_PX,
    height: int = DEFAULT_HEIGHT_PX,
    dpi: int = DEFAULT_DPI,
    first_finger: int = 1,
    jobs: int = 1,
) -> list[Path]:
    """Write FVC-style ``<finger>_<impression>.png`` files (ids and impressions from 1).

    Creates ``out_dir`` if needed; returns the paths written, finger by finger. Cost:
    ``fingers x (master + impressions x impression)`` (see the module docstring), spread
    over ``jobs`` threads (numpy and scipy.fft release the GIL for the heavy work). The
    files do not depend on ``jobs``. Masters are built here, not taken from the memo.
    """
    from concurrent.futures import ThreadPoolExecutor

    if fingers < 1 or impressions < 1:
        raise ValueError("fingers and impressions must be at least 1")
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    _check_non_negative(first_finger=first_finger, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    finger_ids = range(first_finger, first_finger + fingers)

    def one_finger(finger_id: int) -> list[Path]:
        return _write_finger(out, finger_id, impressions, seed, width, height, dpi)

    if jobs == 1:
        per_finger = [one_finger(finger_id) for finger_id in finger_ids]
    else:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sim-fingers") as pool:
            per_finger = list(pool.map(one_finger, finger_ids))
    return [path for paths in per_finger for path in paths]


def _write_finger(
    out: Path, finger_id: int, impressions: int, seed: int, width: int, height: int, dpi: int
) -> list[Path]:
    from PIL import Image

    master = build_master(finger_id, seed=seed)
    paths = []
    for impression in range(1, impressions + 1):
        image = impression_from_master(master, impression, width=width, height=height, dpi=dpi)
        path = out / f"{finger_id}_{impression}.png"
        Image.fromarray(image).save(path, dpi=(dpi, dpi))
        paths.append(path)
    return paths
