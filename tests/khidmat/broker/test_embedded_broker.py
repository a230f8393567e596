"""The embedded broker as a process, spoken to by paho (v5 and 3.1.1) and by raw sockets."""

from __future__ import annotations

import queue
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from khidmat.broker import packets as p
from khidmat.testbed import ACL_TEXT
from khidmat_base.mosquitto import BrokerFiles, MosquittoBroker

pytestmark = pytest.mark.slow

USERS = {"hub": "pw-hub", "unit-1": "pw-unit-1", "unit-2": "pw-unit-2"}
UP = "khidmat/v1/dev/{}/up/complaint"
DOWN = "khidmat/v1/dev/{}/down/ack"
STATE = "khidmat/v1/dev/{}/state"
WAIT_S = 5.0


class Client:
    """A paho client whose messages land in a queue."""

    def __init__(self, broker: MosquittoBroker, name: str, *, protocol: int = paho.MQTTv5,
                 persistent: bool = False, will: str | None = None, password: str | None = None,
                 username: str | None = None) -> None:  # fmt: skip
        kwargs = {"clean_session": not persistent} if protocol == paho.MQTTv311 else {}
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=protocol, **kwargs)  # type: ignore[arg-type]  # fmt: skip
        user = username or name
        self.client.username_pw_set(user, password or USERS.get(user, "x"))
        if will:
            self.client.will_set(will, b"offline", qos=1, retain=True)
        self.messages: queue.Queue[paho.MQTTMessage] = queue.Queue()
        self.connack: queue.Queue[object] = queue.Queue()
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_connect = lambda c, u, f, rc, props: self.connack.put((rc, f))
        self.client.on_disconnect = lambda *a: None
        props = None
        connect_kwargs: dict[str, object] = {}
        if protocol == paho.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600 if persistent else 0
            connect_kwargs = {"clean_start": not persistent, "properties": props}
        self.client.connect(broker.host, broker.port, keepalive=10, **connect_kwargs)  # type: ignore[arg-type]
        self.client.loop_start()
        self.reason, self.flags = self.connack.get(timeout=WAIT_S)  # type: ignore[misc]

    def subscribe(self, topic: str) -> list[int]:
        done: queue.Queue[list[int]] = queue.Queue()
        self.client.on_subscribe = lambda c, u, mid, codes, props: done.put([getattr(x, "value", x) for x in codes])  # fmt: skip
        self.client.subscribe(topic, qos=1)
        return done.get(timeout=WAIT_S)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> paho.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(WAIT_S)
        return info

    def payloads(self, count: int) -> list[bytes]:
        return [self.messages.get(timeout=WAIT_S).payload for _ in range(count)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """Lose the connection without DISCONNECT (the will is due)."""
        self.client.loop_stop()
        self.client.socket().close()  # type: ignore[union-attr]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(
        tmp_path / "broker", BrokerFiles(users=USERS, acl=ACL_TEXT), implementation="embedded"
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop(kill=True)


def test_records_flow_up_and_downlinks_down_in_both_protocol_versions(broker) -> None:
    hub = Client(broker, "hub")
    assert hub.subscribe("khidmat/v1/dev/+/up/#") == [1]
    unit = Client(broker, "unit-1", protocol=paho.MQTTv311)
    assert unit.subscribe("khidmat/v1/dev/unit-1/down/#") == [1]
    for i in range(50):
        unit.publish(UP.format("unit-1"), f"record-{i}".encode())
    assert hub.payloads(50) == [f"record-{i}".encode() for i in range(50)]
    hub.publish(DOWN.format("unit-1"), b"ack-1")
    assert unit.payloads(1) == [b"ack-1"]
    hub.close()
    unit.close()


def test_the_acl_keeps_units_to_their_own_topics(broker) -> None:
    unit1, unit2 = Client(broker, "unit-1"), Client(broker, "unit-2")
    assert unit2.subscribe("khidmat/v1/dev/unit-1/down/#") == [0x87]
    assert unit2.subscribe("#") == [0x87]
    info = unit2.publish(UP.format("unit-1"), b"forged")
    assert info.rc == 0  # PUBACK 0x87 is reported to paho's on_publish, the message is dropped
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/up/#")
    unit2.publish(UP.format("unit-1"), b"forged again")
    unit1.publish(UP.format("unit-1"), b"genuine")
    assert hub.payloads(1) == [b"genuine"]
    assert hub.messages.empty()
    for client in (unit1, unit2, hub):
        client.close()


def test_wrong_passwords_are_refused_in_both_versions(broker) -> None:
    assert Client(broker, "unit-1", password="nope").reason.value == 0x87  # type: ignore[attr-defined]
    old = Client(broker, "unit-1", protocol=paho.MQTTv311, password="nope")
    assert str(old.reason) == "Not authorized"  # CONNACK 5, which paho reports as v5's 0x87


def test_an_offline_persistent_session_gets_its_queue_and_retained_state(broker) -> None:
    unit = Client(broker, "unit-1", persistent=True)
    unit.subscribe("khidmat/v1/dev/unit-1/down/#")
    unit.close()
    hub = Client(broker, "hub")
    for i in range(30):
        hub.publish(DOWN.format("unit-1"), f"status-{i}".encode())
    again = Client(broker, "unit-1", persistent=True)
    assert again.flags.session_present  # type: ignore[attr-defined]
    assert again.payloads(30) == [f"status-{i}".encode() for i in range(30)]
    again.close()
    hub.close()


def test_a_dropped_unit_leaves_its_retained_will_and_a_new_connection_takes_over(broker) -> None:
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/state")
    unit = Client(broker, "unit-1", will=STATE.format("unit-1"))
    unit.publish(STATE.format("unit-1"), b"online", retain=True)
    assert hub.payloads(1) == [b"online"]
    unit.drop()
    assert hub.payloads(1) == [b"offline"]
    late = Client(broker, "hub", protocol=paho.MQTTv311)  # takes the hub's client id over
    late.subscribe("khidmat/v1/dev/+/state")
    retained = late.messages.get(timeout=WAIT_S)
    assert (retained.payload, retained.retain) == (b"offline", True)
    late.close()


def test_state_survives_a_broker_restart(broker) -> None:
    unit = Client(broker, "unit-1", persistent=True)
    unit.subscribe("khidmat/v1/dev/unit-1/down/#")
    unit.publish(STATE.format("unit-1"), b"online", retain=True)
    unit.close()
    hub = Client(broker, "hub")
    for i in range(5):
        hub.publish(DOWN.format("unit-1"), f"queued-{i}".encode())
    hub.close()
    time.sleep(1.5)  # the config saves every second, like Mosquitto's autosave_interval 1
    broker.restart(kill=True)
    again = Client(broker, "unit-1", persistent=True)
    assert again.flags.session_present  # type: ignore[attr-defined]
    assert again.payloads(5) == [f"queued-{i}".encode() for i in range(5)]
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/state")
    assert hub.payloads(1) == [b"online"]
    again.close()
    hub.close()


def test_a_shared_subscription_spreads_messages_over_its_members(broker) -> None:
    first = Client(broker, "hub")
    second = Client(broker, "hub-2", username="hub")  # a second hub worker, same account
    for member in (first, second):
        assert member.subscribe("$share/hub/khidmat/v1/dev/+/up/#") == [1]
    unit = Client(broker, "unit-1")
    for i in range(10):
        unit.publish(UP.format("unit-1"), f"r{i}".encode())
    time.sleep(0.5)
    per_member = [[m.payload for m in _drain(member)] for member in (first, second)]
    got = per_member[0] + per_member[1]
    assert sorted(got) == sorted(f"r{i}".encode() for i in range(10))  # each exactly once
    assert [len(payloads) for payloads in per_member] == [5, 5]  # in turn
    for client in (first, second, unit):
        client.close()


def _drain(client: Client) -> list[paho.MQTTMessage]:
    drained = []
    while not client.messages.empty():
        drained.append(client.messages.get_nowait())
    return drained


def _raw_connect(broker: MosquittoBroker) -> socket.socket:
    sock = socket.create_connection((broker.host, broker.port), timeout=WAIT_S)
    password = USERS["unit-1"].encode()
    body = p.encode_string("MQTT") + bytes([4, 0xC2]) + struct.pack(">H", 30)
    body += p.encode_string("unit-1") + p.encode_string("unit-1") + p.encode_binary(password)
    sock.sendall(p.packet(p.CONNECT, body))
    assert sock.recv(4) == b"\x20\x02\x00\x00"
    return sock


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\x00",  # reserved packet type
        b"\x82\x04\x00\x01\x00\x05",  # SUBSCRIBE whose filter runs past the packet
        b"\x30\xff\xff\xff\xff\x01",  # remaining length of 5 bytes
        b"\x62\x02\x00\x00",  # PUBREL for packet id 0
        b"\x36\x04\x00\x01a\x00",  # PUBLISH with QoS 3
        b"\x10\x00",  # a second CONNECT (empty)
    ],
)
def test_a_malformed_packet_closes_only_that_connection(broker, garbage: bytes) -> None:
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/up/#")
    sock = _raw_connect(broker)
    sock.sendall(garbage)
    assert sock.recv(10) == b""  # the broker closed this connection
    sock.close()
    unit = Client(broker, "unit-2")
    unit.publish(UP.format("unit-2"), b"still served")
    assert hub.payloads(1) == [b"still served"]
    hub.close()
    unit.close()


