"""What the kiosk calls: show a verdict on the LEDs, buzzer and gate relay.

========  ==========  ===============  =======================================
verdict   LED         buzzer           gate relay
========  ==========  ===============  =======================================
green     green       ``OK`` (1 short)  open for ``open_s`` seconds, then locked
yellow    amber       silent           locked
red       red         ``HIT`` (3 long)  locked (held closed)
error     red, blink  ``ERROR`` (fast)  locked
========  ==========  ===============  =======================================

Fails closed: the relay is locked before every change of verdict, and if anything raises
while a verdict is shown the relay is locked again before the error propagates. A lock
serialises verdicts from several threads; the buzzer and the relay timer run on gpiozero's
background threads, so calls return within milliseconds.
"""

from __future__ import annotations

import threading
from typing import Literal

from edge_agent.gpio.gate import GateRelay
from edge_agent.gpio.indicators import ERROR, HIT, OK, Indicators

Verdict = Literal["red", "yellow", "green"]
VERDICTS: tuple[Verdict, ...] = ("red", "yellow", "green")
#: Default time the gate stays open on a green verdict, seconds.
DEFAULT_OPEN_S = 5.0


class GateOutputs:
    """Indicators plus gate relay behind one verdict-level API (does not own them)."""

    def __init__(
        self, *, indicators: Indicators, relay: GateRelay, open_s: float = DEFAULT_OPEN_S
    ) -> None:
        if open_s <= 0:
            raise ValueError(f"open_s must be positive, got {open_s}")
        self._indicators = indicators
        self._relay = relay
        self._open_s = open_s
        self._lock = threading.Lock()

    @property
    def open_s(self) -> float:
        """Seconds the gate stays open on a green verdict."""
        return self._open_s

    def show_verdict(self, verdict: Verdict) -> None:
        """Show ``"red"``, ``"yellow"`` or ``"green"`` (see the module table)."""
        if verdict not in VERDICTS:
            self._relay.lock()
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
        with self._lock:
            self._relay.lock()
            try:
                if verdict == "green":
                    self._indicators.show("green")
                    self._indicators.beep(OK)
                    self._relay.open_for(self._open_s)
                elif verdict == "yellow":
                    self._indicators.show("amber")
                    self._indicators.silence()
                else:
                    self._indicators.show("red")
                    self._indicators.beep(HIT)
            except BaseException:
                self._relay.lock()
                raise

    def show_error(self) -> None:
        """A fault the operator must see: blinking red, error beeps, gate locked."""
        with self._lock:
            self._relay.lock()
            self._indicators.show("red", blink=True)
            self._indicators.beep(ERROR)

    def idle(self) -> None:
        """Between people: LEDs off, buzzer silent, gate locked."""
        with self._lock:
            self._relay.lock()
            self._indicators.off()
