"""Inputs: the enclosure's tamper switch and the push button.

Both are wired from the BCM pin to ground and use the Pi's internal pull-up. The tamper
switch is held closed (pin low) by the shut enclosure; opening the case releases it and
raises the pin: that is a tamper. Callbacks run on gpiozero's background thread; keep them
short and thread-safe. ``close()`` is idempotent; closing while the push button is held
waits up to its ``hold_s`` for gpiozero's hold thread.
"""

from __future__ import annotations

from collections.abc import Callable

from gpiozero import Button, Factory

#: Debounce for both inputs, seconds.
BOUNCE_S = 0.02
#: How long the push button must be held to count as a long press, seconds.
HOLD_S = 2.0

Callback = Callable[[], None]


class TamperSwitch:
    """Normally-closed enclosure switch on BCM pin ``pin``."""

    def __init__(
        self,
        pin: int,
        *,
        when_tampered: Callback | None = None,
        when_restored: Callback | None = None,
        pin_factory: Factory | None = None,
    ) -> None:
        self._button: Button | None = Button(
            pin, pull_up=True, bounce_time=BOUNCE_S, pin_factory=pin_factory
        )
        if when_tampered is not None:
            self._button.when_released = _adapt(when_tampered)
        if when_restored is not None:
            self._button.when_pressed = _adapt(when_restored)

    def _live(self) -> Button:
        if self._button is None:
            raise RuntimeError("tamper switch is closed")
        return self._button

    @property
    def is_tampered(self) -> bool:
        """True while the enclosure is open (switch released)."""
        return not self._live().is_pressed

    def close(self) -> None:
        """Release the pin; safe to call twice."""
        button, self._button = self._button, None
        if button is not None:
            button.close()

    def __enter__(self) -> TamperSwitch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class PushButton:
    """Momentary push button on BCM pin ``pin``: ``when_pressed`` and ``when_held``."""

    def __init__(
        self,
        pin: int,
        *,
        when_pressed: Callback | None = None,
        when_held: Callback | None = None,
        hold_s: float = HOLD_S,
        pin_factory: Factory | None = None,
    ) -> None:
        self._button: Button | None = Button(
            pin, pull_up=True, bounce_time=BOUNCE_S, hold_time=hold_s, pin_factory=pin_factory
        )
        if when_pressed is not None:
            self._button.when_pressed = _adapt(when_pressed)
        if when_held is not None:
            self._button.when_held = _adapt(when_held)

    @property
    def is_pressed(self) -> bool:
        """True while the button is down."""
        if self._button is None:
            raise RuntimeError("push button is closed")
        return bool(self._button.is_pressed)

    def close(self) -> None:
        """Release the pin; safe to call twice."""
        button, self._button = self._button, None
        if button is not None:
            button.close()

    def __enter__(self) -> PushButton:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _adapt(callback: Callback) -> Callable[[], None]:
    """gpiozero passes the device to one-argument callbacks; ours take none."""

    def call() -> None:
        callback()

    return call
