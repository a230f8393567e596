"""``khidmat provision ...``: init, device, selftest, revoke, list.

Each handler is a few lines over :mod:`provisioning.operations` or
:mod:`provisioning.selftest`; nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree

EXIT_FAILED = 1


def _fail(message: str) -> int:
    print(f"khidmat provision: {message}", file=sys.stderr)
    return EXIT_FAILED


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors shown as one line and exit 1 (OSError: e.g. an unwritable --tar path)."""
    from provisioning.broker_files import ReloadError
    from provisioning.deployment import DeploymentError
    from provisioning.federation import FederationError
    from provisioning.names import InvalidName
    from provisioning.registry import RegistryError

    return (DeploymentError, FederationError, InvalidName, RegistryError, ReloadError, OSError)


def _init(args: argparse.Namespace) -> int:
    from provisioning.deployment import DEFAULT_SANS, BrokerSettings
    from provisioning.operations import init_deployment

    settings = BrokerSettings(
        host=args.host,
        port=args.port,
        bind=args.bind,
        loopback_port=args.loopback_port,
        require_client_cert=args.require_client_cert,
        sans=[*DEFAULT_SANS, *args.san],
        **({"run_as": args.broker_user} if args.broker_user else {}),
    )
    try:
        deployment = init_deployment(Path(args.dir), settings)
    except _user_errors() as error:
        return _fail(str(error))
    root = deployment.root
    print(f"initialised {root}")
    print(f"  CA            {deployment.ca_cert}")
    print(f"  hub config    {deployment.hub_toml}")
    print(f"  broker config {deployment.mosquitto_conf}")
    print(f"start the broker: mosquitto -c {deployment.mosquitto_conf.resolve()}")
    return 0


def _device(args: argparse.Namespace) -> int:
    from provisioning.broker_files import ReloadError, reload_broker
    from provisioning.deployment import Deployment
    from provisioning.operations import provision_device
    from provisioning.registry import Registry

    deployment = Deployment(Path(args.dir))
    tarball = None if args.tar is None else Path(args.tar or deployment.units_dir)
    role, station, name = args.role, args.station, args.name
    try:
        if args.replaces is not None:
            deployment.load_settings()  # a clear error when DIR is not a deployment
            with Registry(deployment.hub_database) as registry:
                old = registry.get(args.replaces)
            if old is None:
                return _fail(f"no such device to replace: {args.replaces!r}")
            role, station = role or old.role, station or old.station
            name = old.name if name is None else name
        if role is None or station is None:
            return _fail("--role and --station are required (or --replaces DEVICE_ID)")
        result = provision_device(
            deployment,
            role=role,
            station=station,
            name=name or "",
            client_cert=args.client_cert,
            hardware=args.hardware,
            sensor_model=args.sensor_model,
            tarball=tarball,
            replaces=args.replaces,
        )
    except _user_errors() as error:
        return _fail(str(error))
    device = result.device
    print(f"provisioned {device.device_id} ({device.role} at {device.station})")
    if device.replaces:
        print(f"  replaces {device.replaces} (revoked, bundle removed)")
    print(f"  bundle  {result.bundle_dir}")
    if result.tarball:
        print(f"  tarball {result.tarball}")
    if not args.reload:
        print("  broker files updated; reload the broker (SIGHUP) before the unit connects")
        return 0
    try:
        pid = reload_broker(deployment)
    except ReloadError as error:
        return _fail(f"{device.device_id} is provisioned, but: {error}")
    print(f"  broker reloaded (pid {pid}); the unit can connect now")
    return 0


def _selftest(args: argparse.Namespace) -> int:
    import json

    from provisioning.selftest import run_selftest

    report = run_selftest(
        Path(args.config),
        hardware=not args.no_hardware,
        broker_timeout_s=args.timeout,
        hardware_options={
            "finger_timeout_s": args.finger_timeout,
            "prompt": lambda text: print(text, file=sys.stderr, flush=True),
        },
    )
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0 if report.ok else EXIT_FAILED


def _revoke(args: argparse.Namespace) -> int:
    from provisioning.broker_files import ReloadError, reload_broker
    from provisioning.deployment import Deployment
    from provisioning.operations import revoke_device

    deployment = Deployment(Path(args.dir))
    try:
        device = revoke_device(deployment, args.device_id)
    except _user_errors() as error:
        return _fail(str(error))
    print(f"revoked {device.device_id}: credentials and bundle removed, retired in the registry")
    if args.no_reload:
        print("  broker not reloaded (--no-reload): the unit keeps access until it is")
        return 0
    try:
        pid = reload_broker(deployment)
    except ReloadError as error:
        print(f"  {error}", file=sys.stderr)
        print("  the broker files are updated: a broker started from them refuses the unit")
        return EXIT_FAILED if args.require_reload else 0
    print(f"  broker reloaded (pid {pid}); the unit is disconnected and refused")
    return 0


