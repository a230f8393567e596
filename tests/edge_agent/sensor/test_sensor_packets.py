"""Packet framing, the 4-bit image packing and the checksum-verifying UART."""

from __future__ import annotations

import numpy as np
import pytest
import serial

from edge_agent.sensor.packets import (
    PacketDecoder,
    Pid,
    encode_data,
    encode_packet,
    pack_image,
    unpack_image,
    wire_seconds,
)
from edge_agent.sensor.port import SensorProtocolError
from edge_agent.sensor.transport import CheckedUart


def test_vfypwd_and_its_ack_match_the_datasheet_bytes() -> None:
    assert encode_packet(Pid.COMMAND, bytes([0x13, 0, 0, 0, 0])).hex() == (
        "ef01ffffffff0100071300000000001b"
    )
    assert encode_packet(Pid.ACK, b"\x00").hex() == "ef01ffffffff07000300000a"


def test_decoder_skips_noise_splits_packets_and_flags_bad_checksums() -> None:
    good = encode_packet(Pid.ACK, b"\x00")
    bad = bytearray(encode_packet(Pid.ACK, b"\x02"))
    bad[-1] ^= 1
    decoder = PacketDecoder()
    stream = b"\x12\x34\xef" + good + bytes(bad)
    packets = decoder.feed(stream[:10]) + decoder.feed(stream[10:])
    assert [(p.payload, p.checksum_ok) for p in packets] == [(b"\x00", True), (b"\x02", False)]
    assert decoder.skipped_bytes == 3
    assert decoder.pending_bytes == 0


def test_data_is_split_into_packets_with_an_end_packet_last() -> None:
    packets = encode_data(bytes(range(200)) * 3, 128)
    assert [p[6] for p in packets] == [Pid.DATA] * 4 + [Pid.END]
    assert [len(p) - 11 for p in packets] == [128, 128, 128, 128, 88]


def test_image_packing_puts_even_x_in_the_high_nibble_and_round_trips() -> None:
    image = np.array([[0, 255, 17, 34], [51, 68, 85, 102]], dtype=np.uint8)
    packed = pack_image(image)
    assert packed == bytes([0x0F, 0x12, 0x34, 0x56])
    assert np.array_equal(unpack_image(packed, 4, 2), image)
    with pytest.raises(ValueError, match="expected 4"):
        unpack_image(packed[:3], 4, 2)


def test_wire_time_counts_ten_bits_per_byte() -> None:
    assert wire_seconds(5760, 57600) == pytest.approx(1.0)


def test_checked_uart_raises_on_a_corrupt_reply_and_passes_good_ones() -> None:
    port = serial.serial_for_url("loop://", timeout=0.2)
    uart = CheckedUart(port)
    good = encode_packet(Pid.ACK, b"\x00\x00\x05")
    port.write(good)
    assert uart.read(9) + uart.read(5) == good
    assert uart.last_packet is not None and uart.last_packet.payload == b"\x00\x00\x05"
    bad = bytearray(good)
    bad[-2] ^= 0x40
    port.write(bytes(bad))
    with pytest.raises(SensorProtocolError, match="checksum"):
        uart.read(len(bad))
    port.write(b"\x00\x01" + good[2:])
    with pytest.raises(SensorProtocolError, match="out of step"):
        uart.read(12)
    uart.reset_input_buffer()
    port.write(b"\x55")
    assert uart.read(1) == b"\x55"  # the ready byte after SoftReset passes unchecked
    uart.close()
