"""Finding 3: tracking numbers are unique by construction, and a collision loses nothing.

Before: nothing assigned a desk's unit number (it came from a hash of the device id), so
two desks of one station shared one about 1 time in 100; the second citizen got a receipt,
the hub acked the record, and the complaint was never opened. And a unit at another
station could file (or pre-file) a station's numbers. Now provisioning gives every active
desk of a station its own unit number; the hub refuses a complaint for another station;
and a number that is taken anyway opens the complaint under a fresh hub-issued number,
with both numbers' trails saying so and an operator alert.
"""

from __future__ import annotations

import dataclasses

from hub.complaints import ComplaintDesk
from khidmat_wire import encode
from khidmat_wire.vocabulary import (
    check_char,
    is_tracking_no,
    tracking_no_problem,
    unit_number_of,
)
from provisioning.operations import provision_device
from tests.attacks.attack_site import Site, up, wait_for


def test_provisioning_gives_each_desk_of_a_station_its_own_unit_number(site: Site) -> None:
    # 40 desks: with numbers drawn at random, two would share one with p > 0.9999
    desks = [
        provision_device(site.deployment, role="desk", station="QTA01").device.device_id
        for _ in range(40)
    ]
    numbers = [unit_number_of(d) for d in desks]
    assert len(set(numbers)) == 40, sorted(numbers)


def test_a_unit_cannot_file_another_stations_numbers(site: Site) -> None:
    unit = site.provision("desk", "QTA01")
    site.start_hub()
    client = site.unit_client(unit)
    envelope, _ = site.complaint(unit)
    foreign = dataclasses.replace(
        envelope.body, station="QTB02", tracking_no="QTB02-261130-010001-K"
    )
    prefiled = dataclasses.replace(envelope.body, tracking_no="QTB02-261130-010002-K")
    sent = []
    for body in (foreign, prefiled):
        record = dataclasses.replace(envelope, body=body, record_id=_fresh_id())
        assert client.publish(up(unit), encode(record)).value == 0
        sent.append(record.record_id)
    assert wait_for(lambda: len(site.quarantine_reasons(unit)) == 2), site.hub_log()
    assert site.stored(sent) == 0
    assert site.open_alerts(f"unit-refused:{unit}")


def test_a_taken_number_opens_the_complaint_under_a_fresh_one(site: Site) -> None:
    first, second = site.provision("desk", "QTA01"), site.provision("desk", "QTA01")
    site.start_hub()
    mine, _ = site.complaint(first)
    theirs, _ = site.complaint(second)
    theirs = dataclasses.replace(  # what two desks sharing a unit number produced
        theirs, body=dataclasses.replace(theirs.body, tracking_no=mine.body.tracking_no)
    )
    assert site.unit_client(first).publish(up(first), encode(mine)).value == 0
    assert wait_for(lambda: site.stored([mine.record_id]) == 1)
    assert site.unit_client(second).publish(up(second), encode(theirs)).value == 0
    assert wait_for(lambda: site.stored([theirs.record_id]) == 1), site.hub_log()
    store = site.store()
    try:
        desk = ComplaintDesk(store)
        assert wait_for(lambda: len(desk.queue(desk="general")) == 2)
        opened = {view.device_id: view.tracking_no for view in desk.queue(desk="general")}
        assert opened[first] == mine.body.tracking_no
        fresh = opened[second]
        assert fresh != mine.body.tracking_no and is_tracking_no(fresh)
        receipt_trail = [e.reason for e in desk.history(mine.body.tracking_no, desk="general")]
        assert any(fresh in reason for reason in receipt_trail)  # the receipt leads to it
        assert desk.public_status(fresh).found
    finally:
        store.close()
    assert site.open_alerts(f"tracking-collision:{mine.body.tracking_no}")


def test_a_desk_cannot_prefile_another_desks_numbers(site: Site) -> None:
    """Another desk's unit digits (with a correct check character) or a wrong check
    character: the complaint opens under a fresh hub-issued number (nothing lost for the
    citizen), the number it carried stays free for its desk, and the operator is told."""
    mine, other = site.provision("desk", "QTA01"), site.provision("desk", "QTA01")
    site.start_hub()
    client = site.unit_client(mine)
    envelope, _ = site.complaint(mine)
    theirs = f"QTA01-261130-{unit_number_of(other):02d}0001"
    prefiled = f"{theirs}-{check_char(theirs)}"
    good = envelope.body.tracking_no
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    sent = {}
    for number in (prefiled, wrong_check):
        body = dataclasses.replace(envelope.body, tracking_no=number)
        record = dataclasses.replace(envelope, body=body, record_id=_fresh_id())
        assert client.publish(up(mine), encode(record)).value == 0
        sent[number] = record.record_id
    assert wait_for(lambda: site.stored(list(sent.values())) == 2), site.hub_log()
    store = site.store()
    try:
        desk = ComplaintDesk(store)
        opened = [view.tracking_no for view in desk.queue(desk="general")]
        assert len(opened) == 2 and not set(opened) & set(sent), opened
        for number in opened:
            assert tracking_no_problem(number, frozenset({0})) is not None  # hub-issued
            trail = " ".join(e.reason for e in desk.history(number, desk="general"))
            assert any(receipt in trail for receipt in sent)
            assert desk.public_status(number).found
        assert not desk.public_status(prefiled).found  # still free for the other desk
    finally:
        store.close()
    for number in sent:
        assert site.open_alerts(f"tracking-collision:{number}")


def _fresh_id() -> str:
    from khidmat_wire.ids import new_record_id

    return new_record_id()
