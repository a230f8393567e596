"""Hardware self-test of a unit: fingerprint sensor, LEDs, buzzer, gate relay, inputs and
the desk's receipt printer.

Used by ``khidmat provision selftest`` (``provisioning.selftest``), which calls
:func:`run_selftest` with the unit's configuration and shows ``to_text()``; the last line
of ``to_text()`` is the one-line summary. Checks, in order:

``sensor handshake``  open the sensor (port, baud, password) as configured
``sensor parameters`` ``info()``: model, capacity, image geometry, line settings, sane values
``image capture``     one finger image (the technician places a finger; the prompt goes to
                      ``prompt``; on a simulated module a synthetic finger is placed),
                      its size matches the parameters and it has contrast
``sensor led``        ring LED cycle where the model has one (R503)
``leds``              green, red, amber driven in turn (the technician watches them)
``buzzer``            one ``OK`` beep (the technician listens)
``relay``             the gate relay opens for ``relay_open_s`` and locks again by itself
``inputs``            tamper switch and push button can be read (their state is reported)
``receipt printer``   only where ``[printer]`` names one: its status (``DLE EOT``) and a
                      test slip (English, an Urdu line drawn as an image, a QR code); the
                      technician checks that it came out whole and the code scans

A failed check does not stop the others; sensor checks are skipped (reported, not failed)
when ``[sensor] backend = "none"``. GPIO checks confirm each line is driven and reads back,
not that the lamp lights or the lock moves: the technician watches and listens, and the
details say so. Cost: about ``finger_timeout_s`` at worst plus ~2 s of GPIO cycling and
an image upload (7 s at 57600 baud on a real R307). Not thread-safe; run it while the
agent and kiosk are stopped (they hold the UART and the pins).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from edge_agent.config import UnitConfig

if TYPE_CHECKING:
    from edge_agent.gpio import GpioBoard
    from edge_agent.printer import ReceiptPrinter
    from edge_agent.sensor import FingerprintSensor, SensorInfo

#: How long the technician has to put a finger on the window, seconds.
FINGER_TIMEOUT_S = 20.0
#: How long each LED stays lit in the cycle, seconds.
LED_STEP_S = 0.4
#: How long the relay is opened in the cycle, seconds.
RELAY_OPEN_S = 1.0
#: An image whose grey levels vary less than this (standard deviation) has no ridges.
MIN_IMAGE_CONTRAST = 12.0
#: Synthetic finger placed on a simulated module (``[sensor] backend = "sim"``).
SIM_FINGER_ID = 1
#: Packet sizes the R30x protocol allows, bytes.
PACKET_SIZES_BYTES = (32, 64, 128, 256)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: ``ok`` False means it failed; ``skipped`` checks are ok and say why."""

    name: str
    ok: bool
    detail: str
    duration_s: float
    skipped: bool = False


@dataclass(slots=True)
class HardwareReport:
    """All checks of one run, in order; ``ok`` when none failed."""

    checks: list[CheckResult] = field(default_factory=list)
    sensor: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks do not fail the run)."""
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed."""
        return [check for check in self.checks if not check.ok]

    def check(self, name: str) -> CheckResult:
        """The result of the check called ``name`` (KeyError if it did not run)."""
        for result in self.checks:
            if result.name == name:
                return result
        raise KeyError(name)

    def summary(self) -> str:
        """One line: how many checks passed, or which failed."""
        ran = [c for c in self.checks if not c.skipped]
        skipped = len(self.checks) - len(ran)
        tail = f", {skipped} skipped" if skipped else ""
        if self.ok:
            return f"hardware OK: {len(ran)} checks passed{tail}"
        names = ", ".join(c.name for c in self.failed)
        return f"hardware FAILED: {names} ({len(ran) - len(self.failed)}/{len(ran)} passed{tail})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``ok``, ``summary``, ``checks`` (name/ok/skipped/detail/duration_s)."""
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "sensor": self.sensor,
            "checks": [{**asdict(c), "duration_s": round(c.duration_s, 3)} for c in self.checks],
        }

    def to_text(self) -> str:
        """A readable table; the last line is :meth:`summary`."""
        width = max((len(c.name) for c in self.checks), default=0)
        lines = []
        for c in self.checks:
            status = "SKIP" if c.skipped else ("PASS" if c.ok else "FAIL")
            lines.append(f"  {status}  {c.name:{width}}  {c.duration_s:6.2f} s  {c.detail}")
        lines.append(self.summary())
        return "\n".join(lines)


class _Skip(Exception):
    """Raised inside a check to record it as skipped with this reason."""


