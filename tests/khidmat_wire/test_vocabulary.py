"""The complaint vocabulary is defined once, and the kiosk, the hub and the wire agree on it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hub.complaint_rules import DuePolicy
from khidmat.testbed import sample_complaint
from khidmat_wire import WireError, decode, encode, make_envelope
from khidmat_wire.messages import Answer, Complaint
from khidmat_wire.vocabulary import (
    CATEGORIES,
    CATEGORY_KEYS,
    CNIC,
    COMPLAINT_STATUSES,
    ESCALATION_LEVELS,
    MOBILE,
    STATION,
    STATUS_NAMES,
    TRACKING_NO,
    TRANSITIONS,
    is_cnic,
    is_mobile,
    is_tracking_no,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "khidmat_wire", "khidmat_base", "kiosk", "hub", "edge_agent", "provisioning", "khidmat", "bench",
)  # fmt: skip
VOCABULARY = ROOT / "khidmat_wire" / "vocabulary.py"


def test_the_desk_offers_exactly_what_the_hub_handles() -> None:
    from kiosk.categories import CATEGORIES as DESK

    offered = {c.key for c in DESK}
    handled = set(DuePolicy().due_hours)
    assert offered == handled, f"desk only: {offered - handled}; hub only: {handled - offered}"
    assert "nuisance" in handled
    policy = DuePolicy()
    for category in DESK:
        assert policy.due_ms(category.key) > 0  # never a fallback: every one has its own


def test_the_desk_shows_every_category_and_question_in_urdu() -> None:
    from kiosk.i18n import catalog

    urdu = catalog("ur")
    for category in CATEGORIES:
        for text in (category.title, *(q.text for q in category.questions)):
            assert urdu.gettext(text) != text, f"no Urdu for {text!r}"


def test_an_unknown_category_is_refused_by_the_codec() -> None:
    body = sample_complaint("QTA01", 7, device_id="unit-1")
    for category in CATEGORIES:
        answers = tuple(Answer(key, "yes") for key in category.question_keys)
        complaint = Complaint(**{**_fields(body), "category": category.key, "answers": answers})
        decoded = decode(encode(make_envelope("complaint", "unit-1", complaint))).body
        assert (decoded.category, decoded.answers) == (category.key, answers)
    payload = encode(make_envelope("complaint", "unit-1", body)).replace(b'"theft"', b'"arson"')
    with pytest.raises(WireError, match="body.category"):
        decode(payload)
    with pytest.raises(KeyError, match="no due time"):
        DuePolicy().due_ms("arson")


def test_answers_must_answer_the_categorys_own_questions() -> None:
    body = sample_complaint("QTA01", 9, device_id="unit-1")  # theft: when, where, items
    payload = encode(make_envelope("complaint", "unit-1", body))
    foreign = payload.replace(b'"question":"items"', b'"question":"danger_now"')
    assert foreign != payload
    with pytest.raises(WireError, match=r"body.answers\[1\].question"):
        decode(foreign)
    with pytest.raises(WireError, match="not a question of category 'theft'"):
        Complaint(**{**_fields(body), "answers": (Answer("weapon", "no"),)})


def test_statuses_are_one_lifecycle() -> None:
    assert set(TRANSITIONS) == set(COMPLAINT_STATUSES) == set(STATUS_NAMES)
    assert all(target in COMPLAINT_STATUSES for s in TRANSITIONS.values() for target in s)
    assert len(ESCALATION_LEVELS) >= 2 and len(set(CATEGORY_KEYS)) == len(CATEGORIES)


@pytest.mark.parametrize(
    ("check", "good"),
    [
        (is_cnic, "54400-1234567-1"),
        (is_mobile, "0300-1234567"),
        (is_tracking_no, "QTA01-261130-120001-D"),
    ],
)
def test_field_forms_take_the_whole_string(check, good: str) -> None:
    assert check(good)
    for bad in (good + "\n", good + "0", " " + good, good[:-1], "\n" + good):
        assert not check(bad), repr(bad)


def test_the_codec_refuses_a_trailing_newline() -> None:
    body = sample_complaint("QTA01", 8, device_id="unit-1")
    payload = encode(make_envelope("complaint", "unit-1", body))
    for field, value in (("cnic", body.cnic), ("mobile", body.mobile)):
        bad = payload.replace(f'"{value}"'.encode(), f'"{value}\\n"'.encode())
        with pytest.raises(WireError, match=f"body.{field}"):
            decode(bad)


def _sources() -> list[Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    return [p for p in files if p != VOCABULARY]


def copies(source: str, name: str) -> list[str]:
    """Where ``source`` lists two or more category keys or statuses in one collection
    literal, or spells the CNIC, mobile or tracking-number pattern."""
    words = set(CATEGORY_KEYS) | set(COMPLAINT_STATUSES)
    forms = (CNIC, MOBILE, STATION, TRACKING_NO.split("-", 1)[1])
    found: list[str] = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in words}
            if len(named) >= 2:
                found.append(f"{name}:{node.lineno} lists {sorted(named)}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(form in node.value for form in forms):
                found.append(f"{name}:{node.lineno} spells a field form")
    return found


def test_no_category_status_or_field_form_is_spelled_out_twice() -> None:
    """Only khidmat_wire/vocabulary.py defines them; every other module reads it."""
    found = [
        hit
        for path in _sources()
        for hit in copies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "\n".join(found)
    assert copies(VOCABULARY.read_text(encoding="utf-8"), "vocabulary.py")  # the one copy


def test_the_scan_sees_a_second_copy() -> None:
    copy = 'OPEN = ("received", "registered")\nCNIC_RE = re.compile(r"^' + CNIC + '$")\n'
    assert len(copies(copy, "copy.py")) == 2
    assert copies('S = {"theft": 24, "fraud": 168}', "copy.py")
    assert not copies('if status == "assigned": pass', "use.py")  # a use, not a definition


def _fields(body: Complaint) -> dict[str, object]:
    return {name: getattr(body, name) for name in body.__dataclass_fields__}
