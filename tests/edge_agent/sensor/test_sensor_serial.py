"""The serial backend (edge code) against the simulated module: start-up, capture, faults.

Every fault the simulator can commit is injected and the port is shown to recover:
transport faults by resynchronising and retrying, no_finger by polling on, messy_image by
retaking (the chip's Img2Tz quality gate), and persistent silence by a clear error after
bounded retries, after which the port works again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from edge_agent.config import SensorSection
from edge_agent.sensor import (
    LedColour,
    LedMode,
    NoFingerError,
    SensorError,
    SensorNotRespondingError,
    SensorPasswordError,
    SensorProtocolError,
    open_sensor,
)
from edge_agent.sensor.models import get_model
from edge_agent.sensor.packets import Cmd
from edge_agent.sensor.serial_sensor import SerialFingerprintSensor
from edge_agent.sim.sensor import SimulatedSensor
from edge_agent.sim.sensor_chip import fit_to_window, quantise_4bit

TIMEOUT_S = 0.25


def card(height: int = 300, width: int = 300) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return ((x * 5 + y * 11) % 256).astype(np.uint8)


def expected_image(model: str, image: np.ndarray) -> np.ndarray:
    spec = get_model(model)
    return quantise_4bit(fit_to_window(image, spec.image_width, spec.image_height))


def connect(sim: SimulatedSensor, **kw: Any) -> SerialFingerprintSensor:
    kw.setdefault("baud", 115200)
    kw.setdefault("packet_size", 256)
    kw.setdefault("timeout_s", TIMEOUT_S)
    kw.setdefault("probe_bauds", ())
    kw.setdefault("quality_gate", False)
    kw.setdefault("poll_interval_s", 0.01)
    return SerialFingerprintSensor.connect(sim.port_path, model=sim.model, **kw)


@contextlib.contextmanager
def port_on(
    model: str = "r307", sim_kw: dict[str, Any] | None = None, **kw: Any
) -> Iterator[tuple[SimulatedSensor, SerialFingerprintSensor]]:
    """A simulator already at 115200 baud / 256-byte packets (no SetSysPara needed, fast)."""
    sim_kw = {"baud": 115200, "packet_size": 256, "wire_delay": False, **(sim_kw or {})}
    with SimulatedSensor(model, **sim_kw).start() as sim:
        with connect(sim, **kw) as sensor:
            yield sim, sensor  # type: ignore[misc]
        assert sim.errors == []


@pytest.mark.parametrize("model", ["r307", "r503"])
def test_start_raises_baud_and_packet_size_and_reports_info(model: str) -> None:
    with port_on(model, sim_kw={"baud": 57600, "packet_size": 128}) as (sim, sensor):
        assert (sim.baud, sim.packet_size) == (115200, 256)
        info = sensor.info()
        spec = get_model(model)
        assert info.model == model and info.capacity == spec.capacity
        assert (info.image_width, info.image_height, info.dpi) == (
            spec.image_width,
            spec.image_height,
            spec.dpi,
        )
        assert (info.baud, info.packet_size_bytes, info.library_count) == (115200, 256, 0)
        assert info.has_led is (model == "r503")


def test_finds_a_module_left_at_another_baud_and_sets_the_configured_one() -> None:
    with SimulatedSensor("r307", baud=38400, wire_delay=False).start() as sim:
        with connect(sim, baud=57600, packet_size=128, probe_bauds=(115200, 38400)) as sensor:
            assert sim.baud == 57600 and sensor.info().baud == 57600


def test_wrong_password_says_so() -> None:
    with SimulatedSensor("r307", password=99, wire_delay=False).start() as sim:
        with pytest.raises(SensorPasswordError, match=r"\[sensor\] password = 7"):
            connect(sim, password=7)
        with connect(sim, password=99) as sensor:
            assert sensor.info().capacity == 1000


def test_bad_settings_and_a_missing_port_name_what_to_check(tmp_path: Any) -> None:
    spec = get_model("r307")
    with pytest.raises(SensorError, match=r"\[sensor\] baud 50000"):
        SerialFingerprintSensor.connect("/dev/null", model=spec, baud=50000, packet_size=128)
    with pytest.raises(SensorError, match=r"\[sensor\] packet_size 100"):
        SerialFingerprintSensor.connect("/dev/null", model=spec, baud=57600, packet_size=100)
    with pytest.raises(SensorNotRespondingError, match="group dialout"):
        SerialFingerprintSensor.connect(
            str(tmp_path / "ttyNONE"), model=spec, baud=57600, packet_size=128
        )


def test_a_silent_port_names_what_to_check() -> None:
    master, slave = os.openpty()  # a real serial line with nothing on the other end
    try:
        with pytest.raises(SensorNotRespondingError, match="TX and RX") as caught:
            SerialFingerprintSensor.connect(
                os.ttyname(slave),
                model=get_model("r307"),
                baud=57600,
                packet_size=128,
                timeout_s=0.1,
                retries=0,
                probe_bauds=(),
            )
        assert "57600" in str(caught.value)
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("model", ["r307", "r503"])
def test_capture_returns_the_placed_image(model: str) -> None:
    with port_on(model) as (sim, sensor):
        assert sensor.wait_for_finger(timeout_s=0.05) is False
        with pytest.raises(NoFingerError):
            sensor.capture_image()
        sim.place(card())
        assert sensor.wait_for_finger(timeout_s=1) is True
        image = sensor.capture_image()
        assert image.dtype == np.uint8
        assert np.array_equal(image, expected_image(model, card()))
        assert sensor.wait_for_lift(timeout_s=0.05) is False
        sim.lift()
        assert sensor.wait_for_lift(timeout_s=1) is True


def test_own_image_loop_works_at_32_byte_packets_where_the_driver_recurses() -> None:
    with port_on("r307", packet_size=32) as (sim, sensor):
        assert sim.packet_size == 32
        sim.place(card())
        assert np.array_equal(sensor.capture_image(), expected_image("r307", card()))


@pytest.mark.parametrize("fault", ["bad_checksum", "short_reply", "no_reply", "line_noise"])
@pytest.mark.parametrize("command", [Cmd.GEN_IMG, Cmd.UP_IMAGE, Cmd.TEMPLATE_NUM])
def test_recovers_from_each_transport_fault(fault: str, command: int) -> None:
    with port_on("r307") as (sim, sensor):
        sim.place(card())
        sim.inject(fault, command=command)
        if command == Cmd.TEMPLATE_NUM:
            assert sensor.info().library_count == 0
        else:
            assert np.array_equal(sensor.capture_image(), expected_image("r307", card()))
        assert sim.faults.fired == [(fault, command)]
        assert sensor.resyncs == 1


def test_recovers_from_no_finger_by_polling_on() -> None:
    with port_on("r503") as (sim, sensor):
        sim.place(card())
        sim.inject("no_finger", count=3)
        assert sensor.wait_for_finger(timeout_s=2) is True
        assert [name for name, _ in sim.faults.fired] == ["no_finger"] * 3
        assert np.array_equal(sensor.capture_image(), expected_image("r503", card()))


def test_recovers_from_a_messy_image_by_retaking() -> None:
    pytest.importorskip("matcher_cy.extraction")
    from edge_agent.sim.fingers import impression_image

    finger = impression_image(3, 0)
    # the quality gate extracts minutiae in the simulator (Img2Tz): allow for a loaded machine
    with port_on("r307", quality_gate=True, timeout_s=10) as (sim, sensor):
        sim.place(finger)
        sim.inject("messy_image")
        assert sensor.wait_for_finger(timeout_s=5) is True
        assert sim.faults.fired == [("messy_image", Cmd.GEN_IMG)]
        assert np.array_equal(sensor.capture_image(), expected_image("r307", finger))


def test_gives_up_after_bounded_retries_then_works_again() -> None:
    with port_on("r307", retries=2) as (sim, sensor):
        sim.place(card())
        sim.inject("no_reply", count=50, command=Cmd.UP_IMAGE)
        with pytest.raises(SensorNotRespondingError, match="after 3 tries.*wiring"):
            sensor.capture_image()
        assert len(sim.faults.fired) == 3
        sim.faults.clear()
        assert np.array_equal(sensor.capture_image(), expected_image("r307", card()))


def test_persistent_corruption_is_a_protocol_error() -> None:
    with port_on("r307", retries=1) as (sim, sensor):
        sim.inject("bad_checksum", count=50, command=Cmd.TEMPLATE_NUM)
        with pytest.raises(SensorProtocolError, match="checksum"):
            sensor.info()


def test_led_on_r503_and_a_no_op_on_r307() -> None:
    with port_on("r503") as (sim, sensor):
        sensor.set_led(LedMode.BREATHE, LedColour.PURPLE)
        assert (sim.led.control, sim.led.colour) == (1, 3)
        sensor.set_led(LedMode.OFF)
        assert sim.led.control == 4
    with port_on("r307") as (sim, sensor):
        sim.inject("no_reply", command=Cmd.AURA_LED_CONFIG)
        sensor.set_led(LedMode.ON, LedColour.RED)  # nothing is sent to an optical module
        assert sim.faults.pending == [("no_reply", 1, Cmd.AURA_LED_CONFIG)]


def test_close_is_idempotent_and_a_closed_port_refuses_work() -> None:
    with port_on("r307") as (_, sensor):
        sensor.close()
        sensor.close()
        with pytest.raises(SensorError, match="closed"):
            sensor.info()


def test_sim_backend_with_a_link_is_driven_from_its_control_socket(tmp_path: Any) -> None:
    from edge_agent.sim.sensor_control import control_path_for, control_request

    link = tmp_path / "fp0"
    section = SensorSection(backend="sim", model="r307", baud=57600, packet_size=128)
    with open_sensor(
        section,
        timeout_s=TIMEOUT_S,
        probe_bauds=(),
        quality_gate=False,
        sim_wire_delay=False,
        sim_link=link,
    ) as sensor:
        assert link.is_symlink()
        image = card(288, 256)
        answer = control_request(
            control_path_for(link), {"op": "place", "height": 288, "width": 256}, image.tobytes()
        )
        assert answer["finger"] is True
        assert sensor.wait_for_finger(timeout_s=1)
        assert np.array_equal(sensor.capture_image(), expected_image("r307", image))
    assert not link.exists() and not control_path_for(link).exists()


def test_open_sensor_backends() -> None:
    with pytest.raises(SensorError, match="no fingerprint sensor"):
        open_sensor(SensorSection(backend="none"))
    with pytest.raises(SensorError, match="model"):
        open_sensor(SensorSection(backend="sim", model="r999"))
    section = SensorSection(backend="sim", model="r503", baud=115200, packet_size=256)
    with open_sensor(
        section, timeout_s=TIMEOUT_S, probe_bauds=(), quality_gate=False, sim_wire_delay=False
    ) as sensor:
        sim = sensor.simulator
        assert sim is not None and sim.baud == 115200
        sim.place(card())
        assert sensor.wait_for_finger(timeout_s=1)
        assert sensor.capture_image().shape == (192, 192)
    assert sim.errors == []
    assert sim.closed  # closed with the port
    with SimulatedSensor("r307", wire_delay=False).start() as running:
        serial_section = SensorSection(backend="serial", port=running.port_path, model="r307")
        with open_sensor(serial_section, timeout_s=TIMEOUT_S, probe_bauds=()) as sensor:
            # a module powered on at 57600 is raised to the fastest rate it takes (the
            # unit file's default): the simulated module applies SetSysPara as a real one
            assert sensor.info().baud == 115200 and running.baud == 115200


def test_a_module_that_changes_baud_only_after_a_power_cycle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with SimulatedSensor("r307", wire_delay=False, baud_on_power_cycle=True).start() as sim:
        with caplog.at_level("WARNING"), connect(sim, packet_size=128) as sensor:
            assert sensor.info().baud == 57600
        assert "takes effect after a power cycle" in caplog.text
        sim.power_cycle()
        assert sim.baud == 115200
        with connect(sim, baud=115200, packet_size=128) as sensor:
            assert sensor.info().baud == 115200 and sensor.resyncs == 0
