"""``khidmat kiosk`` and ``khidmat bench kiosk`` (nothing heavy imported here)."""

from __future__ import annotations

import argparse

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    kiosk = tree.add(
        "kiosk",
        help="the unit's screen: desk (complaints), gate (identification) or enrol",
        example=(
            "khidmat kiosk --mode desk --config /data/khidmat/unit.toml\n"
            "khidmat kiosk --sim gate        # simulated sensor and GPIO, officer demo / PIN 1234\n"
            "khidmat kiosk --demo gate       # the gate unit of a running `khidmat demo`"
        ),
        handler=_kiosk,
    )
    where = kiosk.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", help="unit configuration (TOML) of a provisioned unit")
    where.add_argument(
        "--sim",
        choices=("desk", "gate", "enrol"),
        help="try a mode on this machine: simulated sensor, mock GPIO, throwaway store",
    )
    where.add_argument(
        "--demo",
        choices=("desk", "gate", "enrol"),
        help="the unit of a running `khidmat demo` (see --dir)",
    )
    kiosk.add_argument(
        "--dir",
        default="khidmat-demo",
        help="with --demo: the demo's directory (default ./khidmat-demo)",
    )
    kiosk.add_argument(
        "--mode",
        choices=("desk", "gate", "enrol"),
        help="with --config: the screen to run (default: the unit's [device] role)",
    )
    kiosk.add_argument("--high-contrast", action="store_true", help="start in high contrast")
    kiosk.add_argument(
        "--language", choices=("en", "ur"), default="en", help="starting language (desk)"
    )

    bench = tree.add(
        "bench kiosk",
        help="kiosk start-up time and gate scan-to-verdict time (simulated R307, 115200 baud)",
        example="khidmat bench kiosk --json\nkhidmat bench kiosk --watchlist 10000 --scans 5",
        handler=_bench,
    )
    bench.add_argument("--watchlist", type=int, default=10_000, help="templates (default 10000)")
    bench.add_argument("--scans", type=int, default=3, help="scans to time (default 3)")
    bench.add_argument("--startups", type=int, default=3, help="start-ups to time (default 3)")
    bench.add_argument("--baud", type=int, default=115200, help="sensor baud (default 115200)")
    bench.add_argument(
        "--model", choices=("r307", "r503"), default="r307", help="simulated sensor (default r307)"
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object")


def _kiosk(args: argparse.Namespace) -> int:
    from kiosk.run import main

    return main(args)


def _bench(args: argparse.Namespace) -> int:
    from bench.kiosk import main

    return main(args)