def _format_ms(value: int | None) -> str:
    import datetime as dt

    if value is None:
        return "-"
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _list(args: argparse.Namespace) -> int:
    import json

    from provisioning.deployment import Deployment
    from provisioning.operations import list_devices

    try:
        devices = list_devices(Deployment(Path(args.dir)), include_retired=not args.active)
    except _user_errors() as error:
        return _fail(str(error))
    if args.json:
        from dataclasses import asdict

        print(json.dumps([asdict(d) for d in devices], indent=2))
        return 0
    header = (
        "ID",
        "ROLE",
        "STATION",
        "PROVISIONED",
        "LAST SEEN",
        "RETIRED",
        "CERT",
        "REPLACES",
        "NAME",
    )
    rows = [
        (
            d.device_id,
            d.role,
            d.station,
            _format_ms(d.provisioned_at_ms),
            _format_ms(d.last_seen_ms),
            _format_ms(d.retired_at_ms),
            "yes" if d.has_client_cert else "no",
            d.replaces or "-",
            d.name,
        )
        for d in devices
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(devices)} device(s), {sum(d.active for d in devices)} active (times UTC)")
    return 0


def _province(args: argparse.Namespace) -> int:
    from provisioning.federation import Peer, ProvinceSettings, provision_province

    try:
        peers = [Peer.parse(text) for text in args.peer]
        settings = ProvinceSettings(
            province=args.province,
            port=args.listen_port,
            bind=args.bind,
            peers=[{"province": p.province, "host": p.host, "port": p.port} for p in peers],
            policy=args.policy,
            deadline_s=args.deadline,
            desk=args.desk,
        )
        result = provision_province(
            Path(args.dir),
            settings,
            federation_ca_dir=Path(args.federation_ca),
            sans=[*args.san, "localhost", "127.0.0.1"],
        )
    except _user_errors() as error:
        return _fail(str(error))
    files = result.files
    print(f"province {settings.province}: bridges to {', '.join(p.province for p in peers)}")
    print(f"  federation listener  port {settings.port} (certificate {files.server_cert})")
    print(f"  bridge identity      province-{settings.province} ({files.bridge_cert})")
    print(f"  hub config           [federation] in {Path(args.dir) / 'hub.toml'}")
    print("restart the broker to start the bridges (they are not re-read on SIGHUP)")
    return 0


