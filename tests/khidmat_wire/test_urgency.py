"""Urgent answers in the vocabulary: which answers make a complaint urgent, and hostile text."""

from __future__ import annotations

import pytest

from khidmat_wire.vocabulary import (
    BY_KEY,
    CATEGORIES,
    CHILD_AGE,
    EMERGENCY_NUMBER,
    URGENT_BY_KEY,
    urgency,
)


def test_every_urgent_answer_names_a_question_of_its_category_and_hours_not_days() -> None:
    assert set(URGENT_BY_KEY) == {"danger-now", "violence-now", "missing-child"}
    for category in CATEGORIES:
        for rule in category.urgent:
            assert rule.question in category.question_keys
            assert rule.test in ("yes", "age-below")
            assert 0 < rule.due_hours <= 6 < category.due_hours
    assert EMERGENCY_NUMBER == "15" and CHILD_AGE == 18


@pytest.mark.parametrize(
    "answer",
    ["yes", "Yes, he is outside the door", "YES!", "haan", "Ji haan", "ہاں", "جی ہاں", "y"],
)
def test_a_yes_in_english_or_urdu_to_danger_now_is_urgent(answer: str) -> None:
    rule = urgency("domestic-violence", {"danger_now": answer})
    assert rule is not None and rule.key == "danger-now"


@pytest.mark.parametrize(
    "answer", ["", "no", "No, not any more", "nahi", "نہیں", "yesterday", "maybe", "   "]
)
def test_anything_but_a_yes_is_not_urgent(answer: str) -> None:
    assert urgency("domestic-violence", {"danger_now": answer, "happening_now": answer}) is None


def test_violence_in_progress_is_urgent_with_a_shorter_due_time() -> None:
    rule = urgency("domestic-violence", {"danger_now": "no", "happening_now": "yes"})
    assert rule is not None and rule.key == "violence-now" and rule.due_hours == 1


@pytest.mark.parametrize(
    ("answer", "urgent"),
    [
        ("9", True),
        ("about 12 years", True),
        ("۷ سال", True),  # Urdu digits
        ("٣", True),  # Arabic-Indic digits
        ("17", True),
        ("18", False),
        ("45 years old", False),
        ("a teenager", False),  # no number: not judged a child
        ("", False),
    ],
)
def test_a_missing_person_under_the_child_age_is_urgent(answer: str, urgent: bool) -> None:
    rule = urgency("missing-person", {"missing_age": answer})
    assert (rule is not None and rule.key == "missing-child") is urgent


def test_hostile_answers_are_read_quickly_and_never_raise() -> None:
    for answer in ("9" * 100_000, "\x00yes", "yes" * 50_000, "\u202eyes", "١٢٣٤٥٦"):
        urgency("missing-person", {"missing_age": answer})
        urgency("domestic-violence", {"danger_now": answer})
    assert urgency("no-such-category", {"danger_now": "yes"}) is None
    assert urgency("theft", {"danger_now": "yes"}) is None  # not a question of theft
    assert BY_KEY["theft"].urgent == ()
