"""Topic building and parsing; UUIDv7 record ids."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wire_strategies import device_ids

from khidmat_wire import Direction, WireError, build_topic, new_record_id, parse_topic
from khidmat_wire.ids import is_record_id, record_id_time_ms
from khidmat_wire.topics import DOWN_KINDS, UP_KINDS


@given(
    device_ids,
    st.sampled_from(
        [("up", k) for k in UP_KINDS] + [("down", k) for k in DOWN_KINDS] + [("state", None)]
    ),
)
def test_topics_round_trip(device_id: str, direction_kind: tuple[str, str | None]) -> None:
    direction, kind = direction_kind
    topic = build_topic(device_id, direction, kind)
    parsed = parse_topic(topic)
    assert (parsed.device_id, parsed.direction, parsed.kind) == (
        device_id,
        Direction(direction),
        kind,
    )


@pytest.mark.parametrize(
    "topic",
    [
        "khidmat/v1/dev/unit-1/up/nonsense",
        "khidmat/v1/dev/unit-1/down/complaint",
        "khidmat/v2/dev/unit-1/up/event",
        "khidmat/v1/dev/+/up/event",
        "khidmat/v1/dev/unit-1/up/event/extra",
        "khidmat/v1/dev/UNIT/state",
        "khidmat/v1/dev/unit-1",
        "",
    ],
)
def test_bad_topics_are_rejected(topic: str) -> None:
    with pytest.raises(WireError):
        parse_topic(topic)


def test_build_rejects_wildcards_and_unknown_kinds() -> None:
    with pytest.raises(WireError):
        build_topic("unit/#", "up", "event")
    with pytest.raises(WireError):
        build_topic("unit-1", "up", "ack")


def test_record_ids_are_uuid7_time_ordered_and_unique() -> None:
    before = int(time.time() * 1000)
    ids = [new_record_id() for _ in range(5000)]
    assert all(is_record_id(i) for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert before <= record_id_time_ms(ids[0]) <= int(time.time() * 1000)
