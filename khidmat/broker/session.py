"""What the broker keeps per client: subscriptions, the QoS 1 window and the offline queue.

A :class:`Session` outlives its network connections when the client asked for a
persistent session (3.1.1 ``clean_session=0``, or a v5 session expiry interval): its
subscriptions stay, and QoS 1 messages wait in :attr:`Session.queue` until the client
is back. At most ``window`` messages are in flight (sent, not yet PUBACKed); the rest
queue in order. Not thread-safe: the broker drives every session from its event loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from khidmat.broker.packets import Property

NEVER_EXPIRES_S = float(0xFFFFFFFF)
"""A v5 session expiry interval of 0xFFFFFFFF: the session never expires."""


@dataclass(frozen=True, slots=True)
class Message:
    """An application message as published: topic, payload, QoS (0-2), retain flag."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: tuple[Property, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscription; ``group`` is set for ``$share/<group>/<filter>``."""

    topic_filter: str
    qos: int
    group: str | None = None
    no_local: bool = False
    retain_as_published: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message on its way to one session, at the QoS and retain flag it is delivered with."""

    message: Message
    qos: int
    retain: bool


SendPublish = Callable[[Outgoing, int | None, bool], None]
"""(outgoing, packet id or None for QoS 0, dup) -> writes one PUBLISH to the connection."""


@dataclass
class Session:
    """One client id's state. ``sender`` is set while a connection is attached."""

    client_id: str
    username: str | None
    expiry_s: float
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    queue: deque[Outgoing] = field(default_factory=deque)
    inflight: dict[int, Outgoing] = field(default_factory=dict)
    inbound_qos2: set[int] = field(default_factory=set)
    next_packet_id: int = 1
    sender: SendPublish | None = None
    window: int = 20
    disconnected_at: float | None = None
    dropped: int = 0

    @property
    def connected(self) -> bool:
        return self.sender is not None

    def _new_packet_id(self) -> int:
        for _ in range(0xFFFF):
            packet_id = self.next_packet_id
            self.next_packet_id = packet_id % 0xFFFF + 1
            if packet_id not in self.inflight:
                return packet_id
        raise RuntimeError("all 65,535 packet ids are in flight")

    def deliver(self, outgoing: Outgoing, max_queued: int) -> bool:
        """Send now, or queue (QoS 1 only); False when the message had to be dropped."""
        if outgoing.qos == 0:
            if self.sender is None:
                return False
            self.sender(outgoing, None, False)
            return True
        if self.sender is not None and not self.queue and len(self.inflight) < self.window:
            packet_id = self._new_packet_id()
            self.inflight[packet_id] = outgoing
            self.sender(outgoing, packet_id, False)
            return True
        if len(self.queue) >= max_queued:
            self.dropped += 1
            return False
        self.queue.append(outgoing)
        return True

    def acknowledged(self, packet_id: int) -> bool:
        """A PUBACK arrived: free the slot and send what waits. False for an unknown id."""
        if self.inflight.pop(packet_id, None) is None:
            return False
        self.pump()
        return True

    def pump(self) -> None:
        """Move queued messages into the window while the client is connected."""
        while self.sender is not None and self.queue and len(self.inflight) < self.window:
            outgoing = self.queue.popleft()
            packet_id = self._new_packet_id()
            self.inflight[packet_id] = outgoing
            self.sender(outgoing, packet_id, False)

    def resume(self, sender: SendPublish, window: int) -> None:
        """A connection attached: resend unacknowledged messages (DUP set), then the queue."""
        self.sender = sender
        self.window = max(1, window)
        self.disconnected_at = None
        for packet_id, outgoing in sorted(self.inflight.items()):
            sender(outgoing, packet_id, True)
        self.pump()

    def suspend(self, now: float) -> None:
        """The connection went away; in-flight messages are kept for the next one."""
        self.sender = None
        self.disconnected_at = now

    def expired(self, now: float) -> bool:
        if self.sender is not None or self.disconnected_at is None:
            return False
        if self.expiry_s >= NEVER_EXPIRES_S:
            return False
        return now - self.disconnected_at >= self.expiry_s
