"""The R30x/AS608/R503 UART packet protocol: framing, checksums, codes, 4-bit images.

Packet: ``EF 01 | address (4) | PID | LEN (2, BE, = payload + 2) | payload | SUM (2, BE)``
with ``SUM = (PID + LEN_hi + LEN_lo + sum(payload)) & 0xFFFF``. Shared by the serial
backend (its own image loop and checksum verification) and the simulated chip. Pure
functions and small classes; a :class:`PacketDecoder` is not thread-safe.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

START_CODE = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
HEADER_BYTES = 9
CHECKSUM_BYTES = 2
#: Bytes around a payload: header + checksum.
OVERHEAD_BYTES = HEADER_BYTES + CHECKSUM_BYTES
#: The byte a module sends after power-on or SoftReset.
READY_BYTE = 0x55
#: Longest payload a decoder accepts (a 256-byte data packet plus slack).
MAX_PAYLOAD_BYTES = 512
#: UART frame: start bit, 8 data bits, stop bit.
BITS_PER_BYTE = 10


class Pid(enum.IntEnum):
    """Packet identifiers."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END = 0x08


class Cmd(enum.IntEnum):
    """Instruction codes (the first payload byte of a command packet)."""

    GEN_IMG = 0x01
    IMG2TZ = 0x02
    MATCH = 0x03
    SEARCH = 0x04
    REG_MODEL = 0x05
    STORE = 0x06
    LOAD_CHAR = 0x07
    UP_CHAR = 0x08
    DOWN_CHAR = 0x09
    UP_IMAGE = 0x0A
    DOWN_IMAGE = 0x0B
    DELETE_CHAR = 0x0C
    EMPTY = 0x0D
    SET_SYS_PARA = 0x0E
    READ_SYS_PARA = 0x0F
    VFY_PWD = 0x13
    HIGH_SPEED_SEARCH = 0x1B
    TEMPLATE_NUM = 0x1D
    READ_INDEX_TABLE = 0x1F
    AURA_LED_CONFIG = 0x35
    SOFT_RESET = 0x3D
    HANDSHAKE = 0x40
    GET_ECHO = 0x53


class Code(enum.IntEnum):
    """Confirmation codes (the first payload byte of an ack)."""

    OK = 0x00
    PACKET_RECEIVE_ERROR = 0x01
    NO_FINGER = 0x02
    IMAGE_FAIL = 0x03
    IMAGE_MESSY = 0x06
    FEATURE_FAIL = 0x07
    NO_MATCH = 0x08
    NOT_FOUND = 0x09
    ENROLL_MISMATCH = 0x0A
    BAD_LOCATION = 0x0B
    DB_RANGE_FAIL = 0x0C
    UPLOAD_FEATURE_FAIL = 0x0D
    PACKET_RESPONSE_FAIL = 0x0E
    UPLOAD_FAIL = 0x0F
    DELETE_FAIL = 0x10
    DB_CLEAR_FAIL = 0x11
    WRONG_PASSWORD = 0x13
    INVALID_IMAGE = 0x15
    FLASH_ERROR = 0x18
    INVALID_REGISTER = 0x1A
    ADDRESS_CODE = 0x20
    MUST_VERIFY_PASSWORD = 0x21
    MODULE_OK = 0x55


def describe_code(code: int) -> str:
    """A readable name for a confirmation code ("NO_FINGER (0x02)")."""
    try:
        return f"{Code(code).name} (0x{code:02X})"
    except ValueError:
        return f"unknown code 0x{code:02X}"


