"""Choose gpiozero's pin factory from the unit configuration (``[gpio] backend``).

``"mock"``: a fresh :class:`gpiozero.pins.mock.MockFactory` (a real gpiozero backend with
simulated pins; tests drive its inputs and read each pin's ``states`` log).
``"native"``: ``None``, meaning gpiozero's own default, which picks the installed native
library on a Raspberry Pi (lgpio, RPi.GPIO, pigpio, or ``GPIOZERO_PIN_FACTORY``) or, if
a test has set one, ``Device.pin_factory``. Pure; thread-safe.
"""

from __future__ import annotations

from gpiozero import Factory
from gpiozero.pins.mock import MockFactory

from edge_agent.gpio.errors import GpioError

BACKENDS = ("mock", "native")


def pin_factory_for(backend: str) -> Factory | None:
    """The pin factory for a ``[gpio] backend`` value (``None``: gpiozero's default)."""
    if backend == "mock":
        return MockFactory()
    if backend == "native":
        return None
    raise GpioError(f"[gpio] backend: {backend!r} is not one of {', '.join(BACKENDS)}")
