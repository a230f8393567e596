"""One MQTT session that survives the real world, shared by the unit agent and the hub.

:class:`MqttSession` builds a paho 2 client from :class:`MqttSettings` in one place and
runs it from a supervisor thread: it connects, sets the will before connecting, calls
``on_connect`` (publish the birth, re-subscribe) on every connect, reconnects with
exponential backoff and full jitter, and stops for good on bad credentials (the broker
will not change its mind). Delivery is not tracked here: callers keep their own durable
outbox and application acks.

Thread-safety: :meth:`publish` may be called from any thread; callbacks run on paho's
network thread and must be quick (hand work to a queue).
"""

from __future__ import annotations

import contextlib
import logging
import random
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
"""How long the broker keeps a disconnected unit's session and queued messages (7 days)."""
BAD_CREDENTIAL_CODES = {
    134,
    135,
    4,
    5,
}  # v5: bad user name or password, not authorised; 3.1.1: 4, 5


@dataclass(frozen=True, slots=True)
class MqttSettings:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    protocol: int = 5  # 5 or 311
    keepalive_s: int = 30
    persistent: bool = True
    will: tuple[str, bytes, bool] | None = None  # (topic, payload, retain), QoS 1
    min_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_inflight: int = 100


class BrokerAccount(Protocol):
    """What a config's ``[broker]`` section gives (khidmat_base.config.BrokerSection)."""

    host: str
    port: int
    tls: bool
    ca_file: Path | None
    cert_file: Path | None
    key_file: Path | None
    username: str
    protocol: int
    keepalive_s: int

    def password(self) -> str | None: ...


def settings_for(broker: BrokerAccount, *, client_id: str, **options: Any) -> MqttSettings:
    """Session settings for a ``[broker]`` section; ``options`` set the other fields."""
    return MqttSettings(
        host=broker.host,
        port=broker.port,
        client_id=client_id,
        username=broker.username or client_id,
        password=broker.password(),
        tls=broker.tls,
        ca_file=broker.ca_file,
        cert_file=broker.cert_file,
        key_file=broker.key_file,
        protocol=broker.protocol,
        keepalive_s=broker.keepalive_s,
        **options,
    )


