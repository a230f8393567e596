"""The station records' new input paths (Hotel Eye guests, driving-licence lookups) from a unit.

A unit with its provisioned password publishes on its own ``up/hotel-guest`` and
``up/licence-lookup`` topics (the ACL allows every up/ kind on a unit's own topics): a guest
whose name is a lone surrogate and a lookup whose token is markup and far too long. Each is
quarantined with a reason, the complaint sent after them is stored, and the hub keeps running.
"""

from __future__ import annotations

import json
import time

from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import HotelGuest, LicenceLookup
from tests.attacks.attack_site import Site, up, wait_for


def _tampered(kind: str, device_id: str, body: object, **fields: object) -> bytes:
    document = json.loads(encode(make_envelope(kind, device_id, body)))
    document["body"].update(fields)
    return json.dumps(document).encode("ascii")  # "\ud800" stays a JSON escape


def test_a_poisoned_guest_and_lookup_are_quarantined_and_the_hub_goes_on(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    guest = HotelGuest(
        "HTL-QTA-001", "Ali Khan", "42101-1234567-1", "PK", "", 1_796_032_800_000, "12"
    )
    lookup = LicenceLookup("DL-2026000123", "42101-1234567-1")
    poisons = [
        ("hotel-guest", _tampered("hotel-guest", unit, guest, name="\ud800 Khan")),
        ("licence-lookup", _tampered("licence-lookup", unit, lookup, token="[b]x[/b]" * 500)),
    ]
    good, good_payload = site.complaint(unit)
    for kind, payload in poisons:
        assert attacker.publish(up(unit, kind), payload).value == 0
    assert attacker.publish(up(unit), good_payload).value == 0
    assert wait_for(lambda: site.stored([good.record_id]) == 1), site.hub_log()
    assert wait_for(lambda: len(site.quarantine_reasons(unit)) >= 2), site.hub_log()
    reasons = site.quarantine_reasons(unit)
    assert any("surrogate" in r for r in reasons), reasons
    assert not any("[b]x[/b]" in r for r in reasons)  # the typed text is not echoed back
    time.sleep(0.5)
    assert site.hubs[0].poll() is None, site.hub_log()
