"""``khidmat provision province``: two provinces provisioned through the command line, their
brokers run from exactly the files it wrote, and a hub's ask crosses the TLS bridge."""

from __future__ import annotations

import queue
import stat
import time
from pathlib import Path

import pytest

from hub.config import load_hub_config
from khidmat.cli import main
from khidmat_base.mosquitto import free_port
from khidmat_wire.topics import fed_ask_filter, fed_ask_topic
from provisioning import federation
from provisioning.deployment import Deployment
from tests.provisioning.provision_fixtures import DeploymentBroker
from tests.provisioning.provision_mqtt import Client, Creds

pytestmark = pytest.mark.broker


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["provision", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def init(capsys: pytest.CaptureFixture[str], root: Path) -> Deployment:
    code, _, err = run(
        capsys, "init", "--dir", str(root), "--port", str(free_port()), "--bind", "127.0.0.1",
        "--loopback-port", str(free_port()),
    )  # fmt: skip
    assert code == 0, err
    return Deployment(root)


def loopback_hub(deployment: Deployment) -> Client:
    settings = deployment.load_settings()
    creds = Creds(
        "hub",
        deployment.hub_password.read_text().strip(),
        deployment.ca_cert,
        "127.0.0.1",
        settings.loopback_port,
        tls=False,
    )
    client = Client(creds, client_id="hub").connect()
    assert not client.connack.is_failure
    return client


def test_two_provinces_bridge_with_the_files_provision_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    punjab, sindh = init(capsys, tmp_path / "punjab"), init(capsys, tmp_path / "sindh")
    ports = {"punjab": free_port(), "sindh": free_port()}
    ca = tmp_path / "federation-ca"
    for name, deployment, other in (("punjab", punjab, "sindh"), ("sindh", sindh, "punjab")):
        code, out, err = run(
            capsys, "province", "--dir", str(deployment.root), "--province", name,
            "--federation-ca", str(ca), "--listen-port", str(ports[name]), "--bind", "127.0.0.1",
            "--peer", f"{other}=127.0.0.1:{ports[other]}", "--policy", "every",
            "--deadline", "2", "--desk", f"{name.title()} CRO desk",
        )  # fmt: skip
        assert code == 0, err
        assert "restart the broker" in out
    # one federation CA for both; each province's keys private
    assert (ca / "ca.key").exists()
    files = federation.FederationFiles.under(punjab.federation_dir)
    assert files.ca_cert.read_bytes() == (ca / "ca.crt").read_bytes()
    for key in (files.server_key, files.bridge_key, ca / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # the hub config carries the [federation] section the hub reads
    config = load_hub_config(punjab.hub_toml)
    assert config.federation is not None
    assert (config.federation.province, config.federation.provinces) == ("punjab", ("sindh",))
    assert (config.federation.policy, config.federation.deadline_s) == ("every", 2.0)
    assert config.federation.desk == "Punjab CRO desk"
    # the ACL: Sindh's bridge identity may write only its own ask and answers to Punjab
    acl = punjab.acl_file.read_text()
    assert "user province-sindh\ntopic write khidmat/v1/fed/sindh/ask\n" in acl
    assert "topic write khidmat/v1/fed/sindh/answer/punjab\n" in acl
    assert "topic read khidmat/v1/fed/+/answer/punjab" in acl
    conf = punjab.mosquitto_conf.read_text()
    assert "use_identity_as_username true" in conf and "require_certificate true" in conf
    assert f"address 127.0.0.1:{ports['sindh']}" in conf
    assert "topic khidmat/v1/fed/punjab/ask out 1" in conf

    # A device provisioned afterwards keeps the federation in the regenerated files.
    code, _, err = run(
        capsys, "device", "--dir", str(punjab.root), "--role", "gate", "--station", "LHR01"
    )
    assert code == 0, err
    assert "connection fed-punjab-to-sindh" in punjab.mosquitto_conf.read_text()
    assert "user province-sindh" in punjab.acl_file.read_text()

    brokers = [DeploymentBroker(punjab), DeploymentBroker(sindh)]
    try:
        deadline = time.monotonic() + 20
        while not (
            "as province-punjab" in brokers[1].log() and "as province-sindh" in brokers[0].log()
        ):
            assert time.monotonic() < deadline, brokers[0].log()[-1500:] + brokers[1].log()[-1500:]
            time.sleep(0.1)
        listener = loopback_hub(sindh)
        sender = loopback_hub(punjab)
        try:
            listener.subscribe(fed_ask_filter())
            assert sender.publish(fed_ask_topic("punjab"), b"over the bridge").value == 0
            message = listener.messages.get(timeout=10)
            assert (message.topic, message.payload) == (fed_ask_topic("punjab"), b"over the bridge")
            # Punjab's hub cannot publish under Sindh's name on its own broker either.
            assert sender.publish(fed_ask_topic("sindh"), b"forged").value == 135
            with pytest.raises(queue.Empty):
                listener.messages.get(timeout=1)
        finally:
            listener.close()
            sender.close()
    finally:
        for broker in brokers:
            broker.stop()


def test_bad_peers_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deployment = init(capsys, tmp_path / "punjab")
    base = ["province", "--dir", str(deployment.root), "--federation-ca", str(tmp_path / "ca")]
    for argv, message in (
        (["--province", "punjab", "--peer", "punjab=127.0.0.1:8884"], "itself"),
        (["--province", "punjab", "--peer", "sindh=127.0.0.1"], "NAME=HOST:PORT"),
        (["--province", "Pun+jab", "--peer", "sindh=127.0.0.1:8884"], "unusable province"),
        (["--province", "punjab", "--peer", "si/ndh=127.0.0.1:8884"], "unusable province"),
    ):
        code, _, err = run(capsys, *base, *argv)
        assert code == 1 and message in err, err
    assert not deployment.federation_toml.exists()


def test_an_unusable_federation_file_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = init(capsys, tmp_path / "punjab")
    deployment.federation_toml.write_text("[province\n")
    code, _, err = run(
        capsys, "device", "--dir", str(deployment.root), "--role", "gate", "--station", "LHR01"
    )
    assert code == 1 and "federation.toml: unusable" in err and "Traceback" not in err
