"""``khidmat hotel ...`` (Hotel Eye) and ``khidmat licence ...`` (driving licences).

Each command opens the hub's database from ``--config`` and calls one method of
:class:`hub.hotels.HotelEye` or :class:`hub.licences.LicenceOffice`. Imports print one
line per refused row (``line N: column: what is wrong``, never the row's values) and exit
1 when any row was refused, 2 when the file or the hotel cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import sys

from khidmat_base.cli import CommandTree

CONFIG_HELP = "hub config file (hub.toml)"


def register(tree: CommandTree) -> None:
    add = tree.add(
        "hotel add",
        help="register a hotel with the station of its area (and its hotel unit, if any)",
        example='khidmat hotel add QTA-SERENA --name "Serena Hotel" --station QTA01 --config hub.toml',
        handler=_hotel_add,
    )
    add.add_argument("hotel", help="the hotel's code: 2-32 of A-Z, 0-9 and '-'")
    add.add_argument("--name", required=True, help="the hotel's name")
    add.add_argument("--station", required=True, help="station code of the hotel's area")
    add.add_argument(
        "--unit",
        default="",
        help="device id of the hotel's unit, told its hotel (empty: files only)",
    )
    add.add_argument("--config", required=True, help=CONFIG_HELP)

    hotels = tree.add(
        "hotel list",
        help="the registered hotels, stays kept and hits (no guest details)",
        example="khidmat hotel list --config hub.toml --json",
        handler=_hotel_list,
    )
    hotels.add_argument("--config", required=True, help=CONFIG_HELP)
    hotels.add_argument("--json", action="store_true", help="one JSON object")

    importer = tree.add(
        "hotel import",
        help="import a hotel's guest register (CSV) and check every guest against the records",
        example="khidmat hotel import guests-2026-12-05.csv --hotel QTA-SERENA --config hub.toml",
        handler=_hotel_import,
    )
    importer.add_argument("file", help="CSV: name,cnic,nationality,passport,room,check_in")
    importer.add_argument("--hotel", required=True, help="the registered hotel's code")
    importer.add_argument("--config", required=True, help=CONFIG_HELP)

    purge = tree.add(
        "hotel purge",
        help="drop guest stays older than [hotels] retention_days now (the hub does it hourly)",
        example="khidmat hotel purge --config hub.toml",
        handler=_hotel_purge,
    )
    purge.add_argument("--config", required=True, help=CONFIG_HELP)

    licences = tree.add(
        "licence import",
        help="import the licensing branch's applications and statuses (CSV or JSON)",
        example="khidmat licence import applications.csv --config hub.toml",
        handler=_licence_import,
    )
    licences.add_argument(
        "file", help="CSV or .json: token,cnic,name,mobile,licence_class,status,status_at"
    )
    licences.add_argument("--config", required=True, help=CONFIG_HELP)

    show = tree.add(
        "licence show",
        help="one application's status and steps (no CNIC or mobile shown)",
        example="khidmat licence show QTA-2026004512 --config hub.toml",
        handler=_licence_show,
    )
    show.add_argument("token", help="the application's token")
    show.add_argument("--config", required=True, help=CONFIG_HELP)


def _open(path: str):  # -> (HubConfig, HubStore) | None
    from hub.config import load_hub_config
    from hub.store import HubStore
    from khidmat_base.config import ConfigError

    try:
        config = load_hub_config(path)
    except ConfigError as error:
        print(f"khidmat: {error}", file=sys.stderr)
        return None
    return config, HubStore(config.hub.database)


def _eye(config, store):  # -> HotelEye
    from hub.alerts import AlertBoard
    from hub.hotels import HotelEye

    return HotelEye(store, AlertBoard(store), config.hotels, statuses=config.watchlist.statuses)


def _hotel_add(args: argparse.Namespace) -> int:
    from hub.hotels import HotelError

    opened = _open(args.config)
    if opened is None:
        return 2
    config, store = opened
    try:
        if args.unit and _hotel_unit(config, args.unit) is None:
            print(f"khidmat hotel add: {args.unit!r} is not an active hotel unit "
                  "(khidmat provision device --role hotel)", file=sys.stderr)  # fmt: skip
            return 2
        new = _eye(config, store).register(
            args.hotel, name=args.name, station=args.station, device_id=args.unit
        )
        if args.unit:
            _tell_unit(store, _hotel_unit(config, args.unit), args.hotel)
    except HotelError as error:
        print(f"khidmat hotel add: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"hotel {args.hotel} {'registered' if new else 'updated'} (station {args.station})")
    if args.unit:
        print(f"unit {args.unit} is told its hotel (setting hotel.code)")
    return 0


def _hotel_unit(config, device_id: str):  # -> UnitTarget | None
    """The active hotel unit ``device_id`` of the registry, or None."""
    from hub.unit_control import UnitTarget
    from provisioning.registry import Registry

    with Registry(config.hub.database) as registry:
        for device in registry.list(include_retired=False):
            if device.device_id == device_id and device.role == "hotel":
                return UnitTarget(device.device_id, device.role, device.station)
    return None


def _tell_unit(store, unit, hotel_id: str) -> None:
    """Push the hotel's code to its unit (the hub sends the settings; the unit answers)."""
    from hub.unit_control import UnitControl
    from khidmat_wire.unit_settings import HOTEL_CODE_SETTING

    UnitControl(store).set(unit, {HOTEL_CODE_SETTING: hotel_id}, actor="khidmat hotel add")


