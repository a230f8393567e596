"""Checks on what a citizen types, with the reason in plain words (a message id to translate).

Each checker returns ``(value, None)`` with the value normalised as it will be filed, or
``(None, message)`` where ``message`` is an English source string marked for translation.
The forms a value must end in (CNIC, mobile) are the wire vocabulary's
(:mod:`khidmat_wire.vocabulary`), so what the kiosk accepts is what the hub accepts.
Pure; thread-safe.
"""

from __future__ import annotations

from khidmat_wire.vocabulary import is_cnic, is_mobile
from kiosk.i18n import N_
from kiosk.text import ascii_digits, clean_input

NAME_MAX = 100
ANSWER_MAX = 500
DESCRIPTION_MAX = 4000
DESCRIPTION_MIN = 10
COMMENT_MAX = 1000

Result = tuple[str | None, str | None]


#: What a digits-only box (a PIN) lets through while typing: ASCII, Urdu (۰-۹) and
#: Arabic-Indic (٠-٩) digits; :func:`digits` turns them into ASCII.
DIGITS_RESTRICT = r"[0-9\u06f0-\u06f9\u0660-\u0669]*"


def digits(text: str) -> str:
    """The digits of ``text`` as 0-9 (Urdu ۰-۹ and Arabic-Indic ٠-٩ count as digits)."""
    return "".join(c for c in ascii_digits(text) if c.isdigit() and c.isascii())


def check_cnic(text: str) -> Result:
    """CNIC: 13 digits, shown as #####-#######-#; dashes and spaces may be left out."""
    raw = digits(text)
    if any(c.isalpha() for c in text):
        return None, N_("The CNIC has only numbers, no letters.")
    if len(raw) != 13:
        return None, N_("The CNIC has 13 numbers, like 42101-1234567-1.")
    value = f"{raw[:5]}-{raw[5:12]}-{raw[12]}"
    if not is_cnic(value):
        return None, N_("The CNIC has 13 numbers, like 42101-1234567-1.")
    return value, None


def check_mobile(text: str) -> Result:
    """Mobile: 11 digits starting 03, shown as 03##-#######; +92 3... is accepted too."""
    raw = digits(text)
    if any(c.isalpha() for c in text):
        return None, N_("The mobile number has only numbers, no letters.")
    if raw.startswith("92") and len(raw) == 12:
        raw = "0" + raw[2:]
    if not raw.startswith("03"):
        return None, N_("A mobile number starts with 03, like 0300-1234567.")
    if len(raw) != 11:
        return None, N_("A mobile number has 11 numbers, like 0300-1234567.")
    value = f"{raw[:4]}-{raw[4:]}"
    if not is_mobile(value):
        return None, N_("A mobile number has 11 numbers, like 0300-1234567.")
    return value, None


def check_name(text: str) -> Result:
    value = clean_input(text)
    if not value:
        return None, N_("Please write your name.")
    if len(value) > NAME_MAX:
        return None, N_("The name is too long (at most 100 letters).")
    return value, None


def check_answer(text: str) -> Result:
    value = clean_input(text)
    if len(value) > ANSWER_MAX:
        return None, N_("This answer is too long (at most 500 letters).")
    return value, None


def check_description(text: str) -> Result:
    value = clean_input(text)
    if len(value) < DESCRIPTION_MIN:
        return None, N_("Please tell us what happened in a few words.")
    if len(value) > DESCRIPTION_MAX:
        return None, N_("The description is too long (at most 4000 letters).")
    return value, None


def check_comment(text: str) -> Result:
    value = clean_input(text)
    if len(value) > COMMENT_MAX:
        return None, N_("The comment is too long (at most 1000 letters).")
    return value, None
