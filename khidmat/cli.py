"""The ``khidmat`` command line.

Each package contributes its commands through a small ``cli`` module exposing
``register(tree: CommandTree) -> None`` (the tree is the floor's, khidmat_base.cli); those
modules import nothing heavy at import time, so ``khidmat --help`` and start-up stay fast. Only registered (working) commands
are listed. Every command has an example in its help.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from khidmat_base import __version__
from khidmat_base.cli import CommandTree, Handler

#: Modules that register commands, in the order their commands are listed.
COMMAND_MODULES: tuple[str, ...] = (
    "khidmat.demo_cli",
    "hub.cli",
    "hub.roster_cli",
    "hub.unit_cli",
    "hub.diary_cli",
    "hub.station_cli",
    "hub.federation_cli",
    "edge_agent.cli",
    "khidmat.kiosk_cli",
    "provisioning.cli",
    "edge_agent.sim.cli",
    "edge_agent.sim.fingers_cli",
    "edge_agent.sim.printer_cli",
    "hub.sms.cli",
    "hub.tracking_web.cli",
    "bench.cli",
    "bench.matcher_cli",
    "bench.gallery_cli",
)

#: Help for command groups (a group is listed once one of its commands is registered).
GROUP_HELP: dict[str, tuple[str, str]] = {
    "sim": (
        "simulated hardware: sensors, modem, receipt printer and synthetic fingerprints",
        "khidmat sim sensor --model r307 --link /tmp/fp0",
    ),
    "bench": (
        "benchmarks that print measured figures",
        "khidmat bench ingest --devices 20 --records 500 --json",
    ),
    "provision": (
        "technician's tool: keys, units, self-test, revocation",
        "khidmat provision init --dir deploy-data",
    ),
    "records": (
        "criminal records at the hub: bulk import",
        "khidmat records import people.csv --config hub.toml --officer CRO-QTA",
    ),
    "officer": (
        "the officer roster: who may sign in on which units",
        "khidmat officer list --config deploy-data/hub.toml",
    ),
    "unit": (
        "a unit's settings from the hub and remote commands",
        "khidmat unit settings gate-qta01-1 --config deploy-data/hub.toml",
    ),
    "diary": (
        "the station daily diary (roznamcha): add, list, close, export, verify",
        "khidmat diary verify --config deploy-data/hub.toml --station QTA1 --date 2026-12-06",
    ),
    "hotel": (
        "Hotel Eye: hotels, their guest registers, checks against the records",
        "khidmat hotel import guests.csv --hotel QTA-SERENA --config hub.toml",
    ),
    "federation": (
        "cross-province searches: the desk's reference lookup and both sides' audit",
        "khidmat federation log --config hub.toml",
    ),
    "licence": (
        "driving-licence applications from the licensing branch, tracked by citizens",
        "khidmat licence import applications.csv --config hub.toml",
    ),
    "report": ("reports from the hub's database", "khidmat report complaints --since 2026-11-01"),
}


_Formatter = argparse.RawDescriptionHelpFormatter  # keep the examples' line breaks


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Build the full parser from every command module that is present."""
    parser = argparse.ArgumentParser(
        prog="khidmat",
        description="Khidmat: complaint kiosks, fingerprint gates and their hub for police services.",
        epilog="example:\n  khidmat demo            # the whole system on this machine\n"
        "  khidmat agent --config /data/khidmat/unit.toml",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"khidmat {__version__}")
    tree = CommandTree(parser, GROUP_HELP)
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue  # that package has no commands yet
            raise
        module.register(tree)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``khidmat`` script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
