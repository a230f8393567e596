"""The technician's operations: init a deployment, provision a unit, revoke it, list units.

Each is one function over a :class:`~provisioning.deployment.Deployment`; the CLI is a thin
layer over them and the tests call them directly. Costs, measured on the 2-core dev
machine under load (median of 5-20): ``init`` ~140 ms, ``provision_device`` ~70 ms
(~115 ms with a client certificate and tarball), ``revoke_device`` ~70 ms; mostly the
fsync of each file written atomically. Commands that write DIR hold its lock (``flock`` on
``DIR/.provision.lock``), so concurrent runs queue rather than interleave.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from khidmat_base.mosquitto import password_hash
from khidmat_wire.vocabulary import unit_number_of
from provisioning import pki
from provisioning.broker_files import HUB_USERNAME, reload_broker, write_broker_files
from provisioning.bundle import (
    HARDWARE_CHOICES,
    SENSOR_MODELS,
    UnitSpec,
    bundle_files,
    write_bundle_dir,
    write_bundle_tar,
)
from provisioning.deployment import BrokerSettings, Deployment, DeploymentError
from provisioning.files import SECRET_MODE, secret_dir, write_public, write_secret
from provisioning.names import (
    InvalidName,
    check_name,
    check_role,
    check_unit_id,
    child_path,
    new_device_id,
    normalise_station,
)
from provisioning.registry import Device, Registry, RegistryError
from provisioning.toml_text import toml_document

PASSWORD_BYTES = 32
"""Random bytes in every generated MQTT password (43 URL-safe characters)."""

TARBALL_SUFFIX = ".tar.gz"

ID_ATTEMPTS = 20
DESK_NUMBERS = 100
"""Desk unit numbers per station (two digits of every tracking number's sequence): each
active desk of a station gets its own, so two desks never issue the same number."""
"""Fresh ids tried before giving up (4 hex digits per station and role: 65,536 ids)."""


@dataclass(frozen=True, slots=True)
class Provisioned:
    """What ``provision_device`` made."""

    device: Device
    bundle_dir: Path
    tarball: Path | None
    reloaded_pid: int | None


def init_deployment(root: Path, settings: BrokerSettings | None = None) -> Deployment:
    """Make a new deployment in ``root``: keys, hub config, registry and broker files.

    Refuses a directory that is already initialised (it would orphan every unit's CA).
    """
    settings = settings or BrokerSettings()
    deployment = Deployment(Path(root))
    if deployment.initialised:
        raise DeploymentError(f"{root} is already initialised; use a new directory")
    if not 0 < settings.port < 65536 or not 0 <= settings.loopback_port < 65536:
        raise DeploymentError("ports must be 1..65535")
    if settings.port == settings.loopback_port:
        raise DeploymentError("the TLS port and the loopback port must differ")
    if not settings.run_as or any(ch.isspace() for ch in settings.run_as):
        raise DeploymentError(f"unusable broker user {settings.run_as!r}")
    names = [settings.host, *settings.sans]
    for name in names:
        if not name or any(ch.isspace() or ch in "/\\#+" for ch in name):
            raise DeploymentError(f"unusable host name {name!r}")
    settings = replace(settings, sans=list(dict.fromkeys(names)))
    with deployment.locked(create=True):
        if deployment.initialised:
            raise DeploymentError(f"{root} is already initialised; use a new directory")
        _write_deployment(deployment, settings)
    return deployment


def _write_deployment(deployment: Deployment, settings: BrokerSettings) -> None:
    for directory in ("ca", "tls", "keys", "secrets"):
        secret_dir(deployment.root / directory)
    deployment.broker_dir.mkdir(exist_ok=True)
    secret_dir(deployment.units_dir)

    ca = pki.make_ca(f"Khidmat deployment CA ({settings.host})")
    write_secret(deployment.ca_key, ca.key_pem)
    write_public(deployment.ca_cert, ca.cert_pem)
    server = pki.issue_server(ca, settings.sans)
    write_secret(deployment.server_key, server.key_pem)
    write_public(deployment.server_cert, server.cert_pem)
    signing_private, signing_public = pki.make_signing_key()
    write_secret(deployment.signing_key, signing_private)
    write_public(deployment.signing_public_key, signing_public)
    write_secret(deployment.hub_password, secrets.token_urlsafe(PASSWORD_BYTES) + "\n")
    write_public(deployment.hub_toml, hub_toml_text(deployment, settings))
    # created 0600 before SQLite opens it: its -wal and -shm files take the same mode
    os.close(os.open(deployment.hub_db, os.O_WRONLY | os.O_CREAT, SECRET_MODE))
    with Registry(deployment.hub_db) as registry:
        deployment.save_settings(settings)  # last: marks DIR as initialised
        write_broker_files(deployment, registry)


def hub_toml_text(deployment: Deployment, settings: BrokerSettings) -> str:
    """The hub's config: its database, signing key and broker account (paths relative)."""
    root = deployment.root
    return toml_document(
        {
            "hub": {
                "database": deployment.hub_db.relative_to(root).as_posix(),
                "signing_key_file": deployment.signing_key.relative_to(root).as_posix(),
            },
            "broker": {
                "host": settings.host,
                "port": settings.port,
                "tls": True,
                "ca_file": deployment.ca_cert.relative_to(root).as_posix(),
                "username": HUB_USERNAME,
                "password_file": deployment.hub_password.relative_to(root).as_posix(),
                "protocol": 5,
            },
        },
        header="The hub's config: written by `khidmat provision init`. Paths are relative to this file.",
    )


def _open(deployment: Deployment) -> tuple[BrokerSettings, Registry]:
    settings = deployment.load_settings()
    return settings, Registry(deployment.hub_database)


def provision_device(
    deployment: Deployment,
    *,
    role: str,
    station: str,
    name: str = "",
    client_cert: bool = False,
    hardware: str = "real",
    sensor_model: str = "r307",
    tarball: Path | None = None,
    reload: bool = False,
    replaces: str | None = None,
) -> Provisioned:
    """Register a new unit, write its bundle to ``DIR/units/<id>/`` (and to ``tarball``:
    a file path, or a directory that gets ``<id>.tar.gz``),
    regenerate the broker files and, with ``reload``, SIGHUP the running broker.

    A deployment made with ``require_client_cert`` always issues a client certificate.
    ``replaces`` names a unit of the same role and station that this one replaces: it is
    revoked in the same step (see :func:`revoke_device`) and the new row records it.
    Raises InvalidName, DeploymentError, RegistryError or ReloadError.
    """
    role, station, name = check_role(role), normalise_station(station), check_name(name)
    if hardware not in HARDWARE_CHOICES:
        raise InvalidName(f"hardware must be one of {', '.join(HARDWARE_CHOICES)}")
    if sensor_model not in SENSOR_MODELS:
        raise InvalidName(f"sensor model must be one of {', '.join(SENSOR_MODELS)}")
    if replaces is not None:
        check_unit_id(replaces)
    with deployment.locked():
        made = _provision(
            deployment, role, station, name, client_cert, hardware, sensor_model, tarball, replaces
        )
        if replaces is not None:
            _retire(deployment, replaces)
    pid = reload_broker(deployment) if reload else None
    return replace(made, reloaded_pid=pid)


def _provision(
    deployment: Deployment,
    role: str,
    station: str,
    name: str,
    client_cert: bool,
    hardware: str,
    sensor_model: str,
    tarball: Path | None,
    replaces: str | None,
) -> Provisioned:
    settings, registry = _open(deployment)
    with registry:
        if replaces is not None:
            old = registry.get(replaces)
            if old is None:
                raise RegistryError(f"no such device to replace: {replaces!r}")
            if (old.role, old.station) != (role, station):
                raise RegistryError(
                    f"{replaces} is a {old.role} at {old.station}; its replacement must be too"
                )
        client_cert = client_cert or settings.require_client_cert
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        hashed = password_hash(password)
        taken = _desk_numbers(registry, station) if role == "desk" else set()
        if len(taken) >= DESK_NUMBERS:
            raise RegistryError(f"station {station} already has {DESK_NUMBERS} active desks")
        for _ in range(ID_ATTEMPTS):
            device_id = new_device_id(role, station)
            while role == "desk" and unit_number_of(device_id) in taken:
                device_id = new_device_id(role, station)  # a free desk number: 1 in 100+
            try:
                device = registry.register(
                    device_id,
                    role=role,
                    station=station,
                    name=name,
                    mqtt_password_hash=hashed,
                    has_client_cert=client_cert,
                    replaces=replaces,
                )
                break
            except RegistryError:
                if registry.get(device_id) is None:
                    raise
        else:
            raise RegistryError(f"no free device id for {station}/{role} after {ID_ATTEMPTS} tries")
        try:
            ca = pki.Issued(deployment.ca_key.read_bytes(), deployment.ca_cert.read_bytes())
            issued = pki.issue_client(ca, device.device_id) if client_cert else None
            files = bundle_files(
                UnitSpec(
                    device_id=device.device_id,
                    role=role,
                    station=station,
                    name=name,
                    broker_host=settings.host,
                    broker_port=settings.port,
                    mqtt_password=password,
                    ca_pem=ca.cert_pem,
                    hub_public_key_pem=deployment.signing_public_key.read_bytes(),
                    client_cert_pem=issued.cert_pem if issued else None,
                    client_key_pem=issued.key_pem if issued else None,
                    hardware=hardware,
                    sensor_model=sensor_model,
                )
            )
            bundle_dir = write_bundle_dir(child_path(deployment.units_dir, device.device_id), files)
            tar_path = None
            if tarball is not None:
                if tarball.is_dir():
                    tarball = tarball / f"{device.device_id}{TARBALL_SUFFIX}"
                tar_path = write_bundle_tar(tarball, device.device_id, files)
        except BaseException:
            registry.retire(device.device_id)  # never leave a registered unit without a bundle
            raise
        write_broker_files(deployment, registry)
    return Provisioned(device, bundle_dir, tar_path, None)


def _desk_numbers(registry: Registry, station: str) -> set[int]:
    """The unit numbers (tracking-number prefixes) of the station's active desks."""
    return {
        unit_number_of(d.device_id)
        for d in registry.list(include_retired=False)
        if d.role == "desk" and d.station == station
    }


def revoke_device(deployment: Deployment, device_id: str) -> Device:
    """Retire a unit, delete its bundle (and ``DIR/units/<id>.tar.gz``) and regenerate
    the broker files. Copies elsewhere (a USB stick, the unit) are the technician's to wipe;
    their password no longer works once the broker is reloaded.

    The caller reloads the broker (:func:`~provisioning.broker_files.reload_broker`);
    until then a connected unit keeps its session. Raises RegistryError for an unknown id.
    """
    check_unit_id(device_id)
    with deployment.locked():
        return _retire(deployment, device_id)


def _retire(deployment: Deployment, device_id: str) -> Device:
    _, registry = _open(deployment)
    with registry:
        device = registry.retire(device_id)
        write_broker_files(deployment, registry)
    bundle_dir = child_path(deployment.units_dir, device_id)
    if bundle_dir.is_dir() and not bundle_dir.is_symlink():
        shutil.rmtree(bundle_dir)
    bundle_dir.with_name(f"{device_id}{TARBALL_SUFFIX}").unlink(missing_ok=True)
    return device


def list_devices(deployment: Deployment, *, include_retired: bool = True) -> list[Device]:
    """The registry's inventory."""
    _, registry = _open(deployment)
    with registry:
        return registry.list(include_retired=include_retired)
