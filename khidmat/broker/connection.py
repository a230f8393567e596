"""One client's network connection: read packets, apply the MQTT rules, answer.

:class:`Connection.run` is one asyncio task per socket. Whatever a client sends, the
connection ends with a logged reason, the will published when due and the session
detached; a bad packet never reaches past this task. Not thread-safe (event loop only).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import struct
from dataclasses import dataclass

from khidmat.broker import packets as p
from khidmat.broker.core import AuthResult, BrokerCore, Credentials
from khidmat.broker.packets import Cursor, MalformedPacket
from khidmat.broker.session import NEVER_EXPIRES_S, Message, Outgoing, Session, Subscription
from khidmat.broker.topics import TopicError, check_filter, check_topic_name, split_shared

log = logging.getLogger("khidmat.broker")

CONNECT_TIMEOUT_S = 10.0
"""A socket that sends no CONNECT within this many seconds is closed."""
MAX_PACKET_BYTES = p.MAX_REMAINING_LENGTH
MAX_WRITE_BUFFER_BYTES = 64 * 1024 * 1024
"""A client that lets this much unread data pile up is disconnected (slow consumer)."""
RECEIVE_MAXIMUM_DEFAULT = 65535

# v5 reason codes used here (MQTT 5.0 section 2.4).
V5_MALFORMED, V5_PROTOCOL_ERROR, V5_UNSUPPORTED_VERSION = 0x81, 0x82, 0x84
V5_CLIENT_ID_INVALID, V5_NOT_AUTHORISED = 0x85, 0x87
V5_BAD_AUTH_METHOD, V5_KEEP_ALIVE_TIMEOUT, V5_TAKEN_OVER = 0x8C, 0x8D, 0x8E
V5_FILTER_INVALID, V5_TOPIC_INVALID, V5_TOPIC_ALIAS_INVALID = 0x8F, 0x90, 0x94
V5_SHUTTING_DOWN, V5_NO_SUBSCRIPTION = 0x8B, 0x11
V3_REFUSED_VERSION, V3_REFUSED_ID, V3_REFUSED_AUTH = 1, 2, 5


class ProtocolViolation(Exception):
    """The client broke a rule; ``code`` is the v5 reason code the DISCONNECT carries."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True, slots=True)
class _Connect:
    protocol: int
    clean_start: bool
    keepalive_s: int
    client_id: str
    credentials: Credentials
    will: Message | None
    expiry_s: float
    receive_maximum: int
    max_packet_bytes: int
    auth_method: bool


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """(type, flags, body) of the next packet; IncompleteReadError at end of stream."""
    first = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    for _ in range(4):
        digit = (await reader.readexactly(1))[0]
        length |= (digit & 0x7F) << shift
        if not digit & 0x80:
            break
        shift += 7
    else:
        raise MalformedPacket("the remaining length is longer than 4 bytes")
    kind, flags = first >> 4, first & 0x0F
    if kind == 0:
        raise MalformedPacket("packet type 0 is reserved")
    if kind != p.PUBLISH and flags != p.REQUIRED_FLAGS.get(kind, 0):
        raise MalformedPacket(f"{p.PACKET_NAMES[kind]} has reserved flags {flags:#06b}")
    body = await reader.readexactly(length) if length else b""
    return kind, flags, body


