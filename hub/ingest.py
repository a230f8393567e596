"""Hub ingest: validate every device message, store it once, quarantine the bad, ack the good.

:class:`Ingestor` turns a batch of ``(topic, payload)`` into one storage transaction and
then one ``ack`` per device naming every record of that device in the batch (new or
already stored). Acks are published only after the commit, so an acked record is durable.
Invalid payloads are quarantined with the reason; when their record id can still be read,
the device is told (``ack.rejected``) so it stops re-sending them. Never raises on bad
input. Not thread-safe: one ingest thread per worker.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hub.store import HubStore
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

    def __init__(self, store: HubStore, publish: Publisher, *, sender_id: str = "hub") -> None:
        self.store = store
        self.publish = publish
        self.sender_id = sender_id

    def process(self, batch: Sequence[tuple[str, bytes]]) -> IngestResult:
        result = IngestResult()
        valid: list[tuple[Envelope, bytes]] = []
        bad: list[tuple[str, bytes, str, str | None, str | None]] = []
        acks: dict[str, list[str]] = defaultdict(list)
        rejected: dict[str, list[str]] = defaultdict(list)
        for topic, payload in batch:
            try:
                parsed = parse_topic(topic)
            except WireError as error:
                bad.append((topic, payload, str(error), None, None))
                continue
            if parsed.direction is Direction.STATE:
                if self._state(parsed.device_id, payload, topic, bad) == "online":
                    result.came_online.append(parsed.device_id)
                result.states += 1
                continue
            if parsed.direction is not Direction.UP or parsed.kind is None:
                bad.append(
                    (
                        topic,
                        payload,
                        "hub ingests only up/<kind> and state topics",
                        parsed.device_id,
                        None,
                    )
                )
                continue
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
                continue
            valid.append((envelope, payload))
            acks[parsed.device_id].append(envelope.record_id)
        if bad:
            self.store.quarantine(bad)
            result.quarantined = len(bad)
            for topic, _, reason, _, _ in bad:
                log.warning("quarantined a payload on %s: %s", topic[:120], reason[:200])
        if valid:
            result.stored, result.duplicates = self.store.store_records(
                valid, new=result.new_records
            )
        for device_id in sorted(set(acks) | set(rejected)):
            result.acks_published += self._ack(
                device_id, acks.get(device_id, []), rejected.get(device_id, [])
            )
        return result

    def _ack(self, device_id: str, record_ids: list[str], rejected: list[str]) -> int:
        published = 0
        for start in range(0, max(len(record_ids), len(rejected)), ACK_MAX_IDS):
            body = Ack(
                tuple(record_ids[start : start + ACK_MAX_IDS]),
                tuple(rejected[start : start + ACK_MAX_IDS]),
            )
            envelope = make_envelope("ack", self.sender_id, body)
            if self.publish(build_topic(device_id, Direction.DOWN, "ack"), encode(envelope)):
                published += 1
        return published

    def _state(
        self,
        device_id: str,
        payload: bytes,
        topic: str,
        bad: list[tuple[str, bytes, str, str | None, str | None]],
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
