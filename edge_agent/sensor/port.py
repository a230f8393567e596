"""The fingerprint-sensor port: what the kiosk, the gate agent and the self-test ask of a sensor.

A backend implements :class:`FingerprintSensor`. Two exist: the serial one over the
unmodified ``adafruit_fingerprint`` driver (``edge_agent.sensor.serial_sensor``), used both
on a real R307/R503/AS608 and against the simulated chip of ``khidmat sim sensor`` (which
is a pty, so the same code path runs), chosen from ``[sensor]`` config by
:func:`edge_agent.sensor.open_sensor`. Nothing here does I/O.

Usage::

    with open_sensor(config.sensor) as sensor:
        if sensor.wait_for_finger(timeout_s=10):
            image = sensor.capture_image()      # uint8 HxW, grey levels 0, 17, ..., 255
            sensor.wait_for_lift(timeout_s=10)

Thread-safety: a sensor object is used from one thread at a time (the UART is a single
conversation); callers that share one guard it with a lock.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class SensorError(RuntimeError):
    """The sensor cannot do what was asked; the message says what to check."""


class SensorNotRespondingError(SensorError):
    """Silence or garbage on the line: wiring (TX to RX), power, port name or baud rate."""


class SensorPasswordError(SensorError):
    """The module answered but rejected the handshake password ([sensor] password)."""


class SensorProtocolError(SensorError):
    """A reply that broke the packet protocol (bad checksum, wrong length) after all retries."""


class NoFingerError(SensorError):
    """An image was asked for while no finger was on the window."""


class LedMode(enum.StrEnum):
    """Ring-LED effects (R503 "aura" LED); optical modules have no controllable LED."""

    ON = "on"
    OFF = "off"
    BREATHE = "breathe"
    FLASH = "flash"


class LedColour(enum.StrEnum):
    """Ring-LED colours the R503 offers."""

    RED = "red"
    BLUE = "blue"
    PURPLE = "purple"


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """What the module reports about itself, plus the model's fixed facts.

    ``capacity`` and ``library_count`` come from the module (ReadSysPara, TempleteNum);
    image geometry and ``has_led`` from the model table; ``baud`` and
    ``packet_size_bytes`` are the values in use on the line now.
    """

    model: str
    capacity: int
    library_count: int
    image_width: int
    image_height: int
    dpi: int
    baud: int
    packet_size_bytes: int
    security_level: int
    has_led: bool


class FingerprintSensor(abc.ABC):
    """A fingerprint sensor that yields grey-scale images.

    Backends must implement every abstract method. ``close()`` must be idempotent; the
    object is a context manager that closes on exit. Images are uint8 arrays of shape
    (image_height, image_width); modules that send 4-bit pixels have them expanded by 17
    (0..15 -> 0..255). Calls block; their cost is stated per method for a real module.
    """

    @abc.abstractmethod
    def info(self) -> SensorInfo:
        """Model, capacity, geometry and line settings (one or two short exchanges)."""

    @abc.abstractmethod
    def wait_for_finger(self, timeout_s: float) -> bool:
        """Poll until a finger is on the window and an image was taken (True) or timeout (False).

        After True, :meth:`capture_image` returns that image without taking another.
        """

    @abc.abstractmethod
    def capture_image(self) -> np.ndarray:
        """Return the image taken by the last successful :meth:`wait_for_finger`, else take one.

        Raises :class:`NoFingerError` when no finger is present. Cost: the upload, about
        7 s at 57600 baud or 3.5 s at 115200 for a 256x288 image (see docs/hardware.md).
        """

    @abc.abstractmethod
    def wait_for_lift(self, timeout_s: float) -> bool:
        """Poll until the window is empty (True) or timeout (False)."""

    @abc.abstractmethod
    def set_led(self, mode: LedMode, colour: LedColour = LedColour.BLUE) -> None:
        """Set the ring LED; does nothing on models without one (``info().has_led`` False)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the port (idempotent)."""

    def __enter__(self) -> FingerprintSensor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