def _hotel_list(args: argparse.Namespace) -> int:
    opened = _open(args.config)
    if opened is None:
        return 2
    config, store = opened
    try:
        eye = _eye(config, store)
        hotels = eye.hotels()
        stays: dict[str, int] = {}
        for stay in eye.stays(limit=1_000_000):
            stays[stay.hotel_id] = stays.get(stay.hotel_id, 0) + 1
        hits = len(eye.hits(limit=1_000_000))
    finally:
        store.close()
    rows = [
        {"hotel": h.hotel_id, "name": h.name, "station": h.station, "unit": h.device_id,
         "stays": stays.get(h.hotel_id, 0)}
        for h in hotels
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"hotels": rows, "hits": hits}, ensure_ascii=False))
        return 0
    for row in rows:
        print(f"{row['hotel']:<20} {row['station']:<8} {row['stays']:>6} stays  {row['name']}")
    print(f"{hits} hits kept")
    return 0


def _hotel_import(args: argparse.Namespace) -> int:
    from hub.hotel_import import import_guests
    from hub.hotels import HotelError
    from hub.import_rows import ImportFileError

    opened = _open(args.config)
    if opened is None:
        return 2
    config, store = opened
    try:
        report = import_guests(_eye(config, store), args.file, hotel_id=args.hotel)
    except (ImportFileError, HotelError) as error:
        print(f"khidmat hotel import: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(
        f"{report.rows} rows: {report.accepted} guests accepted ({report.new} new), "
        f"{len(report.errors)} refused, {report.hits} alerts raised"
    )
    for line, problem in report.errors:
        print(f"  line {line}: {problem}", file=sys.stderr)
    return 1 if report.errors else 0


def _hotel_purge(args: argparse.Namespace) -> int:
    opened = _open(args.config)
    if opened is None:
        return 2
    config, store = opened
    try:
        dropped = _eye(config, store).purge()
    finally:
        store.close()
    print(f"{dropped} stays older than {config.hotels.retention_days:g} days dropped")
    return 0


def _licence_import(args: argparse.Namespace) -> int:
    from hub.import_rows import ImportFileError
    from hub.licence_import import import_licences
    from hub.licences import LicenceOffice
    from hub.sms.outbox import SmsOutbox

    opened = _open(args.config)
    if opened is None:
        return 2
    config, store = opened
    try:
        office = LicenceOffice(store, SmsOutbox(store, config.sms))
        report = import_licences(office, args.file)
    except ImportFileError as error:
        print(f"khidmat licence import: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    applied = report.applied
    print(
        f"{report.rows} rows: {report.accepted} accepted, {len(report.errors)} refused; "
        f"{applied.applications} applications, {applied.steps} new statuses, "
        f"{applied.texts} texts queued"
    )
    for line, problem in report.errors:
        print(f"  line {line}: {problem}", file=sys.stderr)
    return 1 if report.errors else 0


def _licence_show(args: argparse.Namespace) -> int:
    import time

    from hub.licences import LicenceOffice

    opened = _open(args.config)
    if opened is None:
        return 2
    _, store = opened
    try:
        office = LicenceOffice(store)
        application = office.application(args.token)
        steps = office.steps(args.token) if application is not None else []
    finally:
        store.close()
    if application is None:
        print(f"khidmat licence show: no application {args.token}", file=sys.stderr)
        return 1
    print(f"{application.token}  {application.licence_class}  {application.status}")
    for step in steps:
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(step.at_ms / 1000))
        print(f"  {when} UTC  {step.status}  {step.note}")
    return 0
