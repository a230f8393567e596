"""The unit daemon: owns the MQTT session and delivers the local outbox end to end.

One thread (the caller of :meth:`Agent.run`) does all store work; paho's network thread
only hands received messages to a queue. A record leaves the outbox only when the hub's
application ``ack`` names it; unacknowledged records are re-sent with exponential backoff,
and after a reconnect everything pending is re-sent at a rate capped by
``[agent] catchup_per_s`` so that a unit back from a long outage does not flood the hub.
Killing the agent at any point loses nothing: the outbox is in SQLite and re-sending is
safe because the hub stores by record id.

Faults of the unit itself do not stop it (issue 16, finding 6): when the store cannot be
written (disk full, read-only card, I/O errors) or cannot even be opened for writing, the
agent keeps publishing what the outbox holds (re-sent every ``resend_after_s`` while
nothing can be marked) and reports the fault straight to the hub, past the outbox: a
``store-fault`` error event (the hub raises an alert) and a telemetry record, again every
``telemetry_interval_s`` while it lasts. A step of the wall clock (the clock port) of
more than :data:`CLOCK_JUMP_MS` makes everything pending due at once (a backwards step
would otherwise hold records until the clock caught up) and is reported.

Acknowledged records' payloads are erased at once (:meth:`LocalStore.mark_acked`); every
``scrub_interval_s`` the agent erases applied downlinks, prunes acknowledged bookkeeping
older than ``keep_acked_s`` and truncates the WAL, so a unit's files hold no name, CNIC
or mobile the hub already has.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_agent.config import UnitConfig
from edge_agent.officers import OfficersRejected, install_officers
from edge_agent.store import LINK_HEALTH, ComplaintStatusRow, LocalStore, StoreFault
from edge_agent.telemetry import read_telemetry
from edge_agent.watchlist import WatchlistRejected, install_watchlist
from edge_agent.watchlist_key import GRACE_SETTING, KEY_SETTING, SECRET_SETTINGS, KeyFile
from khidmat_base import __version__, systemd
from khidmat_base.clock import SYSTEM_CLOCK, Clock
from khidmat_base.mqtt import MqttSession, MqttSettings, settings_for
from khidmat_wire import WireError, build_topic, decode, encode, make_envelope, parse_topic
from khidmat_wire.messages import (
    Ack,
    Command,
    ComplaintStatus,
    ComplaintStatuses,
    Config,
    Event,
    LicenceStatus,
    Officers,
    State,
    Watchlist,
)
from khidmat_wire.signing import load_public_key
from khidmat_wire.topics import Direction, down_filter

log = logging.getLogger(__name__)

HARDWARE_COMMANDS = ("sensor-selftest", "gate-test", "open-relay", "restart-screen")
"""Commands run by the process that holds the hardware (the kiosk), read from the inbox."""

#: A wall-clock step (against the monotonic clock) larger than this is a clock jump, ms.
CLOCK_JUMP_MS = 5_000

#: A record is re-sent no sooner than this many times the hub's recent ack round trip: a
#: hub working through a backlog is not sent the same records again meanwhile.
ACK_WAIT_FACTOR = 2.0
#: The longest such wait, s (it may exceed ``max_backoff_s``: the round trip is measured).
ACK_WAIT_MAX_S = 600.0

#: After this long without publishing or receiving anything the agent polls its queue and
#: outbox every ``IDLE_POLL_S`` instead of every ``poll_s`` (a quiet unit wakes less often).
QUIET_AFTER_S = 2.0
IDLE_POLL_S = 0.05

#: Records whose publish time the agent keeps to measure the ack round trip (bounded memory).
ROUND_TRIPS_TRACKED = 20_000

#: The key's grace period when the hub's config does not say (``watchlist.key_grace_s``), s.
DEFAULT_KEY_GRACE_S = 3 * 86400.0

CommandHandler = Callable[[Command], tuple[str, str]]
"""Runs a hub command; returns (severity, detail) for the command-result event."""


def mqtt_settings_for(config: UnitConfig) -> MqttSettings:
    """The unit's MQTT session settings, with its last will (retained ``offline``)."""
    will = make_envelope(
        "state", config.device.id, State("offline", config.device.role, __version__)
    )
    return settings_for(
        config.broker,
        client_id=config.device.id,
        will=(build_topic(config.device.id, Direction.STATE), encode(will), True),
        max_backoff_s=min(30.0, config.agent.max_backoff_s),
    )


