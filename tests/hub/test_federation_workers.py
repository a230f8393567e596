"""Two hub workers per province (MQTT v5 shared subscription): each cross-province search
is answered once per province and its verdict reaches the gate once, whichever worker
searched the scan, answered the ask or took the answers (real brokers and bridges)."""

from __future__ import annotations

import time
from collections import Counter
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
        tmp_path_factory.mktemp("fed-workers"),
        ["punjab", "sindh"],
        deadline_s=3.0,
        hub_workers=2,
        databases=testbed_databases,
    )
    testbed.enrol("punjab", distractors(0, 10))
    testbed.enrol("sindh", [person("Held Seven", "wanted", 7), *distractors(100, 10)])
    with running(testbed):
        yield testbed


def test_each_search_is_answered_and_decided_once(bed: FederationTestbed) -> None:
    gate = bed.gate("punjab")
    scans = []
    try:
        for impression in (1, 2, 3, 4):
            scan_id, _ = gate.scan(*fingers(7, impression))
            got = gate.wait("federated", scan_id, 10)
            assert got is not None and got[1].body.verdict == "red", got
            assert got[1].body.not_answered == ()
            scans.append(scan_id)
        time.sleep(1.0)  # a second verdict, if any, would have come by now
        assert [gate.received("federated", s) for s in scans] == [1, 1, 1, 1]
    finally:
        gate.close()
    store = HubStore(bed.provinces["sindh"].hub_db)
    try:
        answered = Counter(a["scan_id"] for a in table.answers(store.db))
    finally:
        store.close()
    assert all(answered[s] == 1 for s in scans)
    for process in [bed.provinces["punjab"].hub, *bed.provinces["punjab"].workers]:
        assert process is not None and process.poll() is None
