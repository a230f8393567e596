"""What the public tracking page may show for a tracking number and a mobile number's last digits.

:class:`TrackingLookup` reads the hub database through :mod:`hub.store.complaints` and
:class:`hub.complaints.ComplaintDesk` (the same public timeline the kiosks get: status,
due time, each status change and the officer's message for the citizen, never a reason or
a name). The typed number is read with the vocabulary's
:func:`~khidmat_wire.vocabulary.parse_tracking_no` (spaces, dashes, lower case and Urdu
digits accepted); the second factor is the last ``mobile_digits`` digits of the mobile
number given at the desk, compared in constant time. An unknown number and wrong digits
give the same answer (``not-found``), so the page does not tell which numbers exist. A
women's desk complaint answers only that the women's desk handles it.

Thread-safety: as :class:`hub.store.HubStore`. Cost: two indexed reads (well under 1 ms).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from hub.complaints import ComplaintDesk
from hub.store import HubStore
from hub.store import complaints as table
from khidmat_wire.vocabulary import (
    STOPPED_STATUSES,
    TrackingNoError,
    ascii_digits,
    parse_tracking_no,
)

NUMBER_MAX_CHARS = 64
"""Longest typed tracking number read (a real one has at most 25 characters)."""
DIGITS_MAX_CHARS = 16
_DIGIT_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.]+")


class LookupRefused(Exception):
    """Why nothing is shown: ``format``, ``check`` (the typed number), ``digits`` (not
    ``mobile_digits`` digits) or ``not-found`` (no such number, or the digits differ)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """One status change as the citizen sees it."""

    status: str
    message: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class TrackingAnswer:
    """What the page shows. ``women_desk``: only that (status and history are empty)."""

    tracking_no: str
    women_desk: bool
    status: str = ""
    due_at_ms: int = 0
    history: tuple[PublicEntry, ...] = ()

    @property
    def open(self) -> bool:
        return not self.women_desk and self.status not in STOPPED_STATUSES


class TrackingLookup:
    def __init__(self, store: HubStore, *, mobile_digits: int = 4) -> None:
        self.db = store.db
        self.desk = ComplaintDesk(store)
        self.mobile_digits = mobile_digits

    def number(self, typed: str) -> str:
        """The typed tracking number, normalised; LookupRefused(``format``/``check``)."""
        if len(typed) > NUMBER_MAX_CHARS:
            raise LookupRefused("format")
        try:
            return parse_tracking_no(typed)
        except TrackingNoError as error:
            raise LookupRefused(str(error)) from None

    def digits(self, typed: str) -> str:
        """The typed digits (Urdu digits, spaces and dashes allowed); LookupRefused(``digits``)."""
        digits = _DIGIT_SEPARATORS.sub("", ascii_digits(typed[:DIGITS_MAX_CHARS]))
        if len(typed) > DIGITS_MAX_CHARS or not re.fullmatch(
            f"[0-9]{{{self.mobile_digits}}}", digits
        ):
            raise LookupRefused("digits")
        return digits

    def find(self, number: str, digits: str) -> TrackingAnswer:
        """The answer for a normalised ``number`` and checked ``digits``;
        LookupRefused(``not-found``) when there is none or the digits differ."""
        row = table.get(self.db, number)
        mobile = re.sub(r"[^0-9]", "", row["mobile"]) if row is not None else ""
        expected = mobile[-self.mobile_digits :] if len(mobile) >= self.mobile_digits else ""
        if row is None or not expected or not hmac.compare_digest(expected, digits):
            raise LookupRefused("not-found")
        if row["gender_desk"]:
            return TrackingAnswer(number, True)
        status = self.desk.public_status(number)
        history = tuple(PublicEntry(e.status, e.message, e.at_ms) for e in status.history)
        return TrackingAnswer(number, False, status.status, status.due_at_ms, history)
