"""The hub process: one MQTT session, an ingest loop, and periodic duties.

``khidmat hub --config hub.toml`` runs :class:`HubService`. Received messages go from
paho's network thread into a queue; the service thread drains up to ``BATCH_MAX``
messages (or waits ``BATCH_WAIT_S``), ingests them in one transaction, acks them, then
runs the periodic duties (escalation, fleet alerts, watchlist publishing) that other hub
modules register with :meth:`HubService.every`. With ``[hub] workers`` > 1 the device
topics are read through an MQTT v5 shared subscription, so worker processes split the load.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub import duties
from hub.config import HubConfig
from hub.identify import Identifier
from hub.ingest import Ingestor, IngestResult
from hub.search_worker import SearchWorker
from hub.store import HubStore
from hub.units import UnitRoster
from khidmat_base import systemd
from khidmat_base.mqtt import MqttSession, settings_for
from khidmat_wire.codec import MAX_PAYLOAD_BYTES
from khidmat_wire.topics import (
    FED_PREFIX,
    fed_answer_filter,
    fed_ask_filter,
    state_filter,
    up_filter,
)

if TYPE_CHECKING:
    from hub.federation.service import Federation

log = logging.getLogger(__name__)

BATCH_MAX = 2000
BATCH_WAIT_S = 0.01
SHARE_GROUP = "khidmat-hub"

NewRecordsHook = Callable[["HubService", IngestResult], None]


@dataclass
class _Duty:
    name: str
    interval_s: float
    run: Callable[[], None]
    next_at: float


class HubService:
    """Ingest loop plus periodic duties; :meth:`run` until :meth:`stop`."""

    def __init__(
        self, config: HubConfig, *, worker: int = 0, store: HubStore | None = None
    ) -> None:
        self.config = config
        self.worker = worker
        self.sender_id = "hub" if worker == 0 else f"hub-{worker}"
        self.store = store or HubStore(config.hub.database)
        self._incoming: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._duties: list[_Duty] = []
        self.after_ingest: list[NewRecordsHook] = []
        self.on_start: list[Callable[[], None]] = []
        """Run at the start of :meth:`run`, before the MQTT session starts (start threads here)."""
        self.on_stop: list[Callable[[], None]] = []
        """Run when :meth:`run` ends, after the MQTT session stopped (stop threads here)."""
        shared = config.hub.workers > 1
        ups = f"$share/{SHARE_GROUP}/{up_filter()}" if shared else up_filter()
        settings = settings_for(
            config.broker, client_id=self.sender_id, persistent=not shared, max_inflight=1000
        )
        if worker:
            # The broker binds the client id to the username (use_username_as_clientid):
            # each worker logs in as an identity of its own, ``<username>-<worker>``.
            settings = dataclasses.replace(
                settings, username=worker_username(settings.username or "hub", worker)
            )
        self._retained: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self.federation_inbox: Callable[[str, bytes], None] | None = None
        """Where federation messages go (set by :mod:`hub.duties` when ``[federation]`` is
        configured); until then they are refused like any unknown topic."""
        subscriptions = [ups, state_filter()]
        if config.federation is not None:
            federated = [fed_ask_filter(), fed_answer_filter(config.federation.province)]
            subscriptions += [f"$share/{SHARE_GROUP}/{f}" if shared else f for f in federated]
        self.session = MqttSession(
            settings,
            subscriptions=subscriptions,
            on_message=self._on_message,
            on_retained=lambda topic, payload: self._retained.put((topic, _bounded(payload))),
        )
        self.roster = UnitRoster(self.store.db.location)
        self.ingestor = Ingestor(
            self.store,
            self.publish,
            sender_id=self.sender_id,
            roster=self.roster,
        )
        self.totals = IngestResult()
        self.identifier: Identifier | None = None
        self.search_worker: SearchWorker | None = None
        self.federation: Federation | None = None
        self.modules = duties.install(self)

    def _on_message(self, topic: str, payload: bytes) -> None:
        """paho's thread: federation messages to the federation's queue, the rest to ingest."""
        inbox = self.federation_inbox
        if inbox is not None and topic.startswith(FED_PREFIX + "/"):
            inbox(topic, _bounded(payload))
        else:
            self._incoming.put((topic, _bounded(payload)))

    def publish(self, topic: str, payload: bytes) -> bool:
        """Publish a downlink message at QoS 1 (False when the broker is unreachable)."""
        return self.session.publish(topic, payload)

    def every(self, name: str, interval_s: float, run: Callable[[], None]) -> None:
        """Register a periodic duty, run on the service thread every ``interval_s`` seconds."""
        self._duties.append(_Duty(name, interval_s, run, time.monotonic() + interval_s))

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Release the registry connection and the store (after :meth:`run` returned)."""
        self.roster.close()
        self.store.close()

    def run(self) -> int:
        """Serve until :meth:`stop` or a fatal MQTT error; returns an exit code."""
        for start in self.on_start:
            start()
        self.session.start()
        systemd.notify("READY=1")
        watchdog_s = systemd.watchdog_interval_s()
        next_watchdog = time.monotonic()
        try:
            while not self._stop.is_set():
                if self.session.fatal_error is not None:
                    log.error("%s", self.session.fatal_error)
                    return 3
                self.drain_once()
                now = time.monotonic()
                for duty in self._duties:
                    if now >= duty.next_at:
                        duty.next_at = now + duty.interval_s
                        try:
                            duty.run()
                        except Exception:  # one failing duty must not stop ingest
                            log.exception("hub duty %s failed", duty.name)
                if watchdog_s is not None and now >= next_watchdog:
                    systemd.notify("WATCHDOG=1")
                    next_watchdog = now + watchdog_s
            return 0
        finally:
            systemd.notify("STOPPING=1")
            self.session.stop()
            for stop in self.on_stop:
                stop()

    def drain_once(self, wait_s: float = 0.05) -> IngestResult | None:
        """Ingest one batch from the queue (waiting up to ``wait_s`` for the first message).

        Never raises: when the hub cannot store a batch at all (its own fault, e.g. a full
        disk), nothing of it was acked, the units re-send it, and the error is logged.
        """
        batch: list[tuple[str, bytes]] = []
        while True:  # retained messages first: the broker sends them on subscribe
            try:
                topic, payload = self._retained.get_nowait()
            except queue.Empty:
                break
            try:
                if not self.ingestor.refuse_retained(topic, payload):
                    batch.append((topic, payload))
            except Exception:
                log.exception("refusing a retained message failed")
        if batch:
            wait_s = 0.0
        try:
            batch.append(
                self._incoming.get(timeout=wait_s) if wait_s else self._incoming.get_nowait()
            )
        except queue.Empty:
            if not batch:
                return None
        deadline = time.monotonic() + BATCH_WAIT_S
        while len(batch) < BATCH_MAX:
            try:
                batch.append(self._incoming.get_nowait())
            except queue.Empty:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.001)
        try:
            result = self.ingestor.process(batch)
        except Exception:  # the hub's own storage failed: nothing was acked, units re-send
            log.exception("ingest of a batch of %d messages failed; none was acked", len(batch))
            return None
        self.totals.stored += result.stored
        self.totals.duplicates += result.duplicates
        self.totals.quarantined += result.quarantined
        for hook in self.after_ingest:
            try:
                hook(self, result)
            except Exception:
                log.exception("after-ingest hook failed")
        return result


def worker_username(username: str, worker: int) -> str:
    """The broker identity of hub worker ``worker`` (0 is the hub's own ``username``)."""
    return username if worker == 0 else f"{username}-{worker}"


def _bounded(payload: bytes) -> bytes:
    """A payload over any record's limit cut to one byte over it before it is queued: the
    codec refuses it all the same, and a flood of large publishes cannot fill the hub's
    memory (the broker admits packets up to the largest watchlist)."""
    return payload if len(payload) <= MAX_PAYLOAD_BYTES else payload[: MAX_PAYLOAD_BYTES + 1]
