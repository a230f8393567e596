"""Fuzzing the hub's whole ingest path, not only the decoders: nothing a unit sends stops it.

Each example is one batch as the hub service drains it from the broker: a valid complaint
from one unit, then a hostile message from another unit (any topic under the unit's own
prefix, arbitrary bytes, mutated valid records of every kind with any JSON value, lone
surrogates, huge integers, deep nesting, a retained copy), then another valid complaint.
It runs through :class:`hub.service.HubService` with every ingest handler the hub installs
(complaints, feedback, lookups, enrolments, telemetry, events, scans) on a real SQLite
database. The batch must be ingested without an exception escaping, both valid records
stored and acknowledged, and the hostile message either stored or quarantined with a
reason. ``HYPOTHESIS_PROFILE=fuzz`` runs 10,000 batches (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import sample_complaint
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import ALL_BODIES
from tests.khidmat_wire.wire_strategies import envelopes

HOSTILE = "fuzz-unit-1"
GOOD = "fuzz-unit-2"
KINDS = sorted(ALL_BODIES)
HUGE = "<a 4,400-digit integer>"
"""Stands for an integer literal too long for json.loads (json.dumps cannot write one)."""
NASTY_TEXT = st.sampled_from(
    ["\ud800", "a\udfffb", "\x00", "[/b] [@click=app.quit]q[/]", "x" * 5000, "\n", "'; DROP"]
)
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | NASTY_TEXT
    | st.just(HUGE)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubService]:
    # On tmpfs where there is one: the fuzz exercises the hub's logic, not the disk's fsync.
    shm = Path("/dev/shm")
    root = (
        Path(tempfile.mkdtemp(prefix="khidmat-fuzz-hub-", dir=shm))
        if shm.is_dir() and os.access(shm, os.W_OK)
        else tmp_path_factory.mktemp("fuzz-hub")
    )
    (root / "hub.password").write_text("pw\n")
    (root / "hub.toml").write_text(
        '[hub]\ndatabase = "hub.db"\n[broker]\nhost = "127.0.0.1"\nport = 1\n'
        'username = "hub"\npassword_file = "hub.password"\n'
    )
    made = HubService(load_hub_config(root / "hub.toml"))
    sent: list[tuple[str, bytes]] = []
    made.publish = lambda topic, payload: sent.append((topic, payload)) or True  # type: ignore[method-assign]
    made.ingestor.publish = made.publish
    made.sent = sent  # type: ignore[attr-defined]
    try:
        yield made
    finally:
        made.close()
        if root.parent == shm:
            shutil.rmtree(root, ignore_errors=True)


@st.composite
def hostile_messages(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    """(topic, payload, retained) that a unit could publish on its own topics."""
    kind = draw(st.sampled_from([*KINDS, "nonsense", ""]))
    topic = draw(
        st.sampled_from(
            [
                f"khidmat/v1/dev/{HOSTILE}/up/{kind}",
                f"khidmat/v1/dev/{HOSTILE}/state",
                f"khidmat/v1/dev/{HOSTILE}/up/{kind}/extra",
                f"khidmat/v1/dev/{HOSTILE}",
            ]
        )
    )
    shape = draw(st.integers(0, 4))
    if shape == 0:
        payload = draw(st.binary(max_size=600))
    elif shape == 1:
        payload = b'{"id":' + b"9" * draw(st.integers(4000, 6000)) + b"}"
    elif shape == 2:
        depth = draw(st.integers(500, 3000))
        payload = b"[" * depth + b"]" * depth
    else:
        envelope = draw(envelopes())
        envelope = type(envelope)(
            envelope.kind, envelope.record_id, HOSTILE, envelope.device_time_ms, envelope.body
        )
        document = json.loads(encode(envelope))
        body = document["body"]
        if body and shape == 3:
            body[draw(st.sampled_from(sorted(body)))] = draw(JSON_VALUES)
        if draw(st.booleans()):
            document[draw(st.sampled_from(sorted(document)))] = draw(JSON_VALUES)
        payload = json.dumps(document).encode().replace(b'"' + HUGE.encode() + b'"', b"7" * 4400)
        if draw(st.booleans()):
            topic = f"khidmat/v1/dev/{HOSTILE}/up/{envelope.kind}"
    return topic, payload, draw(st.booleans())


@pytest.mark.timeout(3600)  # the fuzz profile's 10,000 batches take minutes
@given(hostile_messages())
def test_no_message_stops_the_hubs_ingest(service: HubService, message) -> None:
    topic, payload, retained = message
    sequence = service.store.record_count() + 1
    good = [
        make_envelope("complaint", GOOD, sample_complaint("FZ", sequence * 2 + i, device_id=GOOD))
        for i in range(2)
    ]
    good_topic = f"khidmat/v1/dev/{GOOD}/up/complaint"
    service.sent.clear()
    quarantined_before = _quarantine_count(service)
    if retained:
        service._retained.put((topic, payload))
    else:
        service._incoming.put((good_topic, encode(good[0])))
        service._incoming.put((topic, payload))
        service._incoming.put((good_topic, encode(good[1])))
    if retained:
        service._incoming.put((good_topic, encode(good[0])))
        service._incoming.put((good_topic, encode(good[1])))
    drained = service.drain_once(0.5)  # HubService.drain_once -> Ingestor.process
    assert drained is not None
    held = service.store.db.query(  # two rows by primary key: cheap however many are held
        "SELECT count(*) FROM records WHERE record_id IN (?, ?)", [g.record_id for g in good]
    )[0][0]
    assert held == 2
    acked = {
        record_id
        for t, p in service.sent
        if t == f"khidmat/v1/dev/{GOOD}/down/ack"
        for record_id in decode(p).body.record_ids
    }
    assert {g.record_id for g in good} <= acked
    # the hostile message was stored, counted as a state, or quarantined with a reason
    quarantined = _quarantine_count(service) - quarantined_before
    accounted = drained.stored - 2 + drained.duplicates + drained.states + quarantined
    assert accounted >= 1 or not payload


def _quarantine_count(service: HubService) -> int:
    return int(service.store.db.scalar("SELECT coalesce(sum(times), 0) FROM quarantine") or 0)


def test_a_batch_whose_transaction_fails_is_stored_record_by_record(service: HubService) -> None:
    """A record that makes the batch's transaction fail is quarantined alone (not acked)."""
    sequence = service.store.record_count() + 1000
    good = make_envelope("complaint", GOOD, sample_complaint("FZ", sequence, device_id=GOOD))
    # a unit of its own: the fuzzed unit may have filled its quarantine quota by now
    bad = make_envelope(
        "complaint", "fuzz-unit-3", sample_complaint("FZ", sequence + 1, device_id="fuzz-unit-3")
    )

    def explode(conn, envelope, now_ms) -> None:
        if envelope.record_id == bad.record_id:
            raise RuntimeError("a handler's own defect")

    service.store.add_handler("complaint", explode)
    try:
        service.sent.clear()
        result = service.ingestor.process(
            [
                ("khidmat/v1/dev/fuzz-unit-2/up/complaint", encode(good)),
                ("khidmat/v1/dev/fuzz-unit-3/up/complaint", encode(bad)),
            ]
        )
    finally:
        service.store.handlers["complaint"].remove(explode)
    held = set(service.store.record_ids("complaint"))
    assert good.record_id in held and bad.record_id not in held
    assert result.stored == 1 and result.quarantined == 1
    reasons = [q.reason for q in service.store.quarantined() if q.record_id == bad.record_id]
    assert reasons == ["hub could not store it: RuntimeError"]
    acked = [decode(p).body.record_ids for t, p in service.sent if t.endswith("/down/ack")]
    assert [good.record_id] in [list(ids) for ids in acked]
    assert all(bad.record_id not in ids for ids in acked)
