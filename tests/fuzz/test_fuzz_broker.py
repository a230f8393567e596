"""Fuzz the embedded broker over its socket: no byte sequence takes it down."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidmat.broker import packets as p
from khidmat_base.mosquitto import BrokerFiles, MosquittoBroker

PASSWORD = b"pw-unit-1"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    root: Path = tmp_path_factory.mktemp("fuzz-broker")
    broker = MosquittoBroker(root, BrokerFiles(users={"unit-1": PASSWORD.decode()}, acl="pattern readwrite t/%u/#\n"), implementation="embedded")  # fmt: skip
    broker.start()
    try:
        yield broker
    finally:
        broker.stop(kill=True)


def _connect_packet(protocol: int) -> bytes:
    body = p.encode_string("MQTT") + bytes([protocol, 0xC2]) + struct.pack(">H", 30)
    if protocol == p.PROTOCOL_5:
        body += p.encode_properties(())
    body += p.encode_string("unit-1") + p.encode_string("unit-1") + p.encode_binary(PASSWORD)
    return p.packet(p.CONNECT, body)


def _still_serves(broker: MosquittoBroker) -> None:
    with socket.create_connection((broker.host, broker.port), timeout=5) as sock:
        sock.sendall(_connect_packet(p.PROTOCOL_311))
        assert sock.recv(4) == b"\x20\x02\x00\x00"
        sock.sendall(b"\xc0\x00")  # PINGREQ
        assert sock.recv(2) == b"\xd0\x00"


@given(
    protocol=st.sampled_from([p.PROTOCOL_311, p.PROTOCOL_5]),
    after_connect=st.booleans(),
    garbage=st.binary(max_size=300),
)
def test_random_bytes_never_stop_the_broker(
    broker: MosquittoBroker, protocol: int, after_connect: bool, garbage: bytes
) -> None:
    with socket.create_connection((broker.host, broker.port), timeout=5) as sock:
        if after_connect:
            sock.sendall(_connect_packet(protocol))
            assert sock.recv(3)[:1] == b"\x20"
        sock.sendall(garbage)
    assert broker.running


@given(
    kind=st.integers(0, 15),
    flags=st.integers(0, 15),
    body=st.binary(max_size=120),
    protocol=st.sampled_from([p.PROTOCOL_311, p.PROTOCOL_5]),
)
def test_well_framed_packets_of_any_type_never_stop_the_broker(
    broker: MosquittoBroker, kind: int, flags: int, body: bytes, protocol: int
) -> None:
    with socket.create_connection((broker.host, broker.port), timeout=5) as sock:
        sock.sendall(_connect_packet(protocol))
        assert sock.recv(3)[:1] == b"\x20"
        sock.sendall(bytes([kind << 4 | flags]) + p.encode_varint(len(body)) + body)
    assert broker.running


def test_after_the_fuzzing_it_still_serves_and_hit_no_internal_error(
    broker: MosquittoBroker,
) -> None:
    _still_serves(broker)
    log = broker.log_path.read_text(encoding="utf-8")
    assert "malformed packet" in log  # the fuzzing reached the packet rules
    assert "unexpected error" not in log and "Traceback" not in log
