"""Status indicators: green, red and amber LEDs and an active buzzer.

Buzzer patterns (``BeepPattern``): ``OK`` one short beep, ``HIT`` three long beeps,
``ERROR`` five fast beeps. Beeps and blinking run on gpiozero's own background threads, so
calls return at once. Methods may be called from any thread; gpiozero serialises access
to each device. ``close()`` is idempotent and turns everything off first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpiozero import LED, Buzzer, Factory

Colour = Literal["green", "red", "amber"]
COLOURS: tuple[Colour, ...] = ("green", "red", "amber")


@dataclass(frozen=True, slots=True)
class BeepPattern:
    """``count`` beeps of ``on_s`` seconds separated by ``off_s`` seconds of silence."""

    on_s: float
    off_s: float
    count: int

    @property
    def duration_s(self) -> float:
        """Time from the first beep's start to the last beep's end, seconds."""
        return self.count * self.on_s + (self.count - 1) * self.off_s


OK = BeepPattern(on_s=0.12, off_s=0.0, count=1)
HIT = BeepPattern(on_s=0.5, off_s=0.2, count=3)
ERROR = BeepPattern(on_s=0.08, off_s=0.08, count=5)
ERROR_BLINK_S = 0.25


class Indicators:
    """Three LEDs and a buzzer on the given BCM pins.

    ``pin_factory=None`` uses gpiozero's default (see :mod:`edge_agent.gpio.factory`).
    """

    def __init__(
        self,
        *,
        led_green: int,
        led_red: int,
        led_amber: int,
        buzzer: int,
        pin_factory: Factory | None = None,
    ) -> None:
        self._leds: dict[Colour, LED] = {}
        self._buzzer: Buzzer | None = None
        try:
            for colour, pin in zip(COLOURS, (led_green, led_red, led_amber), strict=True):
                self._leds[colour] = LED(pin, pin_factory=pin_factory)
            self._buzzer = Buzzer(buzzer, pin_factory=pin_factory)
        except BaseException:
            self.close()
            raise

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._buzzer is None

    def _live_buzzer(self) -> Buzzer:
        if self._buzzer is None:
            raise RuntimeError("indicators are closed")
        return self._buzzer

    def show(self, colour: Colour | None, *, blink: bool = False) -> None:
        """Light one LED (``None``: all off); ``blink`` flashes it every ``ERROR_BLINK_S``."""
        if colour is not None and colour not in COLOURS:
            raise ValueError(f"colour must be one of {', '.join(COLOURS)} or None, got {colour!r}")
        self._live_buzzer()
        for name, led in self._leds.items():
            if name != colour:
                led.off()
        if colour is not None:
            if blink:
                self._leds[colour].blink(on_time=ERROR_BLINK_S, off_time=ERROR_BLINK_S)
            else:
                self._leds[colour].on()

    def lit(self) -> Colour | None:
        """The LED now lit (or blinking and on at this instant), or None."""
        for name, led in self._leds.items():
            if led.is_lit:
                return name
        return None

    def beep(self, pattern: BeepPattern) -> None:
        """Play ``pattern`` in the background (replaces any pattern still playing)."""
        self._live_buzzer().beep(on_time=pattern.on_s, off_time=pattern.off_s, n=pattern.count)

    def silence(self) -> None:
        """Stop the buzzer."""
        self._live_buzzer().off()

    def off(self) -> None:
        """All LEDs off and the buzzer silent."""
        self.show(None)
        self.silence()

    def close(self) -> None:
        """Turn everything off and release the pins; safe to call twice."""
        devices = [*self._leds.values(), *([self._buzzer] if self._buzzer is not None else [])]
        self._buzzer = None
        for device in devices:
            if not device.closed:
                device.off()
                device.close()
        self._leds.clear()

    def __enter__(self) -> Indicators:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
