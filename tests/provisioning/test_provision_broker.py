"""A real Mosquitto, started from nothing but the files ``khidmat provision`` wrote, enforces
per-unit access: checked with paho 2 (MQTT v5 reason codes) and the stock clients."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from provision_fixtures import DeploymentBroker, make_deployment
from provision_mqtt import Client, Creds

from khidmat.cli import main
from provisioning.broker_files import reload_broker
from provisioning.operations import Provisioned, provision_device, revoke_device
from provisioning.selftest import run_selftest

pytestmark = pytest.mark.broker

NOT_AUTHORIZED = 0x87
QUIET_S = 0.5
"""How long to wait to be sure a message is not delivered (it arrives in ~1 ms when allowed)."""


def topic(device_id: str, rest: str) -> str:
    return f"khidmat/v1/dev/{device_id}/{rest}"


@pytest.fixture(scope="module")
def units(live) -> tuple[Provisioned, Provisioned]:
    a = provision_device(live.deployment, role="gate", station="QTA01", reload=True)
    b = provision_device(live.deployment, role="desk", station="QTA02", reload=True)
    time.sleep(0.2)  # SIGHUP is asynchronous
    return a, b


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        client.close()


def connect(clients: list[Client], creds: Creds) -> Client:
    client = Client(creds).connect()
    clients.append(client)
    assert not client.connack.is_failure, client.connack
    return client


def test_unit_publishes_only_on_its_own_topics(units, clients) -> None:
    a, b = units
    unit = connect(clients, Creds.of_unit(a.bundle_dir))
    own = a.device.device_id
    assert not unit.publish(topic(own, "up/event")).is_failure
    assert not unit.publish(topic(own, "state"), b"online", retain=True).is_failure
    for denied in (
        topic(b.device.device_id, "up/event"),  # another unit's uplink
        topic(b.device.device_id, "state"),
        topic(own, "down/ack"),  # its own downlink is written by the hub only
        "khidmat/v1/other",
    ):
        assert unit.publish(denied).value == NOT_AUTHORIZED, denied


def test_unit_cannot_read_another_units_downlink(units, live, clients) -> None:
    a, b = units
    a_id, b_id = a.device.device_id, b.device.device_id
    hub = connect(clients, Creds.of_hub(live.deployment))
    victim = connect(clients, Creds.of_unit(b.bundle_dir))
    snoop = connect(clients, Creds.of_unit(a.bundle_dir))
    assert not victim.subscribe(topic(b_id, "down/#")).is_failure
    snoop.subscribe(topic(b_id, "down/#"))
    snoop.subscribe("khidmat/v1/dev/+/down/#")
    snoop.subscribe("#")
    assert not hub.publish(topic(b_id, "down/ack"), b"secret").is_failure
    assert victim.messages.get(timeout=5).payload == b"secret"
    with pytest.raises(queue.Empty):
        snoop.messages.get(timeout=QUIET_S)
    # ... and the hub may write downlinks but not impersonate a unit's uplink
    assert hub.publish(topic(a_id, "up/event")).value == NOT_AUTHORIZED


def test_hub_reads_every_uplink_also_through_a_shared_subscription(units, live, clients) -> None:
    a, _ = units
    hub = connect(clients, Creds.of_hub(live.deployment))
    assert not hub.subscribe("$share/hub/khidmat/v1/dev/+/up/#").is_failure
    assert not hub.subscribe("khidmat/v1/dev/+/state").is_failure
    unit = connect(clients, Creds.of_unit(a.bundle_dir))
    assert not unit.publish(topic(a.device.device_id, "up/scan"), b"scan").is_failure
    seen: dict[str, bytes] = {}
    while topic(a.device.device_id, "up/scan") not in seen:
        message = hub.messages.get(timeout=5)
        seen[message.topic] = message.payload
    assert seen[topic(a.device.device_id, "up/scan")] == b"scan"


def _stock(
    tool: str, creds: Creds, *args: str, timeout_s: float = 10
) -> subprocess.CompletedProcess[str]:
    command = [
        tool,
        "-h", creds.host,
        "-p", str(creds.port),
        "--cafile", str(creds.ca_file),
        "-u", creds.username,
        "-P", creds.password,
        "-V", "5",
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)


def test_stock_clients_see_the_same_rules(units, live) -> None:
    a, b = units
    a_id, b_id = a.device.device_id, b.device.device_id
    allowed = _stock("mosquitto_pub", Creds.of_unit(a.bundle_dir), "-q", "1", "-d",
                     "-t", topic(a_id, "up/event"), "-m", "{}")  # fmt: skip
    assert allowed.returncode == 0 and "Not authorized" not in allowed.stderr + allowed.stdout
    denied = _stock("mosquitto_pub", Creds.of_unit(a.bundle_dir), "-q", "1", "-d",
                    "-t", topic(b_id, "up/event"), "-m", "{}")  # fmt: skip
    assert "RC:135" in denied.stdout and "Not authorized" in denied.stderr

    # B's own subscriber gets the hub's message; A's stock subscriber on B's downlink does not.
    hub_creds = Creds.of_hub(live.deployment)
    sub_args = ["-C", "1", "-W", "2", "-t", topic(b_id, "down/#")]
    owner = subprocess.Popen(_argv("mosquitto_sub", Creds.of_unit(b.bundle_dir), *sub_args),
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    snoop = subprocess.Popen(_argv("mosquitto_sub", Creds.of_unit(a.bundle_dir), *sub_args),
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 3
        while owner.poll() is None and time.monotonic() < deadline:
            _stock(
                "mosquitto_pub", hub_creds, "-q", "1", "-t", topic(b_id, "down/ack"), "-m", "hello"
            )
            time.sleep(0.1)
        assert owner.wait(timeout=5) == 0
        assert owner.stdout is not None and owner.stdout.read().strip() == "hello"
        snoop.wait(timeout=6)
        assert snoop.stdout is not None and snoop.stdout.read() == ""
        # Mosquitto grants the subscription and delivers nothing (-W times out, exit 27).
        assert snoop.returncode != 0
    finally:
        for process in (owner, snoop):
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()


def _argv(tool: str, creds: Creds, *args: str) -> list[str]:
    return [tool, "-h", creds.host, "-p", str(creds.port), "--cafile", str(creds.ca_file),
            "-u", creds.username, "-P", creds.password, "-V", "5", *args]  # fmt: skip


def test_revoked_unit_is_disconnected_and_refused(live, clients) -> None:
    doomed = provision_device(live.deployment, role="enrol", station="QTA03", reload=True)
    time.sleep(0.2)
    creds = Creds.of_unit(doomed.bundle_dir)
    creds.ca_file = live.deployment.ca_cert  # revoking deletes the bundle in DIR
    session = connect(clients, creds)
    revoke_device(live.deployment, doomed.device.device_id)
    reload_broker(live.deployment)
    assert session.disconnected.wait(5), "a connected revoked unit keeps its session"
    again = Client(creds).connect()
    clients.append(again)
    assert again.connack.is_failure
    refused = _stock("mosquitto_pub", creds, "-q", "1", "-t",
                     topic(doomed.device.device_id, "up/event"), "-m", "{}")  # fmt: skip
    assert refused.returncode != 0
    assert "not authori" in (refused.stderr + refused.stdout).lower()
    assert not doomed.bundle_dir.exists()


def test_a_unit_with_a_wrong_password_is_refused(units, clients) -> None:
    a, _ = units
    creds = Creds.of_unit(a.bundle_dir)
    creds.password = creds.password[:-1] + ("x" if creds.password[-1] != "x" else "y")
    client = Client(creds).connect()
    clients.append(client)
    assert client.connack.is_failure


def test_selftest_passes_with_the_units_own_bundle(units) -> None:
    a, _ = units
    report = run_selftest(a.bundle_dir / "unit.toml", hardware=False)
    status = {c.name: c.status for c in report.checks}
    assert status["broker"] == "pass", report.to_text()
    assert report.ok, report.to_text()


def test_selftest_reports_refused_credentials(units, tmp_path: Path) -> None:
    a, _ = units
    unit = tmp_path / "unit"
    shutil.copytree(a.bundle_dir, unit)
    (unit / "mqtt.password").write_text("not-the-password\n")
    report = run_selftest(unit / "unit.toml", hardware=False)
    broker = next(c for c in report.checks if c.name == "broker")
    assert broker.status == "fail" and "refused" in broker.detail
    assert not report.ok


def test_a_deployment_can_require_client_certificates(tmp_path: Path) -> None:
    deployment = make_deployment(tmp_path / "deploy", require_client_cert=True)
    broker = DeploymentBroker(deployment)
    try:
        made = provision_device(deployment, role="gate", station="QTA01", reload=True)
        assert made.device.has_client_cert
        time.sleep(0.2)
        assert run_selftest(made.bundle_dir / "unit.toml", hardware=False).ok
        no_cert = made.bundle_dir / "no-cert.toml"
        no_cert.write_text(
            "".join(
                line
                for line in (made.bundle_dir / "unit.toml").read_text().splitlines(keepends=True)
                if not line.startswith(("cert_file", "key_file"))
            )
        )
        report = run_selftest(no_cert, hardware=False, broker_timeout_s=3)
        assert not report.ok
        assert next(c for c in report.checks if c.name == "broker").status == "fail"
    finally:
        broker.stop()


def test_selftest_includes_the_hardware_checks(live) -> None:
    desk = provision_device(
        live.deployment, role="desk", station="QTA04", hardware="sim", reload=True
    )
    time.sleep(0.2)
    prompts: list[str] = []
    report = run_selftest(
        desk.bundle_dir / "unit.toml",
        hardware_options={"led_step_s": 0.01, "relay_open_s": 0.05, "prompt": prompts.append},
    )
    assert report.ok, report.to_text()
    assert [c.name for c in report.checks] == ["config", "files", "clock", "broker", "hardware"]
    assert report.hardware is not None and report.hardware["ok"]
    hardware_checks = {c["name"]: c for c in report.hardware["checks"]}
    assert hardware_checks["relay"]["ok"] and hardware_checks["sensor handshake"]["skipped"]
    assert "relay" in report.to_text()


def test_cli_device_reload_and_selftest(live, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(live.deployment.root)
    argv = [
        "provision",
        "device",
        "--dir",
        root,
        "--role",
        "gate",
        "--station",
        "QTA05",
        "--reload",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"pid {live.process.pid}" in out
    device_id = out.split()[1]
    time.sleep(0.2)
    config = str(live.deployment.units_dir / device_id / "unit.toml")
    assert main(["provision", "selftest", "--config", config, "--no-hardware", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["device_id"] == device_id


def test_the_agent_runs_from_a_bundle_and_stops_when_revoked(live, clients) -> None:
    """The contract with edge_agent: its daemon connects with nothing but the bundle,
    its retained birth reaches the hub, and revocation ends it (bad credentials)."""
    from edge_agent.agent import Agent
    from edge_agent.config import load_unit_config

    made = provision_device(
        live.deployment, role="gate", station="QTA06", hardware="sim", reload=True
    )
    time.sleep(0.2)
    device_id = made.device.device_id
    hub = connect(clients, Creds.of_hub(live.deployment))
    assert not hub.subscribe(topic(device_id, "state")).is_failure
    agent = Agent(load_unit_config(made.bundle_dir / "unit.toml"))
    exit_codes: list[int] = []
    runner = threading.Thread(target=lambda: exit_codes.append(agent.run()), daemon=True)
    runner.start()
    try:
        birth = hub.messages.get(timeout=10)
        assert birth.topic == topic(device_id, "state") and b"online" in birth.payload
        revoke_device(live.deployment, device_id)
        reload_broker(live.deployment)
        runner.join(timeout=15)
        assert not runner.is_alive(), "the agent kept running after its unit was revoked"
        assert exit_codes and exit_codes[0] != 0
    finally:
        agent.stop()
        runner.join(timeout=10)


def test_the_loopback_listener_has_the_same_rules_without_tls(units, live, clients) -> None:
    a, b = units
    creds = Creds.of_unit(a.bundle_dir)
    creds.host, creds.port, creds.tls = "127.0.0.1", live.settings.loopback_port, False
    unit = connect(clients, creds)
    assert not unit.publish(topic(a.device.device_id, "up/event")).is_failure
    assert unit.publish(topic(b.device.device_id, "up/event")).value == NOT_AUTHORIZED
    creds.password = "wrong"
    refused = Client(creds).connect()
    clients.append(refused)
    assert refused.connack.is_failure