def parse_connect(body: bytes) -> _Connect:
    """Decode CONNECT; ProtocolViolation(V5_UNSUPPORTED_VERSION) for a protocol we do not speak."""
    cursor = Cursor(body)
    name = cursor.string("protocol name")
    level = cursor.byte("protocol level")
    if (name, level) not in (("MQTT", p.PROTOCOL_311), ("MQTT", p.PROTOCOL_5), ("MQIsdp", 3)):
        raise ProtocolViolation(V5_UNSUPPORTED_VERSION, f"protocol {name!r} level {level}")
    protocol = p.PROTOCOL_5 if level == p.PROTOCOL_5 else p.PROTOCOL_311
    flags = cursor.byte("connect flags")
    if flags & 0x01:
        raise MalformedPacket("the reserved connect flag is set")
    has_will, will_qos, will_retain = bool(flags & 0x04), (flags >> 3) & 0x03, bool(flags & 0x20)
    if will_qos == 3 or (not has_will and (will_qos or will_retain)):
        raise MalformedPacket("the will flags are inconsistent")
    has_user, has_password = bool(flags & 0x80), bool(flags & 0x40)
    if has_password and not has_user and protocol == p.PROTOCOL_311:
        raise MalformedPacket("a password without a user name")
    keepalive_s = cursor.u16("keep alive")
    properties = dict(cursor.properties("CONNECT")) if protocol == p.PROTOCOL_5 else {}
    receive_maximum = int(properties.get(p.RECEIVE_MAXIMUM, RECEIVE_MAXIMUM_DEFAULT))  # type: ignore[call-overload]
    if receive_maximum == 0:
        raise ProtocolViolation(V5_PROTOCOL_ERROR, "receive maximum 0")
    client_id = cursor.string("client identifier")
    will = None
    if has_will:
        will_properties = cursor.properties("will") if protocol == p.PROTOCOL_5 else []
        topic = cursor.string("will topic")
        payload = cursor.binary("will payload")
        try:
            check_topic_name(topic)
        except TopicError as error:
            raise MalformedPacket(f"will topic: {error}") from None
        kept = tuple(item for item in will_properties if item[0] in p.FORWARDED_PROPERTIES)
        will = Message(topic, payload, will_qos, will_retain, kept)
    username = cursor.string("user name") if has_user else None
    password = cursor.binary("password") if has_password else None
    if not cursor.at_end:
        raise MalformedPacket("CONNECT has bytes after its payload")
    return _Connect(
        protocol=protocol,
        clean_start=bool(flags & 0x02),
        keepalive_s=keepalive_s,
        client_id=client_id,
        credentials=Credentials(username, password),
        will=will,
        expiry_s=float(properties.get(p.SESSION_EXPIRY, 0)),  # type: ignore[arg-type]
        receive_maximum=receive_maximum,
        max_packet_bytes=int(properties.get(p.MAXIMUM_PACKET_SIZE, MAX_PACKET_BYTES)),  # type: ignore[call-overload]
        auth_method=p.AUTH_METHOD in properties,
    )


