"""Hub ingest: validate every device message, store it once, quarantine the bad, ack the good.

:class:`Ingestor` turns a batch of ``(topic, payload)`` into one storage transaction and
then one ``ack`` per device naming every record of that device in the batch (new or
already stored). Acks are published only after the commit, so an acked record is durable.
Invalid payloads are quarantined with the reason; when their record id can still be read,
the device is told (``ack.rejected``) so it stops re-sending them.

Nothing a unit sends can stop the hub: every message is read in isolation, and when the
batch transaction fails (a record its handlers cannot store), the batch is stored again
record by record, so the one record that fails is quarantined (with the exception's type
as the reason, not acknowledged: the unit keeps it) and the rest are stored and acked.
Records the :class:`hub.units.UnitRoster` or one of :attr:`Ingestor.checks` refuses (a
retired unit; a complaint for another station; a hotel guest of an unknown hotel) are
quarantined and not acknowledged, and ``on_refused`` tells the operator.
Retained messages on ``up/`` topics are refused (:meth:`Ingestor.refuse_retained`).
Not thread-safe: one ingest thread per worker.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.store import HubStore
from hub.units import UnitRoster
from khidmat_base import clock
from khidmat_wire import WireError, build_topic, decode, encode, make_envelope, parse_topic
from khidmat_wire.codec import Envelope
from khidmat_wire.ids import is_record_id
from khidmat_wire.messages import Ack, State
from khidmat_wire.topics import Direction

log = logging.getLogger(__name__)

ACK_MAX_IDS = 1000
"""Record ids per ack message (the Ack body's limit)."""

Publisher = Callable[[str, bytes], bool]
RefusalHook = Callable[[str, str, str], None]
"""(device_id, alert kind, reason): called after a refused record or a quarantine overflow."""
Quarantined = tuple[str, bytes, str, str | None, str | None]
"""(topic, payload, reason, device_id, record_id)"""


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    states: int = 0
    acks_published: int = 0
    new_records: list[Envelope] = field(default_factory=list)
    """Records stored for the first time in this batch (not re-sent duplicates)."""
    came_online: list[str] = field(default_factory=list)
    """Units whose birth (state ``online``) arrived in this batch, in arrival order."""


class Ingestor:
    """Validates, stores and acknowledges batches of device messages."""

    def __init__(
        self,
        store: HubStore,
        publish: Publisher,
        *,
        sender_id: str = "hub",
        roster: UnitRoster | None = None,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self.store = store
        self.publish = publish
        self.sender_id = sender_id
        self.roster = roster
        self.on_refused = on_refused
        self.checks: list[Callable[[Envelope], str | None]] = []
        """Further refusals by workflow (e.g. a hotel guest for a hotel the hub does not
        know): each returns why a valid record must be refused, or None."""

    def process(self, batch: Sequence[tuple[str, bytes]]) -> IngestResult:
        """Ingest one batch; never raises on anything in it (a storage failure of the
        hub's own, e.g. a full disk, still raises: nothing is acked then)."""
        result = IngestResult()
        valid: list[tuple[Envelope, bytes]] = []
        bad: list[Quarantined] = []
        refused: list[tuple[str, str]] = []
        acks: dict[str, list[str]] = defaultdict(list)
        rejected: dict[str, list[str]] = defaultdict(list)
        for topic, payload in batch:
            try:
                envelope = self._read(topic, payload, bad, rejected, refused, result)
            except Exception as error:  # isolation: one message never stops the batch
                bad.append(
                    (topic, payload, f"hub could not read it: {type(error).__name__}", None, None)
                )
                continue
            if envelope is not None:
                valid.append((envelope, payload))
        if valid:
            self._store(valid, bad, acks, result)
        if bad:
            overflowing = self.store.quarantine(bad)
            result.quarantined = len(bad)
            for topic, _, reason, _, _ in bad:
                log.warning(
                    "quarantined a payload on %s: %s",
                    _printable(topic, 120),
                    _printable(reason, 200),
                )
            for device_id in overflowing:
                self._refused(
                    device_id,
                    "quarantine-quota",
                    "the unit's quarantine quota is full: further bad payloads are counted, not kept",
                )
        for device_id, reason in refused:
            self._refused(device_id, "unit-refused", reason)
        for device_id in sorted(set(acks) | set(rejected)):
            result.acks_published += self._ack(
                device_id, acks.get(device_id, []), rejected.get(device_id, [])
            )
        return result

    def _read(
        self,
        topic: str,
        payload: bytes,
        bad: list[Quarantined],
        rejected: dict[str, list[str]],
        refused: list[tuple[str, str]],
        result: IngestResult,
    ) -> Envelope | None:
        """The envelope of a record to store, or None (quarantined, a state, or empty)."""
        try:
            parsed = parse_topic(topic)
        except WireError as error:
            bad.append((topic, payload, str(error), None, None))
            return None
        if parsed.direction is Direction.STATE:
            if self._state(parsed.device_id, payload, topic, bad) == "online":
                result.came_online.append(parsed.device_id)
            result.states += 1
            return None
        if parsed.direction is not Direction.UP or parsed.kind is None:
            reason = "hub ingests only up/<kind> and state topics"
            bad.append((topic, payload, reason, parsed.device_id, None))
            return None
        if not payload:
            return None  # a retained message being cleared: nothing to store
        try:
            envelope = decode(payload, expected_kind=parsed.kind)
            if envelope.device_id != parsed.device_id:
                raise WireError(
                    "device_id",
                    f"payload claims device {envelope.device_id!r} on {parsed.device_id!r}'s topic",
                )
        except WireError as error:
            record_id = _salvage_record_id(payload)
            bad.append((topic, payload, str(error), parsed.device_id, record_id))
            if record_id is not None:
                rejected[parsed.device_id].append(record_id)
            return None
        refusal = self.roster.refusal(envelope) if self.roster is not None else None
        for check in self.checks:
            if refusal is None:
                refusal = check(envelope)
        if refusal is not None:
            bad.append((topic, payload, refusal, parsed.device_id, envelope.record_id))
            refused.append((parsed.device_id, refusal))
            return None
        return envelope

    def _store(
        self,
        valid: list[tuple[Envelope, bytes]],
        bad: list[Quarantined],
        acks: dict[str, list[str]],
        result: IngestResult,
    ) -> None:
        """Store the batch in one transaction; when that fails, record by record."""
        try:
            result.stored, result.duplicates = self.store.store_records(
                valid, new=result.new_records
            )
        except Exception as error:  # isolate the record that fails, below
            if len(valid) == 1:
                envelope, payload = valid[0]
                reason = f"hub could not store it: {type(error).__name__}"
                topic = build_topic(envelope.device_id, Direction.UP, envelope.kind)
                bad.append((topic, payload, reason, envelope.device_id, envelope.record_id))
                return
            for item in valid:
                one = IngestResult()
                self._store([item], bad, acks, one)
                result.stored += one.stored
                result.duplicates += one.duplicates
                result.new_records.extend(one.new_records)
            return
        for envelope, _ in valid:
            acks[envelope.device_id].append(envelope.record_id)

    def refuse_retained(self, topic: str, payload: bytes) -> bool:
        """A message the broker delivered from its retained store.

        Retained birth and will messages on ``state`` topics are normal and go to
        :meth:`process`. On an ``up/`` topic (or anywhere else) a record is never retained:
        the broker would hand it to the hub again on every start, so it is refused here,
        counted in quarantine and reported to the operator, and never ingested (the hub
        may not write a unit's topics, so it cannot clear it). Returns True when refused.
        """
        try:
            parsed = parse_topic(topic)
        except WireError:
            parsed = None
        if parsed is not None and parsed.direction is Direction.STATE:
            return False
        if payload:
            device_id = parsed.device_id if parsed is not None else None
            reason = "retained publish on a unit's up topic: refused"
            self.store.quarantine([(topic, payload, reason, device_id, None)])
            log.warning("refused a retained message on %s", _printable(topic, 120))
            if device_id is not None:
                self._refused(device_id, "unit-refused", reason)
        return True

    def _refused(self, device_id: str, kind: str, reason: str) -> None:
        if self.on_refused is None:
            return
        try:
            self.on_refused(device_id, kind, reason)
        except Exception:  # the alert is a report; the ingest it reports on goes on
            log.exception("could not raise the %s alert for %s", kind, device_id)

    def _ack(self, device_id: str, record_ids: list[str], rejected: list[str]) -> int:
        published = 0
        for start in range(0, max(len(record_ids), len(rejected)), ACK_MAX_IDS):
            body = Ack(
                tuple(record_ids[start : start + ACK_MAX_IDS]),
                tuple(rejected[start : start + ACK_MAX_IDS]),
            )
            envelope = make_envelope("ack", self.sender_id, body)
            # the ids were read from checked records or checked by is_record_id: not again
            payload = encode(envelope, check=False)
            if self.publish(build_topic(device_id, Direction.DOWN, "ack"), payload):
                published += 1
        return published

    def _state(
        self,
        device_id: str,
        payload: bytes,
        topic: str,
        bad: list[Quarantined],
    ) -> str | None:
        """Record a birth or will; returns the status stored (None when nothing was)."""
        if not payload:
            return None  # a cleared retained message
        try:
            envelope = decode(payload, expected_kind="state")
        except WireError as error:
            bad.append((topic, payload, str(error), device_id, None))
            return None
        body: State = envelope.body
        # Arrival order, not the unit's clock: a will is made at connect time, before the birth.
        received_ms = clock.now_ms()
        self.store.set_device_state(device_id, body.status, body.role, body.software, received_ms)
        return body.status


def _salvage_record_id(payload: bytes) -> str | None:
    """The record id of an invalid payload, when it is still readable."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict):
        record_id = document.get("id")
        if isinstance(record_id, str) and is_record_id(record_id):
            return record_id
    return None


def _printable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with anything UTF-8 cannot carry escaped."""
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
