"""The serial backend: a real R307/R503/AS608 (or the simulator's pty) via the adafruit driver.

Commands go through the unmodified ``adafruit_fingerprint.Adafruit_Fingerprint`` on a
pyserial port wrapped in :class:`~edge_agent.sensor.transport.CheckedUart`. The driver's
defects (FIELD-NOTES, 2.2.25) are handled here:

1. image upload recursion: images are read by this module's own packet loop, at any
   data packet size;
2. unchecked checksums: CheckedUart verifies every received packet;
3. fixed reply lengths / short error replies: any timeout, corrupt or out-of-step reply
   is followed by a resynchronisation (drain the line, flush, VfyPwd again) and the
   command is retried, at most ``retries`` times;
4. ``get_fpdata``/``send_fpdata``/``compare_templates`` are not used;
5. ``set_led`` is only sent to models with a ring LED; GetEcho is never sent.

At start the port finds the module (the configured baud, then the model's default, then
other 9600*N rates, since a module keeps a raised baud across power cycles), raises the
baud and the data packet size to the configured values with SetSysPara, and checks the
module answers at the new rate (a module that applies a new baud only after a power cycle
keeps answering at the old one: the port logs a warning and runs at that rate, which
``info().baud`` reports). ``wait_for_finger`` asks the chip to extract features
(Img2Tz) from each capture and retakes smeared ones, so a useless image is never uploaded
(``quality_gate=False`` to skip; on a real module Img2Tz costs a few hundred ms).

Not thread-safe: one thread talks to the module at a time.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import serial

from edge_agent.sensor.models import (
    BAUD_MULTIPLIERS,
    BAUD_UNIT,
    PACKET_CODE_BY_SIZE,
    PACKET_SIZE_BY_CODE,
    SensorModel,
    baud_multiplier,
)
from edge_agent.sensor.packets import (
    HEADER_BYTES,
    Cmd,
    Code,
    Packet,
    Pid,
    describe_code,
    encode_packet,
    unpack_image,
    wire_seconds,
)
from edge_agent.sensor.port import (
    FingerprintSensor,
    LedColour,
    LedMode,
    NoFingerError,
    SensorError,
    SensorInfo,
    SensorNotRespondingError,
    SensorPasswordError,
    SensorProtocolError,
)
from edge_agent.sensor.transport import CheckedUart

if TYPE_CHECKING:
    from edge_agent.sim.sensor import SimulatedSensor

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How long one reply may take to start arriving (seconds); GenImg and Search on a real
#: module answer within about 1 s.
DEFAULT_TIMEOUT_S = 2.0
#: Tries after the first for one command, each after a resynchronisation.
DEFAULT_RETRIES = 2
#: Pause between GenImg polls while waiting for a finger or a lift (seconds).
DEFAULT_POLL_INTERVAL_S = 0.05
#: Longest a resynchronisation drains a talking line (seconds; an image at 57600 is ~7 s).
DRAIN_MAX_S = 10.0
#: The line counts as quiet after this many byte times without a byte (at least 20 ms).
QUIET_BYTES = 64

_LED_MODE_CODES = {LedMode.BREATHE: 1, LedMode.FLASH: 2, LedMode.ON: 3, LedMode.OFF: 4}
_LED_COLOUR_CODES = {LedColour.RED: 1, LedColour.BLUE: 2, LedColour.PURPLE: 3}
#: The driver's message when a read returned fewer bytes than the reply should have.
_DRIVER_SILENCE = "Failed to read data from sensor"
_RETRYABLE_CODES = {Code.PACKET_RECEIVE_ERROR}


class _NoReply(SensorProtocolError):
    """Fewer bytes than a packet within the timeout."""


def _all_bauds() -> list[int]:
    return [BAUD_UNIT * n for n in sorted(BAUD_MULTIPLIERS, reverse=True)]


def _import_driver() -> Any:
    import adafruit_fingerprint

    return adafruit_fingerprint.Adafruit_Fingerprint


class SerialFingerprintSensor(FingerprintSensor):
    """A module on a serial port. Make one with :meth:`connect` (or ``open_sensor``)."""

    def __init__(
        self,
        uart: CheckedUart,
        driver: Any,
        *,
        model: SensorModel,
        port: str,
        password: int,
        retries: int,
        poll_interval_s: float,
        quality_gate: bool,
    ) -> None:
        self._uart = uart
        self._driver = driver
        self.model = model
        self.port = port
        self._password = password
        self._retries = retries
        self._poll_interval_s = poll_interval_s
        self._quality_gate = quality_gate
        self._image_ready = False
        self._closed = False
        self._on_close: list[Callable[[], None]] = []
        #: The in-process simulator behind this port (backend "sim"), else None.
        self.simulator: SimulatedSensor | None = None
        #: Resynchronisations done so far (each after a timeout or a corrupt reply).
        self.resyncs = 0

    # --- start-up -----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        port: str,
        *,
        model: SensorModel,
        baud: int,
        packet_size: int,
        password: int = 0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        probe_bauds: Iterable[int] | None = None,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        quality_gate: bool = True,
    ) -> SerialFingerprintSensor:
        """Find the module on ``port``, set it to ``baud``/``packet_size``, return the port.

        ``probe_bauds``: rates tried after ``baud`` and the model's default when the module
        is silent (default: every 9600*N, fastest first; each costs ``timeout_s``).
        Raises SensorNotRespondingError, SensorPasswordError or SensorError.
        """
        try:
            baud_multiplier(baud)
        except ValueError as error:
            raise SensorError(f"[sensor] {error}") from None
        if packet_size not in PACKET_CODE_BY_SIZE:
            raise SensorError(f"[sensor] packet_size {packet_size}: must be 32, 64, 128 or 256")
        if not 0 <= password <= 0xFFFFFFFF:
            raise SensorError("[sensor] password: must be 0..4294967295")
        try:
            raw = serial.Serial(port, baud, timeout=timeout_s)
        except (serial.SerialException, ValueError) as error:
            raise SensorNotRespondingError(
                f"cannot open {port} ({error}): check [sensor] port, that the UART is enabled "
                "with no serial console on it, and that this user may open it (group dialout)"
            ) from None
        uart = CheckedUart(raw)
        sensor = cls(
            uart,
            None,
            model=model,
            port=port,
            password=password,
            retries=retries,
            poll_interval_s=poll_interval_s,
            quality_gate=quality_gate,
        )
        try:
            sensor._find_module(baud, probe_bauds)
            sensor._configure(baud, packet_size)
        except BaseException:
            sensor.close()
            raise
        return sensor

    def _password_bytes(self) -> tuple[int, int, int, int]:
        return tuple(self._password.to_bytes(4, "big"))  # type: ignore[return-value]

    def _handshake_new_driver(self) -> Any:
        """VfyPwd + ReadSysPara via the driver's constructor; raises on failure."""
        self._uart.last_packet = None
        try:
            return _import_driver()(self._uart, passwd=self._password_bytes())
        except RuntimeError as error:
            last = self._uart.last_packet
            if str(error).startswith("Failed to find sensor") and last is not None:
                code = last.payload[0] if last.payload else -1
                if code == Code.WRONG_PASSWORD:
                    raise SensorPasswordError(
                        f"the module on {self.port} rejected the password "
                        f"([sensor] password = {self._password}); set the module's password "
                        "in unit.toml"
                    ) from None
            raise

    def _find_module(self, baud: int, probe_bauds: Iterable[int] | None) -> None:
        """Handshake at ``baud``, the model default, then the probes.

        The configured and default rates get ``retries`` more tries after every probe
        has had one, so a silent module costs (2 * (retries + 1) + probes) * timeout_s.
        """
        likely = list(dict.fromkeys([baud, self.model.default_baud]))
        probes = list(probe_bauds) if probe_bauds is not None else _all_bauds()
        order = likely + [rate for rate in dict.fromkeys(probes) if rate not in likely]
        order += likely * self._retries
        last: BaseException | None = None
        for rate in order:
            self._uart.serial.baudrate = rate
            self._uart.reset_input_buffer()
            try:
                self._driver = self._handshake_new_driver()
                return
            except (RuntimeError, IndexError, struct.error) as error:
                if isinstance(error, SensorPasswordError):
                    raise
                last = error
                self._drain()
        raise SensorNotRespondingError(
            f"no fingerprint module answers on {self.port} at "
            f"{', '.join(map(str, dict.fromkeys(order)))} baud (last: {last}); check power, "
            "that TX and RX are crossed (module TX -> Pi RX), [sensor] port and [sensor] baud"
        )

    def _configure(self, baud: int, packet_size: int) -> None:
        found = int(self._uart.serial.baudrate)
        if found != baud:
            self._set_or_fail("baud", 4, baud // BAUD_UNIT)
            self._uart.serial.baudrate = baud
            self._uart.reset_input_buffer()
            try:
                self._exchange("VfyPwd at the new baud", self._verify)
            except SensorError as at_new:
                self._uart.serial.baudrate = found
                self._uart.reset_input_buffer()
                try:
                    self._exchange("VfyPwd at the old baud", self._verify)
                except SensorError:
                    raise SensorNotRespondingError(
                        f"the module on {self.port} accepted {baud} baud (it answered at "
                        f"{found}) but now answers at neither ({at_new}); power-cycle it"
                    ) from None
                log.warning(
                    "sensor on %s accepted %d baud but still answers at %d: it takes effect "
                    "after a power cycle; running at %d baud until then",
                    self.port,
                    baud,
                    found,
                    found,
                )
        code = PACKET_CODE_BY_SIZE[packet_size]
        if self._driver.data_packet_size != code:
            self._set_or_fail("packet size", 6, code)
        self._exchange("ReadSysPara", self._driver.read_sysparam)

    def _set_or_fail(self, what: str, number: int, value: int) -> None:
        code = self._command(f"SetSysPara {what}", lambda: self._set_param(number, value))
        if code != Code.OK:
            raise SensorError(
                f"the module on {self.port} refused {what} code {value}: {describe_code(code)}; "
                f"check [sensor] model ({self.model.name})"
            )

    def _set_param(self, number: int, value: int) -> int:
        try:
            return int(self._driver.set_sysparam(number, value))
        except RuntimeError as error:
            last = self._uart.last_packet
            if str(error) == "Command failed." and last is not None and last.payload:
                return int(last.payload[0])
            raise

    def _verify(self) -> None:
        code = self._driver.verify_password()
        if code == Code.WRONG_PASSWORD:
            raise SensorPasswordError(f"the module on {self.port} rejected the password")
        if code != Code.OK:
            raise SensorProtocolError(f"VfyPwd answered {describe_code(code)}")

    # --- retries and resynchronisation --------------------------------------------------
    def _drain(self) -> None:
        """Read until the line is quiet (bounded), then drop any partial packet."""
        ser = self._uart.serial
        saved = ser.timeout
        ser.timeout = max(0.02, wire_seconds(QUIET_BYTES, ser.baudrate))
        deadline = time.monotonic() + DRAIN_MAX_S
        try:
            while ser.read(4096) and time.monotonic() < deadline:
                continue  # discard whatever the module is still sending
        finally:
            ser.timeout = saved
        self._uart.reset_input_buffer()

    def _resync(self) -> None:
        """After a timeout or a corrupt reply: drain, flush, handshake again."""
        self.resyncs += 1
        self._drain()
        try:
            self._driver.verify_password()
        except (RuntimeError, IndexError, struct.error):
            self._drain()  # the next try resynchronises again if this did not take

    def _exchange(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (driver calls); on a transport failure resync and retry.

        A port that fails at the OS level (the module unplugged, a USB adapter gone, EIO)
        raises :class:`SensorNotRespondingError` at once: retrying cannot help.
        """
        try:
            return self._exchange_retried(what, fn)
        except (serial.SerialException, OSError) as error:
            raise SensorNotRespondingError(
                f"{what}: the port {self.port} failed ({error}); the sensor may be unplugged "
                "or its cable loose"
            ) from None

    def _exchange_retried(self, what: str, fn: Callable[[], T]) -> T:
        last: BaseException | None = None
        silent = False
        for _ in range(self._retries + 1):
            try:
                return fn()
            except (RuntimeError, IndexError, struct.error, UnboundLocalError) as error:
                if isinstance(error, SensorError) and not isinstance(error, SensorProtocolError):
                    raise
                last = error
                silent = isinstance(error, _NoReply) or str(error) == _DRIVER_SILENCE
                self._resync()
        kind = SensorNotRespondingError if silent else SensorProtocolError
        raise kind(
            f"{what}: no valid reply from the module on {self.port} after "
            f"{self._retries + 1} tries (last: {last}); check the wiring and [sensor] baud "
            f"({self._uart.serial.baudrate})"
        )

    def _command(self, what: str, fn: Callable[[], int]) -> int:
        """Like :meth:`_exchange` for a call returning a confirmation code; 0x01 is retried."""

        def once() -> int:
            code = int(fn())
            if code in _RETRYABLE_CODES:
                raise SensorProtocolError(f"{what}: module reports {describe_code(code)}")
            return code

        return self._exchange(what, once)

    # --- packets this module reads itself -----------------------------------------------
    def _read_packet(self) -> Packet:
        header = self._uart.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES:
            raise _NoReply(f"{len(header)} of {HEADER_BYTES} header bytes within the timeout")
        length = int.from_bytes(header[7:9], "big")
        rest = self._uart.read(length)  # CheckedUart verifies the checksum here
        if len(rest) < length:
            raise _NoReply(f"{len(rest)} of {length} packet bytes within the timeout")
        return Packet(int.from_bytes(header[2:6], "big"), header[6], rest[:-2])

    def _upload_image(self) -> np.ndarray:
        self._uart.write(encode_packet(Pid.COMMAND, bytes((Cmd.UP_IMAGE,))))
        ack = self._read_packet()
        if ack.pid != Pid.ACK or not ack.payload:
            raise SensorProtocolError(f"UpImage: expected an ack, got packet type {ack.pid}")
        code = ack.payload[0]
        if code in _RETRYABLE_CODES:
            raise SensorProtocolError(f"UpImage: module reports {describe_code(code)}")
        if code != Code.OK:
            raise SensorError(f"UpImage refused: {describe_code(code)}")
        expected = self.model.image_bytes
        data = bytearray()
        while True:
            packet = self._read_packet()
            if packet.pid not in (Pid.DATA, Pid.END):
                raise SensorProtocolError(f"UpImage: unexpected packet type {packet.pid}")
            data += packet.payload
            if len(data) > expected:
                raise SensorProtocolError(
                    f"UpImage: more than {expected} bytes; is [sensor] model "
                    f"({self.model.name}) right?"
                )
            if packet.pid == Pid.END:
                break
        if len(data) != expected:
            raise SensorProtocolError(
                f"UpImage: {len(data)} bytes, a {self.model.name} image is {expected}; "
                "is [sensor] model right?"
            )
        return unpack_image(bytes(data), self.model.image_width, self.model.image_height)

    # --- the port -----------------------------------------------------------------------
    def info(self) -> SensorInfo:
        """See :meth:`FingerprintSensor.info` (ReadSysPara + TempleteNum)."""
        self._check_open()
        self._exchange("ReadSysPara", self._driver.read_sysparam)
        code = self._command("TempleteNum", self._driver.count_templates)
        if code != Code.OK:
            raise SensorError(f"TempleteNum answered {describe_code(code)}")
        return SensorInfo(
            model=self.model.name,
            capacity=int(self._driver.library_size),
            library_count=int(self._driver.template_count),
            image_width=self.model.image_width,
            image_height=self.model.image_height,
            dpi=self.model.dpi,
            baud=int(self._uart.serial.baudrate),
            packet_size_bytes=PACKET_SIZE_BY_CODE[int(self._driver.data_packet_size)],
            security_level=int(self._driver.security_level),
            has_led=self.model.has_aura_led,
        )

    def _usable_capture(self) -> bool:
        if not self._quality_gate:
            return True
        code = self._command("Img2Tz", lambda: self._driver.image_2_tz(1))
        if code == Code.OK:
            return True
        if code in (Code.IMAGE_MESSY, Code.FEATURE_FAIL, Code.INVALID_IMAGE):
            return False
        raise SensorError(f"Img2Tz answered {describe_code(code)}")

    def wait_for_finger(self, timeout_s: float) -> bool:
        """See :meth:`FingerprintSensor.wait_for_finger`; smeared captures are retaken."""
        self._check_open()
        self._image_ready = False
        deadline = time.monotonic() + timeout_s
        while True:
            code = self._command("GenImg", self._driver.get_image)
            if code == Code.OK and self._usable_capture():
                self._image_ready = True
                return True
            if code not in (Code.OK, Code.NO_FINGER, Code.IMAGE_FAIL):
                raise SensorError(f"GenImg answered {describe_code(code)}")
            if time.monotonic() >= deadline:
                return False
            time.sleep(self._poll_interval_s)

    def capture_image(self) -> np.ndarray:
        """See :meth:`FingerprintSensor.capture_image` (own upload loop, checked, retried)."""
        self._check_open()
        if not self._image_ready:
            code = self._command("GenImg", self._driver.get_image)
            if code == Code.NO_FINGER:
                raise NoFingerError("no finger on the sensor")
            if code != Code.OK:
                raise SensorError(f"GenImg answered {describe_code(code)}")
        self._image_ready = False
        return self._exchange("UpImage", self._upload_image)

    def wait_for_lift(self, timeout_s: float) -> bool:
        """See :meth:`FingerprintSensor.wait_for_lift`."""
        self._check_open()
        deadline = time.monotonic() + timeout_s
        while True:
            code = self._command("GenImg", self._driver.get_image)
            if code == Code.NO_FINGER:
                return True
            if code not in (Code.OK, Code.IMAGE_FAIL):
                raise SensorError(f"GenImg answered {describe_code(code)}")
            if time.monotonic() >= deadline:
                return False
            time.sleep(self._poll_interval_s)

    def set_led(self, mode: LedMode, colour: LedColour = LedColour.BLUE) -> None:
        """See :meth:`FingerprintSensor.set_led` (AuraLedConfig on R503; nothing otherwise)."""
        self._check_open()
        if not self.model.has_aura_led:
            return
        mode_code = _LED_MODE_CODES[LedMode(mode)]
        colour_code = _LED_COLOUR_CODES[LedColour(colour)]
        code = self._command(
            "AuraLedConfig",
            lambda: self._driver.set_led(color=colour_code, mode=mode_code, speed=0x80, cycles=0),
        )
        if code != Code.OK:
            raise SensorError(f"AuraLedConfig answered {describe_code(code)}")

    def add_close_hook(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after the port is closed (the "sim" backend stops its simulator)."""
        self._on_close.append(hook)

    def _check_open(self) -> None:
        if self._closed:
            raise SensorError("the sensor port is closed")

    def close(self) -> None:
        """Close the serial port, then run close hooks (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._uart.close()
        for hook in self._on_close:
            hook()
