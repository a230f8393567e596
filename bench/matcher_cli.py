"""``khidmat bench matcher|search|identify|fusion``; imports nothing heavy until run.

The matcher itself (matcher_cy) imports nothing of ours; its benchmarks' commands live here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    """Add the matcher benchmarks to the command tree."""
    matcher = tree.add(
        "bench matcher",
        help="fingerprint accuracy and speed, all-pairs protocol on an FVC-style set",
        example=(
            "khidmat bench matcher --data ../shared/fingerprints/FVC2002/DB1_B --json\n"
            "khidmat bench matcher --data ../shared/fingerprints/FVC2002/DB2_B --dpi 569\n"
            "khidmat bench matcher --data DIR/iso --format iso --plot det.png"
        ),
        handler=_matcher,
    )
    matcher.add_argument("--data", type=Path, required=True, help="<finger>_<impression>.* files")
    matcher.add_argument(
        "--format", choices=("image", "iso"), default="image", help="image files or ISO templates"
    )
    matcher.add_argument("--dpi", type=int, default=500, help="image resolution (default 500)")
    matcher.add_argument("--json", action="store_true", help="print one JSON object")
    matcher.add_argument("--plot", type=Path, help="draw the DET curve into this PNG")

    search = tree.add(
        "bench search",
        help="1:N search time and rank-1 rate over N synthetic distractors plus enrolled fingers",
        example=(
            "khidmat bench search --gallery 100000 --json\n"
            "khidmat bench search --gallery 10000 --data ../shared/fingerprints/FVC2002/DB1_B"
        ),
        handler=_search,
    )
    search.add_argument("--gallery", type=int, required=True, help="synthetic distractors")
    search.add_argument("--data", type=Path, help="FVC-style image set (default: synthetic mates)")
    search.add_argument("--dpi", type=int, default=500, help="image resolution (default 500)")
    search.add_argument("--probes", type=int, default=0, help="use only the first N probes")
    search.add_argument("--seed", type=int, default=0, help="distractor seed (default 0)")
    search.add_argument("--json", action="store_true", help="print one JSON object")

    identify = tree.add(
        "bench identify",
        help="1:N person search by 1 or 2 fingers: FNIR and FPIR at the system's red and yellow",
        example=(
            "khidmat bench identify --fingers 2 --gallery 10000 --data "
            "../shared/fingerprints/FVC2002/DB1_B ../shared/fingerprints/FVC2002/DB2_B:569 "
            "../shared/fingerprints/FVC2002/DB3_B ../shared/fingerprints/FVC2002/DB4_B --json"
        ),
        handler=_identify,
    )
    identify.add_argument("--fingers", type=int, choices=(1, 2), required=True)
    identify.add_argument("--gallery", type=int, required=True, help="synthetic distractor persons")
    identify.add_argument(
        "--data", nargs="+", default=[], help="FVC-style image sets, DIR or DIR:DPI (default 500)"
    )
    identify.add_argument(
        "--strangers",
        type=int,
        default=3000,
        help="synthetic non-mated persons searched (default 3000)",
    )
    identify.add_argument("--seed", type=int, default=0, help="distractor seed (default 0)")
    identify.add_argument(
        "--cache",
        type=Path,
        help="build the distractor persons once into prepared files here and map them "
        "in later runs (for example ~/.cache/khidmat/bench-gallery; default: in memory)",
    )
    identify.add_argument(
        "--processes", type=int, default=2, help="build processes with --cache (default 2)"
    )
    identify.add_argument("--json", action="store_true", help="print one JSON object")

    fusion = tree.add(
        "bench fusion",
        help="the fused impostor-tail model of matcher_cy.decision, with leave-one-set-out checks",
        example=(
            "khidmat bench fusion --data ../shared/fingerprints/FVC2002/DB1_B "
            "../shared/fingerprints/FVC2002/DB2_B:569 ../shared/fingerprints/FVC2002/DB3_B "
            "../shared/fingerprints/FVC2002/DB4_B --json"
        ),
        handler=_fusion,
    )
    fusion.add_argument(
        "--data", nargs="+", required=True, help="FVC-style image sets, DIR or DIR:DPI"
    )
    fusion.add_argument("--json", action="store_true", help="print one JSON object")

    lodo = tree.add(
        "bench lodo",
        help="one-finger EER per set with the swept constants chosen leave-one-set-out",
        example=(
            "khidmat bench lodo --data ../shared/fingerprints/FVC2002/DB1_B "
            "../shared/fingerprints/FVC2002/DB2_B:569 ../shared/fingerprints/FVC2002/DB3_B "
            "../shared/fingerprints/FVC2002/DB4_B --json"
        ),
        handler=_lodo,
    )
    lodo.add_argument(
        "--data", nargs="+", required=True, help="FVC-style image sets, DIR or DIR:DPI"
    )
    lodo.add_argument("--json", action="store_true", help="print one JSON object")


def _matcher(args: argparse.Namespace) -> int:
    from bench.matcher import main

    try:
        return main(args.data, fmt=args.format, dpi=args.dpi, as_json=args.json, plot=args.plot)
    except (ValueError, OSError) as error:  # no data files, unreadable or malformed ones
        print(f"khidmat bench matcher: {error}", file=sys.stderr)
        return 2


def _search(args: argparse.Namespace) -> int:
    from bench.search import main

    return main(
        gallery=args.gallery,
        data=args.data,
        dpi=args.dpi,
        probes=args.probes,
        seed=args.seed,
        as_json=args.json,
    )


def _identify(args: argparse.Namespace) -> int:
    from bench.identify import main, parse_data

    try:
        return main(
            gallery=args.gallery,
            fingers=args.fingers,
            data=[parse_data(value) for value in args.data],
            strangers=args.strangers,
            seed=args.seed,
            as_json=args.json,
            cache=args.cache,
            processes=args.processes,
        )
    except (ValueError, OSError) as error:  # no data files, unreadable or malformed ones
        print(f"khidmat bench identify: {error}", file=sys.stderr)
        return 2


def _fusion(args: argparse.Namespace) -> int:
    from bench.fusion import main
    from bench.identify import parse_data

    try:
        return main([parse_data(value) for value in args.data], as_json=args.json)
    except (ValueError, OSError) as error:
        print(f"khidmat bench fusion: {error}", file=sys.stderr)
        return 2


def _lodo(args: argparse.Namespace) -> int:
    from bench.identify import parse_data
    from bench.lodo import main

    try:
        return main([parse_data(value) for value in args.data], as_json=args.json)
    except (ValueError, OSError, RuntimeError) as error:
        print(f"khidmat bench lodo: {error}", file=sys.stderr)
        return 2