class _Runner:
    """Times checks and turns their exceptions into failed results."""

    def __init__(self, report: HardwareReport) -> None:
        self.report = report

    @contextmanager
    def check(self, name: str) -> Iterator[list[str]]:
        """``with runner.check(name) as detail: ...; detail.append("text")``."""
        detail: list[str] = []
        start = time.perf_counter()
        try:
            yield detail
        except _Skip as skip:
            self._add(name, True, str(skip), start, skipped=True)
        except Exception as error:  # a self-test reports every failure and goes on
            text = f"{type(error).__name__}: {error}"
            self._add(name, False, "; ".join([*detail, text]), start)
        else:
            self._add(name, True, "; ".join(detail), start)

    def _add(
        self, name: str, ok: bool, detail: str, start: float, *, skipped: bool = False
    ) -> None:
        self.report.checks.append(
            CheckResult(name, ok, detail, time.perf_counter() - start, skipped=skipped)
        )


def _check_info(info: SensorInfo, expected_model: str) -> list[str]:
    problems = []
    if info.model.lower() != expected_model.lower():
        problems.append(f"model {info.model}, config says {expected_model}")
    if info.capacity <= 0:
        problems.append(f"capacity {info.capacity}")
    if not 0 <= info.library_count <= info.capacity:
        problems.append(f"{info.library_count} templates stored of {info.capacity}")
    if info.image_width <= 0 or info.image_height <= 0:
        problems.append(f"image {info.image_width}x{info.image_height}")
    if info.packet_size_bytes not in PACKET_SIZES_BYTES:
        problems.append(f"packet size {info.packet_size_bytes} B")
    return problems


def _sensor_checks(
    run: _Runner,
    config: UnitConfig,
    sensor: FingerprintSensor | None,
    open_sensor: Callable[[Any], FingerprintSensor] | None,
    finger_timeout_s: float,
    led_step_s: float,
    prompt: Callable[[str], None],
) -> None:
    names = ("sensor handshake", "sensor parameters", "image capture", "sensor led")
    if sensor is None and config.sensor.backend == "none":
        for name in names:
            with run.check(name):
                raise _Skip('[sensor] backend = "none": no sensor on this unit')
        return
    owned = sensor is None
    with run.check("sensor handshake") as detail:
        if sensor is None:
            if open_sensor is None:
                from edge_agent.sensor import open_sensor as open_from_config  # type: ignore[attr-defined]

                open_sensor = open_from_config
            sensor = open_sensor(config.sensor)
            where = (
                f"on {config.sensor.port}"
                if config.sensor.backend == "serial"
                else "(simulated in this process)"
            )
            detail.append(f"{config.sensor.model} {where} answered, password accepted")
        else:
            detail.append("sensor opened by the caller")
    if sensor is None:
        for name in names[1:]:
            with run.check(name):
                raise _Skip("no sensor: the handshake failed")
        return
    try:
        info: SensorInfo | None = None
        with run.check("sensor parameters") as detail:
            info = sensor.info()
            run.report.sensor = asdict(info)
            detail.append(
                f"{info.model}: {info.library_count}/{info.capacity} templates, image "
                f"{info.image_width}x{info.image_height} at {info.dpi} dpi, {info.baud} baud, "
                f"{info.packet_size_bytes}-byte packets, security level {info.security_level}"
            )
            problems = _check_info(info, config.sensor.model)
            if problems:
                raise ValueError("implausible parameters: " + ", ".join(problems))
        with run.check("image capture") as detail:
            simulator = getattr(sensor, "simulator", None)
            prompt(f"Place a finger on the sensor (within {finger_timeout_s:.0f} s)")
            if simulator is not None:  # [sensor] backend = "sim": the twin has a twin finger
                from edge_agent.sim.fingers import impression_image

                simulator.place(impression_image(SIM_FINGER_ID, 1))
                detail.append(f"synthetic finger {SIM_FINGER_ID} placed on the simulated module")
            if not sensor.wait_for_finger(finger_timeout_s):
                raise TimeoutError(f"no finger on the window within {finger_timeout_s:.0f} s")
            start = time.perf_counter()
            image = sensor.capture_image()
            upload_s = time.perf_counter() - start
            height, width = image.shape
            contrast = float(image.std())
            detail.append(f"{width}x{height} image in {upload_s:.1f} s, contrast {contrast:.0f}")
            if info is not None and (width, height) != (info.image_width, info.image_height):
                raise ValueError(
                    f"expected {info.image_width}x{info.image_height} for {info.model}"
                )
            if contrast < MIN_IMAGE_CONTRAST:
                raise ValueError("the image is blank: clean the window, check the module")
            prompt("Lift the finger")
            if simulator is not None:
                simulator.lift()
            if not sensor.wait_for_lift(finger_timeout_s):
                detail.append("finger still on the window")
        with run.check("sensor led") as detail:
            if info is None:
                raise _Skip("parameters unknown")
            if not info.has_led:
                raise _Skip(f"{info.model} has no controllable LED")
            from edge_agent.sensor import LedColour, LedMode

            for colour in (LedColour.RED, LedColour.BLUE, LedColour.PURPLE):
                sensor.set_led(LedMode.ON, colour)
                time.sleep(led_step_s)
            sensor.set_led(LedMode.OFF)
            detail.append("red, blue, purple then off (watch the ring)")
    finally:
        if owned:
            sensor.close()


