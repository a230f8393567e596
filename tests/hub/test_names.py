"""Hotel Eye's matching keys: CNICs written any way, names in English and Urdu spellings."""

from __future__ import annotations

import pytest

from hub.names import cnic_digits, format_cnic, latin, name_key, name_score


@pytest.mark.parametrize(
    "typed",
    ["54400-9876543-1", "5440098765431", "54400 9876543 1", "۵۴۴۰۰-۹۸۷۶۵۴۳-۱", "٥٤٤٠٠٩٨٧٦٥٤٣١",
     " 54400.9876543.1 "],
)  # fmt: skip
def test_a_cnic_written_any_way_gives_its_13_digits(typed: str) -> None:
    assert cnic_digits(typed) == "5440098765431"
    assert format_cnic(cnic_digits(typed)) == "54400-9876543-1"


@pytest.mark.parametrize("typed", ["", "54400-9876543", "54400-9876543-12", "5440O987654З1", "abc"])
def test_what_is_not_a_cnic_gives_nothing(typed: str) -> None:
    assert cnic_digits(typed) == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Muhammad Akram", "Mohammad Akram"),
        ("Muhammad Akram", "Muhammed Akram"),
        ("Muhammad Akram", "Mohd. Akram"),
        ("Muhammad Akram", "محمد اکرم"),
        ("Gul Khan", "گل خان"),
        ("Zahid Hussain", "Zahid Husain"),
        ("Zahid Hussain", "زاہد حسین"),
        ("Naseebullah", "Naseeb Ullah"),
        ("Naseebullah", "نصیب اللہ"),
        ("Abdul Rehman", "Abdul Rahman"),
        ("Yousaf Ali", "Ali Yusuf"),  # word order
        ("AKRAM MUHAMMAD", "akram muhammad"),
    ],
)
def test_spellings_of_one_name_score_high(a: str, b: str) -> None:
    assert name_score(name_key(a), name_key(b)) >= 90, (name_key(a), name_key(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Muhammad Akram", "Muhammad Aslam"),
        ("Gul Khan", "Sher Khan"),
        ("Zahid Hussain", "Zahid Mehmood"),
        ("Ayesha Bibi", "Nadia Baloch"),
        ("Muhammad Akram", ""),
    ],
)
def test_other_names_score_below_the_threshold(a: str, b: str) -> None:
    assert name_score(name_key(a), name_key(b)) < 90, (name_key(a), name_key(b))


def test_urdu_is_transliterated_and_vowels_left_out() -> None:
    assert latin("محمد اکرم") == "mhmd akrm"
    assert name_key("Muhammad Akram") == name_key("محمد اکرم") == "mhmd krm"
    assert latin("Zâhid  Ḥussain!") == "zahid hussain"
