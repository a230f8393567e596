"""Fuzzing the sensor packet codec (both directions) and the ISO/ANSI/compact template parsers.

Profile "ci" by default; ``HYPOTHESIS_PROFILE=fuzz`` runs 10,000 examples per target.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.sensor.packets import (
    START_CODE,
    PacketDecoder,
    checksum,
    encode_data,
    encode_packet,
)
from matcher_cy import Template
from matcher_cy.template import MINUTIA_DTYPE, TemplateFormatError

PIDS = st.sampled_from([0x01, 0x02, 0x07, 0x08])


@given(st.lists(st.tuples(PIDS, st.binary(max_size=300)), max_size=6), st.data())
def test_encoded_packets_decode_back_in_any_chunking(packets, data: st.DataObject) -> None:
    stream = b"".join(encode_packet(pid, payload) for pid, payload in packets)
    decoder = PacketDecoder()
    out = []
    position = 0
    while position < len(stream):
        step = data.draw(st.integers(1, 64))
        out += decoder.feed(stream[position : position + step])
        position += step
    assert [(p.pid, p.payload, p.checksum_ok) for p in out] == [
        (pid, payload, True) for pid, payload in packets
    ]


@given(st.binary(max_size=3000))
def test_decoder_survives_line_noise(noise: bytes) -> None:
    decoder = PacketDecoder()
    packets = decoder.feed(noise)
    for packet in packets:
        assert packet.checksum_ok == (
            checksum(packet.pid, packet.payload) == checksum(packet.pid, packet.payload)
        )
    # after any noise, a clean packet is still found (resynchronisation)
    decoder.reset()
    tail = decoder.feed(noise + encode_packet(0x07, b"\x00"))
    assert (tail[-1].pid, tail[-1].payload) == (0x07, b"\x00") or START_CODE in noise


@given(st.binary(max_size=2000), st.sampled_from([32, 64, 128, 256]))
def test_data_is_split_into_packets_and_reassembled(data: bytes, size: int) -> None:
    decoder = PacketDecoder()
    packets = decoder.feed(b"".join(encode_data(data, size)))
    assert b"".join(p.payload for p in packets) == data
    assert packets[-1].pid == 0x08 if data else True


def _template_roundtrip_or_rejection(parse, data: bytes) -> None:
    try:
        template = parse(data)
    except TemplateFormatError as error:
        assert str(error)
    else:
        assert isinstance(template, Template)


@given(st.binary(max_size=600))
def test_iso_parser(data: bytes) -> None:
    _template_roundtrip_or_rejection(Template.from_iso, data)


@given(st.binary(max_size=600))
def test_ansi_parser(data: bytes) -> None:
    _template_roundtrip_or_rejection(Template.from_ansi, data)


@given(st.binary(max_size=600))
def test_compact_parser(data: bytes) -> None:
    _template_roundtrip_or_rejection(Template.from_bytes, data)


def _valid_template(count: int) -> Template:
    rng = np.random.default_rng(count)
    minutiae = np.zeros(count, dtype=MINUTIA_DTYPE)
    minutiae["x"] = rng.integers(0, 256, count)
    minutiae["y"] = rng.integers(0, 288, count)
    minutiae["angle"] = rng.random(count) * 2 * np.pi
    minutiae["type"] = rng.integers(1, 3, count)
    minutiae["quality"] = rng.integers(0, 101, count)
    return Template(minutiae, width=256, height=288, dpi=500, quality=70)


VALID = [_valid_template(n) for n in (0, 1, 12, 40)]
RECORDS = [
    (fmt, encode(t))
    for t in VALID
    for fmt, encode in (
        ("iso", Template.to_iso),
        ("ansi", Template.to_ansi),
        ("compact", Template.to_bytes),
    )
]
PARSERS = {"iso": Template.from_iso, "ansi": Template.from_ansi, "compact": Template.from_bytes}


def test_valid_records_round_trip() -> None:
    for fmt, record in RECORDS:
        assert len(PARSERS[fmt](record)) == len(PARSERS[fmt](record).minutiae)


@given(st.sampled_from(RECORDS), st.data())
def test_mutated_records_are_rejected_precisely_or_read(choice, data: st.DataObject) -> None:
    fmt, original = choice
    record = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(record) - 1))
        record[index] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        record = record[: data.draw(st.integers(0, len(record)))]
    _template_roundtrip_or_rejection(PARSERS[fmt], bytes(record))
