"""Finding 2: a unit's password must not take over the hub's or another unit's session.

MQTT lets a new connection with a client id already in use close the old one. Mosquitto
does not tie the client id to the username unless told to, so a desk unit's password with
client id ``hub`` (or another unit's id) kicked the hub (or that unit) off and its records
or hit alerts went missing. The broker config provisioning writes now sets
``use_username_as_clientid`` on every listener: the attacker's session gets its own
username as client id, and nobody is kicked. Hub workers log in as identities of their own.
"""

from __future__ import annotations

import time

from tests.attacks.attack_site import Site, up, wait_for


def test_a_unit_cannot_take_over_the_hub_or_another_unit(site: Site) -> None:
    victim, attacker = site.provision(), site.provision()
    site.start_hub()
    session = site.unit_client(victim)
    mark = len(site.broker.log())
    as_hub = site.unit_client(attacker, client_id="hub")
    as_hub.close()
    site.unit_client(attacker, client_id=victim)  # held while the victim files
    sent = []
    for _ in range(6):
        envelope, payload = site.complaint(victim)
        assert session.publish(up(victim), payload).value == 0
        sent.append(envelope.record_id)
        time.sleep(0.2)
    assert wait_for(lambda: site.stored(sent) == 6), site.hub_log()
    log = site.broker.log()[mark:]
    assert f"Client {victim} already connected" not in log, log
    assert "Client hub already connected" not in log, log
    assert not session.disconnected.is_set()
    assert site.hubs[0].poll() is None, site.hub_log()


def test_each_hub_worker_logs_in_as_its_own_identity(site: Site) -> None:
    hub_toml = site.deployment.hub_toml
    hub_toml.write_text(hub_toml.read_text().replace("[hub]\n", "[hub]\nworkers = 2\n", 1))
    unit = site.provision()
    site.start_hub(0)
    site.start_hub(1)
    session = site.unit_client(unit)
    sent = []
    for _ in range(10):
        envelope, payload = site.complaint(unit)
        assert session.publish(up(unit), payload).value == 0
        sent.append(envelope.record_id)
    assert wait_for(lambda: site.stored(sent) == 10), site.hub_log(1)
    log = site.broker.log()
    assert "u'hub-1')" in log and "already connected" not in log
    assert all(hub.poll() is None for hub in site.hubs)
