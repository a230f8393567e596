"""``khidmat officer add|suspend|reinstate|reset-pin|assign|unassign|list``: the roster.

Each command opens the hub database, changes the roster (audited with ``--by``) and
exits; the running hub sends the changed lists to the units within seconds
(:mod:`hub.roster`). A PIN is read from the terminal without echo, or as one line on
standard input when that is not a terminal; it is hashed here (argon2id) and never stored
or shown in clear. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import sys

from khidmat_base.cli import CommandTree

EXAMPLE_CONFIG = "--config deploy-data/hub.toml"


def register(tree: CommandTree) -> None:
    add = tree.add(
        "officer add",
        help="add an officer to the roster (asks for their PIN: 6 to 8 digits)",
        example=f"khidmat officer add QTA-0412 --name 'Nadia Baloch' --rank ASI --station QTA01 "
        f"--roles gate,enrolment --by 'Insp. Karim' {EXAMPLE_CONFIG}",
        handler=run_add,
    )
    add.add_argument("badge", help="badge number, as on the card")
    add.add_argument("--name", required=True, help="name as the units show it")
    add.add_argument("--rank", required=True, help="rank, e.g. ASI, SI, Inspector")
    add.add_argument("--station", required=True, help="station code, e.g. QTA01")
    add.add_argument(
        "--roles",
        required=True,
        help="comma-separated: gate, enrolment, desk-supervisor, operator",
    )
    add.add_argument(
        "--assign",
        action="append",
        default=[],
        metavar="UNIT_OR_STATION",
        help="serve this unit or station (repeat; default: the units of --station)",
    )
    _common(add)
    for name, status, verb in (
        ("suspend", "suspended", "suspend an officer: the units refuse their sign-in at once"),
        ("reinstate", "active", "reinstate a suspended officer"),
    ):
        command = tree.add(
            f"officer {name}",
            help=verb,
            example=f"khidmat officer {name} QTA-0412 --by 'Insp. Karim' {EXAMPLE_CONFIG}",
            handler=_status_handler(status),
        )
        command.add_argument("badge")
        _common(command)
    reset = tree.add(
        "officer reset-pin",
        help="give an officer a new PIN (asks for it)",
        example=f"khidmat officer reset-pin QTA-0412 --by 'Insp. Karim' {EXAMPLE_CONFIG}",
        handler=run_reset_pin,
    )
    reset.add_argument("badge")
    _common(reset)
    for name, verb in (("assign", "let an officer serve"), ("unassign", "stop an officer serving")):
        command = tree.add(
            f"officer {name}",
            help=f"{verb} a unit (its id) or a station (its code)",
            example=f"khidmat officer {name} QTA-0412 gate-qta01-2 --by 'Insp. Karim' {EXAMPLE_CONFIG}",
            handler=run_assign if name == "assign" else run_unassign,
        )
        command.add_argument("badge")
        command.add_argument("target", help="unit id or station code")
        _common(command)
    listing = tree.add(
        "officer list",
        help="the roster with roles, assignments, last sign-in and failures; the lists units carry",
        example=f"khidmat officer list {EXAMPLE_CONFIG}\nkhidmat officer list --json {EXAMPLE_CONFIG}",
        handler=run_list,
    )
    listing.add_argument("--config", required=True, help="hub config file (hub.toml)")
    listing.add_argument("--json", action="store_true", help="print JSON")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="hub config file (hub.toml)")
    parser.add_argument("--by", required=True, help="who makes the change (recorded in the audit)")


def _open(path: str):  # -> (HubStore, Roster) | None
    from hub.alerts import AlertBoard
    from hub.config import load_hub_config
    from hub.roster import Roster
    from hub.store import HubStore
    from khidmat_base.config import ConfigError

    try:
        config = load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return None
    store = HubStore(config.hub.database)
    return store, Roster(store, AlertBoard(store))


def _read_pin() -> str:
    """The PIN from the terminal (asked twice, no echo) or one line of standard input."""
    import getpass

    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (6 to 8 digits): ")
        if getpass.getpass("PIN again: ") != pin:
            raise ValueError("the two PINs differ")
        return pin
    return sys.stdin.readline().strip()


def _change(args: argparse.Namespace, change) -> int:  # type: ignore[no-untyped-def]
    from hub.roster import RosterError

    opened = _open(args.config)
    if opened is None:
        return 2
    store, roster = opened
    try:
        change(roster)
    except (RosterError, ValueError) as error:
        print(f"khidmat officer: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _hashed_pin() -> str:
    from khidmat_wire.pins import hash_pin

    return hash_pin(_read_pin())


def run_add(args: argparse.Namespace) -> int:
    def change(roster) -> None:  # type: ignore[no-untyped-def]
        roster.add(
            args.badge,
            name=args.name,
            rank=args.rank,
            station=args.station,
            roles=args.roles.split(","),
            pin_hash=_hashed_pin(),
            actor=args.by,
            assignments=args.assign,
        )
        print(f"officer {args.badge} added")

    return _change(args, change)


def _status_handler(status: str):  # type: ignore[no-untyped-def]
    def run(args: argparse.Namespace) -> int:
        def change(roster) -> None:  # type: ignore[no-untyped-def]
            roster.set_status(args.badge, status, actor=args.by)
            print(f"officer {args.badge} {status}")

        return _change(args, change)

    return run


def run_reset_pin(args: argparse.Namespace) -> int:
    def change(roster) -> None:  # type: ignore[no-untyped-def]
        roster.reset_pin(args.badge, _hashed_pin(), actor=args.by)
        print(f"officer {args.badge}: new PIN set")

    return _change(args, change)


def run_assign(args: argparse.Namespace) -> int:
    return _change(args, lambda roster: roster.assign(args.badge, args.target, actor=args.by))


def run_unassign(args: argparse.Namespace) -> int:
    return _change(args, lambda roster: roster.unassign(args.badge, args.target, actor=args.by))


def run_list(args: argparse.Namespace) -> int:
    import json

    opened = _open(args.config)
    if opened is None:
        return 2
    store, roster = opened
    try:
        officers = roster.officers()
        lists = roster.unit_lists()
    finally:
        store.close()
    if args.json:
        document = {
            "officers": [
                {
                    "badge": o.badge,
                    "name": o.name,
                    "rank": o.rank,
                    "station": o.station,
                    "roles": list(o.roles),
                    "status": o.status,
                    "assignments": list(o.assignments),
                    "last_signin_ms": o.last_signin_ms,
                    "failures": o.failures,
                    "locked": o.locked,
                }
                for o in officers
            ],  # fmt: skip
            "units": [
                {
                    "device_id": u.device_id,
                    "version": u.version,
                    "officers": u.officers,
                    "installed_version": u.installed_version,
                    "note": u.note,
                }
                for u in lists
            ],  # fmt: skip
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("badge", "name", "rank", "station", "roles", "status", "serves", "failures")
    for o in officers:
        table.add_row(
            o.badge, o.name, o.rank, o.station, ",".join(o.roles),
            o.status + (" (locked out)" if o.locked else ""),
            ",".join(o.assignments) or f"({o.station})", str(o.failures),
        )  # fmt: skip
    units = Table("unit", "list version", "officers", "installed", "note")
    for u in lists:
        units.add_row(
            u.device_id, str(u.version), str(u.officers), str(u.installed_version or "-"), u.note
        )
    console = Console(markup=False, width=None if sys.stdout.isatty() else 200)
    console.print(table)
    console.print(units)
    return 0
