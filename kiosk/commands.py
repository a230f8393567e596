"""Hardware commands from the hub that the kiosk runs (it holds the sensor and the pins).

The agent leaves ``sensor-selftest`` and ``gate-test`` commands unhandled in the inbox;
the kiosk runs each with :func:`run_command` on a worker thread and answers with an
``event`` of type ``command-result`` whose ``ref`` is the command's record id, then marks
the command handled. No one stands at the unit when the hub asks, so the sensor test
checks the handshake and the parameters (no finger capture) and the gate test drives and
reads back the LEDs and opens the relay briefly.
"""

from __future__ import annotations

import time

from edge_agent.store import LocalStore
from khidmat_wire import decode, make_envelope
from khidmat_wire.messages import Command, Event
from kiosk.context import KioskContext

#: How long the relay is opened by a gate-test command, seconds.
GATE_TEST_OPEN_S = 0.5
#: How long an open-relay command opens the gate, seconds.
OPEN_RELAY_S = 5.0
#: LED step of the gate test, seconds.
GATE_TEST_STEP_S = 0.2


def sensor_selftest(context: KioskContext) -> tuple[str, str]:
    """Sensor parameters read over the line; (severity, detail)."""
    from edge_agent.sensor import SensorError

    if context.sensor is None:
        context.store.put_health("sensor", "absent" if not context.sensor_error else "fault")
        return "error", f"no sensor: {context.sensor_error or 'none configured'}"
    try:
        with context.sensor_lock:
            info = context.sensor.info()
    except SensorError as error:
        context.store.put_health("sensor", "fault")
        return "error", f"sensor not answering: {error}"
    context.store.put_health("sensor", "ok")
    return "info", (
        f"{info.model}: {info.library_count}/{info.capacity} templates, image "
        f"{info.image_width}x{info.image_height} at {info.dpi} dpi, {info.baud} baud, "
        f"{info.packet_size_bytes}-byte packets"
    )


def gate_test(context: KioskContext) -> tuple[str, str]:
    """LEDs driven and read back, one beep, relay opened and locked again."""
    board = context.board
    if board is None:
        return "error", "no GPIO board on this unit"
    problems: list[str] = []
    for colour in ("green", "red", "amber"):
        board.indicators.show(colour)  # type: ignore[arg-type]
        if board.indicators.lit() != colour:
            problems.append(f"{colour} LED does not read back")
        time.sleep(GATE_TEST_STEP_S)
    board.indicators.off()
    board.relay.open_for(GATE_TEST_OPEN_S)
    opened = board.relay.is_open
    deadline = time.monotonic() + GATE_TEST_OPEN_S + 1.0
    while board.relay.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    if not opened:
        problems.append("relay did not open")
    if board.relay.is_open:
        board.relay.lock()
        problems.append("relay did not lock again by itself")
    if problems:
        return "error", "; ".join(problems)
    return (
        "info",
        f"LEDs green, red, amber read back; relay opened {GATE_TEST_OPEN_S:g} s and locked",
    )


def open_relay(context: KioskContext) -> tuple[str, str]:
    """Open the gate relay once, as the officer's F9 does (it locks again by itself)."""
    board = context.board
    if board is None:
        return "error", "no GPIO board on this unit"
    board.relay.open_for(OPEN_RELAY_S)
    return (
        ("info", f"relay opened for {OPEN_RELAY_S:g} s")
        if board.relay.is_open
        else ("error", "relay did not open")
    )


def restart_screen(context: KioskContext) -> tuple[str, str]:
    """Answered before the kiosk exits; systemd starts the screen again (Restart=always)."""
    return "info", "the kiosk screen restarts now"


HANDLERS = {
    "sensor-selftest": sensor_selftest,
    "gate-test": gate_test,
    "open-relay": open_relay,
    "restart-screen": restart_screen,
}


def run_command(context: KioskContext, record_id: str, payload: bytes) -> tuple[str, str]:
    """Run one command from the inbox, queue its command-result and mark it handled."""
    store: LocalStore = context.store
    body = decode(payload).body
    if not isinstance(body, Command):
        raise TypeError(f"inbox record {record_id} is not a command")
    handler = HANDLERS.get(body.command)
    if handler is None:
        severity, detail = "warning", f"{body.command} is not run by the kiosk"
    else:
        try:
            severity, detail = handler(context)
        except Exception as error:  # report every failure to the hub; the kiosk keeps running
            severity, detail = "error", f"{body.command} failed: {error}"
    store.enqueue(
        make_envelope(
            "event",
            context.device_id,
            Event("command-result", severity, f"{body.command}: {detail}"[:2000], record_id),
        ),
        audit=f"{body.command} -> {severity}",
    )
    store.mark_handled(record_id)
    return severity, detail
