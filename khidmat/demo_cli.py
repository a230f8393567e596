"""``khidmat demo``: bring up and run the whole system on this machine."""

from __future__ import annotations

import argparse
import sys

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "demo",
        help="run the whole system on this machine: broker, hub, three units, seeded records, operator console",
        example=(
            "khidmat demo\n"
            "khidmat demo --no-console --duration 30     # report every 2 s instead of the console\n"
            "khidmat demo --web                          # every screen in a browser: http://127.0.0.1:8000/\n"
            "khidmat demo --headless --scenario smoke --json\n"
            "khidmat demo --headless --scenario citizen --json    # SMS, urgent alert, tracking page"
        ),
        handler=_demo,
    )
    add = parser.add_argument
    add(
        "--dir",
        default="khidmat-demo",
        help="working directory, reused by re-runs (default ./khidmat-demo)",
    )
    add(
        "--no-console",
        action="store_true",
        help="report every 2 s instead of opening the operator console",
    )
    add(
        "--duration",
        type=float,
        default=None,
        help="with --no-console: stop after this many seconds",
    )
    add(
        "--web",
        action="store_true",
        help="serve the three kiosks and the console to one browser page (textual-serve, 127.0.0.1 only)",
    )
    add(
        "--web-port",
        type=int,
        default=8000,
        help="with --web: the page's port; the screens use the next four (default 8000)",
    )
    add("--people", type=int, default=1000, help="synthetic people on record (default 1000)")
    add(
        "--wanted", type=int, default=50, help="of whom wanted or proclaimed offenders (default 50)"
    )
    add(
        "--headless",
        action="store_true",
        help="no screens: run a scripted scenario through the real apps",
    )
    add(
        "--scenario",
        choices=("smoke", "operations", "citizen", "station"),
        default="smoke",
        help="with --headless: the scenario (default smoke; operations: officers, settings, "
        "a gate installed while the hub runs; citizen: texts on every status change, an "
        "urgent complaint's alert, the tracking page; station: Hotel Eye and "
        "driving-licence tracking)",
    )
    add("--json", action="store_true", help="with --headless: print the figures as one JSON object")


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.headless:
        from khidmat.citizen_scenario import main as citizen
        from khidmat.demo import DemoError
        from khidmat.operations_scenario import OperationsError
        from khidmat.operations_scenario import main as operations
        from khidmat.scenario import ScenarioError, main
        from khidmat.station_scenario import StationError
        from khidmat.station_scenario import main as station

        try:
            if args.scenario == "operations":
                return operations(Path(args.dir), as_json=args.json)
            if args.scenario == "citizen":
                return citizen(Path(args.dir), as_json=args.json)
            if args.scenario == "station":
                return station(Path(args.dir), as_json=args.json)
            return main(Path(args.dir), as_json=args.json)
        except (DemoError, OperationsError, ScenarioError, StationError) as error:
            print(f"khidmat demo: {error}", file=sys.stderr)
            return 1
    from khidmat.demo import run_demo

    return run_demo(
        Path(args.dir),
        duration_s=args.duration,
        console=not args.no_console,
        people=args.people,
        wanted=args.wanted,
        web_port=args.web_port if args.web else None,
    )
