"""Hypothesis strategies for every message body, derived from the field specs themselves."""

from __future__ import annotations

import dataclasses
import typing
from functools import cache

from hypothesis import strategies as st

from khidmat_wire.codec import Envelope
from khidmat_wire.fields import limits_of
from khidmat_wire.ids import new_record_id
from khidmat_wire.messages import (
    ALL_BODIES,
    Answer,
    Complaint,
    FedAsk,
    FedProbe,
    HotelGuest,
    Scan,
    ScanFinger,
)
from khidmat_wire.vocabulary import CATEGORIES, HOME_NATIONALITY, Category

MAX_ITEMS = 3  # keep generated lists small; limits themselves are tested separately
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)


def _scalar(
    annotation: object, limits: typing.Any, *, is_item: bool
) -> st.SearchStrategy[typing.Any]:
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(
            int(limits.lo if limits.lo is not None else -(2**31)),
            int(min(limits.hi, 2**40) if limits.hi is not None else 2**31),
        )
    if annotation is float:
        low = float(limits.lo) if limits.lo is not None else -1e9
        high = float(limits.hi) if limits.hi is not None else 1e9
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if annotation is str:
        if limits.choices is not None and not is_item:
            return st.sampled_from(limits.choices)
        if limits.pattern is not None:
            pattern = limits.pattern.pattern
            if pattern.startswith("[A-Za-z0-9+/]*"):  # base64
                return st.binary(max_size=48).map(
                    lambda b: __import__("base64").b64encode(b).decode()
                )
            max_len = 100 if is_item else (limits.max_len or 10_000)
            return st.from_regex(limits.pattern, fullmatch=True).filter(
                lambda s: len(s) <= max_len and "\x00" not in s
            )
        return TEXT.map(lambda s: s[: (100 if is_item else limits.max_len)])
    raise TypeError(annotation)


@cache
def body_strategy(cls: type) -> st.SearchStrategy[typing.Any]:
    """A strategy producing valid instances of a body dataclass."""
    if cls is Complaint:  # its answers must answer its category's own questions
        return st.sampled_from(CATEGORIES).flatmap(_complaint_of)
    if cls is Scan:  # each finger position at most once over finger, more_fingers, missing
        return st.tuples(
            st.permutations(range(1, 11)), st.integers(0, MAX_ITEMS), st.integers(0, MAX_ITEMS)
        ).flatmap(_scan_of)
    if cls is FedAsk:  # one to ten probes, each finger position once
        return st.tuples(st.permutations(range(11)), st.integers(1, 10)).flatmap(_fed_ask_of)
    if cls is HotelGuest:  # a Pakistani guest carries a CNIC, a foreign one a passport
        return st.booleans().flatmap(_guest_of)
    return st.builds(cls, **_field_strategies(cls))


def _scan_of(drawn: tuple[list[int], int, int]) -> st.SearchStrategy[Scan]:
    positions, captured, missing = drawn
    fields = _field_strategies(Scan)
    extra = _field_strategies(ScanFinger)
    fields["finger"] = st.just(positions[0] if captured else 0)
    fields["more_fingers"] = st.tuples(
        *(
            st.builds(ScanFinger, **{**extra, "finger": st.just(position)})
            for position in positions[1:captured]
        )
    )
    fields["missing"] = st.just(tuple(positions[captured : captured + missing]))
    return st.builds(Scan, **fields)


def _fed_ask_of(drawn: tuple[list[int], int]) -> st.SearchStrategy[FedAsk]:
    positions, count = drawn
    fields = _field_strategies(FedAsk)
    probe = _field_strategies(FedProbe)
    fields["probes"] = st.tuples(
        *(st.builds(FedProbe, **{**probe, "finger": st.just(p)}) for p in positions[:count])
    )
    return st.builds(FedAsk, **fields)


def _guest_of(home: bool) -> st.SearchStrategy[HotelGuest]:
    fields = _field_strategies(HotelGuest)
    if home:
        fields["nationality"] = st.just(HOME_NATIONALITY)
        fields["cnic"] = fields["cnic"].filter(bool)
    else:
        fields["nationality"] = fields["nationality"].filter(lambda n: n != HOME_NATIONALITY)
        fields["passport"] = fields["passport"].filter(bool)
    return st.builds(HotelGuest, **fields)


def _complaint_of(category: Category) -> st.SearchStrategy[Complaint]:
    answer = st.builds(Answer, question=st.sampled_from(category.question_keys), answer=TEXT)
    fields = _field_strategies(Complaint)
    fields["category"] = st.just(category.key)
    fields["answers"] = st.lists(answer, max_size=MAX_ITEMS).map(tuple)
    return st.builds(Complaint, **fields)


def _field_strategies(cls: type) -> dict[str, st.SearchStrategy[typing.Any]]:
    hints = typing.get_type_hints(cls)
    fields = {}
    for field in dataclasses.fields(cls):
        annotation = hints[field.name]
        limits = limits_of(field)
        if typing.get_origin(annotation) is tuple:
            item = typing.get_args(annotation)[0]
            items = (
                body_strategy(item)
                if dataclasses.is_dataclass(item)
                else _scalar(item, limits, is_item=True)
            )
            fields[field.name] = st.lists(
                items, max_size=min(MAX_ITEMS, limits.max_len or MAX_ITEMS)
            ).map(tuple)
        elif dataclasses.is_dataclass(annotation):
            fields[field.name] = body_strategy(annotation)
        else:
            fields[field.name] = _scalar(annotation, limits, is_item=False)
    return fields


device_ids = st.from_regex(r"^[a-z0-9][a-z0-9-]{2,47}$", fullmatch=True)


@st.composite
def envelopes(draw: st.DrawFn, kind: str | None = None) -> Envelope:
    """A valid envelope of ``kind`` (any kind when None)."""
    kind = kind or draw(st.sampled_from(sorted(ALL_BODIES)))
    ms = draw(st.integers(0, 2**47))
    return Envelope(
        kind, new_record_id(ms), draw(device_ids), ms, draw(body_strategy(ALL_BODIES[kind]))
    )
