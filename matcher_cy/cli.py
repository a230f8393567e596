"""``khidmat bench matcher``; imports nothing heavy until run."""

from __future__ import annotations

import argparse
from pathlib import Path

from khidmat.cli import CommandTree


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


def _matcher(args: argparse.Namespace) -> int:
    from bench.matcher import main

    return main(args.data, fmt=args.format, dpi=args.dpi, as_json=args.json, plot=args.plot)
