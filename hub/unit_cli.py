"""``khidmat unit set|settings|command``: a unit's settings and remote commands.

Each command opens the hub database, makes the change (audited with ``--by``) and exits;
the running hub sends it to the unit within a second (queued downlinks) and records the
unit's answer. ``unit command --wait S`` waits up to S seconds for that answer. Nothing
heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import sys
import time

from khidmat_base.cli import CommandTree

CONFIG = "--config deploy-data/hub.toml"


def register(tree: CommandTree) -> None:
    setter = tree.add(
        "unit set",
        help="set settings a unit reads from the hub (versioned; the unit acknowledges)",
        example=f"khidmat unit set desk-qta01-1 kiosk.unit_no=3 --by 'Insp. Karim' {CONFIG}\n"
        f"khidmat unit set gate-qta01-1 sensor.baud=115200 kiosk.default_language=ur --by 'Insp. Karim' {CONFIG}",
        handler=run_set,
    )
    setter.add_argument("unit", help="unit id")
    setter.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    setter.add_argument("--config", required=True, help="hub config file (hub.toml)")
    setter.add_argument("--by", required=True, help="who makes the change (recorded in the audit)")
    shower = tree.add(
        "unit settings",
        help="a unit's settings, the version it applied, and its recent commands",
        example=f"khidmat unit settings gate-qta01-1 {CONFIG}",
        handler=run_show,
    )
    shower.add_argument("unit", help="unit id")
    shower.add_argument("--config", required=True, help="hub config file (hub.toml)")
    shower.add_argument("--json", action="store_true", help="print JSON")
    commander = tree.add(
        "unit command",
        help="send a unit a command and show its result",
        example=f"khidmat unit command gate-qta01-1 selftest --by 'Insp. Karim' --wait 30 {CONFIG}",
        handler=run_command,
    )
    commander.add_argument("unit", help="unit id")
    commander.add_argument(
        "command", choices=("selftest", "restart-screen", "open-relay", "sync-watchlist")
    )
    commander.add_argument("--config", required=True, help="hub config file (hub.toml)")
    commander.add_argument("--by", required=True, help="who sends it (recorded in the audit)")
    commander.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for the unit's answer (default 0)"
    )


def _open(path: str, unit_id: str):  # -> (store, control, target, station units) | int
    from hub.config import load_hub_config
    from hub.store import HubStore
    from hub.unit_control import UnitControl, UnitTarget
    from khidmat_base.config import ConfigError
    from provisioning.registry import Registry

    try:
        config = load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return 2
    store = HubStore(config.hub.database)
    with Registry(config.hub.database) as registry:
        devices = registry.list(include_retired=False)
    targets = {d.device_id: UnitTarget(d.device_id, d.role, d.station) for d in devices}
    target = targets.get(unit_id)
    if target is None:
        store.close()
        print(f"khidmat unit: no active unit {unit_id[:64]!r} in the registry", file=sys.stderr)
        return 1
    station = [t for t in targets.values() if t.station == target.station]
    return store, UnitControl(store), target, station


def run_set(args: argparse.Namespace) -> int:
    from hub.unit_control import UnitControlError

    changes: dict[str, str] = {}
    for item in args.assignments:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"khidmat unit set: {item[:80]!r} is not KEY=VALUE", file=sys.stderr)
            return 2
        changes[key.strip()] = value.strip()
    opened = _open(args.config, args.unit)
    if isinstance(opened, int):
        return opened
    store, control, target, station = opened
    try:
        version = control.set(target, changes, actor=args.by, station_units=station)
    except UnitControlError as error:
        print(f"khidmat unit set: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"{target.device_id}: settings v{version} queued ({', '.join(changes)})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import json

    opened = _open(args.config, args.unit)
    if isinstance(opened, int):
        return opened
    store, control, target, _ = opened
    try:
        settings = control.settings(target.device_id)
        version, applied = control.config_state(target.device_id)
        commands = control.commands(target.device_id, 10)
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                {
                    "unit": target.device_id,
                    "settings": settings,
                    "version": version,
                    "applied_version": applied,
                    "commands": [
                        {
                            "command": c.command,
                            "by": c.by,
                            "at_ms": c.at_ms,
                            "severity": c.severity,
                            "detail": c.detail,
                        }
                        for c in commands
                    ],
                },  # fmt: skip
                ensure_ascii=False,
            )
        )
        return 0
    print(f"{target.device_id} ({target.role}, {target.station}): settings v{version}, "
          f"applied v{applied or 0}")  # fmt: skip
    for key, value in settings.items():
        print(f"  {key} = {value}")
    for c in commands:
        result = f"{c.severity}: {c.detail}" if c.result_ms else "(no answer yet)"
        print(f"  {time.strftime('%Y-%m-%d %H:%M', time.gmtime(c.at_ms / 1000))} "
              f"{c.command} by {c.by}: {result}")  # fmt: skip
    return 0


def run_command(args: argparse.Namespace) -> int:
    from hub.unit_control import UnitControlError

    opened = _open(args.config, args.unit)
    if isinstance(opened, int):
        return opened
    store, control, target, _ = opened
    try:
        record_id = control.command(target, args.command, actor=args.by)
        print(f"{target.device_id}: {args.command} sent ({record_id})")
        deadline = time.monotonic() + max(0.0, args.wait)
        result = control.command_result(record_id)
        while (result is None or result.result_ms is None) and time.monotonic() < deadline:
            time.sleep(0.5)
            result = control.command_result(record_id)
    except UnitControlError as error:
        print(f"khidmat unit command: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if result is None or result.result_ms is None:
        print("no answer yet (see: khidmat unit settings UNIT)")
        return 0 if args.wait <= 0 else 3
    print(f"{result.severity}: {result.detail}")
    return 0 if result.severity != "error" else 1
