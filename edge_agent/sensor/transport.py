"""The UART under the driver: pyserial with every received packet's checksum verified.

``adafruit_fingerprint`` 2.2.25 never checks received checksums (FIELD-NOTES defect 2).
:class:`CheckedUart` sits between it and ``serial.Serial``: it follows packet boundaries
in the bytes the driver reads and raises :class:`~edge_agent.sensor.port.SensorProtocolError`
from ``read()`` when a packet completes with a bad checksum or the stream is out of step,
so the driver never acts on a corrupt reply. Not thread-safe (one conversation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge_agent.sensor.packets import (
    CHECKSUM_BYTES,
    HEADER_BYTES,
    MAX_PAYLOAD_BYTES,
    START_CODE,
    Packet,
    checksum,
)
from edge_agent.sensor.port import SensorProtocolError

if TYPE_CHECKING:
    import serial


class CheckedUart:
    """A ``serial.Serial`` whose reads are checked packet by packet.

    ``last_packet`` is the most recent complete, valid packet (for error messages).
    A bare byte between packets (the 0x55 a module sends after SoftReset) is passed
    through unchecked.
    """

    def __init__(self, port: serial.Serial) -> None:
        self.serial = port
        self._buf = bytearray()
        self.last_packet: Packet | None = None

    def read(self, size: int = 1) -> bytes:
        """Read up to ``size`` bytes (pyserial timeout applies); verify completed packets."""
        data = self.serial.read(size)
        self._check(data)
        return data

    def write(self, data: bytes | bytearray | list[int]) -> int | None:
        """Write bytes (the driver passes bytearrays and, for data packets, lists)."""
        self.resync()
        return self.serial.write(bytes(data))

    def close(self) -> None:
        """Close the serial port."""
        self.serial.close()

    def resync(self) -> None:
        """Forget any partial packet (after a write or a flush, a new reply starts)."""
        self._buf.clear()

    def reset_input_buffer(self) -> None:
        """Drop whatever is waiting in the input buffer and any partial packet."""
        self.serial.reset_input_buffer()
        self.resync()

    def _check(self, data: bytes) -> None:
        if not self._buf and len(data) == 1 and data[0] != START_CODE[0]:
            return  # a lone status byte (0x55 after SoftReset)
        self._buf += data
        while len(self._buf) >= HEADER_BYTES:
            if self._buf[:2] != START_CODE:
                got = bytes(self._buf[:HEADER_BYTES]).hex(" ")
                self._buf.clear()
                raise SensorProtocolError(f"reply out of step: expected a start code, got {got}")
            length = int.from_bytes(self._buf[7:9], "big")
            if not CHECKSUM_BYTES <= length <= MAX_PAYLOAD_BYTES + CHECKSUM_BYTES:
                self._buf.clear()
                raise SensorProtocolError(f"reply with impossible length field {length}")
            total = HEADER_BYTES + length
            if len(self._buf) < total:
                return
            raw = bytes(self._buf[:total])
            del self._buf[:total]
            pid, payload = raw[6], raw[HEADER_BYTES:-CHECKSUM_BYTES]
            received = int.from_bytes(raw[-CHECKSUM_BYTES:], "big")
            expected = checksum(pid, payload)
            if received != expected:
                self._buf.clear()
                raise SensorProtocolError(
                    f"reply checksum 0x{received:04X}, computed 0x{expected:04X} "
                    "(line noise, loose wire or wrong baud)"
                )
            self.last_packet = Packet(int.from_bytes(raw[2:6], "big"), pid, payload)