class Connection:
    """One socket from CONNECT to close. ``run`` never raises."""

    def __init__(
        self, core: BrokerCore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.core = core
        self.reader = reader
        self.writer = writer
        self.protocol = p.PROTOCOL_311
        self.session: Session | None = None
        self.credentials = Credentials(None, None)
        self.will: Message | None = None
        self.keepalive_s = 0
        self.max_packet_bytes = MAX_PACKET_BYTES
        self.closed = False
        self.client_id: str | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    @property
    def name(self) -> str:
        return self.client_id or self.peer

    # ----------------------------------------------------------------- output

    def send(self, data: bytes | None) -> None:
        if data is None or self.closed:
            return
        self.writer.write(data)
        if self.writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER_BYTES:
            log.warning("client %s reads too slowly; disconnecting it", self.name)
            self.close(publish_will=True)

    def send_publish(self, outgoing: Outgoing, packet_id: int | None, dup: bool) -> None:
        message = outgoing.message
        data = p.publish(
            self.protocol, message.topic, message.payload, qos=outgoing.qos,
            retain=outgoing.retain, packet_id=packet_id, dup=dup, properties=message.properties,
        )  # fmt: skip
        if len(data) > self.max_packet_bytes:
            log.warning("a message on %s is larger than %s accepts; not sent", message.topic, self.name)  # fmt: skip
            if packet_id is not None and self.session is not None:
                self.session.inflight.pop(packet_id, None)
            return
        self.send(data)

    def close(self, *, publish_will: bool, code: int | None = None) -> None:
        """End the connection now: optional DISCONNECT, the will if due, session detached."""
        if self.closed:
            return
        if code is not None:
            self.send(p.disconnect(self.protocol, code))
        self.closed = True
        will, self.will = self.will, None
        session, self.session = self.session, None
        if session is not None and session.sender == self.send_publish:
            self.core.close_session(session)
        if publish_will and will is not None and session is not None:
            if self.core.may_write(session, will.topic):
                self.core.publish(will, session)
            else:
                log.warning("will of %s on %s denied by the ACL", session.client_id, will.topic)
        self.writer.close()

    # ------------------------------------------------------------------- life

    async def run(self) -> None:
        reason, will_due = "closed", True
        try:
            kind, _, body = await asyncio.wait_for(read_packet(self.reader), CONNECT_TIMEOUT_S)
            if kind != p.CONNECT:
                raise MalformedPacket(f"{p.PACKET_NAMES[kind]} before CONNECT")
            if not self._connect(body):
                return
            while not self.closed:
                timeout = self.keepalive_s * 1.5 if self.keepalive_s else None
                try:
                    kind, flags, body = await asyncio.wait_for(read_packet(self.reader), timeout)
                except TimeoutError:
                    reason = "keep-alive timeout"
                    self.close(publish_will=True, code=V5_KEEP_ALIVE_TIMEOUT)
                    break
                if self._handle(kind, flags, body):
                    reason, will_due = "disconnected", False
                    break
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, OSError):
            reason = "connection lost"
        except MalformedPacket as error:
            reason = f"malformed packet: {error}"
            self.close(publish_will=True, code=V5_MALFORMED)
        except ProtocolViolation as error:
            reason = f"protocol error: {error}"
            self.close(publish_will=True, code=error.code)
        except Exception:  # a broker bug must not take the other clients down
            log.exception("unexpected error on the connection of %s", self.name)
            reason = "internal error"
        finally:
            name = self.name
            if not self.closed:
                self.close(publish_will=will_due)
            log.info("client %s %s", name, reason)

    # ---------------------------------------------------------------- CONNECT

    def _refuse(self, v3_code: int, v5_code: int, why: str) -> bool:
        self.send(p.connack(self.protocol, False, v5_code if self.protocol == p.PROTOCOL_5 else v3_code))  # fmt: skip
        log.warning("client from %s refused: %s", self.peer, why)
        self.closed = True
        self.writer.close()
        return False

    def _connect(self, body: bytes) -> bool:
        try:
            request = parse_connect(body)
        except ProtocolViolation as error:
            if error.code == V5_UNSUPPORTED_VERSION:
                # Answer in the client's own version where it asked for 5 (level byte after "MQTT").
                self.protocol = p.PROTOCOL_5 if b"\x05" in body[6:7] else p.PROTOCOL_311
                return self._refuse(V3_REFUSED_VERSION, V5_UNSUPPORTED_VERSION, str(error))
            raise
        self.protocol = request.protocol
        if request.auth_method:
            return self._refuse(V3_REFUSED_AUTH, V5_BAD_AUTH_METHOD, "enhanced authentication is not supported")  # fmt: skip
        client_id, assigned = request.client_id, False
        if not client_id:
            if self.protocol == p.PROTOCOL_311 and not request.clean_start:
                return self._refuse(V3_REFUSED_ID, V5_CLIENT_ID_INVALID, "an empty client id needs a clean session")  # fmt: skip
            client_id, assigned = f"auto-{secrets.token_hex(8)}", True
        verdict = self.core.authenticate(request.credentials)
        if verdict != AuthResult.OK:
            # "Not authorised" for every refusal, as Mosquitto 2 answers: a client cannot
            # tell an unknown user from a wrong password.
            why = f"{verdict} (user {request.credentials.username!r})"
            return self._refuse(V3_REFUSED_AUTH, V5_NOT_AUTHORISED, why)
        if self.protocol == p.PROTOCOL_5:
            expiry_s = request.expiry_s
        else:
            expiry_s = 0.0 if request.clean_start else NEVER_EXPIRES_S
        expiry_s = self.core.session_expiry_s(expiry_s)
        self._take_over(client_id)
        username = request.credentials.username
        session, present = self.core.open_session(client_id, username, clean_start=request.clean_start, expiry_s=expiry_s)  # fmt: skip
        self.session = session
        self.client_id = client_id
        self.credentials = request.credentials
        self.will = request.will
        self.keepalive_s = request.keepalive_s
        self.max_packet_bytes = request.max_packet_bytes
        properties: list[p.Property] = [(p.SUBSCRIPTION_IDS_AVAILABLE, 0)]
        if assigned:
            properties.append((p.ASSIGNED_CLIENT_ID, client_id))
        if self.protocol == p.PROTOCOL_5 and expiry_s != request.expiry_s:
            properties.append((p.SESSION_EXPIRY, int(min(expiry_s, NEVER_EXPIRES_S))))
        self.send(p.connack(self.protocol, present, 0, properties))
        window = min(request.receive_maximum, self.core.config.max_inflight_messages or RECEIVE_MAXIMUM_DEFAULT)  # fmt: skip
        session.resume(self.send_publish, window)
        log.info(
            "client %s connected from %s (p%d, c%d, k%d, u%r)", client_id, self.peer,
            5 if self.protocol == p.PROTOCOL_5 else 4, request.clean_start, self.keepalive_s, username,
        )  # fmt: skip
        return True

    def _take_over(self, client_id: str) -> None:
        """A second connection with a live client id ends the first (MQTT 3.1.4-3)."""
        old = self.core.sessions.get(client_id)
        if old is None or old.sender is None:
            return
        owner = getattr(old.sender, "__self__", None)
        if isinstance(owner, Connection) and owner is not self:
            log.info("client %s taken over by a new connection", client_id)
            owner.close(publish_will=True, code=V5_TAKEN_OVER)

    # --------------------------------------------------------------- packets

    def _handle(self, kind: int, flags: int, body: bytes) -> bool:
        """Handle one packet; True when the client said DISCONNECT."""
        session = self.session
        assert session is not None
        if kind == p.PUBLISH:
            self._publish(session, flags, body)
        elif kind == p.PUBACK:
            session.acknowledged(self._packet_id(body))
            self.core.changes += 1
        elif kind == p.PUBREL:
            packet_id = self._packet_id(body)
            session.inbound_qos2.discard(packet_id)
            self.send(p.ack(p.PUBCOMP, self.protocol, packet_id))
        elif kind in (p.PUBREC, p.PUBCOMP):
            pass  # the broker never sends QoS 2 (it grants at most QoS 1)
        elif kind == p.SUBSCRIBE:
            self._subscribe(session, body)
        elif kind == p.UNSUBSCRIBE:
            self._unsubscribe(session, body)
        elif kind == p.PINGREQ:
            self.send(p.packet(p.PINGRESP))
        elif kind == p.DISCONNECT:
            return self._disconnect(session, body)
        elif kind == p.CONNECT:
            raise ProtocolViolation(V5_PROTOCOL_ERROR, "a second CONNECT")
        else:
            raise ProtocolViolation(V5_PROTOCOL_ERROR, f"{p.PACKET_NAMES[kind]} from a client")
        return False

    @staticmethod
    def _packet_id(body: bytes) -> int:
        if len(body) < 2:
            raise MalformedPacket("packet id missing")
        packet_id = int(struct.unpack(">H", body[:2])[0])
        if packet_id == 0:
            raise MalformedPacket("packet id 0")
        return packet_id

    def _publish(self, session: Session, flags: int, body: bytes) -> None:
        qos, retain, dup = (flags >> 1) & 0x03, bool(flags & 0x01), bool(flags & 0x08)
        if qos == 3:
            raise MalformedPacket("PUBLISH with QoS 3")
        if dup and qos == 0:
            raise MalformedPacket("DUP set on a QoS 0 PUBLISH")
        cursor = Cursor(body)
        topic = cursor.string("topic name")
        packet_id = cursor.u16("packet id") if qos else None
        if packet_id == 0:
            raise MalformedPacket("packet id 0")
        kept: tuple[p.Property, ...] = ()
        if self.protocol == p.PROTOCOL_5:
            properties = cursor.properties("PUBLISH")
            if any(identifier == p.TOPIC_ALIAS for identifier, _ in properties):
                raise ProtocolViolation(V5_TOPIC_ALIAS_INVALID, "topic aliases are not accepted")
            kept = tuple(item for item in properties if item[0] in p.FORWARDED_PROPERTIES)
        try:
            check_topic_name(topic)
        except TopicError as error:
            raise ProtocolViolation(V5_TOPIC_INVALID, str(error)) from None
        payload = cursor.rest()
        allowed = self.core.may_write(session, topic)
        if not allowed:
            log.warning("client %s may not publish to %s; dropped", session.client_id, topic)
        denied_code = V5_NOT_AUTHORISED if not allowed and self.protocol == p.PROTOCOL_5 else 0
        if qos == 2:
            if allowed and packet_id not in session.inbound_qos2:
                self.core.publish(Message(topic, payload, qos, retain, kept), session)
                session.inbound_qos2.add(packet_id)  # type: ignore[arg-type]
            self.send(p.ack(p.PUBREC, self.protocol, packet_id, denied_code))  # type: ignore[arg-type]
            return
        if allowed:
            self.core.publish(Message(topic, payload, qos, retain, kept), session)
        if qos == 1:
            self.send(p.ack(p.PUBACK, self.protocol, packet_id, denied_code))  # type: ignore[arg-type]

    def _subscribe(self, session: Session, body: bytes) -> None:
        cursor = Cursor(body)
        packet_id = cursor.u16("packet id")
        if self.protocol == p.PROTOCOL_5:
            cursor.properties("SUBSCRIBE")  # subscription identifiers are declared unavailable
        requests: list[tuple[str, int]] = []
        while not cursor.at_end:
            requests.append((cursor.string("topic filter"), cursor.byte("subscription options")))
        if not requests or packet_id == 0:
            raise MalformedPacket("SUBSCRIBE without a packet id or a topic filter")
        codes: list[int] = []
        granted: list[tuple[str, Subscription, int]] = []
        refused = 0x80 if self.protocol == p.PROTOCOL_311 else V5_NOT_AUTHORISED
        invalid = 0x80 if self.protocol == p.PROTOCOL_311 else V5_FILTER_INVALID
        for key, options in requests:
            qos = options & 0x03
            retain_handling = (options >> 4) & 0x03
            reserved = options & (0xC0 if self.protocol == p.PROTOCOL_5 else 0xFC)
            if qos == 3 or retain_handling == 3 or reserved:
                raise MalformedPacket("invalid subscription options")
            try:
                group, inner = split_shared(key)
                check_filter(inner)
            except TopicError as error:
                log.warning("client %s sent a bad filter: %s", session.client_id, error)
                codes.append(invalid)
                continue
            if not self.core.may_subscribe(session, inner):
                log.warning("client %s may not subscribe to %s", session.client_id, key)
                codes.append(refused)
                continue
            no_local = bool(options & 0x04) and self.protocol == p.PROTOCOL_5
            rap = bool(options & 0x08) and self.protocol == p.PROTOCOL_5
            subscription = Subscription(inner, min(qos, 1), group, no_local, rap)
            granted.append((key, subscription, retain_handling))
            codes.append(subscription.qos)
        self.send(p.suback(p.SUBACK, self.protocol, packet_id, codes))
        for key, subscription, retain_handling in granted:
            self.core.subscribe(session, key, subscription, retain_handling)

    def _unsubscribe(self, session: Session, body: bytes) -> None:
        cursor = Cursor(body)
        packet_id = cursor.u16("packet id")
        if self.protocol == p.PROTOCOL_5:
            cursor.properties("UNSUBSCRIBE")
        keys: list[str] = []
        while not cursor.at_end:
            keys.append(cursor.string("topic filter"))
        if not keys:
            raise MalformedPacket("UNSUBSCRIBE without a topic filter")
        codes = [0 if self.core.unsubscribe(session, key) else V5_NO_SUBSCRIPTION for key in keys]
        self.send(p.suback(p.UNSUBACK, self.protocol, packet_id, codes))

    def _disconnect(self, session: Session, body: bytes) -> bool:
        publish_will = False
        if self.protocol == p.PROTOCOL_5 and body:
            cursor = Cursor(body)
            code = cursor.byte("reason code")
            publish_will = code == 0x04  # "disconnect with will message"
            if not cursor.at_end:
                properties = dict(cursor.properties("DISCONNECT"))
                if p.SESSION_EXPIRY in properties:
                    requested = float(properties[p.SESSION_EXPIRY])  # type: ignore[arg-type]
                    session.expiry_s = self.core.session_expiry_s(requested)
        self.close(publish_will=publish_will)
        return True
