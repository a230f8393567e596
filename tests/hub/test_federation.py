"""Provinces federated, end to end: three provinces, each with its own Mosquitto (TLS
federation listener, certificate identities, ACL), hub process and record store, joined by
real Mosquitto bridges (khidmat.federation_testbed). A gate in Punjab scans; the search
goes to Sindh and Balochistan over the bridges and back.

The tests run in file order on one testbed; the last one stops a province.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from edge_agent.sim.fingers import impression_image
from hub.store import HubStore
from hub.store import federation as table
from khidmat.federation_testbed import FederationTestbed
from khidmat_wire import encode
from matcher_cy import extract
from matcher_cy.distractors import distractor_template
from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

DEADLINE_S = 2.5
PROVINCES = ["punjab", "sindh", "balochistan"]
HELD_CNIC = "54400-7654321-3"
HELD_NAME = "Ghulam Haider"
FATHER = "Noor Muhammad"


def fingers(finger: int, impression: int) -> tuple[object, object]:
    """Right and left index of one synthetic person (finger ids ``finger``, +1000)."""
    return tuple(extract(impression_image(f, impression, seed=11)) for f in (finger, finger + 1000))  # type: ignore[return-value]


def person(name: str, status: str, finger: int) -> tuple[str, str, list[tuple[int, bytes]]]:
    right, left = fingers(finger, 0)
    return name, status, [(RIGHT_INDEX, right.to_bytes()), (LEFT_INDEX, left.to_bytes())]  # type: ignore[attr-defined]


def distractors(offset: int, count: int = 30) -> list[tuple[str, str, list[tuple[int, bytes]]]]:
    return [
        (
            f"Distractor {offset + i}",
            "convicted",
            [
                (RIGHT_INDEX, distractor_template(2 * (offset + i), seed=3).to_bytes()),
                (LEFT_INDEX, distractor_template(2 * (offset + i) + 1, seed=3).to_bytes()),
            ],
        )
        for i in range(count)
    ]


@contextmanager
def running(testbed: FederationTestbed) -> Iterator[FederationTestbed]:
    """``testbed`` (enrolled) started, with its bridges connected and every hub answering
    searches (at most 30 s and 120 s); closed on the way out, whatever happened."""
    testbed.start()
    try:
        assert testbed.wait_bridges(30), "the bridges did not connect"
        assert testbed.wait_ready(fingers(500, 1), timeout_s=120), "a hub did not get ready"
        yield testbed
    finally:
        testbed.close()


@pytest.fixture(scope="module")
def bed(
    tmp_path_factory: pytest.TempPathFactory, testbed_databases: Callable[[], str | None]
) -> Iterator[FederationTestbed]:
    root = tmp_path_factory.mktemp("federation")
    testbed = FederationTestbed(root, PROVINCES, deadline_s=DEADLINE_S, databases=testbed_databases)
    testbed.enrol("punjab", [person("Home Nine", "wanted", 9), *distractors(0)])
    testbed.enrol("sindh", [*distractors(100)])
    testbed.enrol("balochistan", [person("Convicted Eight", "convicted", 8), *distractors(200)])
    # Sindh's wanted person carries a CNIC and a father's name: neither may leave Sindh.
    from hub.records import RecordStore

    store = HubStore(testbed.provinces["sindh"].hub_db)
    right, left = fingers(7, 0)
    RecordStore(store).upsert_person(
        name=HELD_NAME, father_name=FATHER, cnic=HELD_CNIC, offences=("PPC 302",),
        status="wanted", source="test", actor="test",
        templates=[(RIGHT_INDEX, right.to_bytes(), 60), (LEFT_INDEX, left.to_bytes(), 60)],  # type: ignore[attr-defined]
    )  # fmt: skip
    store.close()
    with running(testbed):
        yield testbed


def audit(bed: FederationTestbed, name: str) -> tuple[list[dict], list[dict]]:
    store = HubStore(bed.provinces[name].hub_db)
    try:
        return table.queries(store.db), table.answers(store.db)
    finally:
        store.close()


def test_a_cross_province_hit_end_to_end(bed: FederationTestbed) -> None:
    gate = bed.gate("punjab")
    try:
        scan_id, sent = gate.scan(*fingers(7, 1), officer="B42")
        got = gate.wait("federated", scan_id, DEADLINE_S + 5)
    finally:
        gate.close()
    assert got is not None, "no federated verdict reached the gate"
    arrived, envelope = got
    verdict = envelope.body
    assert verdict.verdict == "red"
    assert verdict.not_answered == ()
    assert set(verdict.asked) == {"sindh", "balochistan"}
    best = verdict.candidates[0]
    assert (best.province, best.level, best.category) == ("sindh", "red", "wanted")
    assert best.ref.startswith("sindh-")
    assert best.desk.startswith("Sindh CRO desk")
    assert arrived - sent < DEADLINE_S  # everyone answered: no wait for the deadline

    # Nothing personal reached Punjab: not in the gate's verdict, not in Punjab's audit.
    wire = encode(envelope).decode()
    queries, _ = audit(bed, "punjab")
    stored = json.dumps(queries)
    for secret in (HELD_NAME, FATHER, HELD_CNIC, "PPC 302"):
        assert secret not in wire and secret not in stored

    # Audited on both sides: the asker's query and replies ...
    (query,) = [q for q in queries if q["scan_id"] == scan_id]
    assert query["device_id"] == "punjab-gate-1" and query["officer"] == "B42"
    assert query["verdict"] == "red" and json.loads(query["not_answered"]) == []
    replies = {r["province"]: r for r in query["replies"]}
    assert set(replies) == {"sindh", "balochistan"}
    assert replies["sindh"]["result"] == "hit" and not replies["sindh"]["late"]
    assert replies["balochistan"]["result"] == "no-hit"
    # ... and each answerer's row: who asked, from which gate and officer, what it answered.
    for name, result in (("sindh", "hit"), ("balochistan", "no-hit")):
        _, answers = audit(bed, name)
        (row,) = [a for a in answers if a["scan_id"] == scan_id]
        assert (row["asker"], row["gate"], row["officer"]) == ("punjab", "punjab-gate-1", "B42")
        assert row["result"] == result and row["query_id"] == query["query_id"]
    _, answers = audit(bed, "sindh")
    (row,) = [a for a in answers if a["scan_id"] == scan_id]
    ((ref, person_id, level, _score),) = json.loads(row["candidates"])
    assert (ref, level) == (best.ref, "red")
    store = HubStore(bed.provinces["sindh"].hub_db)
    try:
        assert table.resolve_ref(store.db, best.ref) == person_id  # Sindh's desk can resolve it
    finally:
        store.close()


def test_the_holding_desk_resolves_the_reference_and_both_logs_show_it(
    bed: FederationTestbed, capsys: pytest.CaptureFixture[str]
) -> None:
    from khidmat.cli import main

    sindh = bed.provinces["sindh"]
    _, answers = audit(bed, "sindh")
    hits = [a for a in answers if a["result"] == "hit"]
    assert hits
    ((ref, person_id, _level, _score),) = json.loads(hits[0]["candidates"])
    code = main(
        ["federation", "ref", ref, "--officer", "D9", "--config", str(sindh.hub_config), "--json"]
    )
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["person_id"], record["name"], record["cnic"]) == (
        person_id,
        HELD_NAME,
        HELD_CNIC,
    )
    store = HubStore(sindh.hub_db)
    try:
        from hub.records import RecordStore

        trail = RecordStore(store).audit_log(person_id)
    finally:
        store.close()
    assert any(row[1] == "federation lookup" and row[3] == "D9" for row in trail), trail
    # A reference Sindh never handed out names nobody (exit 1), and Punjab cannot resolve
    # Sindh's reference at all: the record is not there.
    assert main(["federation", "ref", "sindh-ffffffffffffffff", "--officer", "D9",
                 "--config", str(sindh.hub_config)]) == 1  # fmt: skip
    punjab = bed.provinces["punjab"]
    assert (
        main(["federation", "ref", ref, "--officer", "D9", "--config", str(punjab.hub_config)]) == 1
    )
    capsys.readouterr()
    assert main(["federation", "log", "--config", str(punjab.hub_config)]) == 0
    shown = capsys.readouterr().out
    assert "punjab-gate-1 B42  home no-hit  -> red  [" in shown and "sindh hit" in shown
    assert HELD_NAME not in shown
    assert main(["federation", "log", "--config", str(sindh.hub_config)]) == 0
    assert "punjab punjab-gate-1 B42  hit" in capsys.readouterr().out


def test_a_stranger_is_green_with_every_province_answered(bed: FederationTestbed) -> None:
    gate = bed.gate("sindh")
    try:
        scan_id, _ = gate.scan(*fingers(501, 1))
        got = gate.wait("federated", scan_id, DEADLINE_S + 5)
    finally:
        gate.close()
    assert got is not None
    body = got[1].body
    assert (body.verdict, body.candidates, body.not_answered) == ("green", (), ())
    assert set(body.asked) == {"punjab", "balochistan"}


def test_a_home_hit_is_not_forwarded_under_the_no_hit_policy(bed: FederationTestbed) -> None:
    gate = bed.gate("punjab")
    try:
        scan_id, _ = gate.scan(*fingers(9, 1))
        alert = gate.wait("alert", scan_id, 10)
        assert alert is not None and alert[1].body.status == "wanted"  # the home verdict
        assert gate.wait("federated", scan_id, 1.0) is None
    finally:
        gate.close()
    queries, _ = audit(bed, "punjab")
    assert scan_id not in {q["scan_id"] for q in queries}


def test_a_province_down_costs_only_its_answer(bed: FederationTestbed) -> None:
    bed.stop_province("balochistan")
    gate = bed.gate("punjab")
    try:
        # The home verdict comes as before, with no wait for anyone.
        home_id, home_sent = gate.scan(*fingers(9, 2))
        home = gate.wait("alert", home_id, 10)
        assert home is not None and home[0] - home_sent < DEADLINE_S
        # A person Sindh holds: the verdict comes at the deadline with Sindh's answer,
        # naming Balochistan as not answered.
        scan_id, sent = gate.scan(*fingers(7, 2))
        got = gate.wait("federated", scan_id, DEADLINE_S + 10)
    finally:
        gate.close()
    assert got is not None, "the deadline was not kept: no verdict"
    arrived, envelope = got
    body = envelope.body
    assert body.not_answered == ("balochistan",)
    assert body.verdict == "red" and body.candidates[0].province == "sindh"
    assert "balochistan" in body.message
    waited = arrived - sent
    assert DEADLINE_S - 0.1 <= waited < DEADLINE_S + 3.0, waited
    queries, _ = audit(bed, "punjab")
    (query,) = [q for q in queries if q["scan_id"] == scan_id]
    assert json.loads(query["not_answered"]) == ["balochistan"]
    assert query["finished_ms"] - query["deadline_ms"] < 1000
    time.sleep(0.2)
    assert bed.provinces["punjab"].hub is not None
    assert bed.provinces["punjab"].hub.poll() is None  # the asking hub runs on
