"""A small synchronous paho 2 (MQTT v5) client for the provisioning tests."""

from __future__ import annotations

import queue
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.config import load_unit_config
from provisioning.deployment import Deployment

WAIT_S = 5.0


@dataclass
class Creds:
    username: str
    password: str
    ca_file: Path
    host: str
    port: int
    cert_file: Path | None = None
    key_file: Path | None = None
    tls: bool = True

    @classmethod
    def of_unit(cls, bundle_dir: Path) -> Creds:
        config = load_unit_config(bundle_dir / "unit.toml")
        b = config.broker
        assert b.ca_file is not None
        return cls(
            b.username, b.password() or "", b.ca_file, b.host, b.port, b.cert_file, b.key_file
        )

    @classmethod
    def of_hub(cls, deployment: Deployment) -> Creds:
        settings = deployment.load_settings()
        return cls(
            "hub",
            deployment.hub_password.read_text().strip(),
            deployment.ca_cert,
            settings.host,
            settings.port,
        )


@dataclass
class Client:
    """A connected paho client that records CONNACK, PUBACK and SUBACK reason codes."""

    creds: Creds
    client_id: str | None = None
    """None: ``<username>-<random>``."""
    client: paho.Client = field(init=False)
    messages: queue.Queue[paho.MQTTMessage] = field(default_factory=queue.Queue)
    connack: Any = None
    disconnected: threading.Event = field(default_factory=threading.Event)
    _connected: threading.Event = field(default_factory=threading.Event)
    _acks: dict[int, Any] = field(default_factory=dict)
    _ack_events: dict[int, threading.Event] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id or f"{self.creds.username}-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        self.client.username_pw_set(self.creds.username, self.creds.password)
        if self.creds.tls:
            self.client.tls_set(
                ca_certs=str(self.creds.ca_file),
                certfile=str(self.creds.cert_file) if self.creds.cert_file else None,
                keyfile=str(self.creds.key_file) if self.creds.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_ack
        self.client.on_subscribe = self._on_suback
        self.client.on_message = lambda c, u, m: self.messages.put(m)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connack = rc
        if rc.is_failure:
            client.disconnect()  # else paho's loop retries after its 1 s reconnect delay
        self._connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.disconnected.set()
        self._connected.set()

    def _event(self, mid: int) -> threading.Event:
        with self._lock:
            return self._ack_events.setdefault(mid, threading.Event())

    def _on_ack(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        self._acks[mid] = rc
        self._event(mid).set()

    def _on_suback(self, client: Any, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        self._acks[mid] = rcs[0]
        self._event(mid).set()

    def connect(self) -> Client:
        """Connect and wait for CONNACK (check ``connack`` for the outcome)."""
        self.client.connect(self.creds.host, self.creds.port, keepalive=30)
        self.client.loop_start()
        assert self._connected.wait(WAIT_S), "no CONNACK"
        return self

    def publish(self, topic: str, payload: bytes = b"{}", *, retain: bool = False) -> Any:
        """QoS 1 publish; returns the PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        assert self._event(info.mid).wait(WAIT_S), f"no PUBACK for {topic}"
        return self._acks[info.mid]

    def subscribe(self, topic: str) -> Any:
        """QoS 1 subscribe; returns the SUBACK reason code."""
        _, mid = self.client.subscribe(topic, qos=1)
        assert mid is not None
        assert self._event(mid).wait(WAIT_S), f"no SUBACK for {topic}"
        return self._acks[mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
