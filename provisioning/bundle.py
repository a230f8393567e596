"""A unit's config bundle: ``unit.toml`` plus the files it names, as a directory or tarball.

The bundle is what a technician copies to the unit's data partition; ``unit.toml`` loads
with :func:`edge_agent.config.load_unit_config` (paths are relative to it), which is the
contract with the agent. Secret files (MQTT password, client key) are 0600, in the
directory and in the tarball. Pure file I/O; thread-safe for distinct bundles.

Bundle layout (``<device_id>/`` at the top of the tarball)::

    unit.toml  ca.crt  mqtt.password  hub-watchlist.pub  [client.crt  client.key]
"""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.config import DEFAULT_PINS, AgentSection
from provisioning.files import SECRET_MODE, write_public, write_secret
from provisioning.names import InvalidName, check_unit_id
from provisioning.toml_text import toml_document

UNIT_TOML = "unit.toml"
CA_FILE = "ca.crt"
PASSWORD_FILE = "mqtt.password"
HUB_PUBLIC_KEY_FILE = "hub-watchlist.pub"
CLIENT_CERT_FILE = "client.crt"
CLIENT_KEY_FILE = "client.key"
SECRET_FILES = frozenset({PASSWORD_FILE, CLIENT_KEY_FILE})

SENSOR_MODELS = ("r307", "r503", "as608")
HARDWARE_CHOICES = ("real", "sim")
"""``real``: the serial sensor and native GPIO of a Pi; ``sim``: simulated sensor, mock GPIO."""

KEEPALIVE_S = 30
TARBALL_MAX_BYTES = 1_000_000
"""A bundle is a few kB; anything larger offered to :func:`unpack_bundle` is not ours."""


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """Everything that goes into one unit's bundle."""

    device_id: str
    role: str
    station: str
    name: str
    broker_host: str
    broker_port: int
    mqtt_password: str
    ca_pem: bytes
    hub_public_key_pem: bytes
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    hardware: str = "real"
    sensor_model: str = "r307"


def unit_toml(spec: UnitSpec) -> str:
    """The unit's config file text (see edge_agent/config.py for every key)."""
    broker: dict[str, Any] = {
        "host": spec.broker_host,
        "port": spec.broker_port,
        "tls": True,
        "ca_file": CA_FILE,
        "username": spec.device_id,
        "password_file": PASSWORD_FILE,
        "protocol": 5,
        "keepalive_s": KEEPALIVE_S,
    }
    if spec.client_cert_pem is not None:
        broker |= {"cert_file": CLIENT_CERT_FILE, "key_file": CLIENT_KEY_FILE}
    has_sensor = spec.role in ("gate", "enrol")
    sim = spec.hardware == "sim"
    agent = AgentSection()
    return toml_document(
        {
            "device": {
                "id": spec.device_id,
                "role": spec.role,
                "station": spec.station,
                "name": spec.name,
                "data_dir": "data",
            },
            "broker": broker,
            "hub": {"public_key_file": HUB_PUBLIC_KEY_FILE},
            "sensor": {
                "backend": ("sim" if sim else "serial") if has_sensor else "none",
                "port": "/dev/serial0",
                "model": spec.sensor_model,
                "baud": 115200,
                "packet_size": 128,
                "password": 0,
            },
            "gpio": {"backend": "mock" if sim else "native", "pins": dict(DEFAULT_PINS)},
            "agent": {
                "telemetry_interval_s": agent.telemetry_interval_s,
                "resend_after_s": agent.resend_after_s,
                "max_backoff_s": agent.max_backoff_s,
                "catchup_per_s": agent.catchup_per_s,
                "batch_size": agent.batch_size,
            },
        },
        header=f"Khidmat unit {spec.device_id}: written by `khidmat provision device`.\n"
        "Paths are relative to this file; keep the bundle's files together.",
    )


def bundle_files(spec: UnitSpec) -> dict[str, bytes]:
    """``{file name: contents}`` of the bundle."""
    files = {
        UNIT_TOML: unit_toml(spec).encode("utf-8"),
        CA_FILE: spec.ca_pem,
        PASSWORD_FILE: (spec.mqtt_password + "\n").encode("utf-8"),
        HUB_PUBLIC_KEY_FILE: spec.hub_public_key_pem,
    }
    if spec.client_cert_pem is not None and spec.client_key_pem is not None:
        files[CLIENT_CERT_FILE] = spec.client_cert_pem
        files[CLIENT_KEY_FILE] = spec.client_key_pem
    return files


def write_bundle_dir(directory: Path, files: dict[str, bytes]) -> Path:
    """Write the bundle's files into ``directory`` (made 0700); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name, data in files.items():
        (write_secret if name in SECRET_FILES else write_public)(directory / name, data)
    return directory


def write_bundle_tar(path: Path, device_id: str, files: dict[str, bytes]) -> Path:
    """Write a gzip tarball with every file under ``<device_id>/`` (itself 0600)."""
    check_unit_id(device_id)
    buffer = io.BytesIO()
    mtime = int(time.time())  # files unpacked on the unit carry the provisioning time
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        top = tarfile.TarInfo(device_id)
        top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o700, mtime
        tar.addfile(top)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{device_id}/{name}")
            info.size = len(data)
            info.mode = SECRET_MODE if name in SECRET_FILES else 0o644
            info.mtime = mtime
            tar.addfile(info, io.BytesIO(data))
    return write_secret(path, buffer.getvalue())


def unpack_bundle(tarball: Path, destination: Path) -> Path:
    """Unpack a bundle tarball into ``destination``; returns the unit's ``unit.toml``.

    For the unit's side (or a technician's laptop). Refuses anything but one top-level
    directory named by a valid device id holding regular files with plain names, so no
    member can land outside ``destination`` (absolute paths, ``..``, links, devices).
    Raises InvalidName naming the offending member.
    """
    if tarball.stat().st_size > TARBALL_MAX_BYTES:
        raise InvalidName(f"{tarball} is larger than a bundle can be")
    with tarfile.open(tarball, mode="r:gz") as tar:
        members = tar.getmembers()
        tops = {m.name.split("/", 1)[0] for m in members}
        if len(tops) != 1:
            raise InvalidName(f"a bundle has one top directory, found {sorted(tops)[:5]}")
        (top,) = tops
        check_unit_id(top)
        for member in members:
            parts = member.name.split("/")
            if member.name == top and member.isdir():
                continue
            if not (
                member.isfile()
                and len(parts) == 2
                and parts[1]
                and parts[1] not in (".", "..")
                and "\\" not in parts[1]
            ):
                raise InvalidName(f"bundle member {member.name[:80]!r} is not allowed")
        destination.mkdir(parents=True, exist_ok=True)
        tar.extractall(destination, filter="data")
    return destination / top / UNIT_TOML
