"""Round trips for every kind, and rejection of malformed payloads with the field named."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_strategies import envelopes

from khidmat_wire import WireError, decode, encode, make_envelope
from khidmat_wire.messages import ALL_BODIES, Answer, Candidate, Complaint, Feedback, Scan


@pytest.mark.parametrize("kind", sorted(ALL_BODIES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_kind_round_trips(kind: str, data: st.DataObject) -> None:
    envelope = data.draw(envelopes(kind))
    assert decode(encode(envelope), expected_kind=kind) == envelope


def _complaint() -> Complaint:
    return Complaint(
        "QTA01-261130-0042-K", "QTA01", "theft", (Answer("where", "bazaar"),), "Ali", "54400-1234567-1",
        "0300-1234567", "stolen", True, False, "en",
    )  # fmt: skip


def _document() -> dict:
    return json.loads(encode(make_envelope("complaint", "qta01-desk-1", _complaint())))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["body"].update(cnic="5440-1234567-1"), "body.cnic"),
        (lambda d: d["body"].update(mobile="0300 1234567"), "body.mobile"),
        (lambda d: d["body"].update(description="x" * 4001), "body.description"),
        (lambda d: d["body"].update(cognizable="yes"), "body.cognizable"),
        (lambda d: d["body"].update(language="fr"), "body.language"),
        (lambda d: d["body"]["answers"][0].update(question="Bad Key"), "body.answers[0].question"),
        (
            lambda d: d["body"].update(answers=[{"question": "q", "answer": "a"}] * 21),
            "body.answers",
        ),
        (lambda d: d["body"].pop("station"), "body.station"),
        (lambda d: d["body"].update(extra=1), "body.extra"),
        (lambda d: d.update(id="not-a-uuid"), "id"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(schema="khidmat.nonsense"), "schema"),
        (lambda d: d.update(device_id="UPPER/CASE"), "device_id"),
        (lambda d: d.update(device_time_ms=-1), "device_time_ms"),
        (lambda d: d.pop("body"), "body"),
        (lambda d: d["body"].update(complainant_name="a\x00b"), "body.complainant_name"),
    ],
)
def test_malformed_complaint_names_the_field(mutate, field: str) -> None:
    document = _document()
    mutate(document)
    with pytest.raises(WireError) as caught:
        decode(json.dumps(document).encode())
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"x" * 1_048_577, "over the"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
)
def test_garbage_payloads_are_explained(payload: bytes, reason: str) -> None:
    with pytest.raises(WireError) as caught:
        decode(payload)
    assert caught.value.field == "payload"
    assert reason in caught.value.reason


def test_kind_must_match_topic() -> None:
    data = encode(make_envelope("complaint", "qta01-desk-1", _complaint()))
    with pytest.raises(WireError, match="on a 'feedback' topic"):
        decode(data, expected_kind="feedback")


def test_numbers_are_range_checked_and_nested_paths_named() -> None:
    scan = Scan("B-17", "", 50, "red", (Candidate("p-1", 12.5, 1), Candidate("p-2", 3.0, 2)), 4)
    document = json.loads(encode(make_envelope("scan", "qta01-gate-1", scan)))
    document["body"]["candidates"][1]["score"] = float("1e9")
    with pytest.raises(WireError) as caught:
        decode(json.dumps(document))
    assert caught.value.field == "body.candidates[1].score"
    document["body"]["candidates"][1]["score"] = True
    with pytest.raises(WireError, match="must be a finite number"):
        decode(json.dumps(document))


def test_a_two_finger_scan_round_trips_and_an_old_one_template_scan_still_decodes() -> None:
    from khidmat_wire.messages import ScanFinger

    two = Scan(
        "B-17", "AAAA", 60, "green", (), 4, finger=2,
        more_fingers=(ScanFinger(7, "BBBB", 55),), missing=(),
    )  # fmt: skip
    document = json.loads(encode(make_envelope("scan", "qta01-gate-1", two)))
    assert document["body"]["finger"] == 2
    assert document["body"]["more_fingers"] == [{"finger": 7, "template": "BBBB", "quality": 55}]
    assert decode(json.dumps(document)).body == two
    # a scan queued by a one-finger gate before the upgrade: no finger fields at all
    for key in ("finger", "more_fingers", "missing"):
        del document["body"][key]
    old = decode(json.dumps(document)).body
    assert (old.template, old.finger, old.more_fingers, old.missing) == ("AAAA", 0, (), ())
    one = Scan("B-17", "AAAA", 60, "green", (), 4, finger=2, missing=(7,))
    assert decode(encode(make_envelope("scan", "qta01-gate-1", one))).body.missing == (7,)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"more_fingers": [{"finger": 2, "template": "BBBB", "quality": 5}]},
            "body.more_fingers[0].finger",
        ),
        ({"finger": 0}, "body.more_fingers[0]"),
        ({"missing": [7]}, "body.missing[0]"),
        ({"missing": [11]}, "body.missing[0]"),
        (
            {"more_fingers": [{"finger": 0, "template": "BBBB", "quality": 5}]},
            "body.more_fingers[0].finger",
        ),
    ],
)
def test_a_scan_names_each_finger_once(change: dict, field: str) -> None:
    from khidmat_wire.messages import ScanFinger

    two = Scan("B-17", "AAAA", 60, "green", (), 4, finger=2, more_fingers=(ScanFinger(7, "B", 5),))
    document = json.loads(encode(make_envelope("scan", "qta01-gate-1", two)))
    document["body"].update(change)
    with pytest.raises(WireError) as caught:
        decode(json.dumps(document))
    assert caught.value.field == field


def test_encode_refuses_what_the_hub_would_reject() -> None:
    with pytest.raises(WireError) as caught:
        encode(make_envelope("feedback", "qta01-desk-1", Feedback("QTA01-261130-0042-K", 6)))
    assert caught.value.field == "body.rating"


@pytest.mark.parametrize("kind", ["ack", "complaint-status", "complaint"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_unchecked_encoding_is_the_same_bytes(kind: str, data: st.DataObject) -> None:
    envelope = data.draw(envelopes(kind))
    assert encode(envelope, check=False) == encode(envelope)


def test_an_unchecked_message_that_is_wrong_is_still_refused_by_its_receiver() -> None:
    envelope = make_envelope("feedback", "qta01-desk-1", Feedback("QTA01-261130-0042-K", 6))
    payload = encode(envelope, check=False)  # the maker skipped the check ...
    with pytest.raises(WireError) as caught:  # ... the receiver's decode does not
        decode(payload, expected_kind="feedback")
    assert caught.value.field == "body.rating"


def test_make_envelope_checks_body_type() -> None:
    with pytest.raises(WireError):
        make_envelope("feedback", "qta01-desk-1", _complaint())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_never_raise_anything_but_wire_error(payload: bytes) -> None:
    try:
        decode(payload)
    except WireError:
        pass
