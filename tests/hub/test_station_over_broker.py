"""Hotel guests and licence lookups end to end: a unit's outbox, a real Mosquitto, the hub.

The hub service and a desk unit's agent run as threads over a real broker (the test bed's
ACL and identities, as provisioning writes them). A hotel guest is delivered, acked and
checked against the records (a CNIC hit raises the station's alert); a guest of a hotel
the hub does not know is refused and kept by the unit until the hotel is registered; a
licence lookup is answered on the unit, and a status change queues the applicant's text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from hub.config import load_hub_config
from hub.hotels import HIT_KIND
from hub.licences import LicenceRow
from hub.service import HubService
from khidmat.testbed import Testbed
from khidmat_wire import make_envelope
from khidmat_wire.messages import HotelGuest, LicenceLookup

pytestmark = pytest.mark.broker
UNIT = "desk-1"
CHECK_IN_MS = 1_796_000_000_000


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def site(tmp_path: Path, testbed_databases) -> Iterator[tuple[HubService, Agent]]:
    testbed = Testbed(tmp_path, [UNIT], resend_after_s=0.5, database=testbed_databases()).start()
    hub = HubService(load_hub_config(testbed.hub_config))
    agent = Agent(load_unit_config(testbed.unit_configs[UNIT]))
    threads = [threading.Thread(target=t.run, daemon=True) for t in (hub, agent)]
    for thread in threads:
        thread.start()
    try:
        assert hub.session.wait_connected(10)
        hub.modules.records.upsert_person(
            name="Muhammad Akram", father_name="Abdul Karim", cnic="54400-9876543-1",
            offences=["PPC 302"], status="wanted", source="test", actor="CRO",
        )  # fmt: skip
        yield hub, agent
    finally:
        agent.stop()
        hub.stop()
        for thread in threads:
            thread.join(10)
        agent.store.close()
        hub.close()
        testbed.close()


def _guest(hotel: str, name: str, cnic: str, room: str) -> object:
    return make_envelope(
        "hotel-guest", UNIT, HotelGuest(hotel, name, cnic, "PK", "", CHECK_IN_MS, room)
    )


def test_a_hotel_guest_goes_through_outbox_ack_and_check(site) -> None:
    hub, agent = site
    hotels = hub.modules.hotels
    hotels.register("QTA-SERENA", name="Serena Hotel", station="QTA01", device_id=UNIT)
    wanted = agent.store.enqueue(_guest("QTA-SERENA", "Mohammad Akram", "54400-9876543-1", "21"))
    other = agent.store.enqueue(_guest("QTA-SERENA", "Ayesha Bibi", "42101-1234567-1", "22"))
    assert _wait(lambda: agent.store.outbox_depth() == 0, 20)
    assert {s.stay_id for s in hotels.stays()} == {wanted, other}
    (alert,) = hub.modules.alerts.list(kind=HIT_KIND)
    assert alert.severity == "critical" and "room 21" in alert.title
    assert alert.key == f"hotel:QTA01:{wanted}:{hotels.hits()[0].person_id}"


def test_a_guest_of_an_unknown_hotel_waits_on_the_unit_until_it_is_registered(site) -> None:
    hub, agent = site
    record = agent.store.enqueue(_guest("QTA-NEW", "Ayesha Bibi", "42101-1234567-1", "3"))
    assert _wait(lambda: any(q.record_id == record for q in hub.store.quarantined()), 20)
    assert _wait(lambda: bool(hub.modules.alerts.list(kind="unit-refused")), 10)
    assert agent.store.outbox_depth() == 1  # refused, not acknowledged: the unit keeps it
    hub.modules.hotels.register("QTA-NEW", name="New Hotel", station="QTA02", device_id=UNIT)
    assert _wait(lambda: agent.store.outbox_depth() == 0, 20)  # re-sent and stored
    assert [s.stay_id for s in hub.modules.hotels.stays()] == [record]


def test_a_unit_that_is_not_the_hotels_is_refused(site) -> None:
    hub, agent = site
    hub.modules.hotels.register("QTA-SERENA", name="Serena", station="QTA01", device_id="desk-9")
    record = agent.store.enqueue(_guest("QTA-SERENA", "Ayesha Bibi", "42101-1234567-1", "3"))
    assert _wait(lambda: any(q.record_id == record for q in hub.store.quarantined()), 20)
    assert "not hotel QTA-SERENA's unit" in next(
        q.reason for q in hub.store.quarantined() if q.record_id == record
    )
    assert hub.modules.hotels.stay_count() == 0


def test_a_licence_lookup_is_answered_on_the_unit_and_changes_are_texted(site) -> None:
    hub, agent = site
    office = hub.modules.licences
    row = LicenceRow("QTA-2026004512", "54400-1234567-1", "Gul Khan", "0300-1234567", "LTV",
                     "en", "applied", CHECK_IN_MS, "")  # fmt: skip
    report = office.apply([row], source="test")
    assert (report.steps, report.texts) == (1, 1)
    asked = make_envelope(
        "licence-lookup", UNIT, LicenceLookup("QTA-2026004512", "54400-1234567-1")
    )
    agent.store.enqueue(asked)
    assert _wait(lambda: agent.store.licence_answer(asked.record_id) is not None, 20)
    answer = agent.store.licence_answer(asked.record_id)
    assert answer.found and answer.status == "applied" and answer.licence_class == "LTV"
    # a wrong CNIC is told "not found", like an unknown token
    wrong = make_envelope(
        "licence-lookup", UNIT, LicenceLookup("QTA-2026004512", "54400-1234567-2")
    )
    agent.store.enqueue(wrong)
    assert _wait(lambda: agent.store.licence_answer(wrong.record_id) is not None, 20)
    assert not agent.store.licence_answer(wrong.record_id).found
    ready = replace(row, status="ready", at_ms=CHECK_IN_MS + 86_400_000, note="Bring your CNIC.")
    assert office.apply([ready], source="test").texts == 1
    assert office.apply([ready], source="test").texts == 0  # the same file again
    texts = [t["text"] for t in hub.modules.sms.texts("QTA-2026004512")]
    assert len(texts) == 2 and any("Ready for collection. Bring your CNIC." in t for t in texts)
    again = make_envelope(
        "licence-lookup", UNIT, LicenceLookup("QTA-2026004512", "54400-1234567-1")
    )
    agent.store.enqueue(again)
    assert _wait(lambda: agent.store.licence_answer(again.record_id) is not None, 20)
    assert [s.status for s in agent.store.licence_answer(again.record_id).history] == [
        "applied", "ready",
    ]  # fmt: skip
