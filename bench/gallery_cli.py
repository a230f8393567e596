"""``khidmat bench gallery``; imports nothing heavy until run."""

from __future__ import annotations

import argparse
from pathlib import Path

from khidmat_base.cli import CommandTree

DEFAULT_CACHE = Path.home() / ".cache" / "khidmat" / "bench-gallery"


def register(tree: CommandTree) -> None:
    """Add the prepared-gallery benchmark to the command tree."""
    gallery = tree.add(
        "bench gallery",
        help="a prepared gallery of N templates: build, save, load, memory, search on 1 and all cores",
        example=(
            "khidmat bench gallery --size 300000 --json\n"
            "khidmat bench gallery --size 100000 --data ../shared/fingerprints/FVC2002/DB1_B"
        ),
        handler=_gallery,
    )
    gallery.add_argument("--size", type=int, required=True, help="synthetic distractors")
    gallery.add_argument("--data", type=Path, help="FVC-style image set for mates (one dpi)")
    gallery.add_argument("--dpi", type=int, default=500, help="resolution of --data (default 500)")
    gallery.add_argument("--probes", type=int, default=500, help="at least this many probes")
    gallery.add_argument(
        "--exhaustive-probes", type=int, default=100, help="probes also searched exhaustively"
    )
    gallery.add_argument("--seed", type=int, default=0, help="distractor seed (default 0)")
    gallery.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="build only this many distinct distractors and repeat them (timing, memory)",
    )
    gallery.add_argument("--processes", type=int, default=2, help="build processes (default 2)")
    gallery.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"built files (default {DEFAULT_CACHE})"
    )
    gallery.add_argument("--json", action="store_true", help="print one JSON object")


def _gallery(args: argparse.Namespace) -> int:
    from bench.gallery import main

    if args.size < 0 or args.probes < 1 or args.processes < 1:
        raise SystemExit("khidmat bench gallery: --size >= 0, --probes and --processes >= 1")
    return main(
        size=args.size,
        data=args.data,
        dpi=args.dpi,
        probes=args.probes,
        exhaustive_probes=args.exhaustive_probes,
        seed=args.seed,
        processes=args.processes,
        cache=args.cache,
        distinct=args.distinct,
        as_json=args.json,
    )
