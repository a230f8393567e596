"""``khidmat kiosk`` (nothing heavy imported here).

On top because ``--demo ROLE`` opens a unit of a running ``khidmat demo``: the demo's
directory is the top's business (khidmat.demo), the kiosk only runs the unit's config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    kiosk = tree.add(
        "kiosk",
        help="the unit's screen: desk (complaints), gate (identification) or enrol",
        example=(
            "khidmat kiosk --mode desk --config /data/khidmat/unit.toml\n"
            "khidmat kiosk --sim gate        # simulated sensor and GPIO, officer demo / PIN 123456\n"
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


def _kiosk(args: argparse.Namespace) -> int:
    from kiosk.run import main

    if args.demo:
        from khidmat.demo import DemoError, demo_unit_config

        try:
            args.config = str(demo_unit_config(Path(args.dir), args.demo))
        except DemoError as error:
            print(f"khidmat kiosk: {error}", file=sys.stderr)
            return 2
    return main(args)