def register(tree: CommandTree) -> None:
    """Add the ``provision`` commands to the ``khidmat`` command tree."""
    init = tree.add(
        "provision init",
        help="create a deployment: CA, broker TLS cert, hub keys and credentials, Mosquitto files",
        example="khidmat provision init --dir deploy-data --host hub.quetta.police.example "
        "--san 10.0.0.5",
        handler=_init,
    )
    init.add_argument("--dir", required=True, help="deployment directory to create")
    init.add_argument(
        "--host", default="localhost", help="broker name units connect to (default localhost)"
    )
    init.add_argument("--port", type=int, default=8883, help="TLS listener port (default 8883)")
    init.add_argument("--bind", default="", help="TLS listener address (default: all interfaces)")
    init.add_argument(
        "--san",
        action="append",
        default=[],
        metavar="NAME_OR_IP",
        help="extra name or IP in the broker certificate (repeatable; localhost and 127.0.0.1 are always in)",
    )
    init.add_argument(
        "--loopback-port",
        type=int,
        default=0,
        metavar="PORT",
        help="also listen without TLS on 127.0.0.1:PORT (demo, tests); default none",
    )
    init.add_argument(
        "--broker-user",
        metavar="USER",
        help="account Mosquitto drops to when started as root (default: the user running init, "
        "who owns the 0600 files)",
    )
    init.add_argument(
        "--require-client-cert",
        action="store_true",
        help="units must present a CA-signed client certificate as well as their password",
    )

    device = tree.add(
        "provision device",
        help="register a new unit: id, credentials, ACL, config bundle; optionally reload the broker",
        example="khidmat provision device --dir deploy-data --role gate --station QTA01 "
        '--name "Cantt gate 1" --tar /media/usb --reload\n'
        "khidmat provision device --dir deploy-data --replaces qta01-gate-7f3a --reload",
        handler=_device,
    )
    device.add_argument("--dir", required=True, help="deployment directory (from provision init)")
    device.add_argument(
        "--role", choices=("desk", "gate", "enrol", "hotel"), help="required unless --replaces"
    )
    device.add_argument("--station", help="station code, e.g. QTA01 (required unless --replaces)")
    device.add_argument("--name", help="display name of the unit (default: the replaced unit's)")
    device.add_argument(
        "--replaces",
        metavar="DEVICE_ID",
        help="a broken or lost unit this one replaces: same role and station; it is revoked",
    )
    device.add_argument(
        "--client-cert", action="store_true", help="also issue a TLS client certificate"
    )
    device.add_argument(
        "--hardware",
        choices=("real", "sim"),
        default="real",
        help="real: serial sensor and Pi GPIO; sim: simulated sensor, mock GPIO (demo)",
    )
    device.add_argument("--sensor-model", choices=("r307", "r503", "as608"), default="r307")
    device.add_argument(
        "--tar",
        nargs="?",
        const="",
        metavar="PATH",
        help="also write a tarball: a file, or a directory that gets <id>.tar.gz (default DIR/units)",
    )
    device.add_argument(
        "--reload",
        action="store_true",
        help="SIGHUP the running broker so the unit can connect now",
    )

    selftest = tree.add(
        "provision selftest",
        help="on the unit: hardware self-test, broker reachability over TLS, clock sanity",
        example="khidmat provision selftest --config /data/khidmat/unit.toml",
        handler=_selftest,
    )
    selftest.add_argument("--config", required=True, help="the unit's unit.toml")
    selftest.add_argument("--no-hardware", action="store_true", help="skip the hardware test")
    selftest.add_argument(
        "--timeout", type=float, default=10.0, help="broker check timeout in seconds (default 10)"
    )
    selftest.add_argument(
        "--finger-timeout",
        type=float,
        default=20.0,
        metavar="S",
        help="seconds to wait for a finger in the image capture check (default 20)",
    )
    selftest.add_argument("--json", action="store_true", help="print the report as JSON")

    revoke = tree.add(
        "provision revoke",
        help="retire a unit: remove its credentials and bundle, reload the broker",
        example="khidmat provision revoke --dir deploy-data qta01-gate-7f3a",
        handler=_revoke,
    )
    revoke.add_argument("device_id", help="the unit's device id")
    revoke.add_argument("--dir", required=True, help="deployment directory")
    revoke.add_argument(
        "--no-reload", action="store_true", help="only update the files, do not signal the broker"
    )
    revoke.add_argument(
        "--require-reload",
        action="store_true",
        help="exit 1 when no running broker could be reloaded",
    )

    province = tree.add(
        "provision province",
        help="make this deployment a federated province: bridge identity and certificates, "
        "federation listener, bridges to the other provinces, their ACL entries",
        example="khidmat provision province --dir deploy-data --province balochistan "
        "--federation-ca /media/usb/federation-ca --san hub.quetta.police.example "
        "--peer punjab=hub.lahore.police.example:8884 --peer sindh=hub.karachi.police.example:8884 "
        '--peer islamabad=hub.isb.police.example:8884 --desk "Balochistan CRO desk, 081-9201234"',
        handler=_province,
    )
    province.add_argument("--dir", required=True, help="deployment directory (from provision init)")
    province.add_argument(
        "--province", required=True, help="this province's name, e.g. balochistan"
    )
    province.add_argument(
        "--federation-ca",
        required=True,
        metavar="DIR",
        help="the federation CA (ca.crt, ca.key), one for all provinces; made there when absent",
    )
    province.add_argument(
        "--peer",
        action="append",
        default=[],
        required=True,
        metavar="NAME=HOST:PORT",
        help="another province and its federation listener (repeatable)",
    )
    province.add_argument(
        "--listen-port",
        type=int,
        default=8884,
        help="this broker's federation listener port (default 8884)",
    )
    province.add_argument("--bind", default="", help="federation listener address (default all)")
    province.add_argument(
        "--san",
        action="append",
        default=[],
        metavar="NAME_OR_IP",
        help="name or IP the other provinces reach this broker by (repeatable)",
    )
    province.add_argument(
        "--policy",
        choices=("no-hit", "every"),
        default="no-hit",
        help="forward a gate search only when home found nobody (default), or every search",
    )
    province.add_argument(
        "--deadline",
        type=float,
        default=1.5,
        metavar="S",
        help="seconds a gate search waits for the other provinces (default 1.5)",
    )
    province.add_argument(
        "--desk", default="", help="this province's contact desk, shown to the others' officers"
    )

    inventory = tree.add(
        "provision list",
        help="the inventory: id, role, station, provisioned, last seen, retired",
        example="khidmat provision list --dir deploy-data",
        handler=_list,
    )
    inventory.add_argument("--dir", required=True, help="deployment directory")
    inventory.add_argument("--active", action="store_true", help="hide retired units")
    inventory.add_argument("--json", action="store_true", help="print JSON")