class TokenBucket:
    """Allows ``rate_per_s`` events per second on average, bursts up to ``burst``."""

    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()

    def take_up_to(self, wanted: int) -> int:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate_per_s)
        self.updated = now
        granted = min(wanted, int(self.tokens))
        self.tokens -= granted
        return granted


class Agent:
    """The device daemon. Build with a config; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        config: UnitConfig,
        *,
        store: LocalStore | None = None,
        command_handlers: dict[str, CommandHandler] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """``clock`` stamps the store's records when the agent opens the store itself;
        a given ``store`` brings its own (the agent reads ``store.clock``)."""
        self.config = config
        #: The storage fault last met (None while writes work) and when it was last reported.
        self.store_fault: StoreFault | None = None
        self._fault_reported = float("-inf")
        self._hold_flush_until = 0.0
        self._link = ""
        #: True while the store is open read-only because it could not be opened to write.
        self.store_read_only = False
        if store is None:
            try:
                store = LocalStore(config.store_path, clock=clock)
            except StoreFault as fault:
                # a read-only or full card: deliver what the store holds, report, retry
                store = LocalStore(config.store_path, clock=clock, read_only=True)
                self.store_fault = fault
                self.store_read_only = True
                log.error("%s; delivering what it holds, read-only", fault)
        self.store = store
        #: The hub's watchlist key, held in the runtime directory (RAM) only.
        self.key_file = KeyFile(config.runtime_dir)
        self.device_id = config.device.id
        self.hub_key = self._load_hub_key(config.hub.public_key_file)
        self.command_handlers: dict[str, CommandHandler] = {
            "ping": self._ping,
            "resend": self._resend,
        }
        self.command_handlers.update(command_handlers or {})
        self._incoming: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._reconnected = threading.Event()
        self._stop = threading.Event()
        self._bucket = TokenBucket(
            config.agent.catchup_per_s, max(config.agent.batch_size, config.agent.catchup_per_s)
        )
        self._started = time.monotonic()
        self.session = MqttSession(
            mqtt_settings_for(config),
            subscriptions=[down_filter(self.device_id)],
            on_message=lambda topic, payload: self._incoming.put((topic, payload)),
            on_connect=self._on_connect,
        )
        self.published = 0
        self.acked = 0
        #: record id -> (last publish on this connection, monotonic s; published more than
        #: once). Only a record published once gives a round-trip sample (Karn's rule: the
        #: ack of a re-sent record may answer either copy).
        self._published_at: dict[str, tuple[float, bool]] = {}
        #: The hub's recent ack round trip (s): rises at once with a slower ack, decays slowly.
        self.ack_round_trip_s = 0.0
        #: When the last ack arrived (monotonic s).
        self._last_ack_at = float("-inf")
        #: When the agent last published or received something (monotonic s).
        self._last_traffic = float("-inf")

    @staticmethod
    def _load_hub_key(path: Path | None) -> Ed25519PublicKey | None:
        if path is None:
            return None
        return load_public_key(path.read_bytes())

    # ------------------------------------------------------------------- run

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from a signal handler or any thread)."""
        self._stop.set()

    def run(self, *, poll_s: float = 0.02) -> int:
        """Run until :meth:`stop` or a fatal MQTT error; returns an exit code (0 or 3).

        The loop waits up to ``poll_s`` for downlinks, then publishes what is due; after
        ``QUIET_AFTER_S`` without traffic it waits up to ``IDLE_POLL_S`` (a downlink still
        wakes it at once; a record the kiosk files then waits at most that long)."""
        self.session.start()
        systemd.notify("READY=1")
        watchdog_s = systemd.watchdog_interval_s()
        next_watchdog = time.monotonic()
        next_telemetry = time.monotonic() + min(5.0, self.config.agent.telemetry_interval_s)
        next_scrub = time.monotonic() + self.config.agent.scrub_interval_s
        self._clock_mark = (time.monotonic(), self._now_ms())
        try:
            while not self._stop.is_set():
                if self.session.fatal_error is not None:
                    log.error("%s", self.session.fatal_error)
                    return 3
                quiet = time.monotonic() - self._last_traffic >= QUIET_AFTER_S
                wait_s = max(poll_s, IDLE_POLL_S) if quiet else poll_s
                self._guarded(lambda wait_s=wait_s: self._drain_incoming(wait_s))
                self._guarded(self._check_clock)
                link = "up" if self.session.connected.is_set() else "down"
                if link != self._link:
                    self._guarded(lambda link=link: self.store.put_health(LINK_HEALTH, link))
                    self._link = link
                if self.session.connected.is_set():
                    if self._reconnected.is_set():
                        self._reconnected.clear()
                        self._published_at.clear()  # what was in flight may be lost: resend
                        self._guarded(lambda: self.store.reschedule_pending(self._now_ms()))
                    if time.monotonic() >= self._hold_flush_until:
                        self._guarded(self.flush, hold_flush=True)
                    if self.store_fault is not None:
                        self._report_fault_direct()
                    if time.monotonic() >= next_telemetry:
                        next_telemetry = time.monotonic() + self.config.agent.telemetry_interval_s
                        if self.store_read_only:
                            self._reopen_store()
                        self._guarded(self.send_telemetry)
                if time.monotonic() >= next_scrub:
                    next_scrub = time.monotonic() + self.config.agent.scrub_interval_s
                    self._guarded(self.scrub)
                if watchdog_s is not None and time.monotonic() >= next_watchdog:
                    systemd.notify("WATCHDOG=1")
                    next_watchdog = time.monotonic() + watchdog_s
            return 0
        finally:
            systemd.notify("STOPPING=1")
            self._guarded(lambda: self.store.put_health(LINK_HEALTH, "down"))
            self._say_offline()
            self.session.stop()

    def _now_ms(self) -> int:
        return self.store.clock.now_ms()

    # ---------------------------------------------------------------- faults

    def _guarded(self, step: Callable[[], object], *, hold_flush: bool = False) -> None:
        """Run a step that uses the store; a storage fault is noted, not fatal."""
        try:
            step()
        except StoreFault as error:
            # read-only because it could not be opened to write: that cause is the fault
            kept = self.store_fault if self.store_read_only else None
            fault = kept if kept is not None else error
            if self.store_fault is None or self.store_fault.kind != fault.kind:
                log.error("%s; still delivering what the outbox holds", fault)
                self._fault_reported = float("-inf")
            self.store_fault = fault
            if hold_flush:  # published but not marked: send again after resend_after_s
                self._hold_flush_until = time.monotonic() + self.config.agent.resend_after_s

    def _reopen_store(self) -> None:
        """Try to open the store for writing again (the card has room, or was repaired)."""
        try:
            store = LocalStore(self.config.store_path, clock=self.store.clock)
        except StoreFault:
            return
        self.store.close()
        self.store = store
        self.store_read_only = False
        log.warning("the local store opens for writing again")

    def _report_fault_direct(self) -> None:
        """Tell the hub about the storage fault past the outbox: event and telemetry."""
        if time.monotonic() - self._fault_reported < self.config.agent.telemetry_interval_s:
            return
        fault = self.store_fault
        assert fault is not None
        event = make_envelope(
            "event",
            self.device_id,
            Event("store-fault", "error", str(fault)[:2000], fault.kind),
            now_ms=self._now_ms(),
        )
        published = self.session.publish(
            build_topic(self.device_id, Direction.UP, "event"), encode(event)
        )
        try:
            body = read_telemetry(
                self.store, started_monotonic=self._started, data_dir=self.config.device.data_dir
            )
        except StoreFault:
            body = None
        if body is not None:
            telemetry = make_envelope("telemetry", self.device_id, body, now_ms=self._now_ms())
            self.session.publish(
                build_topic(self.device_id, Direction.UP, "telemetry"), encode(telemetry)
            )
        if published:
            self._fault_reported = time.monotonic()

    def _check_clock(self) -> None:
        """A wall-clock step: make everything pending due now and report the step."""
        mono, wall = time.monotonic(), self._now_ms()
        last_mono, last_wall = self._clock_mark
        self._clock_mark = (mono, wall)
        step_ms = (wall - last_wall) - int((mono - last_mono) * 1000)
        if abs(step_ms) <= CLOCK_JUMP_MS:
            return
        log.warning("wall clock stepped by %+.0f s", step_ms / 1000)
        count = self.store.reschedule_pending(wall) if step_ms < 0 else 0
        self._report(
            "clock-jump", "warning",
            f"wall clock stepped by {step_ms / 1000:+.0f} s; {count} pending records made due",
        )  # fmt: skip

    def scrub(self) -> None:
        """Erase applied downlinks, prune old acknowledged bookkeeping, truncate the WAL."""
        self.store.erase_handled()
        self.store.prune_acked(self._now_ms() - int(self.config.agent.keep_acked_s * 1000))
        self.store.checkpoint()

    def _on_connect(self, session: MqttSession) -> None:
        birth = make_envelope(
            "state", self.device_id, State("online", self.config.device.role, __version__)
        )
        session.publish(build_topic(self.device_id, Direction.STATE), encode(birth), retain=True)
        self._reconnected.set()

    def _say_offline(self) -> None:
        if self.session.connected.is_set():
            state = make_envelope(
                "state", self.device_id, State("offline", self.config.device.role, __version__)
            )
            info = self.session.client.publish(
                build_topic(self.device_id, Direction.STATE), encode(state), qos=1, retain=True
            )
            with contextlib.suppress(
                RuntimeError, ValueError
            ):  # going down anyway: the will says offline
                info.wait_for_publish(2.0)

    # ---------------------------------------------------------------- outbox

    def flush(self) -> int:
        """Publish due records within the rate limit; returns how many were handed to paho.

        A record published on this connection and not yet acknowledged is not published
        again before ``ACK_WAIT_FACTOR`` x the hub's recent ack round trip has passed since
        (at most ``ACK_WAIT_MAX_S``), nor, while no ack at all has come since it was sent,
        before ``max_backoff_s``: a hub working through a backlog acks late, and sending
        the same records again would only lengthen its queue. Such a record is put off
        (looked at again within ``resend_after_s``), not dropped: at-least-once is kept,
        it is re-sent when the wait is over and no ack named it; after a reconnect every
        pending record goes again at once."""
        wanted = self._bucket.take_up_to(self.config.agent.batch_size)
        if wanted <= 0:
            return 0
        now = self._now_ms()
        due = self.store.due_records(now, wanted)
        sent: list[tuple[str, int]] = []
        later: list[tuple[str, int]] = []
        published_at = time.monotonic()
        if len(self._published_at) > ROUND_TRIPS_TRACKED:
            self._published_at.clear()  # records never acked (lost, or a hub gone): forget
        wait_s = self._ack_wait_s()
        agent = self.config.agent
        for record in due:
            previous = self._published_at.get(record.record_id)
            if previous is not None:
                last = previous[0]
                since = published_at - last
                # the hub's acks take this long; and while it has acked nothing since this
                # was sent it is behind (or away): wait, up to max_backoff_s
                left = max(wait_s - since, 0.0)
                if self._last_ack_at < last:
                    left = max(left, agent.max_backoff_s - since)
                if left > 0:
                    step_s = min(left, agent.resend_after_s)  # look again by then
                    later.append((record.record_id, now + int(step_s * 1000)))
                    continue
            topic = build_topic(self.device_id, Direction.UP, record.kind)
            if not self.session.publish(topic, record.payload):
                break
            sent.append((record.record_id, now + self._resend_delay_ms(record.attempts)))
            self._published_at[record.record_id] = (published_at, previous is not None)
        if later:
            self.store.postpone(later)
        if sent:
            self._last_traffic = published_at
            self.store.mark_sent(sent, now)
            self.published += len(sent)
        unused = wanted - len(sent)
        self._bucket.tokens += unused
        return len(sent)

    def _resend_delay_ms(self, attempts: int) -> int:
        """How long to wait for the ack before publishing a record again: the backoff of
        its attempt (at most ``max_backoff_s``), and no less than :meth:`_ack_wait_s`,
        with +-20% jitter."""
        agent = self.config.agent
        base = min(agent.max_backoff_s, agent.resend_after_s * (2 ** min(attempts, 16)))
        base = max(base, self._ack_wait_s())
        return int(base * random.uniform(0.8, 1.2) * 1000)

    def _ack_wait_s(self) -> float:
        """``ACK_WAIT_FACTOR`` x the hub's recent ack round trip, at most ``ACK_WAIT_MAX_S``."""
        return min(ACK_WAIT_MAX_S, ACK_WAIT_FACTOR * self.ack_round_trip_s)

    def _note_acks(self, record_ids: list[str]) -> None:
        """Update :attr:`ack_round_trip_s` from the records just acknowledged."""
        now = time.monotonic()
        self._last_ack_at = now
        slowest = 0.0
        for record_id in record_ids:
            published = self._published_at.pop(record_id, None)
            if published is not None and not published[1]:  # published once: a sample
                slowest = max(slowest, now - published[0])
        if slowest:
            # up at once (a backlog), down slowly (one fast ack does not end it)
            self.ack_round_trip_s = max(slowest, 0.875 * self.ack_round_trip_s + 0.125 * slowest)

    # --------------------------------------------------------------- downlink

    def _drain_incoming(self, wait_s: float) -> None:
        try:
            first = self._incoming.get(timeout=wait_s)
        except queue.Empty:
            return
        self._last_traffic = time.monotonic()
        acked: list[str] = []
        rejected: list[str] = []
        batch = [first]
        while len(batch) < 1000:
            try:
                batch.append(self._incoming.get_nowait())
            except queue.Empty:
                break
        downlinks: list[tuple[str, str, bytes, object]] = []
        for topic, payload in batch:
            try:
                parsed = parse_topic(topic)
                if parsed.device_id != self.device_id or parsed.kind is None:
                    raise WireError("topic", f"not this unit's downlink: {topic[:120]!r}")
                envelope = decode(payload, expected_kind=parsed.kind)
            except WireError as error:
                log.warning("invalid downlink message on %s: %s", topic[:120], error)
                self._report("downlink-rejected", "warning", str(error))
                continue
            if isinstance(envelope.body, Ack):
                acked.extend(envelope.body.record_ids)
                rejected.extend(envelope.body.rejected)
                continue
            downlinks.append((envelope.record_id, envelope.kind, payload, envelope))
        if acked:
            self._note_acks(acked)
        if acked or rejected or downlinks:
            self._take(acked, rejected, downlinks)

    def _take(
        self,
        acked: list[str],
        rejected: list[str],
        downlinks: list[tuple[str, str, bytes, object]],
    ) -> None:
        """Acks, inbox rows and complaint statuses (``complaint-status`` and each entry of
        a ``complaint-statuses``) of one drain in one transaction (one commit on the unit's
        card); then every other new downlink is applied in turn."""
        statuses: list[ComplaintStatusRow] = []
        for record_id, _, _, envelope in downlinks:
            body = getattr(envelope, "body", None)
            sent_ms: int = envelope.device_time_ms  # type: ignore[attr-defined]
            if isinstance(body, ComplaintStatus):
                statuses.append(ComplaintStatusRow(body, sent_ms, record_id))
            elif isinstance(body, ComplaintStatuses):
                statuses += [ComplaintStatusRow(s, sent_ms, record_id) for s in body.statuses]
        count, new = self.store.take_downlinks(
            acked=acked,
            rejected=rejected,
            messages=[
                (record_id, kind, b"" if _carries_secret(envelope) else payload)
                for record_id, kind, payload, envelope in downlinks
            ],
            statuses=statuses,
        )
        self.acked += count
        for record_id, kind, payload, envelope in downlinks:
            body = envelope.body  # type: ignore[attr-defined]
            if record_id in new and not isinstance(body, (ComplaintStatus, ComplaintStatuses)):
                self._handle_downlink(record_id, kind, payload, body)

    def _handle_downlink(self, record_id: str, kind: str, payload: bytes, body: object) -> None:
        if isinstance(body, Watchlist):
            installed = self.store.watchlist_info()
            if installed is not None and installed.version == body.version:
                # A second copy of the installed version (the hub resends on our birth when
                # the first may have been dropped): say so, it is not an error.
                self._report(
                    "watchlist-installed",
                    "info",
                    f"v{body.version} already installed",
                    ref=str(body.version),
                )
                self.store.mark_handled(record_id)
                return
            try:
                count = install_watchlist(
                    self.store,
                    body,
                    self.hub_key,
                    seal_key=self.key_file.get(self._now_ms()),
                    require_seal=self.config.device.role == "gate",
                )
            except WatchlistRejected as error:
                self.store.audit("agent", "watchlist rejected", str(error))
                self._report("watchlist-rejected", "error", str(error), ref=str(body.version))
            else:
                self.store.audit(
                    "agent", "watchlist installed", f"v{body.version}, {count} entries"
                )
                self._report(
                    "watchlist-installed",
                    "info",
                    f"v{body.version}, {count} entries",
                    ref=str(body.version),
                )
            self.store.mark_handled(record_id)
        elif isinstance(body, Officers):
            try:
                count = install_officers(self.store, body, self.hub_key)
            except OfficersRejected as error:
                self.store.audit("agent", "officer list rejected", str(error))
                self._report("officers-rejected", "error", str(error), ref=str(body.version))
            else:
                detail = "already installed" if count < 0 else f"{count} officers"
                self._report(
                    "officers-installed",
                    "info",
                    f"v{body.version}, {detail}",
                    ref=str(body.version),
                )
            self.store.mark_handled(record_id)
        elif isinstance(body, Config):
            values = {s.key: s.value for s in body.settings}
            if KEY_SETTING in values:
                self._hold_watchlist_key(values)
            # one transaction: the kiosk never reads half of a config message
            self.store.put_settings(
                {s.key: s.value for s in body.settings if s.key not in SECRET_SETTINGS}
            )
            self.store.audit("hub", "config", ", ".join(s.key for s in body.settings))
            if body.version:
                self._report(
                    "config-applied",
                    "info",
                    ", ".join(f"{s.key}={s.value}" for s in body.settings)[:2000],
                    ref=str(body.version),
                )
            self.store.mark_handled(record_id)
        elif isinstance(body, Command):
            if body.command in HARDWARE_COMMANDS and body.command not in self.command_handlers:
                # the kiosk process holds the sensor and the GPIO pins: it runs these
                self.store.audit("hub", "command queued for the kiosk", body.command)
                return
            handler = self.command_handlers.get(body.command)
            if handler is None:
                severity, detail = "warning", f"{body.command} is not available on this unit"
            else:
                try:
                    severity, detail = handler(body)
                except Exception as error:  # a failing command must not stop delivery
                    log.exception("command %s failed", body.command)
                    severity, detail = "error", f"{body.command} failed: {error}"
            self._report("command-result", severity, detail, ref=record_id)
            self.store.mark_handled(record_id)
        elif isinstance(body, LicenceStatus):
            self.store.put_licence_answer(body, inbox_id=record_id)
        # alerts stay unhandled in the inbox until the kiosk shows them

    def _hold_watchlist_key(self, values: dict[str, str]) -> None:
        """Keep the hub's watchlist key in RAM until its grace period ends (never on disk)."""
        try:
            key = base64.b64decode(values[KEY_SETTING], validate=True)
            grace_s = float(values.get(GRACE_SETTING, DEFAULT_KEY_GRACE_S))
            self.key_file.put(key, self._now_ms() + int(grace_s * 1000))
        except (ValueError, binascii.Error, OSError) as error:
            self._report("watchlist-key-rejected", "error", f"watchlist key not kept: {error}")

    def _report(self, event_type: str, severity: str, detail: str, *, ref: str = "") -> None:
        event = make_envelope(
            "event",
            self.device_id,
            Event(event_type, severity, detail[:2000], ref[:64]),
            now_ms=self._now_ms(),
        )
        self.store.enqueue(event)

    def send_telemetry(self) -> None:
        """Queue one telemetry record (delivered like any other record)."""
        body = read_telemetry(
            self.store, started_monotonic=self._started, data_dir=self.config.device.data_dir
        )
        self.store.enqueue(make_envelope("telemetry", self.device_id, body, now_ms=self._now_ms()))
        if self.store_fault is not None:  # a write went through: the storage is back
            fault, self.store_fault = self.store_fault, None
            log.warning("the local store takes writes again (was: %s)", fault.kind)
            self._report("store-recovered", "info", f"writes work again (was {fault.kind})")

    # --------------------------------------------------------------- commands

    def _ping(self, command: Command) -> tuple[str, str]:
        return "info", f"pong from {self.device_id}, outbox {self.store.outbox_depth()}"

    def _resend(self, command: Command) -> tuple[str, str]:
        count = self.store.reschedule_pending(self._now_ms())
        return "info", f"{count} unacknowledged records rescheduled"


def _carries_secret(envelope: object) -> bool:
    """A config downlink with the watchlist key: its payload is not kept in the inbox."""
    body = getattr(envelope, "body", None)
    return isinstance(body, Config) and any(s.key in SECRET_SETTINGS for s in body.settings)
