"""``khidmat sim fingers``: write a set of synthetic fingerprint images (FVC-style names).

Imports nothing heavy at import time; the handler imports :mod:`edge_agent.sim.fingers`.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    """Add ``sim fingers`` to the ``khidmat`` command tree."""
    parser = tree.add(
        "sim fingers",
        help="write synthetic 500 dpi fingerprint images <finger>_<impression>.png",
        example="khidmat sim fingers --out /tmp/fingers --fingers 10 --impressions 8 --seed 0",
        handler=_run,
    )
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument("--fingers", type=int, default=10, help="number of fingers (ids from 1)")
    parser.add_argument("--impressions", type=int, default=8, help="impressions per finger")
    parser.add_argument("--seed", type=int, default=0, help="seed: same seed, same images")
    parser.add_argument("--width", type=int, default=256, help="image width, px (R307: 256)")
    parser.add_argument("--height", type=int, default=288, help="image height, px (R307: 288)")
    parser.add_argument("--dpi", type=int, default=500, help="resolution, dots per inch")
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker threads (the files do not depend on it)"
    )


def _run(args: argparse.Namespace) -> int:
    from edge_agent.sim.fingers import write_set

    if args.fingers < 1 or args.impressions < 1:
        print("--fingers and --impressions must be at least 1", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    if args.width < 16 or args.height < 16 or args.dpi < 100:
        print("--width/--height must be at least 16 px and --dpi at least 100", file=sys.stderr)
        return 2
    start = time.perf_counter()
    paths = write_set(
        args.out,
        fingers=args.fingers,
        impressions=args.impressions,
        seed=args.seed,
        width=args.width,
        height=args.height,
        dpi=args.dpi,
        jobs=args.jobs,
    )
    elapsed_s = time.perf_counter() - start
    print(f"wrote {len(paths)} images to {args.out} in {elapsed_s:.1f} s")
    return 0
