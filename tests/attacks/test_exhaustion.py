"""Finding 5: a unit cannot exhaust the hub's memory or disk.

- The broker config provisioning writes bounds every packet (``max_packet_size``, a full
  watchlist plus headers): a 100 MB publish is refused and its sender disconnected.
- Anything under that bound but over a record's 1 MiB limit is cut on arrival at the hub,
  quarantined (at most 64 KiB of it kept) and never decoded.
- Quarantine keeps at most ``QUARANTINE_UNIT_MAX_BYTES`` of payload per unit: past it a
  unit's bad payloads are counted on one overflow row, and the operator is alerted.
"""

from __future__ import annotations

import os

from hub.store.base import QUARANTINE_PAYLOAD_MAX_BYTES, QUARANTINE_UNIT_MAX_BYTES
from tests.attacks.attack_site import Site, up, wait_for


def _kept_bytes(site: Site, device_id: str) -> tuple[int, int]:
    """(payload bytes kept in quarantine, bad payloads counted) for one unit."""
    store = site.store()
    try:
        kept, times = store.db.query(
            "SELECT coalesce(sum(length(payload)), 0), coalesce(sum(times), 0) "
            "FROM quarantine WHERE device_id = ?",
            (device_id,),
        )[0]
        return int(kept), int(times)
    finally:
        store.close()


def test_a_100_mb_publish_is_refused_by_the_broker(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    attacker.client.publish(up(unit), b"x" * 100_000_000, qos=1)
    assert attacker.disconnected.wait(30), "the broker accepted a 100 MB packet"
    assert site.hubs[0].poll() is None, site.hub_log()
    assert site.quarantine_reasons(unit) == []  # it never reached the hub


def test_a_large_payload_is_cut_before_the_hub_keeps_it(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    assert attacker.publish(up(unit), b"{" + b" " * 3_000_000).value == 0
    assert wait_for(lambda: site.quarantine_reasons(unit)), site.hub_log()
    kept, _ = _kept_bytes(site, unit)
    assert kept <= QUARANTINE_PAYLOAD_MAX_BYTES
    assert "over the" in site.quarantine_reasons(unit)[0]


def test_the_quarantine_quota_of_a_unit_bounds_its_disk_use(site: Site) -> None:
    unit = site.provision()
    site.start_hub()
    attacker = site.unit_client(unit)
    for _ in range(40):  # forty distinct 1.1 MB payloads
        attacker.client.publish(up(unit), os.urandom(1_100_000), qos=1)
    assert wait_for(lambda: _kept_bytes(site, unit)[1] == 40, 60), site.hub_log()
    kept, _ = _kept_bytes(site, unit)
    assert kept <= 40 * QUARANTINE_PAYLOAD_MAX_BYTES  # was 43 MB
    assert not site.open_alerts(f"quarantine-quota:{unit}")
    for _ in range(100):  # a hundred distinct 70 kB payloads: over the unit's quota
        attacker.client.publish(up(unit), os.urandom(70_000), qos=1)
    assert wait_for(lambda: _kept_bytes(site, unit)[1] == 140, 60), site.hub_log()
    kept, _ = _kept_bytes(site, unit)
    assert kept <= QUARANTINE_UNIT_MAX_BYTES
    assert site.open_alerts(f"quarantine-quota:{unit}")
    assert site.hubs[0].poll() is None, site.hub_log()
