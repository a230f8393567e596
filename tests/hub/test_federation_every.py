"""``[federation] policy = "every"``: every new gate search is forwarded, a home hit too
(two provinces on real brokers and bridges)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from hub.store import HubStore
from hub.store import federation as table
from khidmat.federation_testbed import FederationTestbed
from tests.hub.test_federation import distractors, fingers, person, running


@pytest.fixture(scope="module")
def bed(
    tmp_path_factory: pytest.TempPathFactory, testbed_databases: Callable[[], str | None]
) -> Iterator[FederationTestbed]:
    testbed = FederationTestbed(
        tmp_path_factory.mktemp("fed-every"),
        ["punjab", "sindh"],
        policy="every",
        deadline_s=2.5,
        databases=testbed_databases,
    )
    testbed.enrol("punjab", [person("Home Nine", "wanted", 9), *distractors(0, 10)])
    testbed.enrol("sindh", [person("Held Seven", "proclaimed-offender", 7), *distractors(100, 10)])
    with running(testbed):
        yield testbed


def test_a_home_hit_is_forwarded_too(bed: FederationTestbed) -> None:
    gate = bed.gate("punjab")
    try:
        home_id, _ = gate.scan(*fingers(9, 1))
        alert = gate.wait("alert", home_id, 10)
        federated = gate.wait("federated", home_id, 8)
        held_id, _ = gate.scan(*fingers(7, 1))
        held = gate.wait("federated", held_id, 8)
    finally:
        gate.close()
    assert alert is not None and alert[1].body.status == "wanted"  # the home verdict
    assert federated is not None
    assert (federated[1].body.verdict, federated[1].body.not_answered) == ("green", ())
    assert held is not None and held[1].body.verdict == "red"
    assert held[1].body.candidates[0].category == "proclaimed-offender"
    store = HubStore(bed.provinces["punjab"].hub_db)
    try:
        rows = {q["scan_id"]: q for q in table.queries(store.db)}
    finally:
        store.close()
    assert rows[home_id]["home_result"] == "hit" and rows[home_id]["verdict"] == "green"
    assert json.loads(rows[held_id]["not_answered"]) == []
