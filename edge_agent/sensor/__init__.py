"""Fingerprint-sensor port (see :mod:`edge_agent.sensor.port`)."""

from edge_agent.sensor.factory import open_sensor
from edge_agent.sensor.port import (
    FingerprintSensor,
    LedColour,
    LedMode,
    NoFingerError,
    SensorError,
    SensorInfo,
    SensorNotRespondingError,
    SensorPasswordError,
    SensorProtocolError,
)

__all__ = [
    "FingerprintSensor",
    "LedColour",
    "LedMode",
    "NoFingerError",
    "SensorError",
    "SensorInfo",
    "SensorNotRespondingError",
    "SensorPasswordError",
    "SensorProtocolError",
    "open_sensor",
]
