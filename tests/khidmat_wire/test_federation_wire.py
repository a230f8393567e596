"""Federation topics and kinds: built and parsed once, validated like every other kind."""

from __future__ import annotations

import json

import pytest

from khidmat_wire import WireError, decode, encode, make_envelope
from khidmat_wire.messages import (
    FedAnswer,
    FedAsk,
    FedCandidate,
    Federated,
    FederatedCandidate,
    FedProbe,
)
from khidmat_wire.topics import (
    fed_answer_filter,
    fed_answer_topic,
    fed_ask_filter,
    fed_ask_topic,
    parse_fed_topic,
)

SCAN_ID = "01a24ae3-0afa-70ac-827c-b04b6dd5b2a2"


def ask(**changes: object) -> FedAsk:
    values: dict[str, object] = {
        "province": "punjab",
        "scan_id": SCAN_ID,
        "gate": "lhr01-gate-1a2b",
        "officer": "B17",
        "probes": (FedProbe(7, "AAAA"), FedProbe(2, "AAAA")),
        "deadline_ms": 1_800_000_000_000,
    }
    return FedAsk(**(values | changes))  # type: ignore[arg-type]


def test_topics_build_and_parse() -> None:
    assert fed_ask_topic("punjab") == "khidmat/v1/fed/punjab/ask"
    assert fed_answer_topic("sindh", "punjab") == "khidmat/v1/fed/sindh/answer/punjab"
    parsed = parse_fed_topic("khidmat/v1/fed/sindh/answer/punjab")
    assert (parsed.province, parsed.kind, parsed.asker) == ("sindh", "fed-answer", "punjab")
    assert parse_fed_topic(fed_ask_topic("islamabad")).kind == "fed-ask"
    assert fed_ask_filter() == "khidmat/v1/fed/+/ask"
    assert fed_answer_filter("punjab") == "khidmat/v1/fed/+/answer/punjab"


@pytest.mark.parametrize(
    "topic",
    [
        "khidmat/v1/fed/+/ask",
        "khidmat/v1/fed/#",
        "khidmat/v1/fed/Punjab/ask",
        "khidmat/v1/fed/punjab/ask/extra",
        "khidmat/v1/fed/punjab/answer",
        "khidmat/v1/fed/punjab/answer/+",
        "khidmat/v1/fed/punjab/tell",
        "khidmat/v1/dev/punjab/up/scan",
    ],
)
def test_bad_topics_are_refused(topic: str) -> None:
    with pytest.raises(WireError):
        parse_fed_topic(topic)


def test_province_names_cannot_carry_wildcards() -> None:
    for name in ("pun+jab", "sindh/x", "#", "ab", "a" * 25, "9sindh"):
        with pytest.raises(WireError):
            fed_ask_topic(name)


def test_kinds_round_trip() -> None:
    answer = FedAnswer(
        "sindh",
        SCAN_ID,
        "hit",
        (FedCandidate("sindh-0123456789abcdef", "red", "wanted", 0.31),),
        "Sindh CRO desk",
        5000,
    )
    federated = Federated(
        SCAN_ID,
        "red",
        (
            FederatedCandidate(
                "sindh", "sindh-0123456789abcdef", "red", "wanted", 0.31, "Sindh CRO desk"
            ),
        ),
        ("sindh", "islamabad"),
        ("islamabad",),
        "call Sindh",
    )
    for kind, body, sender in (
        ("fed-ask", ask(), "punjab"),
        ("fed-answer", answer, "sindh"),
        ("federated", federated, "hub"),
    ):
        envelope = make_envelope(kind, sender, body)
        assert decode(encode(envelope), expected_kind=kind) == envelope


def test_an_ask_needs_a_probe_and_each_finger_once() -> None:
    with pytest.raises(WireError, match="at least one probe"):
        ask(probes=())
    with pytest.raises(WireError, match="repeats a finger"):
        ask(probes=(FedProbe(7, "AAAA"), FedProbe(7, "AAAA")))


def test_a_candidate_carries_a_reference_not_a_name() -> None:
    envelope = make_envelope(
        "fed-answer",
        "sindh",
        FedAnswer(
            "sindh",
            SCAN_ID,
            "hit",
            (FedCandidate("sindh-0123456789abcdef", "red", "wanted", 1.0),),
            "",
            1,
        ),
    )
    document = json.loads(encode(envelope))
    document["body"]["candidates"][0]["name"] = "Abdul Rehman"
    with pytest.raises(WireError, match=r"body.candidates\[0\].name: unknown field"):
        decode(json.dumps(document))
    document["body"]["candidates"][0].pop("name")
    document["body"]["candidates"][0]["ref"] = "54400-1234567-1"
    with pytest.raises(WireError) as refused:
        decode(json.dumps(document))
    assert "54400" not in str(refused.value)  # the reason never repeats the text
