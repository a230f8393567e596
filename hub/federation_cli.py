"""``khidmat federation ...``: the desk's reference lookup and the federation's audit.

Each command opens the hub's database from ``--config`` and calls one function of
:mod:`hub.federation.desk`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from khidmat_base.cli import CommandTree

CONFIG_HELP = "hub config file (hub.toml)"


def register(tree: CommandTree) -> None:
    ref = tree.add(
        "federation ref",
        help="the desk's lookup: the record a reference this province gave another names "
        "(audited on the record)",
        example="khidmat federation ref sindh-5d33d1dc37076f1a --officer B17 --config hub.toml",
        handler=_ref,
    )
    ref.add_argument("ref", help="the reference the other province's officer reads out")
    ref.add_argument("--officer", required=True, help="badge of the desk officer looking it up")
    ref.add_argument("--config", required=True, help=CONFIG_HELP)
    ref.add_argument("--json", action="store_true", help="print JSON")

    log = tree.add(
        "federation log",
        help="cross-province searches: those this hub forwarded (with every reply) and the "
        "asks it answered",
        example="khidmat federation log --config hub.toml --limit 20",
        handler=_log,
    )
    log.add_argument("--config", required=True, help=CONFIG_HELP)
    log.add_argument("--limit", type=int, default=50, help="rows per side (default 50)")
    log.add_argument("--json", action="store_true", help="print JSON")


def _store(path: str):  # -> HubStore | None (printed error)
    from hub.config import load_hub_config
    from hub.store import HubStore
    from khidmat_base.config import ConfigError

    try:
        config = load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return None
    return HubStore(config.hub.database)


def _ref(args: argparse.Namespace) -> int:
    import dataclasses

    from hub.federation.desk import look_up

    store = _store(args.config)
    if store is None:
        return 2
    try:
        person = look_up(store, args.ref, officer=args.officer)
    finally:
        store.close()
    if person is None:
        print(f"no record for reference {args.ref[:60]!r} in this province", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(dataclasses.asdict(person)))
        return 0
    print(f"{person.person_id}  {person.status}")
    print(f"  name     {person.name}")
    print(f"  father   {person.father_name}")
    print(f"  CNIC     {person.cnic or '-'}")
    print(f"  offences {', '.join(person.offences) or '-'}")
    return 0


def _log(args: argparse.Namespace) -> int:
    from hub.federation.desk import audit

    store = _store(args.config)
    if store is None:
        return 2
    try:
        rows = audit(store, args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows))
        return 0
    print("asked (forwarded gate searches):")
    for q in rows["asked"]:
        replies = ", ".join(f"{r['province']} {r['result']}" for r in q["replies"])  # type: ignore[union-attr]
        print(
            f"  {_when(q['asked_ms'])}  {q['device_id']} {q['officer']}  home {q['home_result']}"
            f"  -> {q['verdict'] or 'open'}  [{replies}]"
            + (
                f"  not answered {q['not_answered']}"
                if q["not_answered"] not in (None, "[]")
                else ""
            )
        )
    print("answered (asks from other provinces):")
    for a in rows["answered"]:
        print(
            f"  {_when(a['received_ms'])}  {a['asker']} {a['gate']} {a['officer']}"
            f"  {a['result']}  {a['elapsed_ms']:.0f} ms"
        )
    return 0


def _when(ms: object) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(ms) / 1000))  # type: ignore[call-overload]
