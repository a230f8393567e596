"""MQTT 3.1.1 and 5.0 control packets: the wire primitives and the v5 property table.

Pure functions and one small cursor class; no I/O, no state shared between calls, so
everything here is thread-safe. Decoding raises :class:`MalformedPacket` with what was
wrong (never the bytes themselves: a payload may hold a CNIC).

Costs: encoding and decoding are linear in the packet size; a PUBLISH of n payload
bytes is copied once on the way in and once on the way out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

# Control packet types (MQTT 5.0 section 2.1.2; the same numbers in 3.1.1).
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)

PACKET_NAMES = {
    CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
    PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBACK: "UNSUBACK", PINGREQ: "PINGREQ",
    PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT", AUTH: "AUTH",
}  # fmt: skip

REQUIRED_FLAGS = {PUBREL: 0b0010, SUBSCRIBE: 0b0010, UNSUBSCRIBE: 0b0010}
"""Fixed-header flags a packet must carry (every other non-PUBLISH packet carries 0)."""

MAX_REMAINING_LENGTH = 268_435_455
"""The largest remaining length a 4-byte variable byte integer can say (256 MiB - 1)."""

PROTOCOL_311 = 4
PROTOCOL_5 = 5

# Property identifiers (MQTT 5.0 section 2.2.2.2) and their wire types.
PAYLOAD_FORMAT = 0x01
MESSAGE_EXPIRY = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY = 0x11
ASSIGNED_CLIENT_ID = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTH_METHOD = 0x15
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_AVAILABLE = 0x28
SUBSCRIPTION_IDS_AVAILABLE = 0x29
SHARED_AVAILABLE = 0x2A

_BYTE, _U16, _U32, _VARINT, _STRING, _BINARY, _PAIR = range(7)
PROPERTY_TYPES: dict[int, int] = {
    0x01: _BYTE, 0x02: _U32, 0x03: _STRING, 0x08: _STRING, 0x09: _BINARY, 0x0B: _VARINT,
    0x11: _U32, 0x12: _STRING, 0x13: _U16, 0x15: _STRING, 0x16: _BINARY, 0x17: _BYTE,
    0x18: _U32, 0x19: _BYTE, 0x1A: _STRING, 0x1C: _STRING, 0x1F: _STRING, 0x21: _U16,
    0x22: _U16, 0x23: _U16, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _U32, 0x28: _BYTE,
    0x29: _BYTE, 0x2A: _BYTE,
}  # fmt: skip

FORWARDED_PROPERTIES = frozenset(
    {PAYLOAD_FORMAT, MESSAGE_EXPIRY, CONTENT_TYPE, RESPONSE_TOPIC, CORRELATION_DATA, USER_PROPERTY}
)
"""PUBLISH properties a broker passes on to subscribers unchanged (section 3.3.2.3)."""

Property = tuple[int, object]
"""(identifier, value): int, str, bytes or a (str, str) user-property pair."""


class MalformedPacket(ValueError):
    """The bytes break the MQTT rules; the message says which rule (never the bytes)."""


class Cursor:
    """Reads MQTT data types from one packet body, front to back. Not thread-safe."""

    __slots__ = ("data", "position")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def _take(self, count: int, what: str) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise MalformedPacket(f"{what} runs past the end of the packet")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.data)

    def byte(self, what: str = "byte") -> int:
        return self._take(1, what)[0]

    def u16(self, what: str = "two-byte integer") -> int:
        return int(struct.unpack(">H", self._take(2, what))[0])

    def u32(self, what: str = "four-byte integer") -> int:
        return int(struct.unpack(">I", self._take(4, what))[0])

    def varint(self, what: str = "variable byte integer") -> int:
        value, shift = 0, 0
        for _ in range(4):
            digit = self.byte(what)
            value |= (digit & 0x7F) << shift
            if not digit & 0x80:
                return value
            shift += 7
        raise MalformedPacket(f"{what} is longer than 4 bytes")

    def binary(self, what: str = "binary data") -> bytes:
        return self._take(self.u16(what), what)

    def string(self, what: str = "string") -> str:
        raw = self.binary(what)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket(f"{what} is not well-formed UTF-8") from None
        if "\x00" in text:
            raise MalformedPacket(f"{what} contains U+0000")
        return text

    def rest(self) -> bytes:
        chunk = self.data[self.position :]
        self.position = len(self.data)
        return chunk

    def properties(self, what: str) -> list[Property]:
        """A v5 property list (length-prefixed); unknown identifiers are malformed."""
        length = self.varint(f"{what} property length")
        end = self.position + length
        if end > len(self.data):
            raise MalformedPacket(f"{what} properties run past the end of the packet")
        found: list[Property] = []
        while self.position < end:
            identifier = self.varint(f"{what} property identifier")
            kind = PROPERTY_TYPES.get(identifier)
            if kind is None:
                raise MalformedPacket(f"{what} has unknown property 0x{identifier:02x}")
            label = f"{what} property 0x{identifier:02x}"
            value: object
            if kind == _BYTE:
                value = self.byte(label)
            elif kind == _U16:
                value = self.u16(label)
            elif kind == _U32:
                value = self.u32(label)
            elif kind == _VARINT:
                value = self.varint(label)
            elif kind == _STRING:
                value = self.string(label)
            elif kind == _BINARY:
                value = self.binary(label)
            else:
                value = (self.string(label), self.string(label))
            found.append((identifier, value))
        if self.position != end:
            raise MalformedPacket(f"{what} properties overrun their length")
        return found


def encode_varint(value: int) -> bytes:
    if not 0 <= value <= MAX_REMAINING_LENGTH:
        raise ValueError(f"variable byte integer out of range: {value}")
    out = bytearray()
    while True:
        digit, value = value & 0x7F, value >> 7
        out.append(digit | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode_binary(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError("binary data longer than 65,535 bytes")
    return struct.pack(">H", len(data)) + data


def encode_string(text: str) -> bytes:
    return encode_binary(text.encode("utf-8"))


def encode_properties(properties: Iterable[Property]) -> bytes:
    body = bytearray()
    for identifier, value in properties:
        kind = PROPERTY_TYPES[identifier]
        body += encode_varint(identifier)
        if kind == _BYTE:
            body.append(int(value))  # type: ignore[call-overload]
        elif kind == _U16:
            body += struct.pack(">H", value)
        elif kind == _U32:
            body += struct.pack(">I", value)
        elif kind == _VARINT:
            body += encode_varint(int(value))  # type: ignore[call-overload]
        elif kind == _STRING:
            body += encode_string(str(value))
        elif kind == _BINARY:
            body += encode_binary(bytes(value))  # type: ignore[call-overload]
        else:
            key, text = value  # type: ignore[misc]
            body += encode_string(key) + encode_string(text)
    return encode_varint(len(body)) + bytes(body)


def packet(kind: int, body: bytes = b"", flags: int | None = None) -> bytes:
    """One whole control packet: fixed header (type, flags, remaining length) and body."""
    if flags is None:
        flags = REQUIRED_FLAGS.get(kind, 0)
    return bytes([kind << 4 | flags]) + encode_varint(len(body)) + body


def connack(protocol: int, session_present: bool, code: int, properties: Sequence[Property] = ()) -> bytes:  # fmt: skip
    body = bytes([1 if session_present else 0, code])
    if protocol == PROTOCOL_5:
        body += encode_properties(properties)
    return packet(CONNACK, body)


def publish(
    protocol: int,
    topic: str,
    payload: bytes,
    *,
    qos: int,
    retain: bool,
    packet_id: int | None = None,
    dup: bool = False,
    properties: Sequence[Property] = (),
) -> bytes:
    body = bytearray(encode_string(topic))
    if qos:
        if packet_id is None:
            raise ValueError("a QoS 1 or 2 PUBLISH needs a packet id")
        body += struct.pack(">H", packet_id)
    if protocol == PROTOCOL_5:
        body += encode_properties(properties)
    body += payload
    flags = (0b1000 if dup else 0) | qos << 1 | (1 if retain else 0)
    return packet(PUBLISH, bytes(body), flags)


def ack(kind: int, protocol: int, packet_id: int, code: int = 0) -> bytes:
    """PUBACK, PUBREC, PUBREL or PUBCOMP; v5 adds the reason code when it is not 0."""
    body = struct.pack(">H", packet_id)
    if protocol == PROTOCOL_5 and code:
        body += bytes([code])
    return packet(kind, body)


def suback(kind: int, protocol: int, packet_id: int, codes: Sequence[int]) -> bytes:
    """SUBACK (or v5 UNSUBACK) with one return code per filter; v3 UNSUBACK has none."""
    body = struct.pack(">H", packet_id)
    if protocol == PROTOCOL_5:
        body += encode_properties(())
        body += bytes(codes)
    elif kind == SUBACK:
        body += bytes(codes)
    return packet(kind, body)


def disconnect(protocol: int, code: int) -> bytes | None:
    """A server DISCONNECT (v5 only; a 3.1.1 server just closes the connection)."""
    if protocol != PROTOCOL_5:
        return None
    return packet(DISCONNECT, bytes([code]) + encode_properties(()))
