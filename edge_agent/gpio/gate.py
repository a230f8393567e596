"""The gate relay: opens for a bounded time, fails closed.

"Closed" means the relay is de-energised and the gate is locked: wire the lock so that a
de-energised relay (and a powered-off or crashed unit) keeps the gate shut. The relay is
de-energised at start, after each timed opening, on :meth:`GateRelay.lock`, on
:meth:`GateRelay.close` and when the context manager exits (also on an exception).
``active_high=False`` suits the common relay boards whose input is active-low.

Timed openings run on gpiozero's background blink thread, so :meth:`open_for` returns at
once; a second call restarts the timer. Methods may be called from any thread.
"""

from __future__ import annotations

from gpiozero import DigitalOutputDevice, Factory

#: Longest opening a caller may ask for, seconds (a safety bound, not a default).
MAX_OPEN_S = 30.0


class GateRelay:
    """One relay output on BCM pin ``pin``; ``pin_factory=None``: gpiozero's default."""

    def __init__(
        self, pin: int, *, active_high: bool = True, pin_factory: Factory | None = None
    ) -> None:
        self._device: DigitalOutputDevice | None = DigitalOutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
        )

    def _live(self) -> DigitalOutputDevice:
        if self._device is None:
            raise RuntimeError("gate relay is closed")
        return self._device

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run (the relay is then released, locked)."""
        return self._device is None

    @property
    def is_open(self) -> bool:
        """True while the relay is energised (gate open)."""
        return self._device is not None and bool(self._device.value)

    def open_for(self, seconds: float) -> None:
        """Energise the relay for ``seconds`` (0 < seconds <= MAX_OPEN_S), then lock."""
        if not 0 < seconds <= MAX_OPEN_S:
            raise ValueError(f"gate opening must be in (0, {MAX_OPEN_S}] s, got {seconds}")
        self._live().blink(on_time=seconds, off_time=0, n=1)

    def lock(self) -> None:
        """De-energise now (cancels a timed opening). No-op once closed."""
        if self._device is not None:
            self._device.off()

    def close(self) -> None:
        """Lock and release the pin; safe to call twice."""
        device, self._device = self._device, None
        if device is not None and not device.closed:
            try:
                device.off()
            finally:
                device.close()

    def __enter__(self) -> GateRelay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
