"""GPIO port of a unit: status LEDs, buzzer, gate relay, tamper switch and push button.

Built on gpiozero; the pin factory comes from ``[gpio] backend`` (``mock``: gpiozero's
MockFactory, ``native``: gpiozero's default on a Pi) or is injected::

    from edge_agent.gpio import GpioBoard

    with GpioBoard.from_config(config.gpio, open_s=5.0) as board:
        board.outputs.show_verdict("green")     # green LED, one beep, gate open 5 s

Importing this package starts nothing and claims no pin.
"""

from edge_agent.gpio.board import PIN_NAMES, GpioBoard, check_pin_map
from edge_agent.gpio.errors import GpioError
from edge_agent.gpio.factory import pin_factory_for
from edge_agent.gpio.gate import MAX_OPEN_S, GateRelay
from edge_agent.gpio.indicators import ERROR, HIT, OK, BeepPattern, Indicators
from edge_agent.gpio.inputs import PushButton, TamperSwitch
from edge_agent.gpio.outputs import DEFAULT_OPEN_S, VERDICTS, GateOutputs, Verdict

__all__ = [
    "DEFAULT_OPEN_S",
    "ERROR",
    "HIT",
    "MAX_OPEN_S",
    "OK",
    "PIN_NAMES",
    "VERDICTS",
    "BeepPattern",
    "GateOutputs",
    "GateRelay",
    "GpioBoard",
    "GpioError",
    "Indicators",
    "PushButton",
    "TamperSwitch",
    "Verdict",
    "check_pin_map",
    "pin_factory_for",
]
