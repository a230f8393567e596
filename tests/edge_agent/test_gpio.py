"""GPIO port against gpiozero's MockFactory: verdicts, fail-closed relay, inputs, pin map."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from edge_agent.config import DEFAULT_PINS, GpioSection
from edge_agent.gpio import (
    BeepPattern,
    GateRelay,
    GpioBoard,
    GpioError,
    check_pin_map,
    pin_factory_for,
)

PINS = dict(DEFAULT_PINS)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """gpiozero's global pin factory set to a fresh MockFactory, restored afterwards."""
    previous = Device.pin_factory
    mock = MockFactory()
    Device.pin_factory = mock
    try:
        yield mock
    finally:
        mock.reset()
        Device.pin_factory = previous


def states(factory: MockFactory, name: str) -> list[bool]:
    return [bool(s.state) for s in factory.pin(PINS[name]).states]


def wait_until(condition, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_native_backend_uses_gpiozero_default_factory(factory: MockFactory) -> None:
    with GpioBoard.from_config(GpioSection(backend="native", pins=PINS)) as board:
        assert board.pin_factory is None
        assert not board.relay.is_open
        board.outputs.show_verdict("yellow")
        assert board.indicators.lit() == "amber"
    assert states(factory, "led_amber") == [False, True, False]
    assert states(factory, "relay") == [False]


def test_mock_backend_builds_its_own_mock_factory() -> None:
    board = GpioBoard.from_config(GpioSection(backend="mock", pins=PINS))
    try:
        assert isinstance(board.pin_factory, MockFactory)
        assert board.pin_factory is not Device.pin_factory
        board.outputs.show_verdict("yellow")
        assert [bool(s.state) for s in board.pin_factory.pin(PINS["led_amber"]).states] == [
            False,
            True,
        ]
    finally:
        board.close()
    board.close()  # idempotent
    assert board.closed
    with pytest.raises(GpioError, match="backend"):
        pin_factory_for("sysfs")


def test_green_opens_the_gate_for_open_s_then_locks(factory: MockFactory) -> None:
    with GpioBoard(PINS, open_s=0.15) as board:
        board.outputs.show_verdict("green")
        assert board.relay.is_open
        assert board.indicators.lit() == "green"
        assert wait_until(lambda: not board.relay.is_open)
        assert states(factory, "relay") == [False, True, False]
        assert wait_until(lambda: states(factory, "buzzer") == [False, True, False])
        relay_states = factory.pin(PINS["relay"]).states
        open_s = relay_states[2].timestamp  # MockPin timestamps: seconds since the previous change
        assert 0.14 <= open_s < 0.6


def test_red_holds_the_gate_closed_and_sounds_the_hit_pattern(factory: MockFactory) -> None:
    with GpioBoard(PINS, open_s=5.0) as board:
        board.outputs.show_verdict("green")
        board.outputs.show_verdict("red")  # cancels the opening at once
        assert not board.relay.is_open
        assert board.indicators.lit() == "red"
        assert states(factory, "led_green") == [False, True, False]
        assert states(factory, "led_red") == [False, True]
        assert states(factory, "buzzer")[-1] is True  # first of the HIT beeps
        board.outputs.idle()
        assert board.indicators.lit() is None
        assert states(factory, "buzzer")[-1] is False
    assert states(factory, "relay") == [False, True, False]


def test_beep_pattern_plays_count_beeps(factory: MockFactory) -> None:
    with GpioBoard(PINS) as board:
        pattern = BeepPattern(on_s=0.03, off_s=0.03, count=3)
        board.indicators.beep(pattern)
        assert wait_until(lambda: len(states(factory, "buzzer")) >= 7)
        time.sleep(0.1)
        assert states(factory, "buzzer") == [False, True, False, True, False, True, False]
        assert pattern.duration_s == pytest.approx(0.15)


def test_relay_locks_on_error_and_on_close(factory: MockFactory) -> None:
    board = GpioBoard(PINS, open_s=5.0)
    board.outputs.show_verdict("green")
    assert board.relay.is_open
    with pytest.raises(ValueError, match="verdict"):
        board.outputs.show_verdict("blue")  # type: ignore[arg-type]
    assert not board.relay.is_open
    board.outputs.show_verdict("green")
    board.indicators.close()  # a broken indicator while the gate is open
    with pytest.raises(RuntimeError, match="closed"):
        board.outputs.show_verdict("yellow")
    assert not board.relay.is_open
    board.close()
    board.close()
    assert states(factory, "relay") == [False, True, False, True, False]
    # every pin was released: a new board can claim them again
    with GpioBoard(PINS) as again:
        again.relay.open_for(5.0)
    assert states(factory, "relay")[-1] is False


def test_context_manager_locks_when_the_body_raises(factory: MockFactory) -> None:
    with pytest.raises(KeyError), GpioBoard(PINS) as board:
        board.relay.open_for(5.0)
        raise KeyError("boom")
    assert board.closed
    assert states(factory, "relay") == [False, True, False]


def test_relay_opening_is_bounded_and_active_low_works(factory: MockFactory) -> None:
    with GateRelay(PINS["relay"], active_high=False) as relay:
        assert [bool(s.state) for s in factory.pin(PINS["relay"]).states][-1] is True
        with pytest.raises(ValueError):
            relay.open_for(0)
        with pytest.raises(ValueError):
            relay.open_for(31)
        relay.open_for(5.0)
        assert relay.is_open
        assert factory.pin(PINS["relay"]).state is False  # active-low: energised = low
    assert factory.pin(PINS["relay"]).states[-1].state is True


def test_error_blinks_red_and_locks(factory: MockFactory) -> None:
    with GpioBoard(PINS) as board:
        board.relay.open_for(5.0)
        board.outputs.show_error()
        assert not board.relay.is_open
        assert wait_until(lambda: len(states(factory, "led_red")) >= 4)
        assert states(factory, "led_red")[:4] == [False, True, False, True]
        assert states(factory, "buzzer")[:2] == [False, True]


def test_tamper_switch_and_button_callbacks(factory: MockFactory) -> None:
    tampered, restored, pressed = threading.Event(), threading.Event(), threading.Event()
    with GpioBoard(
        PINS,
        when_tampered=tampered.set,
        when_restored=restored.set,
        when_pressed=pressed.set,
    ) as board:
        assert board.tamper.is_tampered  # pulled up: nothing holds the switch closed
        factory.pin(PINS["tamper"]).drive_low()  # enclosure shut
        assert restored.wait(2.0)
        assert not board.tamper.is_tampered
        assert not tampered.is_set()
        time.sleep(0.03)  # past the debounce
        factory.pin(PINS["tamper"]).drive_high()  # case opened
        assert tampered.wait(2.0)
        assert board.tamper.is_tampered
        assert not board.button.is_pressed
        factory.pin(PINS["button"]).drive_low()
        assert pressed.wait(2.0)
        assert board.button.is_pressed
        factory.pin(PINS["button"]).drive_high()  # released (else close waits for hold_s)


def test_pin_map_is_validated(factory: MockFactory) -> None:
    assert check_pin_map(PINS) == PINS
    with pytest.raises(GpioError, match="missing button"):
        check_pin_map({k: v for k, v in PINS.items() if k != "button"})
    with pytest.raises(GpioError, match="both use BCM 17"):
        check_pin_map({**PINS, "relay": 17})
    with pytest.raises(GpioError, match="unknown fan"):
        check_pin_map({**PINS, "fan": 6})
    with pytest.raises(GpioError, match="not a BCM pin"):
        check_pin_map({**PINS, "relay": 40})
    with GpioBoard(PINS), pytest.raises(GpioError, match="in use"):
        GpioBoard(PINS)


def _on_a_pi() -> bool:
    model = Path("/proc/device-tree/model")
    return model.exists() and b"Raspberry Pi" in model.read_bytes()


@pytest.mark.skipif(_on_a_pi(), reason="a Raspberry Pi has a native pin factory")
def test_native_off_a_pi_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    previous = Device.pin_factory
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    Device.pin_factory = None
    try:
        with pytest.warns(Warning), pytest.raises(GpioError, match='backend = "mock"'):
            GpioBoard.from_config(GpioSection(backend="native", pins=PINS))
    finally:
        if Device.pin_factory is not None:
            Device.pin_factory.close()
        Device.pin_factory = previous