def _gpio_checks(
    run: _Runner,
    config: UnitConfig,
    board: GpioBoard | None,
    led_step_s: float,
    relay_open_s: float,
) -> None:
    owned = board is None
    with run.check("gpio") as detail:
        if board is None:
            from edge_agent.gpio import GpioBoard

            board = GpioBoard.from_config(config.gpio)
        detail.append(f"{config.gpio.backend} backend, pins {board.pins}")
    if board is None:
        for name in ("leds", "buzzer", "relay", "inputs"):
            with run.check(name):
                raise _Skip("no GPIO: the board could not be set up")
        return
    try:
        with run.check("leds") as detail:
            for colour in ("green", "red", "amber"):
                board.indicators.show(colour)  # type: ignore[arg-type]
                lit = board.indicators.lit()
                if lit != colour:
                    raise RuntimeError(f"{colour} LED driven but {lit} reads back")
                time.sleep(led_step_s)
            board.indicators.show(None)
            if board.indicators.lit() is not None:
                raise RuntimeError("LEDs still read back lit after off")
            detail.append("green, red, amber lit in turn, then off (watch them)")
        with run.check("buzzer") as detail:
            from edge_agent.gpio import OK

            board.indicators.beep(OK)
            time.sleep(OK.duration_s + 0.05)
            board.indicators.silence()
            detail.append(f"one {OK.on_s * 1000:.0f} ms beep (listen for it)")
        with run.check("relay") as detail:
            if board.relay.is_open:
                raise RuntimeError("relay was open before the test")
            board.relay.open_for(relay_open_s)
            if not board.relay.is_open:
                raise RuntimeError("relay did not open")
            deadline = time.monotonic() + relay_open_s + 1.0
            while board.relay.is_open and time.monotonic() < deadline:
                time.sleep(0.01)
            if board.relay.is_open:
                board.relay.lock()
                raise RuntimeError(f"relay still open {relay_open_s + 1.0:.1f} s later")
            detail.append(f"opened for {relay_open_s:g} s and locked again (listen for clicks)")
        with run.check("inputs") as detail:
            enclosure = "OPEN" if board.tamper.is_tampered else "closed"
            button = "pressed" if board.button.is_pressed else "released"
            detail.append(f"enclosure {enclosure} (tamper switch), push button {button}")
    finally:
        board.relay.lock()
        board.indicators.off()
        if owned:
            board.close()


#: The Urdu line on the printer's test slip: "The receipt printer is working."
TEST_SLIP_URDU = "رسید کا پرنٹر کام کر رہا ہے۔"


def _printer_checks(run: _Runner, config: UnitConfig, printer: ReceiptPrinter | None) -> None:
    section = config.printer
    if printer is None and section.backend == "none":
        return  # a unit without a receipt printer (gates, enrolment) has no such check
    with run.check("receipt printer") as detail:
        from edge_agent.printer import PRINTABLE, Line, Qr, Rule, encode, open_printer

        owned = printer is None
        if printer is None:
            printer = open_printer(section, sim_out_dir=config.device.data_dir / "receipts")
        assert printer is not None
        try:
            state = printer.status()
            detail.append(f"{section.backend} {printer.name or section.port}: {state}")
            if state not in PRINTABLE:
                raise RuntimeError(f"the printer is {state}")
            slip = [
                Line("Khidmat receipt printer test", bold=True, align="centre"),
                Line(f"{config.device.station} {config.device.id}", align="centre"),
                Rule(),
                Line(TEST_SLIP_URDU),
                Qr(section.track_url or config.device.id),
                Line(time.strftime("%Y-%m-%d %H:%M"), align="centre"),
            ]
            printed = printer.print_job(encode(slip, width_px=printer.width_px))
            detail.append(
                f"test slip printed ({printed.bytes_sent} bytes in {printed.seconds:.1f} s): "
                "check the Urdu line and scan the code"
            )
            if printed.state == "paper-low":
                detail.append("the paper is running low")
        finally:
            if owned:
                printer.close()


def run_selftest(
    config: UnitConfig,
    *,
    sensor: FingerprintSensor | None = None,
    board: GpioBoard | None = None,
    printer: ReceiptPrinter | None = None,
    open_sensor: Callable[[Any], FingerprintSensor] | None = None,
    finger_timeout_s: float = FINGER_TIMEOUT_S,
    led_step_s: float = LED_STEP_S,
    relay_open_s: float = RELAY_OPEN_S,
    prompt: Callable[[str], None] = print,
) -> HardwareReport:
    """Run every hardware check for ``config`` and return the report.

    ``sensor``, ``board`` and ``printer`` are used as given and left open (the caller owns them);
    otherwise they are opened from ``config`` (``open_sensor`` overrides how the sensor
    is opened from ``config.sensor``) and closed at the end. ``prompt`` receives the
    instructions for the technician.
    """
    report = HardwareReport()
    run = _Runner(report)
    _sensor_checks(run, config, sensor, open_sensor, finger_timeout_s, led_step_s, prompt)
    _gpio_checks(run, config, board, led_step_s, relay_open_s)
    _printer_checks(run, config, printer)
    return report
