"""All of a unit's GPIO, built from ``[gpio]`` in the unit configuration.

:meth:`GpioBoard.from_config` picks the pin factory from ``backend`` (``mock`` or
``native``; see :mod:`edge_agent.gpio.factory`), unless one is injected, and builds the
indicators, the gate relay, the tamper switch and the push button on the configured BCM
pins. Nothing happens at import; the pins are claimed when the board is built and released
by :meth:`GpioBoard.close` (idempotent; the relay is locked first) or by leaving the
``with`` block. Building off a Pi with ``backend = "native"`` raises :class:`GpioError`.
"""

from __future__ import annotations

from typing import TypeVar

from gpiozero import BadPinFactory, Factory, GPIOPinInUse

from edge_agent.config import GpioSection
from edge_agent.gpio.errors import GpioError
from edge_agent.gpio.factory import pin_factory_for
from edge_agent.gpio.gate import GateRelay
from edge_agent.gpio.indicators import Indicators
from edge_agent.gpio.inputs import Callback, PushButton, TamperSwitch
from edge_agent.gpio.outputs import DEFAULT_OPEN_S, GateOutputs

_Part = TypeVar("_Part", Indicators, GateRelay, TamperSwitch, PushButton)

PIN_NAMES = ("led_green", "led_red", "led_amber", "buzzer", "relay", "tamper", "button")


def check_pin_map(pins: dict[str, int]) -> dict[str, int]:
    """Validate a pin map: every name in ``PIN_NAMES``, BCM 0..27, no pin used twice."""
    missing = [name for name in PIN_NAMES if name not in pins]
    if missing:
        raise GpioError(f"[gpio] pins: missing {', '.join(missing)}")
    unknown = sorted(set(pins) - set(PIN_NAMES))
    if unknown:
        raise GpioError(f"[gpio] pins: unknown {', '.join(unknown)}")
    seen: dict[int, str] = {}
    for name in PIN_NAMES:
        pin = pins[name]
        if isinstance(pin, bool) or not isinstance(pin, int) or not 0 <= pin <= 27:
            raise GpioError(f"[gpio] pins: {name} = {pin!r} is not a BCM pin 0..27")
        if pin in seen:
            raise GpioError(f"[gpio] pins: {name} and {seen[pin]} both use BCM {pin}")
        seen[pin] = name
    return {name: pins[name] for name in PIN_NAMES}


class GpioBoard:
    """Indicators, gate relay, tamper switch and push button of one unit."""

    def __init__(
        self,
        pins: dict[str, int],
        *,
        pin_factory: Factory | None = None,
        open_s: float = DEFAULT_OPEN_S,
        relay_active_high: bool = True,
        when_tampered: Callback | None = None,
        when_restored: Callback | None = None,
        when_pressed: Callback | None = None,
        when_held: Callback | None = None,
    ) -> None:
        self.pins = check_pin_map(pins)
        self.pin_factory = pin_factory
        self._parts: list[Indicators | GateRelay | TamperSwitch | PushButton] = []
        try:
            self.relay = self._keep(
                GateRelay(
                    self.pins["relay"], active_high=relay_active_high, pin_factory=pin_factory
                )
            )
            self.indicators = self._keep(
                Indicators(
                    led_green=self.pins["led_green"],
                    led_red=self.pins["led_red"],
                    led_amber=self.pins["led_amber"],
                    buzzer=self.pins["buzzer"],
                    pin_factory=pin_factory,
                )
            )
            self.tamper = self._keep(
                TamperSwitch(
                    self.pins["tamper"],
                    when_tampered=when_tampered,
                    when_restored=when_restored,
                    pin_factory=pin_factory,
                )
            )
            self.button = self._keep(
                PushButton(
                    self.pins["button"],
                    when_pressed=when_pressed,
                    when_held=when_held,
                    pin_factory=pin_factory,
                )
            )
        except BadPinFactory as error:
            self.close()
            raise GpioError(
                "no GPIO pin factory: this is not a Raspberry Pi or its GPIO library "
                '(lgpio) is missing; for simulation set [gpio] backend = "mock" '
                f"({error})"
            ) from error
        except GPIOPinInUse as error:
            self.close()
            raise GpioError(f"a GPIO pin is already in use by another device: {error}") from error
        except BaseException:
            self.close()
            raise
        self.outputs = GateOutputs(indicators=self.indicators, relay=self.relay, open_s=open_s)

    def _keep(self, part: _Part) -> _Part:
        self._parts.append(part)
        return part

    @classmethod
    def from_config(
        cls, section: GpioSection, *, pin_factory: Factory | None = None, **options: object
    ) -> GpioBoard:
        """Build from ``[gpio]``; an injected ``pin_factory`` overrides ``backend``.

        ``options`` are :class:`GpioBoard`'s other keyword arguments.
        """
        factory = pin_factory if pin_factory is not None else pin_factory_for(section.backend)
        return cls(section.pins, pin_factory=factory, **options)  # type: ignore[arg-type]

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return not self._parts

    def close(self) -> None:
        """Lock the gate, turn indicators off and release every pin; safe to call twice."""
        parts, self._parts = self._parts, []
        errors: list[BaseException] = []
        for part in parts:  # relay first: it was built first
            try:
                part.close()
            except Exception as error:  # keep releasing the others, then report
                errors.append(error)
        if errors:
            raise GpioError(f"closing GPIO: {errors[0]}") from errors[0]

    def __enter__(self) -> GpioBoard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
