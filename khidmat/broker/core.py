"""The broker's state and routing: sessions, retained messages, access checks.

:class:`BrokerCore` knows nothing of sockets: connections (``khidmat.broker.connection``)
call it to authenticate, attach and detach sessions, subscribe and publish. It runs on
one asyncio event loop and is not thread-safe.

Cost: routing a message checks every subscription of every session (O(subscriptions));
a deployment has one session per unit plus the hub's, so that is a few hundred checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from khidmat.broker.access import READ, WRITE, AclFile, PasswordFile
from khidmat.broker.config import BrokerConfig
from khidmat.broker.session import Message, Outgoing, Session, Subscription
from khidmat.broker.topics import matches

log = logging.getLogger("khidmat.broker")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a client presented at CONNECT (kept to re-check after a reload)."""

    username: str | None
    password: bytes | None


class AuthResult:
    """Why a CONNECT is accepted or refused (mapped to 3.1.1 and v5 codes by the caller)."""

    OK = "ok"
    BAD_CREDENTIALS = "bad user name or password"
    NOT_AUTHORISED = "not authorised"


def load_access(config: BrokerConfig) -> tuple[PasswordFile | None, AclFile | None]:
    """Read the password and ACL files the config names (AccessFileError, OSError on failure)."""
    passwords = PasswordFile.load(config.password_file) if config.password_file else None
    acl = AclFile.load(config.acl_file) if config.acl_file else None
    return passwords, acl


class BrokerCore:
    """Sessions by client id, retained messages by topic, and the rules that govern both."""

    def __init__(self, config: BrokerConfig, *, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.config = config
        self.clock = clock
        self.passwords, self.acl = load_access(config)
        self.sessions: dict[str, Session] = {}
        self.retained: dict[str, Message] = {}
        self._share_turn: dict[tuple[str, str], int] = {}
        self.changes = 0
        """Counts state changes; persistence saves when it moved since the last save."""

    # ------------------------------------------------------------------ access

    def authenticate(self, credentials: Credentials) -> str:
        username, password = credentials.username, credentials.password
        if username is None:
            return AuthResult.OK if self.config.allow_anonymous else AuthResult.NOT_AUTHORISED
        if self.passwords is None:
            return AuthResult.OK if self.config.allow_anonymous else AuthResult.NOT_AUTHORISED
        if password is not None and self.passwords.check(username, password):
            return AuthResult.OK
        return AuthResult.BAD_CREDENTIALS

    def may_write(self, session: Session, topic: str) -> bool:
        return self.acl is None or self.acl.allows(session.username, session.client_id, topic, WRITE)  # fmt: skip

    def may_read(self, session: Session, topic: str) -> bool:
        return self.acl is None or self.acl.allows(session.username, session.client_id, topic, READ)  # fmt: skip

    def may_subscribe(self, session: Session, topic_filter: str) -> bool:
        return self.acl is None or self.acl.allows_subscribe(session.username, session.client_id, topic_filter)  # fmt: skip

    def reload_access(self) -> None:
        """Re-read the password and ACL files (SIGHUP); the old rules stay if they are broken."""
        self.passwords, self.acl = load_access(self.config)

    # ---------------------------------------------------------------- sessions

    def session_expiry_s(self, requested_s: float) -> float:
        """The expiry granted: the client's request, capped by ``persistent_client_expiration``."""
        cap = self.config.persistent_client_expiration_s
        if requested_s <= 0:
            return 0.0
        return min(requested_s, cap) if cap else requested_s

    def open_session(
        self, client_id: str, username: str | None, *, clean_start: bool, expiry_s: float
    ) -> tuple[Session, bool]:
        """The session for a new connection and whether an old one was resumed."""
        old = self.sessions.get(client_id)
        if old is not None and not clean_start and not old.expired(self.clock()):
            old.username = username
            old.expiry_s = expiry_s
            self.changes += 1
            return old, True
        session = Session(client_id, username, expiry_s)
        self.sessions[client_id] = session
        self.changes += 1
        return session, False

    def close_session(self, session: Session) -> None:
        """The connection ended: keep a persistent session, forget a clean one."""
        session.suspend(self.clock())
        if session.expiry_s <= 0 and self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]
        self.changes += 1

    def expire_sessions(self) -> int:
        now = self.clock()
        gone = [cid for cid, s in self.sessions.items() if s.expired(now)]
        for client_id in gone:
            del self.sessions[client_id]
            log.info("session %s expired", client_id)
        if gone:
            self.changes += 1
        return len(gone)

    # ------------------------------------------------------------- subscribing

    def subscribe(self, session: Session, key: str, subscription: Subscription, retain_handling: int) -> None:  # fmt: skip
        """Add or replace a subscription and send the retained messages it asks for."""
        is_new = key not in session.subscriptions
        session.subscriptions[key] = subscription
        self.changes += 1
        if subscription.group is not None or retain_handling == 2:
            return
        if retain_handling == 1 and not is_new:
            return
        for topic, message in sorted(self.retained.items()):
            if matches(subscription.topic_filter, topic) and self.may_read(session, topic):
                qos = min(message.qos, subscription.qos)
                session.deliver(Outgoing(message, qos, True), self.config.max_queued_messages)

    def unsubscribe(self, session: Session, key: str) -> bool:
        self.changes += 1
        return session.subscriptions.pop(key, None) is not None

    # --------------------------------------------------------------- publishing

    def publish(self, message: Message, sender: Session | None) -> int:
        """Store a retained message and deliver to every matching subscriber; returns how many."""
        if message.retain:
            if message.payload:
                self.retained[message.topic] = message
            else:
                self.retained.pop(message.topic, None)
            self.changes += 1
        delivered = 0
        groups: dict[tuple[str, str], list[tuple[Session, Subscription]]] = {}
        for session in list(self.sessions.values()):
            best: Subscription | None = None
            for subscription in session.subscriptions.values():
                if not matches(subscription.topic_filter, message.topic):
                    continue
                if subscription.group is not None:
                    groups.setdefault((subscription.group, subscription.topic_filter), []).append(
                        (session, subscription)
                    )
                    continue
                if subscription.no_local and sender is session:
                    continue
                if best is None or subscription.qos > best.qos:
                    best = subscription
            if best is not None and self.may_read(session, message.topic):
                retain = message.retain and best.retain_as_published
                delivered += self._deliver(session, message, best.qos, retain)
        for key, members in groups.items():
            delivered += self._deliver_shared(key, members, message)
        if delivered or message.qos:
            self.changes += 1
        return delivered

    def _deliver(self, session: Session, message: Message, qos: int, retain: bool) -> int:
        outgoing = Outgoing(message, min(message.qos, qos), retain)
        if session.deliver(outgoing, self.config.max_queued_messages):
            return 1
        if outgoing.qos and session.dropped % 100 == 1:
            log.warning(
                "queue of %s is full (%d messages): %d dropped so far",
                session.client_id, self.config.max_queued_messages, session.dropped,
            )  # fmt: skip
        return 0

    def _deliver_shared(
        self,
        key: tuple[str, str],
        members: list[tuple[Session, Subscription]],
        message: Message,
    ) -> int:
        """One member of a shared group gets the message: the next connected one in turn."""
        readable = [(s, sub) for s, sub in members if self.may_read(s, message.topic)]
        if not readable:
            return 0
        readable.sort(key=lambda pair: pair[0].client_id)
        connected = [pair for pair in readable if pair[0].connected] or readable
        turn = self._share_turn.get(key, 0)
        session, subscription = connected[turn % len(connected)]
        self._share_turn[key] = turn + 1
        return self._deliver(session, message, subscription.qos, False)
