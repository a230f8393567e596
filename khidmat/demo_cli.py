"""``khidmat demo``: bring up and run the whole system on this machine."""

from __future__ import annotations

import argparse

from khidmat.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "demo",
        help="run the whole system on this machine: broker, hub, three units, seeded records, operator console",
        example=(
            "khidmat demo\n"
            "khidmat demo --no-console --duration 30     # report every 2 s instead of the console\n"
            "khidmat demo --headless --scenario smoke --json"
        ),
        handler=_demo,
    )
    parser.add_argument(
        "--dir",
        default="khidmat-demo",
        help="working directory, reused by re-runs (default ./khidmat-demo)",
    )
    parser.add_argument(
        "--no-console",
        action="store_true",
        help="report every 2 s instead of opening the operator console",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="with --no-console: stop after this many seconds",
    )
    parser.add_argument(
        "--people", type=int, default=1000, help="synthetic people on record (default 1000)"
    )
    parser.add_argument(
        "--wanted", type=int, default=50, help="of whom wanted or proclaimed offenders (default 50)"
    )


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from khidmat.demo import run_demo

    return run_demo(
        Path(args.dir),
        duration_s=args.duration,
        console=not args.no_console,
        people=args.people,
        wanted=args.wanted,
    )
