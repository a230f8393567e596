"""Hostile federation input: another province's bridge identity misbehaving.

Three provinces on real brokers and bridges (khidmat.federation_testbed). Islamabad's own
broker and hub are stopped, and an attacker connects to Sindh's federation listener with
Islamabad's bridge certificate (a province identity the federation CA really issued):

- publishing under Punjab's federation topics, or reading anyone's, is refused by
  Sindh's broker ACL (PUBACK "not authorised"; a subscription delivers nothing): Sindh's
  hub never sees it, and no audit or quarantine row is written;
- on its own topic it can reach Sindh's hub, where a malformed ask, an oversized ask and
  an ask whose body names another province are each quarantined with a reason that does
  not repeat the payload; Sindh's hub keeps running and answers Punjab's next real ask.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from edge_agent.sim.fingers import impression_image
from hub.store import HubStore
from hub.store import federation as table
from khidmat.federation_testbed import FederationTestbed
from khidmat_wire import encode, make_envelope
from khidmat_wire.codec import MAX_PAYLOAD_BYTES
from khidmat_wire.messages import FedAsk, FedProbe
from khidmat_wire.topics import fed_answer_topic, fed_ask_topic
from matcher_cy import extract
from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX
from tests.attacks.attack_site import wait_for
from tests.provisioning.provision_mqtt import Client, Creds

pytestmark = pytest.mark.broker

NOT_AUTHORISED = 135
SCAN_ID = "01a24ae3-0afa-70ac-827c-b04b6dd5b2a2"


def fingers(finger: int, impression: int) -> tuple[object, object]:
    return tuple(extract(impression_image(f, impression, seed=11)) for f in (finger, finger + 1000))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def bed(
    tmp_path_factory: pytest.TempPathFactory, testbed_databases: Callable[[], str | None]
) -> Iterator[FederationTestbed]:
    testbed = FederationTestbed(
        tmp_path_factory.mktemp("fed-attack"),
        ["punjab", "sindh", "islamabad"],
        deadline_s=2.0,
        databases=testbed_databases,
    )
    right, left = fingers(7, 0)
    testbed.enrol(
        "sindh",
        [
            (
                "Held Seven",
                "wanted",
                [(RIGHT_INDEX, right.to_bytes()), (LEFT_INDEX, left.to_bytes())],
            )
        ],  # type: ignore[attr-defined]
    )
    testbed.start()
    try:
        assert testbed.wait_bridges(30)
        assert testbed.wait_ready(fingers(600, 1), timeout_s=120)
        testbed.stop_province("islamabad")
        yield testbed
    finally:
        testbed.close()


def islamabad_on_sindh(bed: FederationTestbed) -> Client:
    """A client holding Islamabad's bridge certificate, on Sindh's federation listener."""
    files = bed.provinces["islamabad"].files
    creds = Creds(
        "province-islamabad",
        "",
        files.ca_cert,
        "127.0.0.1",
        bed.provinces["sindh"].federation_port,
        files.bridge_cert,
        files.bridge_key,
    )
    client = Client(creds, client_id="province-islamabad").connect()
    assert not client.connack.is_failure, client.connack
    return client


def sindh_audit(bed: FederationTestbed) -> tuple[list[dict], list[str]]:
    store = HubStore(bed.provinces["sindh"].hub_db)
    try:
        quarantined = [
            q.reason for q in store.quarantined(limit=1000) if q.topic.startswith("khidmat/v1/fed/")
        ]
        return table.answers(store.db), quarantined
    finally:
        store.close()


def ask(sender: str, **changes: object) -> bytes:
    body = FedAsk(sender, SCAN_ID, "isb01-gate-1", "B1", (FedProbe(7, "AAAA"),), 2**50)
    document = json.loads(encode(make_envelope("fed-ask", sender, body)))
    document["body"].update(changes)
    return json.dumps(document).encode()


def test_a_province_cannot_publish_or_read_under_another_provinces_topics(
    bed: FederationTestbed,
) -> None:
    before, quarantined_before = sindh_audit(bed)
    attacker = islamabad_on_sindh(bed)
    try:
        forged = ask("punjab")
        assert attacker.publish(fed_ask_topic("punjab"), forged).value == NOT_AUTHORISED
        assert attacker.publish(fed_answer_topic("punjab", "sindh"), forged).value == NOT_AUTHORISED
        assert attacker.publish("khidmat/v1/dev/sindh-gate-1/up/scan", forged).value == (
            NOT_AUTHORISED
        )
        # Reading: granted in SUBACK (Mosquitto 2.0) but nothing is delivered, not even
        # Sindh's own ask when a Sindh gate searches.
        attacker.subscribe("khidmat/v1/fed/#")
        gate = bed.gate("sindh")
        try:
            scan_id, _ = gate.scan(*fingers(601, 1))
            assert gate.wait("federated", scan_id, 8) is not None
        finally:
            gate.close()
        time.sleep(0.5)
        assert attacker.messages.empty()
    finally:
        attacker.close()
    after, quarantined_after = sindh_audit(bed)
    assert [a for a in after if a["asker"] == "punjab" and a["gate"] == "isb01-gate-1"] == []
    assert len(after) == len(before)
    assert quarantined_after == quarantined_before


def test_malformed_and_oversized_asks_are_quarantined_and_sindh_goes_on(
    bed: FederationTestbed,
) -> None:
    attacker = islamabad_on_sindh(bed)
    topic = fed_ask_topic("islamabad")
    poisons = [
        b'{"schema": "khidmat.fed-ask", "body": ',  # not JSON
        ask("islamabad", probes=[{"finger": 7, "template": "A" * 20_000}]),  # over the limit
        ask("islamabad", gate="[b]54400-1234567-1[/b]"),  # markup where a device id goes
        ask("islamabad", province="punjab"),  # the body speaks for another province
        b"x" * (MAX_PAYLOAD_BYTES + 4096),  # over 1 MiB
    ]
    try:
        for payload in poisons:
            assert attacker.publish(topic, payload).value == 0  # its own topic: accepted
    finally:
        attacker.close()

    def quarantined() -> list[str]:
        return sindh_audit(bed)[1]

    assert wait_for(lambda: len(quarantined()) >= len(poisons), 20), quarantined()
    reasons = quarantined()
    assert any("not JSON" in r for r in reasons)
    assert any("16384" in r for r in reasons)
    assert any("body.gate" in r for r in reasons)
    assert any("differs from the topic" in r for r in reasons)
    assert any("1048576-byte limit" in r for r in reasons)
    for reason in reasons:
        assert "54400-1234567-1" not in reason and "[b]" not in reason
    sindh = bed.provinces["sindh"]
    assert sindh.hub is not None and sindh.hub.poll() is None  # the hub runs on
    assert "Traceback" not in sindh.hub_log.read_text()
    # ... and still answers a real ask: Punjab's gate finds the person Sindh holds.
    gate = bed.gate("punjab")
    try:
        scan_id, _ = gate.scan(*fingers(7, 1))
        got = gate.wait("federated", scan_id, 10)
    finally:
        gate.close()
    assert got is not None
    assert got[1].body.verdict == "red" and got[1].body.candidates[0].province == "sindh"
    assert got[1].body.not_answered == ("islamabad",)
