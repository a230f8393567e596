"""Hub ingest: idempotent storage, quarantine with reasons, acks only for what committed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.ingest import Ingestor
from hub.store import HubStore
from khidmat.testbed import sample_complaint
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import State


@pytest.fixture
def hub(tmp_path: Path, hub_database):
    sent: list[tuple[str, bytes]] = []
    store = HubStore(hub_database)
    yield Ingestor(store, lambda topic, payload: sent.append((topic, payload)) or True), store, sent
    store.close()


def _record(device: str, i: int) -> tuple[str, bytes, str]:
    envelope = make_envelope("complaint", device, sample_complaint("QTA01", i, device_id=device))
    return f"khidmat/v1/dev/{device}/up/complaint", encode(envelope), envelope.record_id


def test_duplicates_are_stored_once_and_acked_again(hub) -> None:
    ingestor, store, sent = hub
    topic, payload, record_id = _record("unit-1", 1)
    first = ingestor.process([(topic, payload), (topic, payload)])
    second = ingestor.process([(topic, payload)])
    assert (first.stored, first.duplicates, second.stored, second.duplicates) == (1, 1, 0, 1)
    assert store.record_ids() == [record_id]
    assert [e.record_id for e in first.new_records] == [record_id] and second.new_records == []
    acks = [decode(p).body for t, p in sent]
    assert all(t == "khidmat/v1/dev/unit-1/down/ack" for t, _ in sent)
    assert acks[0].record_ids == (record_id, record_id) and acks[1].record_ids == (record_id,)


def test_invalid_payloads_are_quarantined_with_reason_and_rejected_by_id(hub) -> None:
    ingestor, store, sent = hub
    topic, payload, record_id = _record("unit-1", 2)
    document = json.loads(payload)
    document["body"]["cnic"] = "12345"
    bad = json.dumps(document).encode()
    result = ingestor.process(
        [(topic, bad), ("khidmat/v1/dev/unit-1/up/nonsense", b"x"), (topic, b"\x00garbage")]
    )
    assert result.quarantined == 3 and result.stored == 0
    reasons = sorted(q.reason for q in store.quarantined())
    assert any("body.cnic" in r for r in reasons)
    assert any("unknown up kind" in r for r in reasons)
    assert any("not UTF-8" in r or "not JSON" in r for r in reasons)
    ((ack_topic, ack_payload),) = sent
    assert ack_topic.endswith("unit-1/down/ack")
    assert decode(ack_payload).body.rejected == (record_id,)
    ingestor.process([(topic, bad)])
    assert {q.times for q in store.quarantined() if "body.cnic" in q.reason} == {2}


def test_a_unit_cannot_file_records_as_another_unit(hub) -> None:
    ingestor, store, _ = hub
    _, payload, _ = _record("unit-2", 3)
    result = ingestor.process([("khidmat/v1/dev/unit-1/up/complaint", payload)])
    assert result.quarantined == 1 and store.record_count() == 0
    assert "claims device" in store.quarantined()[0].reason


def test_state_messages_update_the_fleet_table_in_arrival_order(hub) -> None:
    ingestor, store, _ = hub
    online = make_envelope("state", "unit-1", State("online", "gate", "0.1.0"), now_ms=2000)
    will = make_envelope("state", "unit-1", State("offline", "gate", "0.1.0"), now_ms=1000)
    ingestor.process([("khidmat/v1/dev/unit-1/state", encode(online))])
    assert store.device_states()["unit-1"][0] == "online"
    # the will is made at connect time (older device time) but arrives last: it wins
    ingestor.process([("khidmat/v1/dev/unit-1/state", encode(will))])
    assert store.device_states()["unit-1"][0] == "offline"
    ingestor.process([("khidmat/v1/dev/unit-1/state", b"")])  # a cleared retained message
    assert store.quarantined() == []
    assert store.device_states()["unit-1"][0] == "offline"
