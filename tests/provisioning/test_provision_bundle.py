"""Deployment files and unit bundles: contents, modes, and paths that cannot escape."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tomllib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from edge_agent.config import DEFAULT_PINS, load_unit_config
from provisioning.broker_files import hub_usernames
from provisioning.bundle import unpack_bundle
from provisioning.deployment import Deployment, DeploymentError
from provisioning.names import InvalidName, child_path
from provisioning.operations import init_deployment, provision_device, revoke_device
from provisioning.registry import Registry


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_private_key_material_0600(deployment: Deployment) -> None:
    with Registry(deployment.hub_db) as registry:
        registry.touch_last_seen("qta01-gate-0000", 1)
        assert mode(deployment.hub_db.with_name("hub.db-wal")) == 0o600
    for secret in (
        deployment.ca_key,
        deployment.server_key,
        deployment.signing_key,
        deployment.hub_password,
        deployment.password_file,
        deployment.hub_db,
    ):
        assert mode(secret) == 0o600, secret
    for public in (deployment.ca_cert, deployment.server_cert, deployment.signing_public_key):
        assert mode(public) == 0o644, public
    assert mode(deployment.ca_key.parent) == 0o700
    assert len(deployment.hub_password.read_text().strip()) >= 40


def test_init_refuses_an_initialised_directory(deployment: Deployment) -> None:
    before = deployment.ca_key.read_bytes()
    with pytest.raises(DeploymentError, match="already initialised"):
        init_deployment(deployment.root)
    assert deployment.ca_key.read_bytes() == before


def test_server_certificate_is_signed_by_the_ca_for_the_configured_names(
    deployment: Deployment,
) -> None:
    ca = x509.load_pem_x509_certificate(deployment.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(deployment.server_cert.read_bytes())
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_hub_toml_names_files_that_exist(deployment: Deployment) -> None:
    hub = tomllib.loads(deployment.hub_toml.read_text())
    root = deployment.root
    assert (root / hub["hub"]["database"]) == deployment.hub_db
    assert (root / hub["hub"]["signing_key_file"]).is_file()
    assert (root / hub["broker"]["ca_file"]).is_file()
    assert (root / hub["broker"]["password_file"]).is_file()
    assert hub["broker"]["username"] == "hub" and hub["broker"]["tls"] is True
    assert hub["broker"]["port"] == deployment.load_settings().port


def test_bundle_loads_as_the_agents_config(deployment: Deployment) -> None:
    name = 'Cantt "gate" 1 \\ کوئٹہ'
    made = provision_device(
        deployment, role="gate", station="qta01", name=name, client_cert=True, hardware="sim"
    )
    config = load_unit_config(made.bundle_dir / "unit.toml")
    device_id = made.device.device_id
    assert device_id.startswith("qta01-gate-")
    assert (config.device.id, config.device.role, config.device.station, config.device.name) == (
        device_id,
        "gate",
        "QTA01",
        name,
    )
    settings = deployment.load_settings()
    broker = config.broker
    assert (broker.host, broker.port, broker.tls, broker.username, broker.protocol) == (
        settings.host,
        settings.port,
        True,
        device_id,
        5,
    )
    assert (
        broker.ca_file is not None
        and broker.ca_file.read_bytes() == deployment.ca_cert.read_bytes()
    )
    assert broker.password() and len(broker.password() or "") >= 40
    assert broker.cert_file is not None and broker.key_file is not None
    client = x509.load_pem_x509_certificate(broker.cert_file.read_bytes())
    client.verify_directly_issued_by(
        x509.load_pem_x509_certificate(deployment.ca_cert.read_bytes())
    )
    assert client.subject.rfc4514_string() == f"CN={device_id}"
    assert config.hub.public_key_file is not None
    assert config.hub.public_key_file.read_bytes() == deployment.signing_public_key.read_bytes()
    assert (config.sensor.backend, config.gpio.backend, config.gpio.pins) == (
        "sim",
        "mock",
        DEFAULT_PINS,
    )


def test_the_bundled_public_key_verifies_the_hubs_signatures(deployment: Deployment) -> None:
    made = provision_device(deployment, role="gate", station="QTA01")
    private = serialization.load_pem_private_key(deployment.signing_key.read_bytes(), None)
    public = serialization.load_pem_public_key((made.bundle_dir / "hub-watchlist.pub").read_bytes())
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    assert isinstance(public, ed25519.Ed25519PublicKey)
    public.verify(private.sign(b"watchlist v1"), b"watchlist v1")


def test_a_real_desk_unit_has_no_sensor_and_native_gpio(deployment: Deployment) -> None:
    made = provision_device(deployment, role="desk", station="QTA01")
    config = load_unit_config(made.bundle_dir / "unit.toml")
    assert (config.sensor.backend, config.gpio.backend) == ("none", "native")
    assert config.broker.cert_file is None


def test_bundle_secrets_are_0600_in_the_directory_and_the_tarball(
    deployment: Deployment, tmp_path: Path
) -> None:
    media = tmp_path / "usb"
    media.mkdir()
    made = provision_device(
        deployment, role="enrol", station="QTA01", client_cert=True, tarball=media
    )
    assert made.tarball == media / f"{made.device.device_id}.tar.gz"
    assert mode(made.bundle_dir) == 0o700
    assert mode(made.bundle_dir / "mqtt.password") == 0o600
    assert mode(made.bundle_dir / "client.key") == 0o600
    assert mode(made.bundle_dir / "unit.toml") == 0o644
    assert mode(made.tarball) == 0o600
    with tarfile.open(made.tarball) as tar:
        modes = {m.name.split("/", 1)[-1]: m.mode for m in tar.getmembers() if m.isfile()}
    assert modes["mqtt.password"] == modes["client.key"] == 0o600
    unit_toml = unpack_bundle(made.tarball, tmp_path / "data")
    assert load_unit_config(unit_toml).device.id == made.device.device_id
    assert mode(unit_toml.parent / "mqtt.password") == 0o600


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("station", "../etc"),
        ("station", "QTA/01"),
        ("station", "Q"),
        ("role", "hub"),
        ("name", "gate\nuser hub"),
        ("name", "x" * 81),
    ],
)
def test_unusable_names_are_refused_before_anything_is_written(
    deployment: Deployment, field: str, value: str
) -> None:
    kwargs = {"role": "gate", "station": "QTA01", "name": ""} | {field: value}
    with pytest.raises(InvalidName):
        provision_device(deployment, **kwargs)
    assert list(deployment.units_dir.iterdir()) == []


@pytest.mark.parametrize(
    "device_id", ["../units", "../../etc", "hub", "a/b", "", "QTA01-gate-0000"]
)
def test_revoke_refuses_ids_that_are_not_device_ids(deployment: Deployment, device_id: str) -> None:
    with pytest.raises(InvalidName):
        revoke_device(deployment, device_id)
    assert deployment.hub_db.exists() and deployment.ca_key.exists()


def test_child_path_refuses_a_symlink_that_leads_out(tmp_path: Path) -> None:
    root = tmp_path / "units"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "qta01-gate-0000")
    with pytest.raises(InvalidName, match="would leave"):
        child_path(root, "qta01-gate-0000")
    assert child_path(root, "qta01-gate-0001") == (root / "qta01-gate-0001").resolve()


def _tar(path: Path, members: list[tarfile.TarInfo], data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            if member.isfile():
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
            else:
                tar.addfile(member)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    "members",
    [
        [_member("qta01-gate-0000/../../evil")],
        [_member("/tmp/evil")],
        [_member("qta01-gate-0000/ok"), _member("../evil")],
        [_member("qta01-gate-0000/link", tarfile.SYMTYPE, "/etc/passwd")],
        [_member("qta01-gate-0000/sub/deeper")],
        [_member("..")],
    ],
    ids=["dotdot", "absolute", "second-top", "symlink", "nested", "bare-dotdot"],
)
def test_unpack_refuses_members_that_could_escape(tmp_path: Path, members) -> None:
    tarball = _tar(tmp_path / "evil.tar.gz", members)
    destination = tmp_path / "dest"
    with pytest.raises(InvalidName):
        unpack_bundle(tarball, destination)
    assert not destination.exists()
    assert not (tmp_path / "evil").exists()


def test_revoke_removes_credentials_and_bundle(deployment: Deployment) -> None:
    keep = provision_device(deployment, role="gate", station="QTA01", tarball=deployment.units_dir)
    gone = provision_device(deployment, role="gate", station="QTA01", tarball=deployment.units_dir)
    assert gone.tarball is not None and gone.tarball.exists()
    retired = revoke_device(deployment, gone.device.device_id)
    assert retired.retired_at_ms is not None
    users = [line.split(":", 1)[0] for line in deployment.password_file.read_text().splitlines()]
    assert users == [*hub_usernames(), keep.device.device_id]
    assert not gone.bundle_dir.exists() and not gone.tarball.exists()
    assert keep.bundle_dir.exists()
    assert mode(deployment.password_file) == 0o600


def test_concurrent_provisioning_keeps_every_unit_in_the_password_file(
    deployment: Deployment,
) -> None:
    import threading

    made: list[str] = []

    def provision_some() -> None:
        for _ in range(4):
            made.append(provision_device(deployment, role="desk", station="QTA09").device.device_id)

    threads = [threading.Thread(target=provision_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    users = {line.split(":", 1)[0] for line in deployment.password_file.read_text().splitlines()}
    assert users == {*hub_usernames(), *made} and len(made) == 16


def test_a_replacement_unit_revokes_the_one_it_replaces(deployment: Deployment) -> None:
    old = provision_device(deployment, role="gate", station="QTA01", name="Gate 1")
    new = provision_device(
        deployment, role="gate", station="QTA01", name="Gate 1", replaces=old.device.device_id
    )
    assert new.device.replaces == old.device.device_id
    users = [line.split(":", 1)[0] for line in deployment.password_file.read_text().splitlines()]
    assert users == [*hub_usernames(), new.device.device_id]
    assert not old.bundle_dir.exists() and new.bundle_dir.exists()
    with Registry(deployment.hub_db) as registry:
        retired = registry.get(old.device.device_id)
    assert retired is not None and not retired.active


def test_a_replacement_must_match_role_and_station(deployment: Deployment) -> None:
    from provisioning.registry import RegistryError

    old = provision_device(deployment, role="gate", station="QTA01")
    with pytest.raises(RegistryError, match="replacement must be too"):
        provision_device(deployment, role="desk", station="QTA01", replaces=old.device.device_id)
    with pytest.raises(RegistryError, match="no such device"):
        provision_device(deployment, role="gate", station="QTA01", replaces="qta01-gate-ffff")
    with Registry(deployment.hub_db) as registry:
        assert [d.device_id for d in registry.list()] == [old.device.device_id]
        assert registry.list()[0].active


def test_hub_toml_loads_with_the_hubs_own_loader(deployment: Deployment) -> None:
    from hub.config import load_hub_config

    config = load_hub_config(deployment.hub_toml)
    assert config.hub.database == deployment.hub_db
    assert config.hub.signing_key_file == deployment.signing_key
    broker = config.broker
    assert (broker.username, broker.tls, broker.protocol) == ("hub", True, 5)
    assert broker.ca_file == deployment.ca_cert
    assert broker.password() == deployment.hub_password.read_text().strip()
