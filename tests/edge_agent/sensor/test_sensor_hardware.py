"""The serial backend on a real module; skipped unless one is attached.

Run on a Pi with a sensor wired (docs/hardware.md)::

    KHIDMAT_SENSOR_PORT=/dev/serial0 KHIDMAT_SENSOR_MODEL=r307 .venv/bin/pytest \
        tests/edge_agent/sensor/test_sensor_hardware.py

With ``KHIDMAT_SENSOR_FINGER=1`` it also asks for a finger and uploads one image.
"""

from __future__ import annotations

import os

import pytest

from edge_agent.config import SensorSection
from edge_agent.sensor import LedColour, LedMode, open_sensor
from edge_agent.sensor.models import get_model

PORT = os.environ.get("KHIDMAT_SENSOR_PORT")
MODEL = os.environ.get("KHIDMAT_SENSOR_MODEL", "r307")

pytestmark = pytest.mark.skipif(PORT is None, reason="no sensor: set KHIDMAT_SENSOR_PORT")


def test_real_module_handshakes_reports_and_keeps_its_settings() -> None:
    assert PORT is not None
    section = SensorSection(backend="serial", port=PORT, model=MODEL, baud=115200, packet_size=256)
    with open_sensor(section) as sensor:
        info = sensor.info()
        assert (info.baud, info.packet_size_bytes) == (115200, 256)
        assert 0 < info.capacity <= 3000 and 0 <= info.library_count <= info.capacity
        sensor.set_led(LedMode.BREATHE, LedColour.BLUE)
        sensor.set_led(LedMode.OFF)
        if os.environ.get("KHIDMAT_SENSOR_FINGER") == "1":
            print("place a finger on the sensor")
            assert sensor.wait_for_finger(timeout_s=20)
            image = sensor.capture_image()
            spec = get_model(MODEL)
            assert image.shape == (spec.image_height, spec.image_width)
            assert image.std() > 5  # not a blank window
            assert sensor.wait_for_lift(timeout_s=20)
    with open_sensor(section) as sensor:  # found at the raised rate next time
        assert sensor.info().baud == 115200
