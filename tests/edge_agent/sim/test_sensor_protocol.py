"""The unmodified adafruit driver against the simulated module over a real pty.

Most tests run without wire delay (the pty is instant); ``test_wire_time_follows_the_baud``
checks the pacing. Tests that extract or match need matcher_cy and synthetic fingers.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Iterator
from typing import Any

import adafruit_fingerprint as af
import numpy as np
import pytest
import serial

from edge_agent.sensor.models import get_model
from edge_agent.sensor.packets import Cmd, Pid, encode_packet, pack_image, unpack_image
from edge_agent.sim.sensor import SimulatedSensor
from edge_agent.sim.sensor_chip import fit_to_window, quantise_4bit
from edge_agent.sim.sensor_engine import MatcherEngine

MODELS = ("r307", "r503")
TIMEOUT_S = 0.4


@contextlib.contextmanager
def driver_on(
    model: str = "r307", timeout_s: float = TIMEOUT_S, **sim_kw: Any
) -> Iterator[tuple[SimulatedSensor, Any]]:
    """A started simulator and the real driver on a pyserial port to its pty."""
    sim_kw.setdefault("wire_delay", False)
    with SimulatedSensor(model, **sim_kw).start() as sim:
        port = serial.Serial(sim.port_path, sim.baud, timeout=timeout_s)
        try:
            yield sim, af.Adafruit_Fingerprint(port)
        finally:
            port.close()
        assert sim.errors == []


def gradient(height: int = 300, width: int = 300) -> np.ndarray:
    """A test card: every grey level, different in x and y."""
    y, x = np.mgrid[0:height, 0:width]
    return ((x * 7 + y * 3) % 256).astype(np.uint8)


def threshold(model: str = "r307", security_level: int = 3) -> int:
    """The chip score at which the simulated module declares a match."""
    spec = get_model(model)
    engine = MatcherEngine(char_size_bytes=spec.char_size_bytes, dpi=spec.dpi)
    return engine.threshold(security_level)


@pytest.fixture(scope="module")
def fingers() -> dict[str, np.ndarray]:
    """Finger 1 placed twice (the second time moved by 6 px down, 4 px right) and finger 2."""
    pytest.importorskip("matcher_cy.extraction")
    from edge_agent.sim.fingers import impression_image

    first = impression_image(1, 0)
    moved = np.full_like(first, 255)
    moved[6:, 4:] = first[:-6, :-4]
    return {"first": first, "moved": moved, "stranger": impression_image(2, 0)}


@pytest.mark.parametrize("model", MODELS)
def test_handshake_and_system_parameters(model: str) -> None:
    spec = get_model(model)
    with driver_on(model) as (_, finger):
        assert finger.verify_password() == af.OK
        assert finger.read_sysparam() == af.OK
        assert finger.library_size == spec.capacity
        assert finger.data_packet_size == 2  # 128 bytes, the module default
        assert finger.baudrate == 6  # 57600 = 9600 * 6
        assert finger.security_level == 3
        assert finger.device_address == b"\xff\xff\xff\xff"
        assert finger.system_id == spec.system_id
        assert finger.status_register == 0x0004  # password verified, no image yet


def test_password_is_checked_and_required() -> None:
    with SimulatedSensor("r307", password=0x1234, wire_delay=False).start() as sim:
        with serial.Serial(sim.port_path, 57600, timeout=TIMEOUT_S) as port:
            with pytest.raises(RuntimeError, match="Failed to find sensor"):
                af.Adafruit_Fingerprint(port)
            port.write(encode_packet(Pid.COMMAND, bytes([Cmd.GEN_IMG])))
            assert port.read(12)[9] == 0x21  # must verify the password first
            finger = af.Adafruit_Fingerprint(port, passwd=(0, 0, 0x12, 0x34))
            assert finger.get_image() == af.NOFINGER


@pytest.mark.parametrize("model", MODELS)
def test_image_upload_has_the_model_size_and_4_bit_pixels(model: str) -> None:
    spec = get_model(model)
    with driver_on(model) as (sim, finger):
        assert finger.get_image() == af.NOFINGER
        sim.place(gradient())
        assert finger.get_image() == af.OK
        data = finger.get_fpdata("image")
        assert len(data) == spec.image_width * spec.image_height // 2
        image = unpack_image(bytes(data), spec.image_width, spec.image_height)
        expected = quantise_4bit(fit_to_window(gradient(), spec.image_width, spec.image_height))
        assert np.array_equal(image, expected)


def test_driver_recursion_defect_at_32_byte_packets_is_real() -> None:
    with driver_on("r307", packet_size=32) as (sim, finger):
        sim.place(gradient())
        assert finger.get_image() == af.OK
        with pytest.raises(RecursionError):
            finger.get_fpdata("image")


def test_set_sysparam_changes_baud_and_packet_size() -> None:
    with driver_on("r307") as (sim, finger):
        port = finger._uart
        assert finger.set_sysparam(6, 3) == af.OK
        assert sim.packet_size == 256
        assert finger.set_sysparam(4, 12) == af.OK
        assert sim.baud == 115200
        with pytest.raises(RuntimeError, match="Failed to read data"):
            finger.verify_password()  # still at 57600 on the host side: not understood
        assert sim.dropped_bytes > 0
        port.baudrate = 115200
        port.reset_input_buffer()
        assert finger.verify_password() == af.OK
        assert finger.read_sysparam() == af.OK and finger.data_packet_size == 3
        with pytest.raises(RuntimeError, match="Command failed"):
            finger.set_sysparam(9, 1)  # no such register


def test_led_on_r503_and_its_absence_on_r307() -> None:
    with driver_on("r503") as (sim, finger):
        assert finger.set_led(color=3, mode=1, speed=0x40, cycles=5) == af.OK
        assert (sim.led.control, sim.led.colour, sim.led.speed, sim.led.cycles) == (1, 3, 64, 5)
        with pytest.raises(RuntimeError, match="wrong with the sensor"):
            finger.check_module()  # GetEcho is not in the R503 command table
    with driver_on("r307") as (sim, finger):
        assert finger.set_led(color=2, mode=3) == af.PACKETRECIEVEERR
        assert finger.check_module() is True


def test_soft_reset_sends_ready_byte_and_clears_buffers() -> None:
    with driver_on("r307") as (sim, finger):
        sim.place(gradient())
        assert finger.get_image() == af.OK
        finger.soft_reset()  # raises unless the 0x55 ready byte follows the ack
        with pytest.raises(UnboundLocalError):
            finger.get_fpdata("image")  # no image any more: UPLOAD_FAIL, driver defect 4
        finger._uart.reset_input_buffer()
        assert finger.verify_password() == af.OK


def test_library_bounds_delete_empty_and_index_table() -> None:
    spec = get_model("r503")
    with driver_on("r503") as (sim, finger):
        assert finger.store_model(spec.capacity, 1) == af.BADLOCATION
        assert finger.load_model(3, 1) == af.DBRANGEFAIL  # empty page
        assert finger.store_model(3, 1) == af.FEATUREFAIL  # empty char buffer
        assert finger.delete_model(spec.capacity) == af.DELETEFAIL
        assert finger.empty_library() == af.OK
        assert finger.count_templates() == af.OK and finger.template_count == 0
        assert finger.read_templates() == af.OK and finger.templates == []


def test_enrol_search_and_strangers_on_chip(fingers: dict[str, np.ndarray]) -> None:
    with driver_on("r307") as (sim, finger):
        sim.place(fingers["first"])
        for slot in (1, 2):
            assert finger.get_image() == af.OK
            assert finger.image_2_tz(slot) == af.OK
        assert finger.create_model() == af.OK
        assert finger.store_model(7, 1) == af.OK
        assert finger.count_templates() == af.OK and finger.template_count == 1
        assert finger.read_templates() == af.OK and finger.templates == [7]

        sim.lift()
        assert finger.get_image() == af.NOFINGER
        sim.place(fingers["moved"])
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        assert finger.finger_search() == af.OK
        assert finger.finger_id == 7 and threshold() <= finger.confidence <= 10000
        assert finger.finger_fast_search() == af.OK and finger.finger_id == 7

        assert finger.load_model(7, 2) == af.OK
        assert finger.compare_templates() == af.OK
        assert finger.confidence[0] >= threshold()  # a 1-tuple: driver defect 4

        sim.place(fingers["stranger"])
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        assert finger.finger_search() == af.NOTFOUND
        assert finger.compare_templates() == af.NOMATCH
        assert finger.create_model() == af.ENROLLMISMATCH
        assert finger.delete_model(7) == af.OK
        assert finger.count_templates() == af.OK and finger.template_count == 0


@pytest.mark.parametrize("model", MODELS)
def test_template_upload_and_download_round_trip(
    model: str, fingers: dict[str, np.ndarray]
) -> None:
    spec = get_model(model)
    with driver_on(model) as (sim, finger):
        sim.place(fingers["first"])
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        char = finger.get_fpdata("char", 1)
        assert len(char) == spec.char_size_bytes
        assert finger.send_fpdata(char, "char", 2) is True
        assert finger.compare_templates() == af.OK and finger.confidence[0] >= threshold()
        assert finger.get_fpdata("char", 2) == char
        sim.place(fingers["stranger"])
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        assert finger.compare_templates() == af.NOMATCH


def test_faults_as_the_bare_driver_sees_them(fingers: dict[str, np.ndarray]) -> None:
    with driver_on("r307") as (sim, finger):
        sim.inject("bad_checksum")
        assert finger.verify_password() == af.OK  # corrupt reply accepted: defect 2
        sim.inject("short_reply", command=Cmd.TEMPLATE_NUM)
        with pytest.raises(RuntimeError, match="Failed to read data"):
            finger.count_templates()  # waits for 14 bytes, 12 came
        sim.inject("no_reply")
        with pytest.raises(RuntimeError, match="Failed to read data"):
            finger.get_image()
        sim.inject("line_noise")
        with pytest.raises(RuntimeError, match="Incorrect packet data"):
            finger.get_image()
        finger._uart.reset_input_buffer()
        sim.place(fingers["first"])
        sim.inject("no_finger")
        assert finger.get_image() == af.NOFINGER
        assert finger.get_image() == af.OK
        sim.inject("messy_image")
        assert finger.get_image() == af.OK
        assert finger.image_2_tz(1) == af.IMAGEMESS
        assert [name for name, _ in sim.faults.fired] == [
            "bad_checksum",
            "short_reply",
            "no_reply",
            "line_noise",
            "no_finger",
            "messy_image",
        ]


def test_wire_time_follows_the_baud() -> None:
    with driver_on("r307", timeout_s=2.0, baud=9600, wire_delay=True) as (sim, finger):
        char = bytes(range(256)) * 2
        finger.send_fpdata(list(char), "char", 1)  # downloaded at 9600 baud: ~0.6 s
        assert finger.verify_password() == af.OK  # waits until the download is in
        started = time.monotonic()
        assert finger.get_fpdata("char", 1) == list(char)
        elapsed_s = time.monotonic() - started
    wire_bytes = 13 + 12 + 4 * (128 + 11)  # command, ack, four data packets
    expected_s = wire_bytes * 10 / 9600
    assert expected_s * 0.95 <= elapsed_s <= expected_s * 1.5 + 0.3  # slack: shared CPUs


def test_power_on_ready_byte_is_sent_and_pyserial_drops_it() -> None:
    with SimulatedSensor("r307", wire_delay=False).start() as sim:
        fd = os.open(sim.port_path, os.O_RDWR | os.O_NOCTTY)
        try:
            ready, _, _ = select.select([fd], [], [], 2)
            assert ready and os.read(fd, 16) == b"\x55"
        finally:
            os.close(fd)
    with driver_on("r307") as (_, finger):  # pyserial flushed the byte on open
        assert finger.verify_password() == af.OK


def test_image_download_then_upload_round_trips() -> None:
    spec = get_model("r503")
    with driver_on("r503") as (_, finger):
        image = quantise_4bit(fit_to_window(gradient(), spec.image_width, spec.image_height))
        assert finger.send_fpdata(list(pack_image(image)), "image") is True
        assert finger.verify_password() == af.OK  # the download is in
        data = finger.get_fpdata("image")
        assert np.array_equal(unpack_image(bytes(data), 192, 192), image)


def test_on_chip_search_finds_other_impressions_of_mates_and_no_strangers() -> None:
    pytest.importorskip("matcher_cy.extraction")
    from edge_agent.sim.fingers import impression_image

    with driver_on("r307", timeout_s=2.0) as (sim, finger):
        for page, finger_id in enumerate((1, 2)):
            for slot, impression in ((1, 0), (2, 1)):
                sim.place(impression_image(finger_id, impression))
                assert finger.get_image() == af.OK and finger.image_2_tz(slot) == af.OK
            assert finger.create_model() == af.OK, f"finger {finger_id} impressions 0, 1"
            assert finger.store_model(page, 1) == af.OK
        for page, finger_id in enumerate((1, 2)):
            sim.place(impression_image(finger_id, 2))
            assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
            assert finger.finger_search() == af.OK and finger.finger_id == page
        sim.place(impression_image(9, 0))
        assert finger.get_image() == af.OK and finger.image_2_tz(1) == af.OK
        assert finger.finger_search() == af.NOTFOUND