def test_qos2_publishes_are_delivered_once(broker) -> None:
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/up/#")
    sock = _raw_connect(broker)
    publish = p.publish(4, UP.format("unit-1"), b"exactly once", qos=2, retain=False, packet_id=7)
    sock.sendall(publish)
    assert sock.recv(4) == b"\x50\x02\x00\x07"  # PUBREC
    sock.sendall(publish[:1] + publish[1:])  # a resend before PUBREL is not routed again
    assert sock.recv(4) == b"\x50\x02\x00\x07"
    sock.sendall(b"\x62\x02\x00\x07")
    assert sock.recv(4) == b"\x70\x02\x00\x07"  # PUBCOMP
    assert hub.payloads(1) == [b"exactly once"]
    with pytest.raises(queue.Empty):
        hub.messages.get(timeout=0.5)
    sock.close()
    hub.close()


def test_a_silent_client_is_dropped_after_one_and_a_half_keep_alives(broker) -> None:
    hub = Client(broker, "hub")
    hub.subscribe("khidmat/v1/dev/+/state")
    sock = socket.create_connection((broker.host, broker.port), timeout=5)
    body = p.encode_string("MQTT") + bytes([4, 0xC6 | 0x20]) + struct.pack(">H", 1)
    body += p.encode_string("unit-1") + p.encode_string(STATE.format("unit-1"))
    body += p.encode_binary(b"gone") + p.encode_string("unit-1")
    body += p.encode_binary(USERS["unit-1"].encode())
    sock.sendall(p.packet(p.CONNECT, body))
    assert sock.recv(4) == b"\x20\x02\x00\x00"
    started = time.monotonic()
    assert hub.payloads(1) == [b"gone"]  # the will, after the keep-alive ran out
    assert 1.2 < time.monotonic() - started < 3.5
    sock.close()
    hub.close()
