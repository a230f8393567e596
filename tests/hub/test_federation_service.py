"""hub/federation/service.py in process: what it forwards, refuses, answers and decides.

The broker tests (test_federation.py, tests/attacks/test_federation_attacks.py) run the
whole path; these drive :class:`Federation` directly with messages the ACL would not let
through, or that only timing produces (an expired ask, a late answer), and record what it
publishes instead of a broker.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.alerts import AlertBoard
from hub.federation.service import Federation
from hub.federation.settings import FederationSettings
from hub.identify import Identifier, SearchResult
from hub.records import RecordStore
from hub.store import HubStore
from hub.store import federation as table
from khidmat_base import clock
from khidmat_wire import decode, encode, make_envelope
from khidmat_wire.messages import FedAnswer, FedAsk, FedCandidate, FedProbe, Scan
from khidmat_wire.topics import fed_answer_topic, fed_ask_topic

PROBE = base64.b64encode(b"not a template").decode()


class Fixture:
    def __init__(self, root: Path, policy: str = "no-hit") -> None:
        self.store = HubStore(root / "hub.db")
        records = RecordStore(self.store)
        alerts = AlertBoard(self.store)
        self.identifier = Identifier(self.store, records, alerts)
        self.published: list[tuple[str, bytes]] = []
        self.federation = Federation(
            FederationSettings("punjab", ("sindh", "balochistan"), policy, 1.0, "Punjab desk"),
            self.store,
            self.identifier,
            alerts,
            publish=lambda topic, payload: self.published.append((topic, payload)) or True,
            publish_downlinks=lambda: None,
        )

    def quarantined(self) -> list[str]:
        return [q.reason for q in self.store.quarantined()]

    def downlinks(self) -> list[tuple[str, str]]:
        return [(device, kind) for _, device, kind, _ in self.store.pending_downlinks()]


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Fixture]:
    made = Fixture(tmp_path)
    try:
        yield made
    finally:
        made.store.close()


def scan(decides: str = "") -> object:
    body = Scan("B1", PROBE, 50, "green", (), 1, decides=decides, finger=2)
    return make_envelope("scan", "lhr01-gate-1", body)


def result(envelope: object, outcome: str) -> SearchResult:
    return SearchResult(envelope.record_id, "lhr01-gate-1", outcome, None, None, (), False)  # type: ignore[attr-defined]


def answer(query_id: str, province: str = "sindh", **changes: object) -> bytes:
    body = FedAnswer(province, query_id, "no-hit", (), f"{province} desk", 10)
    values = {f: getattr(body, f) for f in body.__slots__} | changes  # type: ignore[attr-defined]
    return encode(make_envelope("fed-answer", province, FedAnswer(**values)))


def test_what_is_forwarded(fed: Fixture) -> None:
    home_hit, decision, bad = scan(), scan(decides=scan().record_id), scan()  # type: ignore[attr-defined]
    assert fed.federation.forward(home_hit, result(home_hit, "hit")) is None  # policy no-hit
    assert fed.federation.forward(decision, result(decision, "no-hit")) is None
    assert fed.federation.forward(bad, result(bad, "bad-probe")) is None
    assert fed.federation.forward(bad, None) is None  # claimed by another worker
    assert fed.published == []
    miss = scan()
    query_id = fed.federation.forward(miss, result(miss, "no-hit"))
    assert query_id is not None
    assert fed.federation.forward(miss, result(miss, "no-hit")) is None  # once per scan
    ((topic, payload),) = fed.published
    assert topic == fed_ask_topic("punjab")
    ask = decode(payload, expected_kind="fed-ask")
    assert ask.record_id == query_id and ask.body.scan_id == miss.record_id  # type: ignore[attr-defined]
    assert ask.body.probes == (FedProbe(2, PROBE),)
    assert ask.body.deadline_ms - ask.device_time_ms == 1000


def test_every_policy_forwards_a_home_hit(tmp_path: Path) -> None:
    made = Fixture(tmp_path, policy="every")
    try:
        hit = scan()
        assert made.federation.forward(hit, result(hit, "hit")) is not None
    finally:
        made.store.close()


def test_answers_that_do_not_belong_are_quarantined(fed: Fixture) -> None:
    miss = scan()
    query_id = fed.federation.forward(miss, result(miss, "no-hit"))
    assert query_id is not None
    stranger = answer("01a24ae3-0afa-70ac-827c-b04b6dd5b2a2")
    fed.federation.handle(fed_answer_topic("sindh", "punjab"), stranger)
    # an answer from a province this query did not ask
    fed.federation.handle(fed_answer_topic("islamabad", "punjab"), answer(query_id, "islamabad"))
    # an answer for another province, and one whose body speaks for another
    fed.federation.handle(fed_answer_topic("sindh", "balochistan"), answer(query_id))
    fed.federation.handle(fed_answer_topic("balochistan", "punjab"), answer(query_id))
    reasons = fed.quarantined()
    assert sum("did not ask" in r for r in reasons) == 2
    assert any("addressed to another province" in r for r in reasons)
    assert any("differs from the topic" in r for r in reasons)
    (query,) = table.queries(fed.store.db)
    assert query["replies"] == [] and query["verdict"] is None  # nothing taken


def test_the_verdict_goes_once_and_a_late_answer_changes_nothing(fed: Fixture) -> None:
    miss = scan()
    query_id = fed.federation.forward(miss, result(miss, "no-hit"))
    assert query_id is not None
    red = FedCandidate("sindh-0123456789abcdef", "red", "wanted", 0.4)
    fed.federation.handle(
        fed_answer_topic("sindh", "punjab"), answer(query_id, result="hit", candidates=(red,))
    )
    assert fed.downlinks() == []  # Balochistan has not answered: wait for it
    assert fed.federation.finish_due() == 0
    with fed.store.db.write() as conn:  # the deadline passes
        conn.execute("UPDATE fed_queries SET deadline_ms = 0")
    assert fed.federation.finish_due() == 1
    assert fed.federation.finish_due() == 0
    ((device, kind),) = fed.downlinks()
    assert (device, kind) == ("lhr01-gate-1", "federated")
    ((_, _, _, payload),) = fed.store.pending_downlinks()
    verdict = decode(payload, expected_kind="federated").body
    assert verdict.verdict == "red" and verdict.not_answered == ("balochistan",)
    assert verdict.candidates[0].desk == "sindh desk"
    fed.federation.handle(
        fed_answer_topic("balochistan", "punjab"), answer(query_id, "balochistan")
    )
    assert len(fed.downlinks()) == 1
    (query,) = table.queries(fed.store.db)
    assert {r["province"]: r["late"] for r in query["replies"]} == {"sindh": 0, "balochistan": 1}
    assert [a.kind for a in fed.federation.alerts.list()] == ["federated-hit"]


def ask_from(province: str, *, deadline_ms: int | None = None, probe: str = PROBE) -> bytes:
    body = FedAsk(
        province,
        "01a24ae3-0afa-70ac-827c-b04b6dd5b2a2",
        "khi01-gate-1",
        "B9",
        (FedProbe(2, probe),),
        clock.now_ms() + 5000 if deadline_ms is None else deadline_ms,
    )
    return encode(make_envelope("fed-ask", province, body))


def test_asks_refused_expired_not_ready_and_answered(fed: Fixture) -> None:
    fed.federation.handle(fed_ask_topic("islamabad"), ask_from("islamabad"))
    assert any("does not federate" in r for r in fed.quarantined())
    fed.federation.handle(fed_ask_topic("punjab"), ask_from("punjab"))  # our own, heard back
    fed.federation.handle(fed_ask_topic("sindh"), ask_from("sindh"))  # galleries not loaded
    fed.federation.handle(fed_ask_topic("sindh"), ask_from("sindh", deadline_ms=1))
    assert fed.published == []
    results = sorted(a["result"] for a in table.answers(fed.store.db))
    assert results == ["expired", "not-ready"]
    fed.identifier.load()
    copy = ask_from("sindh")
    fed.federation.handle(fed_ask_topic("sindh"), copy)
    fed.federation.handle(fed_ask_topic("sindh"), copy)  # a QoS 1 copy: answered once
    ((topic, payload),) = fed.published
    assert topic == fed_answer_topic("punjab", "sindh")
    body = decode(payload, expected_kind="fed-answer").body
    assert (body.result, body.candidates, body.desk) == ("bad-probe", (), "Punjab desk")
    rows = [a for a in table.answers(fed.store.db) if a["result"] == "bad-probe"]
    assert len(rows) == 1 and rows[0]["gate"] == "khi01-gate-1" and rows[0]["officer"] == "B9"


def test_a_flood_of_asks_from_one_province_is_cut_to_its_rate(tmp_path: Path) -> None:
    made = Fixture(tmp_path)  # asks_per_s 20: bursts of 40
    try:
        made.identifier.load()
        started = time.monotonic()
        for _ in range(100):
            made.federation.handle(fed_ask_topic("sindh"), ask_from("sindh"))
        took = time.monotonic() - started
        allowed = 40 + 20 * took + 1
        assert 40 <= len(made.published) <= allowed
        assert made.federation.throttled == 100 - len(made.published)
        assert len(table.answers(made.store.db)) == len(made.published)  # dropped: no rows
        # another province's asks are not held up by Sindh's flood
        made.federation.handle(fed_ask_topic("balochistan"), ask_from("balochistan"))
        assert made.published[-1][0] == fed_answer_topic("punjab", "balochistan")
    finally:
        made.store.close()
