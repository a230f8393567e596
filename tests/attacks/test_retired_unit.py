"""Finding 4: the hub refuses records from a retired unit, whether or not the broker was reloaded.

``khidmat provision revoke`` retires the unit in the registry and rewrites the broker's
files; until the broker is reloaded the unit keeps its session and can still publish.
The hub checks the registry itself: the retired unit's records are quarantined, never
stored or acknowledged, and the operator gets an alert naming the unit. A unit that is
not retired keeps delivering.
"""

from __future__ import annotations

import queue

import pytest

from khidmat_wire import decode
from provisioning.operations import revoke_device
from tests.attacks.attack_site import Site, up, wait_for


def test_records_of_a_unit_revoked_without_a_broker_reload_are_refused(site: Site) -> None:
    retired, active = site.provision(), site.provision()
    site.start_hub()
    doomed = site.unit_client(retired)
    doomed.subscribe(f"khidmat/v1/dev/{retired}/down/#")
    revoke_device(site.deployment, retired)  # no reload: its session and password still work
    envelope, payload = site.complaint(retired)
    assert doomed.publish(up(retired), payload).value == 0
    good, good_payload = site.complaint(active)
    assert site.unit_client(active).publish(up(active), good_payload).value == 0
    assert wait_for(lambda: site.stored([good.record_id]) == 1), site.hub_log()
    assert wait_for(lambda: any("retired" in r for r in site.quarantine_reasons(retired)))
    assert site.stored([envelope.record_id]) == 0
    assert site.open_alerts(f"unit-refused:{retired}")
    with pytest.raises(queue.Empty):  # no ack: nothing was accepted from it
        while True:
            message = doomed.messages.get(timeout=1.0)
            assert envelope.record_id not in decode(message.payload).body.record_ids
