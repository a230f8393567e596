"""``khidmat hub``, ``khidmat console``, ``khidmat records import``, ``khidmat report ...``.

Each handler is a few lines over a library call; nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import sys

from khidmat_base import clock
from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "hub",
        help="run the hub: ingest every unit's records, ack them, and run the hub's duties",
        example="khidmat hub --config deploy-data/hub.toml\nkhidmat hub --config deploy-data/hub.toml --worker 2   # one of several workers",
        handler=run_hub,
    )
    parser.add_argument(
        "--config",
        required=True,
        help="hub config file (hub.toml, written by 'khidmat provision init')",
    )
    parser.add_argument(
        "--worker", type=int, default=0, help="worker number when [hub] workers > 1 (default 0)"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )

    console = tree.add(
        "console",
        help="the hub operator's console (devices, complaints, alerts, quarantine, search)",
        example="khidmat console --config deploy-data/hub.toml --officer 'Insp. Nadia'\n"
        "khidmat console --config deploy-data/hub.toml --officer 'LC Amna' --desk women\n"
        "khidmat console --add-officer deploy-data/console.password --officer 'LC Amna' --desk women\n"
        "khidmat console --config deploy-data/hub.toml --web --port 8080 "
        "--password-file deploy-data/console.password",
        handler=run_console,
    )
    console.add_argument("--config", help="hub config file (hub.toml)")
    console.add_argument("--officer", help="operator's name or badge, recorded on every change")
    console.add_argument(
        "--desk",
        choices=("general", "women"),
        default="general",
        help="general desk, or the women officers' desk (sees gender-desk complaints in full)",
    )
    console.add_argument("--web", action="store_true", help="serve the console to a browser")
    console.add_argument("--host", default="127.0.0.1", help="web: address to listen on")
    console.add_argument("--port", type=int, default=8080, help="web: port (default 8080)")
    console.add_argument(
        "--password-file", help="web: operator password hash file (from --set-password)"
    )
    console.add_argument(
        "--set-password",
        metavar="FILE",
        help="ask for one shared password and write its hash to FILE (every web login is --officer), then exit",
    )
    console.add_argument(
        "--add-officer",
        metavar="FILE",
        help="ask for --officer's password and add their web login (at --desk) to FILE, then exit",
    )

    importer = tree.add(
        "records import",
        help="bulk-import criminal records: a CSV plus ISO 19794-2 templates or images",
        example="khidmat records import people.csv --config deploy-data/hub.toml --officer CRO-QTA",
        handler=run_import,
    )
    importer.add_argument("csv", help="CSV file (columns: see docs/hub.md)")
    importer.add_argument("--config", required=True, help="hub config file (hub.toml)")
    importer.add_argument("--officer", required=True, help="who imports (recorded in the audit)")
    importer.add_argument(
        "--files", help="folder the CSV's file paths are relative to (default: the CSV's folder)"
    )
    importer.add_argument("--dpi", type=int, default=500, help="resolution of images (default 500)")

    export = tree.add(
        "records export",
        help="write a person's templates as ISO/IEC 19794-2 or ANSI INCITS 378 records",
        example="khidmat records export P-0012 --format iso --out /media/usb --config deploy-data/hub.toml --officer CRO-QTA",
        handler=run_export,
    )
    export.add_argument("person_id", help="the person's record id")
    export.add_argument("--format", choices=("iso", "ansi"), default="iso")
    export.add_argument(
        "--out", required=True, help="folder to write <person>-finger<N>.<format> into"
    )
    export.add_argument("--config", required=True, help="hub config file (hub.toml)")
    export.add_argument("--officer", required=True, help="who exports (recorded in the audit)")

    complaints = tree.add(
        "report complaints",
        help="complaint turnaround, overdue and satisfaction by station and category",
        example="khidmat report complaints --config deploy-data/hub.toml --since 2026-11-01 --csv nov.csv",
        handler=run_report_complaints,
    )
    complaints.add_argument("--config", required=True, help="hub config file (hub.toml)")
    complaints.add_argument("--since", required=True, help="first day, YYYY-MM-DD (UTC)")
    complaints.add_argument("--until", help="day after the last, YYYY-MM-DD (default: now)")
    complaints.add_argument("--csv", help="also write the rows to this CSV file")

    daily = tree.add(
        "report daily",
        help="daily station summary (complaints, gates, units) as CSV and PDF",
        example="khidmat report daily --config deploy-data/hub.toml --day 2026-12-05 --out reports/",
        handler=run_report_daily,
    )
    daily.add_argument("--config", required=True, help="hub config file (hub.toml)")
    daily.add_argument("--day", help="the UTC day, YYYY-MM-DD (default: yesterday)")
    daily.add_argument("--out", required=True, help="folder for summary-<day>.csv and .pdf")

    fleet = tree.add(
        "report fleet",
        help="uptime per unit from its online/offline history",
        example="khidmat report fleet --config deploy-data/hub.toml --since 2026-11-01",
        handler=run_report_fleet,
    )
    fleet.add_argument("--config", required=True, help="hub config file (hub.toml)")
    fleet.add_argument("--since", help="first day, YYYY-MM-DD (UTC; default: 7 days ago)")
    fleet.add_argument("--until", help="day after the last, YYYY-MM-DD (default: now)")
    fleet.add_argument("--csv", help="also write the rows to this CSV file")


def _config(path: str | None):  # -> HubConfig | None (printed error)
    from hub.config import load_hub_config
    from khidmat_base.config import ConfigError

    if not path:
        print("--config is required", file=sys.stderr)
        return None
    try:
        return load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return None


def run_hub(args: argparse.Namespace) -> int:
    import signal

    from hub.service import HubService
    from khidmat_base import daemon_logs

    daemon_logs.configure(args.log_level)
    config = _config(args.config)
    if config is None:
        return 2
    service = HubService(config, worker=args.worker)
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    return service.run()


def run_console(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.set_password:
        import getpass

        from hub.console.web import write_password_file

        first = getpass.getpass("operator password: ")
        if len(first) < 10 or first != getpass.getpass("again: "):
            print("passwords differ or shorter than 10 characters", file=sys.stderr)
            return 2
        write_password_file(Path(args.set_password), first)
        print(f"wrote {args.set_password}")
        return 0
    if args.add_officer:
        return _add_officer(args)
    config = _config(args.config)
    if config is None:
        return 2
    if args.web:
        return _serve_web(args, config)
    if not args.officer:
        print("--officer is required (it is recorded on every change)", file=sys.stderr)
        return 2
    from hub.console.app import build_app
    from hub.console.backend import ConsoleBackend, Operator

    build_app(ConsoleBackend(config, Operator(args.officer, args.desk))).run()
    return 0


def _add_officer(args: argparse.Namespace) -> int:
    import getpass
    from pathlib import Path

    from hub.console.web import PasswordFileError, add_account, check_officer_name

    if not args.officer:
        print("--add-officer needs --officer NAME (and --desk women for the women's desk)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        check_officer_name(args.officer)
    except PasswordFileError as error:
        print(error, file=sys.stderr)
        return 2
    first = getpass.getpass(f"password for {args.officer}: ")
    if len(first) < 10 or first != getpass.getpass("again: "):
        print("passwords differ or shorter than 10 characters", file=sys.stderr)
        return 2
    add_account(Path(args.add_officer), args.officer, args.desk, first)
    print(f"{args.officer} ({args.desk} desk) can log in to the web console ({args.add_officer})")
    return 0


def _serve_web(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    import shlex
    from pathlib import Path

    from hub.console.web import Account, PasswordFileError, PasswordServer, parse_accounts

    if not args.password_file:
        print("--web needs --password-file (khidmat console --add-officer FILE ...)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        text = Path(args.password_file).read_text(encoding="utf-8")
        accounts = parse_accounts(text, officer=args.officer, desk=args.desk)
    except (OSError, PasswordFileError) as error:
        print(f"{args.password_file}: {error}", file=sys.stderr)
        return 2

    def command_for(account: Account) -> str:
        return shlex.join(
            [sys.executable, "-m", "khidmat", "console", "--config", str(config.path),
             "--officer", account.officer, "--desk", account.desk]
        )  # fmt: skip

    PasswordServer(
        command_for, accounts=accounts, host=args.host, port=args.port,
        title="Khidmat hub console",
    ).serve()  # fmt: skip
    return 0


def run_import(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from hub.records import RecordStore
    from hub.records_import import CsvImportError, import_csv
    from hub.store import HubStore

    config = _config(args.config)
    if config is None:
        return 2
    store = HubStore(config.hub.database)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = import_csv(
                RecordStore(store),
                args.csv,
                actor=args.officer,
                files_dir=args.files,
                image_dpi=args.dpi,
                progress=step,
            )
    except CsvImportError as error:
        print(f"khidmat records import: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"{report.rows} rows: {report.people} people, {report.templates} templates imported")
    for line, problem in report.errors:
        print(f"  line {line}: {problem}", file=sys.stderr)
    return 1 if report.errors else 0


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hub.records import RecordError, RecordStore
    from hub.store import HubStore

    config = _config(args.config)
    if config is None:
        return 2
    store = HubStore(config.hub.database)
    try:
        paths = RecordStore(store).export_to_folder(
            args.person_id, args.format, Path(args.out), actor=args.officer
        )
    except (RecordError, OSError) as error:
        print(f"khidmat records export: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    for path in paths:
        print(f"{path} ({path.stat().st_size} bytes)")
    if not paths:
        print(f"{args.person_id}: no templates on record")
    return 0


def _period(since: str | None, until: str | None, default_days: int):
    from datetime import UTC, datetime

    from hub.reports import Period

    def parse(text: str) -> int:
        return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)

    until_ms = parse(until) if until else clock.now_ms()
    since_ms = parse(since) if since else until_ms - default_days * 86_400_000
    return Period(since_ms, until_ms)


def _print_rows(
    rows: list[dict[str, object]], columns: tuple[str, ...], csv_path: str | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    # On a terminal rich fits the table to it; piped to a file, nothing is cut.
    Console(markup=False, width=None if sys.stdout.isatty() else 200).print(table)
    if csv_path:
        import csv

        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)


def run_report_complaints(args: argparse.Namespace) -> int:
    from hub.complaints import ComplaintDesk
    from hub.reports import COMPLAINT_COLUMNS, complaint_report
    from hub.store import HubStore

    config = _config(args.config)
    if config is None:
        return 2
    try:
        period = _period(args.since, args.until, 30)
    except ValueError as error:
        print(f"khidmat report complaints: {error}", file=sys.stderr)
        return 2
    store = HubStore(config.hub.database)
    try:
        ComplaintDesk(store, config.complaints)  # creates the tables on a fresh database
        _print_rows(complaint_report(store, period), COMPLAINT_COLUMNS, args.csv)
    finally:
        store.close()
    return 0


def run_report_fleet(args: argparse.Namespace) -> int:
    from hub.alerts import AlertBoard
    from hub.fleet import Fleet
    from hub.reports import FLEET_COLUMNS, fleet_report
    from hub.store import HubStore

    config = _config(args.config)
    if config is None:
        return 2
    try:
        period = _period(args.since, args.until, 7)
    except ValueError as error:
        print(f"khidmat report fleet: {error}", file=sys.stderr)
        return 2
    store = HubStore(config.hub.database)
    fleet = Fleet(store, AlertBoard(store), config.fleet)
    try:
        _print_rows(fleet_report(store, fleet, period), FLEET_COLUMNS, args.csv)
    finally:
        fleet.close()
        store.close()
    return 0


def run_report_daily(args: argparse.Namespace) -> int:
    from datetime import date
    from pathlib import Path

    from hub.alerts import AlertBoard
    from hub.complaints import ComplaintDesk
    from hub.daily_summary import write_day, yesterday
    from hub.fleet import Fleet
    from hub.store import HubStore

    config = _config(args.config)
    if config is None:
        return 2
    try:
        day = date.fromisoformat(args.day) if args.day else yesterday(clock.now_ms())
    except ValueError as error:
        print(f"khidmat report daily: --day: {error}", file=sys.stderr)
        return 2
    store = HubStore(config.hub.database)
    fleet = Fleet(store, AlertBoard(store), config.fleet)
    try:
        ComplaintDesk(store, config.complaints)  # creates the tables on a fresh database
        paths = write_day(store, fleet, day, Path(args.out))
    except FileNotFoundError as error:
        print(f"khidmat report daily: {error}", file=sys.stderr)
        return 1
    finally:
        fleet.close()
        store.close()
    for path in paths:
        print(path)
    return 0
