"""Benchmark the synthetic fingerprint generator: ms per master finger and per impression.

Usage::

    .venv/bin/python -m bench.fingers --fingers 20 --impressions 8 --repeat 3

Each repeat builds ``--fingers`` fresh masters (uncached, distinct seeds per repeat) and
``--impressions`` impressions of each; prints the best and median per-item times over the
repeats (the machine is shared: the best is the least disturbed figure). One core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence


def measure(
    fingers: int, impressions: int, seed: int, width: int, height: int
) -> tuple[float, float]:
    """One run: (ms per master, ms per impression)."""
    from edge_agent.sim.fingers import impression_from_master
    from edge_agent.sim.fingers_master import build_master

    master_s = 0.0
    impression_s = 0.0
    for finger_id in range(1, fingers + 1):
        start = time.perf_counter()
        master = build_master(finger_id, seed=seed)
        master_s += time.perf_counter() - start
        start = time.perf_counter()
        for impression in range(1, impressions + 1):
            impression_from_master(master, impression, width=width, height=height)
        impression_s += time.perf_counter() - start
    return 1e3 * master_s / fingers, 1e3 * impression_s / (fingers * impressions)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fingers", type=int, default=20)
    parser.add_argument("--impressions", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=288)
    args = parser.parse_args(argv)
    masters: list[float] = []
    impressions: list[float] = []
    for repeat in range(args.repeat):
        per_master, per_impression = measure(
            args.fingers, args.impressions, 1000 + repeat, args.width, args.height
        )
        masters.append(per_master)
        impressions.append(per_impression)
    print(
        f"fingers={args.fingers} impressions={args.impressions} repeat={args.repeat} "
        f"window={args.width}x{args.height}"
    )
    print(f"master:     best {min(masters):.1f} ms, median {statistics.median(masters):.1f} ms")
    print(
        f"impression: best {min(impressions):.1f} ms, "
        f"median {statistics.median(impressions):.1f} ms"
    )
    per_1000_s = (min(masters) + args.impressions * min(impressions)) * 1000 / 1e3
    print(f"1000 fingers x {args.impressions} impressions: about {per_1000_s:.0f} s on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
