"""Officer badges and PIN hashes: the one definition the hub (which makes them) and the
units (which check them) share.

A PIN has 6 to 8 digits and never travels or rests in clear: the hub stores and sends an
argon2id hash in PHC form (``$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>``). Cost of
:func:`hash_pin` and :func:`verify_pin`: what the hash names, at the default (64 MiB,
3 passes) about 0.1 s on a PC and 0.2-0.4 s on a Pi 4. Pure; thread-safe.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from khidmat_wire.messages import PIN_HASH_RE

__all__ = [
    "BADGE_RE",
    "LOCKOUT_S",
    "MAX_FAILURES",
    "MEMORY_KIB",
    "PIN_HASH_RE",
    "PIN_RE",
    "PIN_RULE",
    "TIME_COST",
    "hash_pin",
    "verify_pin",
]

BADGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PIN_RE = re.compile(r"[0-9]{6,8}")
PIN_RULE = "PIN: 6 to 8 digits."

#: Wrong PINs in a row before a badge is locked (on a unit, and at the hub), and for how
#: long, seconds.
MAX_FAILURES = 5
LOCKOUT_S = 900.0

#: argon2id cost of a PIN hash the hub makes (RFC 9106's second choice, one lane): KiB, passes.
MEMORY_KIB = 65_536
TIME_COST = 3


def hash_pin(pin: str, *, memory_kib: int = MEMORY_KIB, time_cost: int = TIME_COST) -> str:
    """The stored value for ``pin`` (what the hub keeps and sends). ValueError: not 6-8 digits."""
    if not PIN_RE.fullmatch(pin):
        raise ValueError(PIN_RULE)
    hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
    )
    return hasher.hash(pin)


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches an argon2id value made by :func:`hash_pin`."""
    if not stored.startswith("$argon2id$"):
        return False
    try:
        return PasswordHasher().verify(stored, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
