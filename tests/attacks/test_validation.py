"""Finding 8: validators match the whole value, and a unit's clock cannot set due times.

Patterns ending in ``$`` checked with ``re.match`` let a trailing newline through: a record
id plus "\\n" was stored as a second row, and CNICs and tracking numbers ending in "\\n"
were stored. Every field pattern is now checked with ``re.fullmatch``. A complaint stamped
``device_time_ms = 0`` was due in 1970 and escalated at once; device times outside a sane
window are now flagged on the complaint and the hub's clock sets its due time.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from khidmat_wire import WireError, decode, encode
from khidmat_wire.fields import limits_of
from khidmat_wire.messages import ALL_BODIES
from tests.attacks.attack_site import Site, up, wait_for


def test_a_trailing_newline_is_refused_in_ids_cnics_and_tracking_numbers(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    client = site.unit_client(unit)
    original, payload = site.complaint(unit)
    assert client.publish(up(unit), payload).value == 0
    variants = [
        site.complaint(unit, id=original.record_id + "\n")[1],
        site.complaint(unit, body__cnic="54400-1234567-1\n")[1],
    ]
    newline_tracking, tracking_payload = site.complaint(unit)
    variants.append(
        tracking_payload.replace(
            newline_tracking.body.tracking_no.encode(),
            newline_tracking.body.tracking_no.encode() + b"\\n",
        )
    )
    for variant in variants:
        assert client.publish(up(unit), variant).value == 0
    assert wait_for(lambda: len(site.quarantine_reasons(unit)) == 3), site.hub_log()
    store = site.store()
    try:
        assert store.record_count() == 1
        stored = store.db.query("SELECT cnic, tracking_no FROM complaints")
        assert all(not value.endswith("\n") for row in stored for value in row)
    finally:
        store.close()


def _patterned_fields():
    for kind, cls in ALL_BODIES.items():
        for field in dataclasses.fields(cls):
            if limits_of(field).pattern is not None:
                yield kind, field.name


@pytest.mark.parametrize(("kind", "name"), list(_patterned_fields()))
def test_every_field_pattern_is_checked_whole(kind: str, name: str) -> None:
    from khidmat_wire.codec import _check, _plan

    (plan,) = [p for p in _plan(ALL_BODIES[kind])[0] if p.name == name]
    pattern = limits_of(
        next(f for f in dataclasses.fields(ALL_BODIES[kind]) if f.name == name)
    ).pattern
    samples = [s for s in ("", "a", "AB12", "QTA01-261130-010001-K", "54400-1234567-1")
               if pattern.fullmatch(s)]  # fmt: skip
    for sample in samples:
        value = [sample + "\n"] if plan.is_list else sample + "\n"
        with pytest.raises(WireError):
            _check(plan, value, "body")


def test_a_complaint_stamped_1970_is_due_by_the_hubs_clock(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    envelope, _ = site.complaint(unit)
    payload = encode(dataclasses.replace(envelope, device_time_ms=0))
    assert decode(payload).device_time_ms == 0
    sent_ms = int(time.time() * 1000)
    assert site.unit_client(unit).publish(up(unit), payload).value == 0
    assert wait_for(lambda: site.stored([envelope.record_id]) == 1), site.hub_log()
    store = site.store()
    try:
        (row,) = store.db.query("SELECT filed_ms, due_at_ms, escalation_level FROM complaints")
        assert row["filed_ms"] >= sent_ms - 1000 and row["due_at_ms"] > sent_ms
        assert row["escalation_level"] == 0
        events = store.db.query("SELECT action, reason FROM complaint_events")
        assert any(e["action"] == "device-clock" and "behind" in e["reason"] for e in events)
    finally:
        store.close()
