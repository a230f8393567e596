"""A simulated R307/R503 fingerprint module on a pseudo-terminal.

The unmodified ``adafruit_fingerprint`` driver (or :mod:`edge_agent.sensor`) opens
:attr:`SimulatedSensor.port_path` (or the ``link`` symlink) with pyserial exactly as it
would open ``/dev/serial0``. One I/O thread reads the pty master, decodes packets, lets
:class:`~edge_agent.sim.sensor_chip.SensorChip` answer and writes the reply paced at the
module's baud rate (10 bits per byte; ``wire_delay=False`` sends at once). A host whose
port is set to a different baud than the module's is not understood: its bytes are
dropped, as framing errors drop them on a real UART (checked from the pty's termios).

Usage::

    with SimulatedSensor(model="r307", baud=115200, wire_delay=False).start() as sim:
        sim.place(image)                      # uint8 grey image, cropped/padded to fit
        finger = Adafruit_Fingerprint(serial.Serial(sim.port_path, 115200, timeout=1))
        sim.inject("no_reply")                # the next command gets no answer
        sim.lift()

Thread-safety: place, lift, inject and the properties may be called from any thread.
``close()`` is idempotent and stops the threads; nothing starts before ``start()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import struct
import termios
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from edge_agent.sensor.models import SensorModel, get_model
from edge_agent.sensor.packets import (
    OVERHEAD_BYTES,
    READY_BYTE,
    Code,
    PacketDecoder,
    Pid,
    encode_packet,
    wire_seconds,
)
from edge_agent.sim.sensor_chip import LedState, Reply, SensorChip
from edge_agent.sim.sensor_control import ControlServer, control_path_for
from edge_agent.sim.sensor_engine import MatcherEngine
from edge_agent.sim.sensor_faults import TRANSPORT_FAULTS, Fault, FaultPlan
from khidmat_base.pty_link import close_pty, open_pty

log = logging.getLogger(__name__)

#: Linux TCGETS2 ioctl (struct termios2, 44 bytes): reads custom baud rates too.
_TCGETS2 = 0x802C542A
_TERMIOS2_BYTES = 44
_TERMIOS2_SPEED_OFFSET = 36
#: Bytes of random noise sent before a reply under the line_noise fault.
LINE_NOISE_BYTES = 7
#: How often the I/O threads look at the stop flag (seconds).
_POLL_S = 0.2


def _standard_speeds() -> dict[int, int]:
    speeds = {}
    for rate in (9600, 19200, 38400, 57600, 115200, 230400):
        const = getattr(termios, f"B{rate}", None)
        if const is not None:
            speeds[const] = rate
    return speeds


def host_baud(fd: int) -> int | None:
    """The baud rate the host set on the pty (None if it cannot be told)."""
    with contextlib.suppress(OSError):
        raw = fcntl.ioctl(fd, _TCGETS2, bytes(_TERMIOS2_BYTES))
        _, ospeed = struct.unpack_from("<II", raw, _TERMIOS2_SPEED_OFFSET)
        if ospeed:
            return int(ospeed)
    return _standard_speeds().get(termios.tcgetattr(fd)[5])


class SimulatedSensor:
    """One simulated module. ``baud``/``packet_size`` default to the model's (57600, 128).

    ``link``: a symlink made to the pty (replaced if it is a stale symlink) and a control
    socket ``<link>.ctl`` beside it (``control=False`` to skip). ``check_host_baud``: drop
    bytes from a host whose termios baud differs from the module's (default on). Like a
    real module it sends the 0x55 ready byte at power-on (``start()``); pyserial drops it
    when it opens the port, as it does on hardware. ``baud_on_power_cycle``: a baud set
    with SetSysPara applies only after :meth:`power_cycle` (some modules and clones).
    """

    def __init__(
        self,
        model: str | SensorModel = "r307",
        *,
        baud: int | None = None,
        packet_size: int | None = None,
        password: int = 0,
        wire_delay: bool = True,
        link: str | Path | None = None,
        control: bool = True,
        check_host_baud: bool = True,
        baud_on_power_cycle: bool = False,
        seed: int = 0,
    ) -> None:
        self.model = model if isinstance(model, SensorModel) else get_model(model)
        self.faults = FaultPlan()
        self.chip = SensorChip(
            self.model,
            engine=lambda: MatcherEngine(
                char_size_bytes=self.model.char_size_bytes, dpi=self.model.dpi
            ),
            faults=self.faults,
            password=password,
            baud=baud,
            packet_size=packet_size,
            baud_on_power_cycle=baud_on_power_cycle,
        )
        self.wire_delay = wire_delay
        self.link_path = Path(link) if link is not None else None
        self._control_wanted = control and link is not None
        self._check_host_baud = check_host_baud
        self._rng = np.random.default_rng(seed)
        self._master = -1
        self._slave = -1
        self._port_path: str | None = None
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._control: ControlServer | None = None
        self._errors: list[BaseException] = []
        self._dropped_bytes = 0
        self._line_free_at = 0.0

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> SimulatedSensor:
        """Open the pty, make the link and control socket, start the I/O thread."""
        if self._thread is not None or self._stop.is_set():
            raise RuntimeError("a simulator starts once (make a new one)")
        self._master, self._slave, self._port_path = open_pty(self.link_path)
        try:
            if self._control_wanted:
                assert self.link_path is not None
                self._control = ControlServer(control_path_for(self.link_path), self._on_control)
                self._control.start()
        except BaseException:
            self.close()
            raise
        self._write_all(bytes((READY_BYTE,)))  # power-on handshake byte
        self._thread = threading.Thread(target=self._run, name="sim-sensor-io", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the threads, remove the link and socket, close the pty (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._control is not None:
            self._control.close()
            self._control = None
        close_pty(self.link_path, self._master, self._slave, self._port_path)
        self._master = self._slave = -1

    def __enter__(self) -> SimulatedSensor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the public face ----------------------------------------------------------------
    @property
    def port_path(self) -> str:
        """The pty slave (``/dev/pts/N``) a host opens."""
        if self._port_path is None:
            raise RuntimeError("simulator not started")
        return self._port_path

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._stop.is_set()

    @property
    def control_path(self) -> Path | None:
        """The control socket, when there is one."""
        return self._control.path if self._control is not None else None

    @property
    def baud(self) -> int:
        """The module's baud rate now."""
        return self.chip.baud

    @property
    def packet_size(self) -> int:
        """The module's data packet size now (bytes)."""
        return self.chip.packet_size

    @property
    def led(self) -> LedState:
        """The last ring-LED setting (R503)."""
        return self.chip.led

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions the chip raised while answering (a simulator bug; tests assert none)."""
        return list(self._errors)

    @property
    def dropped_bytes(self) -> int:
        """Bytes dropped because the host's baud did not match the module's."""
        return self._dropped_bytes

    def place(self, image: np.ndarray) -> None:
        """Put a finger on the window: a uint8 grey image, centre-cropped or padded to fit."""
        self.chip.place(image)

    def lift(self) -> None:
        """Take the finger off."""
        self.chip.lift()

    def power_cycle(self) -> None:
        """Switch the module off and on: volatile state lost, then the 0x55 ready byte."""
        self.chip.power_cycle()
        self._write_all(bytes((READY_BYTE,)))

    def inject(self, fault: Fault | str, *, count: int = 1, command: int | None = None) -> None:
        """Commit ``fault`` on the next ``count`` commands (``command``: only that code)."""
        self.faults.inject(fault, count=count, command=command)

    def status(self) -> dict[str, Any]:
        """A JSON-able summary (what ``khidmat sim sensor status`` prints)."""
        led = self.chip.led
        return {
            "model": self.model.name,
            "port": self._port_path,
            "baud": self.chip.baud,
            "packet_size": self.chip.packet_size,
            "finger": self.chip.finger_present,
            "library_pages": self.chip.library_pages,
            "led": {
                "control": led.control,
                "speed": led.speed,
                "colour": led.colour,
                "cycles": led.cycles,
            },
            "faults_pending": self.faults.pending,
            "faults_fired": self.faults.fired,
            "dropped_bytes": self._dropped_bytes,
        }

    def _on_control(self, request: dict[str, Any], payload: bytes) -> dict[str, Any]:
        op = request.get("op")
        if op == "place":
            height, width = int(request["height"]), int(request["width"])
            if len(payload) != height * width:
                raise ValueError(f"payload is {len(payload)} bytes, expected {height * width}")
            self.place(np.frombuffer(payload, dtype=np.uint8).reshape(height, width).copy())
        elif op == "lift":
            self.lift()
        elif op == "inject":
            command = request.get("command")
            self.inject(
                str(request["fault"]),
                count=int(request.get("count", 1)),
                command=None if command is None else int(command),
            )
        elif op != "status":
            raise ValueError(f"unknown op {op!r} (place, lift, inject, status)")
        return self.status()

    # --- the wire -----------------------------------------------------------------------
    def _run(self) -> None:
        decoder = PacketDecoder()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], _POLL_S)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if self._check_host_baud:
                host = host_baud(self._slave)
                if host is not None and host != self.chip.baud:
                    self._dropped_bytes += len(data)
                    decoder.reset()
                    continue
            for packet in decoder.feed(data):
                self._pace(len(packet.payload) + OVERHEAD_BYTES, self.chip.baud)
                baud = self.chip.baud  # a SetSysPara ack still goes out at the old rate
                try:
                    reply = self.chip.handle(packet)
                except Exception as error:  # a simulator bug: record it, answer nothing
                    log.exception("simulated chip failed on %s", packet)
                    self._errors.append(error)
                    continue
                if reply is not None and packet.pid == Pid.COMMAND:
                    self._send(reply, packet.payload[0], baud)

    def _pace(self, n_bytes: int, baud: int) -> None:
        """Wait out the wire time of ``n_bytes`` after the line is free."""
        if not self.wire_delay:
            return
        now = time.monotonic()
        done = max(now, self._line_free_at) + wire_seconds(n_bytes, baud)
        self._line_free_at = done
        if done > now:
            time.sleep(done - now)

    def _send(self, reply: Reply, command: int, baud: int) -> None:
        fault = self.faults.take(TRANSPORT_FAULTS, command)
        if fault is Fault.NO_REPLY:
            return
        packets = list(reply.packets)
        after = reply.after
        if fault is Fault.SHORT_REPLY:
            packets = [encode_packet(Pid.ACK, bytes((Code.PACKET_RECEIVE_ERROR,)))]
            after = b""
        elif fault is Fault.BAD_CHECKSUM:
            index = len(packets) // 2 if reply.has_data else 0
            bad = bytearray(packets[index])
            bad[-1] ^= 0x01
            packets[index] = bytes(bad)
        elif fault is Fault.LINE_NOISE:
            noise = self._rng.integers(0, 0xEF, LINE_NOISE_BYTES, dtype=np.uint8).tobytes()
            packets.insert(0, noise)
        for chunk in packets:
            self._pace(len(chunk), baud)
            if not self._write_all(chunk):
                return
        if after:
            time.sleep(reply.after_delay_s)
            self._write_all(after)

    def _write_all(self, data: bytes) -> bool:
        """Write all of ``data`` to the pty (False if stopped or the pty is gone)."""
        with self._write_lock:
            return self._write_all_locked(data)

    def _write_all_locked(self, data: bytes) -> bool:
        view = memoryview(data)
        while view:
            if self._stop.is_set():
                return False
            _, ready, _ = select.select([], [self._master], [], _POLL_S)
            if not ready:
                continue
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                continue
            except OSError:
                return False
            view = view[written:]
        return True
