"""Fuzzing the kiosk's form checks: any text gets a filed value the wire accepts, or a reason.

Profile "ci" by default; ``HYPOTHESIS_PROFILE=fuzz`` runs 10,000 examples per target.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidmat_wire.messages import CNIC, MOBILE, TRACKING_NO
from kiosk import validation
from kiosk.tracking import TrackingError, parse_tracking_no

TYPED = st.text(max_size=300) | st.from_regex(r"[0-9 +\-]{0,20}", fullmatch=True)
LIMITS = {
    validation.check_name: validation.NAME_MAX,
    validation.check_answer: validation.ANSWER_MAX,
    validation.check_description: validation.DESCRIPTION_MAX,
    validation.check_comment: validation.COMMENT_MAX,
}


def _one_of(result: tuple[str | None, str | None]) -> str | None:
    value, reason = result
    assert (value is None) != (reason is None), result  # a value, or a reason, never both
    if reason is not None:
        assert reason.strip()
    return value


@given(TYPED)
def test_cnic(text: str) -> None:
    value = _one_of(validation.check_cnic(text))
    assert value is None or re.fullmatch(CNIC, value)


@given(TYPED)
def test_mobile(text: str) -> None:
    value = _one_of(validation.check_mobile(text))
    assert value is None or re.fullmatch(MOBILE, value)


@pytest.mark.parametrize("check", list(LIMITS), ids=lambda c: c.__name__)
@given(text=st.text(max_size=5000))
def test_free_text_fields(check, text: str) -> None:
    value = _one_of(check(text))
    assert value is None or (len(value) <= LIMITS[check] and "\x00" not in value)


@given(
    st.text(max_size=60)
    | st.from_regex(r"[A-Za-z0-9]{2,8}-[0-9]{6}-[0-9]{4,6}-[0-9A-Za-z]", fullmatch=True)
)
def test_tracking_numbers(text: str) -> None:
    try:
        number = parse_tracking_no(text)
    except TrackingError as error:
        assert str(error)
    else:
        assert re.fullmatch(TRACKING_NO, number)
