"""``khidmat demo``: bring up the system on this machine."""

from __future__ import annotations

import argparse

from khidmat.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "demo",
        help="run the system on this machine: broker, hub and units, with live figures",
        example="khidmat demo\nkhidmat demo --dir /tmp/khidmat-demo --duration 30",
        handler=_demo,
    )
    parser.add_argument(
        "--dir",
        default="khidmat-demo",
        help="working directory, reused by re-runs (default ./khidmat-demo)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: run until Ctrl-C)",
    )


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from khidmat.demo import run_demo

    return run_demo(Path(args.dir), duration_s=args.duration)
