"""Finding 1: one payload must not stop the hub, and a retained one must not keep it down.

A unit with its provisioned password publishes, on its own up/ topic (which the ACL allows):
an integer literal of 5,000 digits (``json.loads`` raises a plain ValueError past 4,300),
and a complaint whose name is a lone surrogate (``"\\ud800"``: valid JSON, not encodable as
UTF-8, so SQLite's INSERT would raise). Each is quarantined with a reason, the records
around it in the same batch are stored and acked, and the hub keeps running. Published
with the retain flag, the poison is refused at every hub start (counted, alerted).
"""

from __future__ import annotations

import time

from tests.attacks.attack_site import Site, up, wait_for


def test_a_huge_integer_is_quarantined_and_the_batch_around_it_stored(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    before, before_payload = site.complaint(unit)
    after, after_payload = site.complaint(unit)
    poison = b'{"schema":"khidmat.complaint","version":1,"id":' + b"9" * 5000 + b"}"
    for payload in (before_payload, poison, after_payload):  # one batch at the hub
        attacker.client.publish(up(unit), payload, qos=1)
    sent = [before.record_id, after.record_id]
    assert wait_for(lambda: site.stored(sent) == 2), site.hub_log()
    assert wait_for(lambda: any("too long" in r for r in site.quarantine_reasons(unit)))
    time.sleep(0.5)
    assert site.hubs[0].poll() is None, site.hub_log()


def test_a_lone_surrogate_in_a_name_is_quarantined(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    _, poison = site.complaint(unit, body__complainant_name="\ud800 Khan")
    good, good_payload = site.complaint(unit)
    assert attacker.publish(up(unit), poison).value == 0
    assert attacker.publish(up(unit), good_payload).value == 0
    assert wait_for(lambda: site.stored([good.record_id]) == 1), site.hub_log()
    assert wait_for(lambda: any("surrogate" in r for r in site.quarantine_reasons(unit)))
    assert site.hubs[0].poll() is None, site.hub_log()


def test_a_retained_poison_is_refused_at_every_restart(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    poison = b'{"id":' + b"7" * 5000 + b"}"
    assert attacker.publish(up(unit), poison, retain=True).value == 0
    attacker.close()
    assert wait_for(lambda: any("too long" in r for r in site.quarantine_reasons(unit)))
    for _ in range(2):  # the broker would hand a retained poison back on every restart
        site.stop_hubs()
        site.start_hub()
        time.sleep(1.0)
        assert site.hubs[0].poll() is None, site.hub_log()
    assert wait_for(lambda: site.open_alerts(f"unit-refused:{unit}"))
    store = site.store()
    try:  # one quarantine row, counted at each delivery; nothing stored
        (row,) = [q for q in store.quarantined() if q.device_id == unit]
        assert row.times >= 3 and store.record_count() == 0
    finally:
        store.close()
