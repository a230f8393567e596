"""The broker harness runs a real Mosquitto with passwords, %u ACLs and persistence."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from khidmat_base.mosquitto import MOSQUITTO_MISSING, MosquittoBroker, password_hash


def _client(
    broker: MosquittoBroker, user: str, password: str, *, protocol: int = paho.MQTTv5
) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{user}", protocol=protocol)
    client.username_pw_set(user, password)
    return client


def test_password_hash_is_accepted_by_mosquitto_passwd_format(tmp_path) -> None:
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(tmp_path / "pw"), "alice", "secret"], check=True
    )
    line = (tmp_path / "pw").read_text().strip()
    stored = line.split(":", 1)[1]
    salt = __import__("base64").b64decode(stored.split("$")[3])
    assert password_hash("secret", salt=salt) == stored


def test_wrong_password_is_refused(broker: MosquittoBroker) -> None:
    client = _client(broker, "unit-1", "wrong")
    codes: list[int] = []
    done = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: (codes.append(rc.value), done.set())
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert done.wait(5)
    client.loop_stop()
    assert codes[0] in (134, 135)  # bad user name or password / not authorised (Mosquitto 2.0)


def test_acl_denies_another_units_topic_with_reason_code(broker: MosquittoBroker) -> None:
    client = _client(broker, "unit-1", "pw-unit-1")
    acks: dict[int, int] = {}
    published = threading.Event()

    def on_publish(c, u, mid, reason_code, properties) -> None:
        acks[mid] = reason_code.value
        if len(acks) == 2:
            published.set()

    client.on_publish = on_publish
    client.connect(broker.host, broker.port)
    client.loop_start()
    own = client.publish("khidmat/v1/dev/unit-1/up/event", b"x", qos=1)
    other = client.publish("khidmat/v1/dev/unit-2/up/event", b"x", qos=1)
    assert published.wait(5)
    client.disconnect()
    client.loop_stop()
    assert acks[own.mid] < 0x80  # success (0x10: no subscribers yet)
    assert acks[other.mid] == 0x87  # not authorised


def test_restart_keeps_port_and_queued_messages(broker: MosquittoBroker) -> None:
    received: list[bytes] = []
    got = threading.Event()
    subscriber = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="persist-hub", protocol=paho.MQTTv5
    )
    subscriber.username_pw_set("hub", "pw-hub")
    properties = paho.Properties(paho.PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    subscriber.connect(broker.host, broker.port, clean_start=False, properties=properties)
    subscriber.on_message = lambda c, u, m: (received.append(m.payload), got.set())
    subscriber.subscribe("khidmat/v1/dev/+/up/#", qos=1)
    subscriber.loop_start()
    subscriber.disconnect()
    subscriber.loop_stop()

    publisher = _client(broker, "unit-3", "pw-unit-3")
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    publisher.publish("khidmat/v1/dev/unit-3/up/event", b"while-away", qos=1).wait_for_publish(5)
    publisher.disconnect()
    publisher.loop_stop()

    port = broker.port
    broker.restart()
    assert broker.port == port and broker.running

    subscriber.reconnect()
    subscriber.loop_start()
    assert got.wait(5)
    subscriber.disconnect()
    subscriber.loop_stop()
    assert received == [b"while-away"]


def test_without_mosquitto_the_suite_stops_with_one_line(tmp_path: Path) -> None:
    """tests/conftest.py: a machine without Mosquitto gets one line saying how to install it."""
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "no_mosquitto.py").write_text(
        "import khidmat_base.mosquitto\nkhidmat_base.mosquitto.find_mosquitto = lambda: None\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no_mosquitto", "-p", "no:cacheprovider",
         "tests/khidmat_base/test_clock.py"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}"},
    )  # fmt: skip
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [f"ERROR: {MOSQUITTO_MISSING}"] and not done.stdout
    assert "apt-get install mosquitto" in done.stderr


def test_free_port_is_below_the_range_outgoing_connections_draw_from() -> None:
    """A port chosen now and listened on later must not become some client's local port
    meanwhile (a demo test once found its broker's port taken): it is drawn below the
    kernel's ephemeral range, and it is free."""
    import socket

    from khidmat_base.mosquitto import LISTEN_PORTS_FROM, ephemeral_range, free_port

    low, _ = ephemeral_range()
    ports = {free_port() for _ in range(20)}
    assert all(LISTEN_PORTS_FROM <= port < low for port in ports), (sorted(ports), low)
    assert len(ports) > 1  # drawn, not one fixed port every fixture would fight over
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", ports.pop()))


def test_ephemeral_range_reads_the_kernel_file_and_falls_back(tmp_path: Path) -> None:
    from khidmat_base.mosquitto import ephemeral_range

    (tmp_path / "range").write_text("32768\t60999\n")
    assert ephemeral_range(tmp_path / "range") == (32768, 60999)
    (tmp_path / "bad").write_text("not numbers\n")
    assert ephemeral_range(tmp_path / "bad") == (49152, 65535)
    assert ephemeral_range(tmp_path / "missing") == (49152, 65535)
