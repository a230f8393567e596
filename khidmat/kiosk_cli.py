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
        choices=("desk", "gate", "enrol", "hotel"),
        help="with --config: the screen to run (default: the unit's [device] role)",
    )
    kiosk.add_argument("--high-contrast", action="store_true", help="start in high contrast")
    kiosk.add_argument(
        "--language",
        choices=("en", "ur"),
        default=None,
        help=(
            "starting language of this run (desk; default: the hub's kiosk.default_language, "
            "else English); gate and enrol screens are always English"
        ),
    )
    kiosk.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help=(
            "serve this kiosk to a browser (textual-serve) instead of this terminal; "
            "each connection runs it once. No authentication: keep HOST 127.0.0.1 "
            "(the unit's own Chromium in cage, deploy/khidmat-kiosk-session.service)"
        ),
    )


def serve_command(argv: list[str]) -> str:
    """The shell command textual-serve runs per connection: this ``khidmat kiosk``
    command line without ``--serve``. Pure."""
    import shlex

    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--serve":
            skip = True
        elif not arg.startswith("--serve="):
            kept.append(arg)
    return shlex.join([sys.executable, "-m", "khidmat", *kept])


def _serve(address: str, command: str) -> int:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        print(f"khidmat kiosk: --serve {address!r}: give HOST:PORT", file=sys.stderr)
        return 2
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "khidmat kiosk: --serve has no authentication; bind it to 127.0.0.1",
            file=sys.stderr,
        )
        return 2
    from kiosk.served import server

    server(command, host=host, port=int(port)).serve()
    return 0


def _kiosk(args: argparse.Namespace) -> int:
    from kiosk.run import main

    if args.serve:
        argv = sys.argv[1:]
        return _serve(args.serve, serve_command(argv[argv.index("kiosk") :]))

    if args.demo:
        from khidmat.demo import DemoError, demo_unit_config

        try:
            args.config = str(demo_unit_config(Path(args.dir), args.demo))
        except DemoError as error:
            print(f"khidmat kiosk: {error}", file=sys.stderr)
            return 2
    return main(args)
