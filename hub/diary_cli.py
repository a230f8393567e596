"""``khidmat diary add|list|close|export|verify``: the station diary from the command line.

Each handler opens the hub database named by hub.toml and calls one :class:`hub.diary.Diary`
method; nothing heavy is imported at module level. Exit codes: 0 done, 1 the chain does
not check (verify) or the diary refused the request (the reason is printed), 2 usage or
configuration errors.
"""

from __future__ import annotations

import argparse
import sys

from khidmat_base.cli import CommandTree

CONFIG_HELP = "hub config file (hub.toml)"


def register(tree: CommandTree) -> None:
    from khidmat_wire.vocabulary import DIARY_KIND_BY_KEY, DIARY_OFFICER_KINDS

    add = tree.add(
        "diary add",
        help="add an officer's entry to a station's diary (now, to the day still open)",
        example="khidmat diary add --config deploy-data/hub.toml --station QTA1 --kind prisoner-in "
        "--officer 'SI Ahmed' --text 'Gul Khan s/o Sher Khan, FIR 112/26' --ref 'FIR 112/26'\n"
        "khidmat diary add --config deploy-data/hub.toml --station QTA1 --kind correction "
        "--officer 'SI Ahmed' --corrects QTA1/2026-12-06/7 --text 'registration is LEB-1234'",
        handler=run_add,
    )
    add.add_argument("--config", required=True, help=CONFIG_HELP)
    add.add_argument("--station", required=True, help="station code, e.g. QTA1")
    add.add_argument("--kind", required=True, choices=DIARY_OFFICER_KINDS, help="entry kind")
    add.add_argument("--officer", required=True, help="who makes the entry (name or badge)")
    add.add_argument("--text", default="", help="what happened (as the officer writes it)")
    add.add_argument("--ref", default="", help="a reference: FIR number, property slip, ...")
    add.add_argument("--corrects", default="", help="correction: the entry it corrects")

    listing = tree.add(
        "diary list",
        help="a station's day in order, or the entries that match a search",
        example="khidmat diary list --config deploy-data/hub.toml --station QTA1 --date 2026-12-06\n"
        "khidmat diary list --config deploy-data/hub.toml --station QTA1 --search 'Gul Khan'",
        handler=run_list,
    )
    listing.add_argument("--config", required=True, help=CONFIG_HELP)
    listing.add_argument("--station", default="", help="station code (default: every station)")
    listing.add_argument("--date", default="", help="the station day, YYYY-MM-DD (Pakistan time)")
    listing.add_argument("--search", default="", help="text to find in entries, officers, refs")
    listing.add_argument("--kind", default="", choices=("", *DIARY_KIND_BY_KEY), help="one kind")

    close = tree.add(
        "diary close",
        help="the duty officer closes a station's day (its chain is checked first)",
        example="khidmat diary close --config deploy-data/hub.toml --station QTA1 "
        "--date 2026-12-06 --officer 'Insp. Nadia'",
        handler=run_close,
    )
    close.add_argument("--config", required=True, help=CONFIG_HELP)
    close.add_argument("--station", required=True, help="station code")
    close.add_argument("--date", required=True, help="the station day, YYYY-MM-DD")
    close.add_argument("--officer", required=True, help="the duty officer closing the day")

    export = tree.add(
        "diary export",
        help="write a closed day as roznamcha-<station>-<day>.csv and .pdf",
        example="khidmat diary export --config deploy-data/hub.toml --station QTA1 "
        "--date 2026-12-06 --out reports/",
        handler=run_export,
    )
    export.add_argument("--config", required=True, help=CONFIG_HELP)
    export.add_argument("--station", required=True, help="station code")
    export.add_argument("--date", required=True, help="the closed station day, YYYY-MM-DD")
    export.add_argument("--out", required=True, help="folder to write the two files into")

    verify = tree.add(
        "diary verify",
        help="check a station's day against its hash chain; names the first bad entry",
        example="khidmat diary verify --config deploy-data/hub.toml --station QTA1 --date 2026-12-06\n"
        "khidmat diary verify --config deploy-data/hub.toml          # every stored day",
        handler=run_verify,
    )
    verify.add_argument("--config", required=True, help=CONFIG_HELP)
    verify.add_argument("--station", default="", help="station code (default: every station)")
    verify.add_argument("--date", default="", help="the station day (default: every stored day)")


def _open(path: str):  # -> (HubStore, Diary) | None (printed error)
    from hub.config import load_hub_config
    from hub.diary import Diary
    from hub.store import HubStore
    from khidmat_base.config import ConfigError

    try:
        config = load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return None
    store = HubStore(config.hub.database)
    return store, Diary(store)


def _run(args: argparse.Namespace, action) -> int:  # action(diary) -> int
    from hub.diary import DiaryError

    opened = _open(args.config)
    if opened is None:
        return 2
    store, diary = opened
    try:
        return action(diary)
    except DiaryError as error:
        print(f"khidmat diary: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def run_add(args: argparse.Namespace) -> int:
    def add(diary) -> int:
        entry = diary.add(
            args.station, args.kind, args.officer, args.text, ref=args.ref,
            corrects=args.corrects, source="cli",
        )  # fmt: skip
        print(f"{entry.name}: {entry.title} by {entry.officer}")
        return 0

    return _run(args, add)


def run_list(args: argparse.Namespace) -> int:
    from hub.diary.export import local_time

    def show(diary) -> int:
        if args.station and args.date and not args.search and not args.kind:
            entries = diary.entries(args.station, args.date)
        else:
            entries = diary.search(
                station=args.station, day=args.date, text=args.search, kind=args.kind
            )
        for e in entries:
            also = f" [corrects {e.corrects}]" if e.corrects else ""
            ref = f" (ref. {e.ref})" if e.ref else ""
            text = e.text.replace("\n", " / ")
            print(f"{e.name}  {local_time(e.at_ms)}  {e.kind:<18} {e.officer}: {text}{ref}{also}")
        print(f"{len(entries)} entries", file=sys.stderr)
        return 0

    return _run(args, show)


def run_close(args: argparse.Namespace) -> int:
    def close(diary) -> int:
        entry = diary.close(args.station, args.date, args.officer)
        print(f"{entry.station} {entry.day} closed by {entry.officer}: {entry.seq} entries")
        return 0

    return _run(args, close)


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hub.diary.export import export_day

    def export(diary) -> int:
        for path in export_day(diary, args.station, args.date, Path(args.out)):
            print(path)
        return 0

    return _run(args, export)


def run_verify(args: argparse.Namespace) -> int:
    def verify(diary) -> int:
        if args.date and not args.station:
            print("khidmat diary: --date needs --station", file=sys.stderr)
            return 2
        reports = (
            [diary.verify(args.station, args.date)] if args.date else diary.verify_all(args.station)
        )
        for report in reports:
            print(report.describe(), file=sys.stdout if report.ok else sys.stderr)
        if not reports:
            print("no diary days stored", file=sys.stderr)
        return 0 if all(r.ok for r in reports) else 1

    return _run(args, verify)
