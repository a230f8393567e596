"""TrackingLookup: the typed number and digits, the second factor, the women's desk."""

from __future__ import annotations

import pytest

from hub.tracking_web.lookup import LookupRefused, TrackingLookup
from tests.hub.tracking_web.filed import MESSAGE


def _refused(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(LookupRefused) as caught:
        call(*args)
    return caught.value.reason


def test_a_number_typed_with_spaces_dashes_lower_case_or_urdu_digits_is_read(filed) -> None:
    lookup = TrackingLookup(filed.store)
    number = filed.general
    station, day, sequence, check = number.split("-")
    urdu = "".join(chr(0x06F0 + int(c)) if c.isdigit() else c for c in day)
    for typed in (
        number,
        number.lower(),
        f"  {station} {day} {sequence} {check}  ",
        f"{station}–{day}—{sequence}-{check}",  # en and em dashes
        f"{station}{day}{sequence}{check}".lower(),
        f"{station}-{urdu}-{sequence}-{check}",
    ):
        assert lookup.number(typed) == number, typed
    assert _refused(lookup.number, "not a number") == "format"
    assert _refused(lookup.number, number[:-1] + ("A" if number[-1] != "A" else "B")) == "check"
    assert _refused(lookup.number, number + " " * 100) == "format"  # over the length cap


def test_the_second_factor_is_the_last_digits_of_the_mobile(filed) -> None:
    lookup = TrackingLookup(filed.store)
    answer = lookup.find(filed.general, lookup.digits("4567"))  # 0300-1234567
    assert answer.status == "resolved" and not answer.women_desk and not answer.open
    assert [e.status for e in answer.history] == [
        "received", "registered", "assigned", "under-investigation", "resolved",
    ]  # fmt: skip
    assert answer.history[-1].message == MESSAGE
    assert lookup.digits("۴۵۶۷") == "4567" and lookup.digits(" 45-67 ") == "4567"
    for bad in ("456", "45678", "abcd", "", "4567" + "0" * 20):
        assert _refused(lookup.digits, bad) == "digits", bad
    # wrong digits and an unknown number answer alike
    assert _refused(lookup.find, filed.general, "4568") == "not-found"
    fresh = lookup.find(filed.fresh, "2223")
    assert fresh.status == "received" and fresh.open and fresh.due_at_ms > 0


def test_an_unknown_number_answers_like_wrong_digits(filed) -> None:
    from khidmat_wire.vocabulary import check_char

    lookup = TrackingLookup(filed.store)
    payload = "QTA01-261130-999999"
    unknown = lookup.number(f"{payload}-{check_char(payload)}")
    assert _refused(lookup.find, unknown, "4567") == "not-found"


def test_a_womens_desk_complaint_shows_only_the_womens_desk(filed) -> None:
    lookup = TrackingLookup(filed.store)
    answer = lookup.find(filed.women, "4321")
    assert answer.women_desk and answer.status == "" and answer.history == ()
    assert answer.due_at_ms == 0


def test_the_number_of_digits_is_configurable(filed) -> None:
    lookup = TrackingLookup(filed.store, mobile_digits=6)
    assert lookup.find(filed.general, lookup.digits("234567")).status == "resolved"
    assert _refused(lookup.digits, "4567") == "digits"
