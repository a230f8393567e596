"""The hub writes diary entries from what the units record, in the ingest transaction
(real SQLite, the hub's own ingest and handlers; the service is built, not started)."""

from __future__ import annotations

import base64
import dataclasses
import logging

import pytest

from hub.config import load_hub_config
from hub.ingest import Ingestor
from hub.service import HubService
from khidmat.testbed import sample_complaint
from khidmat_wire import build_topic, encode, make_envelope
from khidmat_wire.messages import Candidate, EnrolledFinger, Enrolment, Scan, State
from khidmat_wire.topics import Direction

STATION = "QTA1"


@pytest.fixture
def hub(hub_toml, register_units):
    service = HubService(load_hub_config(hub_toml()))  # tables and handlers; never started
    register_units(service.store)
    yield service, Ingestor(service.store, lambda topic, payload: True)
    service.store.close()


def _send(ingestor: Ingestor, envelope) -> None:
    topic = build_topic(envelope.device_id, Direction.UP, envelope.kind)
    ingestor.process([(topic, encode(envelope))])


def _state(ingestor: Ingestor, device_id: str, status: str, role: str = "gate") -> None:
    envelope = make_envelope("state", device_id, State(status, role, "1.0"))
    ingestor.process([(build_topic(device_id, Direction.STATE), encode(envelope))])


def test_a_complaint_is_entered_once_with_its_tracking_number(hub) -> None:
    service, ingestor = hub
    diary = service.modules.diary
    body = sample_complaint(STATION, 1, device_id="desk-qta1-1", description="CNIC 12345-1234567-1")
    envelope = make_envelope("complaint", "desk-qta1-1", body)
    _send(ingestor, envelope)
    _send(ingestor, envelope)  # re-sent by the unit: one complaint, one entry
    [entry] = diary.search(station=STATION)
    assert entry.kind == "complaint-received" and entry.ref == body.tracking_no
    assert body.tracking_no in entry.text and "theft" in entry.text
    assert entry.source == "desk-qta1-1" and entry.officer == "hub"
    assert body.complainant_name not in entry.text and "12345" not in entry.text
    assert diary.verify(STATION, entry.day).ok


def test_a_womens_desk_complaint_is_entered_without_the_citizens_details(hub) -> None:
    service, ingestor = hub
    body = dataclasses.replace(
        sample_complaint(STATION, 2, device_id="desk-qta1-1", category="harassment"),
        gender_desk=True,
    )
    _send(ingestor, make_envelope("complaint", "desk-qta1-1", body))
    [entry] = service.modules.diary.search(kind="complaint-received")
    assert "women's desk" in entry.text and body.complainant_name not in entry.text


def test_a_detention_confirmed_at_the_gate_is_entered_with_the_hubs_record(hub) -> None:
    service, ingestor = hub
    person_id = service.modules.records.upsert_person(
        name="Gul Khan", father_name="Sher Khan", cnic="54400-7777777-1", offences=("PPC 392",),
        status="wanted", source="test", actor="CRO",
    )  # fmt: skip
    first = make_envelope(
        "scan", "gate-qta1-1", Scan("QTA-0412", "AAAA", 70, "red", (Candidate(person_id, 0.9),), 3)
    )
    confirmed = make_envelope(
        "scan", "gate-qta1-1",
        Scan("QTA-0412", "AAAA", 70, "red", (Candidate(person_id, 0.9),), 3, "confirmed",
             "[b]same man[/b]", first.record_id),
    )  # fmt: skip
    rejected = make_envelope(
        "scan", "gate-qta1-1",
        Scan("QTA-0412", "AAAA", 70, "yellow", (Candidate(person_id, 0.4),), 3, "rejected"),
    )  # fmt: skip
    for envelope in (first, confirmed, rejected, confirmed):
        _send(ingestor, envelope)
    [entry] = service.modules.diary.search(station=STATION)
    assert entry.kind == "gate-detention" and entry.officer == "QTA-0412"
    assert "wanted Gul Khan s/o Sher Khan" in entry.text and "[b]same man[/b]" in entry.text
    assert entry.ref == first.record_id


def test_an_enrolment_is_entered_with_the_enrolling_officer(hub, templates) -> None:
    service, ingestor = hub
    template = base64.b64encode(templates[(1, 0)]).decode()
    body = Enrolment(
        "QTA-0007", "Rahim Dad", "Allah Dad", "", ("PPC 379",), "wanted",
        (EnrolledFinger(7, template, 80),),
    )  # fmt: skip
    _send(ingestor, make_envelope("enrolment", "enrol-qta1-1", body))
    refused = make_envelope("enrolment", "gate-qta1-1", body)  # a gate may not enrol
    _send(ingestor, refused)
    [entry] = service.modules.diary.search(station=STATION)
    assert entry.kind == "enrolment" and entry.officer == "QTA-0007"
    [person] = service.modules.records.search("Rahim Dad")
    assert "Rahim Dad s/o Allah Dad (wanted)" in entry.text and entry.ref == person.person_id


def test_a_unit_going_offline_and_back_is_entered_once_each(hub) -> None:
    service, ingestor = hub
    _state(ingestor, "gate-qta1-1", "online")  # first birth: nothing went down
    _state(ingestor, "gate-qta1-1", "offline")
    _state(ingestor, "gate-qta1-1", "offline")  # the retained will again on a reconnect
    _state(ingestor, "gate-qta1-1", "online")
    _state(ingestor, "gate-unregistered", "offline")  # no station: no entry
    entries = sorted(service.modules.diary.search(station=STATION), key=lambda e: e.seq)
    assert [e.kind for e in entries] == ["unit-offline", "unit-online"]
    assert entries[0].text == "gate unit gate-qta1-1 went offline"
    assert service.modules.diary.count() == 2


def test_a_diary_fault_never_costs_the_record(hub, caplog) -> None:
    service, ingestor = hub
    diary = service.modules.diary

    def broken(*args, **kwargs):
        raise RuntimeError("disk says no")

    diary.append = broken  # the feed holds this Diary: its next append fails
    body = sample_complaint(STATION, 3, device_id="desk-qta1-1")
    with caplog.at_level(logging.ERROR):
        _send(ingestor, make_envelope("complaint", "desk-qta1-1", body))
    assert service.modules.complaints.get(body.tracking_no, desk="general") is not None
    assert diary.count() == 0 and "not written: RuntimeError" in caplog.text