def checksum(pid: int, payload: bytes) -> int:
    """The packet checksum over PID, LEN and payload."""
    length = len(payload) + CHECKSUM_BYTES
    return (pid + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode_packet(pid: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    """One framed packet."""
    length = len(payload) + CHECKSUM_BYTES
    return (
        START_CODE
        + address.to_bytes(4, "big")
        + bytes((pid, length >> 8, length & 0xFF))
        + payload
        + checksum(pid, payload).to_bytes(2, "big")
    )


def encode_data(data: bytes, packet_size: int, address: int = DEFAULT_ADDRESS) -> list[bytes]:
    """``data`` as DATA packets of ``packet_size`` payload bytes, the last one an END packet."""
    chunks = [data[i : i + packet_size] for i in range(0, len(data), packet_size)] or [b""]
    return [
        encode_packet(Pid.END if i == len(chunks) - 1 else Pid.DATA, chunk, address)
        for i, chunk in enumerate(chunks)
    ]


@dataclass(frozen=True, slots=True)
class Packet:
    """A decoded packet; ``checksum_ok`` False when the received SUM did not match."""

    address: int
    pid: int
    payload: bytes
    checksum_ok: bool = True


class PacketDecoder:
    """Incremental decoder for a byte stream.

    Bytes before a start code are skipped (``skipped_bytes`` counts them), so a decoder
    resynchronises on its own after line noise. Packets with a bad checksum are returned
    with ``checksum_ok=False`` so that the caller decides (the chip answers 0x01).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0

    def reset(self) -> None:
        """Forget any partial packet."""
        self._buf.clear()

    @property
    def pending_bytes(self) -> int:
        """Bytes held of a packet not yet complete."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Packet]:
        """Add received bytes; return the packets they complete."""
        self._buf += data
        out: list[Packet] = []
        while True:
            start = self._buf.find(START_CODE)
            if start < 0:
                keep = 1 if self._buf[-1:] == START_CODE[:1] else 0
                self.skipped_bytes += len(self._buf) - keep
                del self._buf[: len(self._buf) - keep]
                return out
            if start:
                self.skipped_bytes += start
                del self._buf[:start]
            if len(self._buf) < HEADER_BYTES:
                return out
            length = int.from_bytes(self._buf[7:9], "big")
            if length < CHECKSUM_BYTES or length > MAX_PAYLOAD_BYTES + CHECKSUM_BYTES:
                self.skipped_bytes += 2  # not a real header: look for the next start code
                del self._buf[:2]
                continue
            total = HEADER_BYTES + length
            if len(self._buf) < total:
                return out
            raw = bytes(self._buf[:total])
            del self._buf[:total]
            pid = raw[6]
            payload = raw[HEADER_BYTES:-CHECKSUM_BYTES]
            received = int.from_bytes(raw[-CHECKSUM_BYTES:], "big")
            out.append(
                Packet(
                    address=int.from_bytes(raw[2:6], "big"),
                    pid=pid,
                    payload=payload,
                    checksum_ok=received == checksum(pid, payload),
                )
            )


def pack_image(image: np.ndarray) -> bytes:
    """Pack a uint8 HxW image (any grey levels) into 4-bit pixels, even x in the high nibble.

    Grey levels are quantised to 16 by rounding ``value / 17``; width must be even.
    """
    if image.ndim != 2 or image.shape[1] % 2:
        raise ValueError(f"image must be 2-D with even width, got shape {image.shape}")
    nibbles = np.rint(image.astype(np.float32) / 17.0).astype(np.uint8)
    return ((nibbles[:, 0::2] << 4) | nibbles[:, 1::2]).tobytes()


def unpack_image(data: bytes, width: int, height: int) -> np.ndarray:
    """Expand packed 4-bit pixels to a uint8 (height, width) image, each nibble times 17."""
    if len(data) != width * height // 2:
        raise ValueError(f"image data is {len(data)} bytes, expected {width * height // 2}")
    packed = np.frombuffer(data, dtype=np.uint8).reshape(height, width // 2)
    out = np.empty((height, width), dtype=np.uint8)
    out[:, 0::2] = packed >> 4
    out[:, 1::2] = packed & 0x0F
    out *= 17
    return out


def wire_seconds(n_bytes: int, baud: int) -> float:
    """Time ``n_bytes`` take on a UART at ``baud`` (10 bits per byte)."""
    return n_bytes * BITS_PER_BYTE / baud