class MqttSession:
    """A supervised paho client: connect, reconnect with jittered backoff, stop on bad credentials."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        subscriptions: Sequence[str],
        on_message: Callable[[str, bytes], None],
        on_connect: Callable[[MqttSession], None] | None = None,
        on_disconnect: Callable[[MqttSession], None] | None = None,
        on_retained: Callable[[str, bytes], None] | None = None,
    ) -> None:
        """``on_retained``, when given, receives the messages the broker delivers from its
        retained store (retain flag set) instead of ``on_message``."""
        self.settings = settings
        self.subscriptions = tuple(subscriptions)
        self._on_message = on_message
        self._on_retained = on_retained
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        """Set once the broker has acknowledged every subscription of the current connection."""
        self._pending_subscriptions: set[int] = set()
        self.fatal_error: str | None = None
        self.connects = 0
        self._stopping = threading.Event()
        self._link_down = threading.Event()
        self._thread: threading.Thread | None = None
        self.client = self._build_client()

    def _build_client(self) -> paho.Client:
        s = self.settings
        protocol = paho.MQTTv5 if s.protocol == 5 else paho.MQTTv311
        kwargs: dict[str, object] = {}
        if protocol == paho.MQTTv311:
            kwargs["clean_session"] = not s.persistent
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=protocol,
            reconnect_on_failure=False,
            **kwargs,  # type: ignore[arg-type]
        )
        client.max_inflight_messages_set(s.max_inflight)
        client.max_queued_messages_set(0)
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
            if s.cert_file and s.key_file:
                context.load_cert_chain(str(s.cert_file), str(s.key_file))
            client.tls_set_context(context)
        if s.will is not None:
            topic, payload, retain = s.will
            client.will_set(topic, payload, qos=1, retain=retain)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_subscribe = self._handle_subscribe
        return client

    # ------------------------------------------------------------- lifecycle

    def start(self) -> MqttSession:
        """Start the supervisor thread (returns at once; see :attr:`connected`)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._supervise, name=f"mqtt-{self.settings.client_id}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Disconnect cleanly (no will) and stop the thread. Idempotent."""
        self._stopping.set()
        with contextlib.suppress(OSError, ValueError):  # not connected: nothing to close
            self.client.disconnect()
        self._link_down.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self.client.loop_stop()

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait until connected and every subscription is acknowledged; False on timeout."""
        return self.connected.wait(timeout_s) and self.subscribed.wait(timeout_s)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Hand a message to paho; False when not connected (nothing queued)."""
        if not self.connected.is_set():
            return False
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    # ------------------------------------------------------------ supervisor

    def _supervise(self) -> None:
        attempt = 0
        first = True
        while not self._stopping.is_set():
            self._link_down.clear()
            try:
                if first:
                    self.client.connect(
                        self.settings.host,
                        self.settings.port,
                        self.settings.keepalive_s,
                        **self._connect_kwargs(),
                    )
                    first = False
                else:
                    self.client.reconnect()
            except (OSError, ssl.SSLError) as error:
                log.warning(
                    "broker %s:%s unreachable: %s", self.settings.host, self.settings.port, error
                )
                attempt += 1
                self._stopping.wait(self._backoff_s(attempt))
                continue
            self.client.loop_start()
            self._link_down.wait()
            self.client.loop_stop()
            if self.fatal_error is not None:
                log.error("MQTT session stopped: %s", self.fatal_error)
                return
            attempt = 1 if self.connects else attempt + 1
            if not self._stopping.is_set():
                self._stopping.wait(self._backoff_s(attempt))

    def _connect_kwargs(self) -> dict[str, object]:
        if self.settings.protocol != 5:
            return {}
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_S if self.settings.persistent else 0
        return {"clean_start": not self.settings.persistent, "properties": properties}

    def _backoff_s(self, attempt: int) -> float:
        """Full jitter: uniform in [min, min(max, min * 2**attempt)] seconds."""
        ceiling = min(
            self.settings.max_backoff_s, self.settings.min_backoff_s * (2 ** min(attempt, 16))
        )
        return random.uniform(
            self.settings.min_backoff_s, max(self.settings.min_backoff_s, ceiling)
        )

    # -------------------------------------------------------------- callbacks

    def _handle_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason_code: object,
        properties: object,
    ) -> None:
        code = getattr(reason_code, "value", reason_code)
        if getattr(reason_code, "is_failure", False):
            if code in BAD_CREDENTIAL_CODES:
                self.fatal_error = f"the broker refused the credentials of {self.settings.username!r}: {reason_code}"
            log.warning("broker refused the connection: %s", reason_code)
            self._link_down.set()
            return
        self.connects += 1
        self.subscribed.clear()
        self._pending_subscriptions = set()
        for topic in self.subscriptions:
            _, mid = client.subscribe(topic, qos=1)
            if mid is not None:
                self._pending_subscriptions.add(mid)
        if not self._pending_subscriptions:
            self.subscribed.set()
        self.connected.set()
        if self._on_connect is not None:
            self._on_connect(self)

    def _handle_subscribe(
        self,
        client: paho.Client,
        userdata: object,
        mid: int,
        reason_codes: object,
        properties: object,
    ) -> None:
        self._pending_subscriptions.discard(mid)
        if not self._pending_subscriptions:
            self.subscribed.set()

    def _handle_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: object,
        reason_code: object,
        properties: object,
    ) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        self.subscribed.clear()
        self._link_down.set()
        if was_connected and self._on_disconnect is not None:
            self._on_disconnect(self)

    def _handle_message(
        self, client: paho.Client, userdata: object, message: paho.MQTTMessage
    ) -> None:
        try:
            if message.retain and self._on_retained is not None:
                self._on_retained(message.topic, bytes(message.payload))
            else:
                self._on_message(message.topic, bytes(message.payload))
        except Exception:  # a bad message must never kill the network thread
            log.exception("message handler failed for %s", message.topic[:200])
