"""Hardware self-test: report structure, GPIO cycle on MockFactory, failures reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from edge_agent.config import DEFAULT_PINS, UnitConfig, parse_unit_config
from edge_agent.gpio import GpioBoard
from edge_agent.selftest import run_selftest

FAST = {"led_step_s": 0.01, "relay_open_s": 0.05, "finger_timeout_s": 2.0}


def unit_config(
    tmp_path: Path, *, sensor: str = 'backend = "none"', gpio: str = "mock"
) -> UnitConfig:
    text = f"""
[device]
id = "qta01-gate-7f3a"
role = "gate"
station = "QTA01"
data_dir = "data"

[sensor]
{sensor}

[gpio]
backend = "{gpio}"
"""
    return parse_unit_config(text, tmp_path / "unit.toml")


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    previous = Device.pin_factory
    mock = MockFactory()
    Device.pin_factory = mock
    try:
        yield mock
    finally:
        mock.reset()
        Device.pin_factory = previous


def test_gpio_cycle_passes_and_sensor_is_skipped_without_one(tmp_path: Path) -> None:
    prompts: list[str] = []
    report = run_selftest(unit_config(tmp_path), prompt=prompts.append, **FAST)
    assert report.ok, report.to_text()
    names = [c.name for c in report.checks]
    assert names == [
        "sensor handshake",
        "sensor parameters",
        "image capture",
        "sensor led",
        "gpio",
        "leds",
        "buzzer",
        "relay",
        "inputs",
    ]
    assert all(report.check(n).skipped for n in names[:4])
    assert not any(report.check(n).skipped for n in names[4:])
    assert prompts == []
    assert report.check("relay").duration_s >= 0.05
    assert "enclosure OPEN" in report.check("inputs").detail  # nothing holds the switch
    text = report.to_text()
    assert text.splitlines()[-1] == "hardware OK: 5 checks passed, 4 skipped"
    assert "SKIP  sensor handshake" in text and "PASS  relay" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True
    assert [c["name"] for c in data["checks"]] == names


def test_drives_the_pins_of_an_injected_board(factory: MockFactory, tmp_path: Path) -> None:
    with GpioBoard(DEFAULT_PINS) as board:
        report = run_selftest(unit_config(tmp_path), board=board, prompt=lambda _: None, **FAST)
        assert not board.closed  # the caller's board stays open
    assert report.ok, report.to_text()

    def states(name: str) -> list[bool]:
        return [bool(s.state) for s in factory.pin(DEFAULT_PINS[name]).states]

    for led in ("led_green", "led_red", "led_amber"):
        assert states(led) == [False, True, False]
    assert states("buzzer") == [False, True, False]
    assert states("relay") == [False, True, False]


def test_failures_are_reported_and_do_not_stop_other_checks(
    factory: MockFactory, tmp_path: Path
) -> None:
    config = unit_config(tmp_path, sensor='backend = "serial"\nport = "/dev/null-no-such-tty"')

    def refuse(section: object) -> object:
        raise OSError(f"could not open port {config.sensor.port}")

    with GpioBoard(DEFAULT_PINS) as board:
        board.relay.open_for(5.0)  # left open by something else: the relay check fails
        report = run_selftest(config, board=board, open_sensor=refuse, **FAST)
        assert not board.relay.is_open  # the self-test leaves the gate locked
    assert not report.ok
    handshake = report.check("sensor handshake")
    assert not handshake.ok and "/dev/null-no-such-tty" in handshake.detail
    assert report.check("image capture").skipped
    assert not report.check("relay").ok
    assert report.check("leds").ok and report.check("buzzer").ok
    assert report.to_text().splitlines()[-1] == (
        "hardware FAILED: sensor handshake, relay (4/6 passed, 3 skipped)"
    )


def test_gpio_that_cannot_start_fails_the_gpio_check(factory: MockFactory, tmp_path: Path) -> None:
    native = unit_config(tmp_path, gpio="native")  # gpiozero's default: the fixture's factory
    with GpioBoard(DEFAULT_PINS):  # the pins are already held (say, by the running agent)
        report = run_selftest(native, **FAST)
    assert not report.check("gpio").ok
    assert "in use" in report.check("gpio").detail
    assert all(report.check(n).skipped for n in ("leds", "buzzer", "relay", "inputs"))


@pytest.mark.parametrize("model", ["r307", "r503"])
def test_sensor_checks_against_the_simulated_module(tmp_path: Path, model: str) -> None:
    """The serial backend on the pty of a separately running simulated module, a synthetic
    finger placed by the "technician" when prompted."""
    from edge_agent.sensor import SensorError, open_sensor
    from edge_agent.sim.fingers import impression_image
    from edge_agent.sim.sensor import SimulatedSensor

    opened: list = []
    prompts: list[str] = []

    def opener(section: object) -> object:
        opened.append(open_sensor(section))  # type: ignore[arg-type]
        return opened[-1]

    with SimulatedSensor(model, wire_delay=False).start() as module:

        def technician(text: str) -> None:  # does what the prompt says, on the module
            prompts.append(text)
            if text.startswith("Place"):
                module.place(impression_image(1, 1))
            elif text.startswith("Lift"):
                module.lift()

        config = unit_config(
            tmp_path, sensor=f'backend = "serial"\nport = "{module.port_path}"\nmodel = "{model}"'
        )
        report = run_selftest(config, open_sensor=opener, prompt=technician, **FAST)
        led = module.led
    assert report.ok, report.to_text()
    assert [p.split()[0] for p in prompts] == ["Place", "Lift"]
    assert report.sensor is not None and report.sensor["model"] == model
    size = "256x288" if model == "r307" else "192x192"
    assert report.check("image capture").detail.startswith(f"{size} image")
    assert report.check("sensor led").skipped is (model == "r307")
    assert (led.control, led.colour) == ((4, 2) if model == "r503" else (4, 0))  # cycled, off
    with pytest.raises(SensorError, match="closed"):  # the self-test opened it, so it closed it
        opened[0].info()


def test_no_finger_and_wrong_password_fail_with_a_reason(tmp_path: Path) -> None:
    from edge_agent.sim.sensor import SimulatedSensor

    with SimulatedSensor("r307", wire_delay=False).start() as module:
        config = unit_config(tmp_path, sensor=f'backend = "serial"\nport = "{module.port_path}"')
        report = run_selftest(config, prompt=lambda _: None, **{**FAST, "finger_timeout_s": 0.3})
    capture = report.check("image capture")
    assert not capture.ok and "no finger on the window within 0 s" in capture.detail
    assert report.check("sensor parameters").ok

    with SimulatedSensor("r307", password=1234, wire_delay=False).start() as module:
        wrong = unit_config(
            tmp_path, sensor=f'backend = "serial"\nport = "{module.port_path}"\npassword = 0'
        )
        report = run_selftest(wrong, prompt=lambda _: None, **FAST)
    handshake = report.check("sensor handshake")
    assert not handshake.ok and "password" in handshake.detail
    assert report.check("image capture").skipped
    assert report.check("relay").ok


def test_a_simulated_module_gets_a_synthetic_finger(tmp_path: Path) -> None:
    from edge_agent.sensor import open_sensor

    config = unit_config(tmp_path, sensor='backend = "sim"\nmodel = "r503"')
    prompts: list[str] = []
    report = run_selftest(
        config,
        open_sensor=lambda s: open_sensor(s, sim_wire_delay=False),
        prompt=prompts.append,  # a technician who does nothing
        **FAST,
    )
    assert report.ok, report.to_text()
    assert "synthetic finger 1 placed" in report.check("image capture").detail
    assert [p.split()[0] for p in prompts] == ["Place", "Lift"]


def test_a_desk_with_a_printer_prints_a_test_slip(tmp_path: Path) -> None:
    from edge_agent.sim.printer import read_receipts

    config = parse_unit_config(_desk_with_printer(), tmp_path / "unit.toml")
    report = run_selftest(config, prompt=lambda _: None, **FAST)
    check = report.check("receipt printer")
    assert check.ok and not check.skipped, report.to_text()
    assert "sim" in check.detail and ": ok" in check.detail and "test slip printed" in check.detail
    [slip] = read_receipts(tmp_path / "data" / "receipts")
    assert slip["complete"] and slip["images"] >= 1  # the Urdu line, drawn
    assert slip["qr"] == ["qta01-desk-0001"]


def test_a_printer_out_of_paper_fails_the_check(tmp_path: Path) -> None:
    from edge_agent.printer import ReceiptPrinter
    from edge_agent.sim.printer import SimulatedPrinter

    config = parse_unit_config(_desk_with_printer(), tmp_path / "unit.toml")
    with SimulatedPrinter(link=tmp_path / "printer0", state="paper-out") as sim:
        with ReceiptPrinter.device(sim.port_path) as printer:
            report = run_selftest(config, printer=printer, prompt=lambda _: None, **FAST)
    check = report.check("receipt printer")
    assert not check.ok and "paper-out" in check.detail
    assert sim.receipts() == []


def test_a_unit_without_a_printer_has_no_printer_check(tmp_path: Path) -> None:
    report = run_selftest(unit_config(tmp_path), prompt=lambda _: None, **FAST)
    assert "receipt printer" not in [c.name for c in report.checks]


def _desk_with_printer() -> str:
    return """
[device]
id = "qta01-desk-0001"
role = "desk"
station = "QTA01"
data_dir = "data"

[sensor]
backend = "none"

[gpio]
backend = "mock"

[printer]
backend = "sim"
"""
