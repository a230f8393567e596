"""Officer sign-in at a gate or enrolment unit, checked against PINs the hub pushes.

The hub sends a ``config`` setting per officer allowed on the unit:
``officer.<badge>`` = ``pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`` (badge in lower
case; see docs/kiosk.md). The PIN never travels or rests in clear. :func:`verify_pin`
costs ``iterations`` rounds of SHA-256 (about 30 ms at the default on a Pi 4).
Pure; thread-safe.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

ITERATIONS = 60_000
PREFIX = "officer."
BADGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PIN_RE = re.compile(r"^[0-9]{4,8}$")


def hash_pin(pin: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The setting value for ``pin`` (what the hub stores and sends)."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2-sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches a value made by :func:`hash_pin` (constant-time compare)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2-sha256":
            return False
        computed = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def officers(settings: dict[str, str]) -> dict[str, str]:
    """badge (lower case) -> stored PIN hash, from the unit's settings."""
    return {k[len(PREFIX) :]: v for k, v in settings.items() if k.startswith(PREFIX)}


def check(settings: dict[str, str], badge: str, pin: str) -> tuple[str | None, str]:
    """``(badge, "")`` when the badge and PIN are valid here, else ``(None, reason)``."""
    badge = badge.strip()
    if not BADGE_RE.match(badge):
        return None, "Badge id: letters and digits, as on your card."
    if not PIN_RE.match(pin):
        return None, "PIN: 4 to 8 digits."
    known = officers(settings)
    if not known:
        return None, "No officer may sign in on this unit yet: the hub has sent no officer list."
    stored = known.get(badge.lower())
    if stored is None or not verify_pin(pin, stored):
        return None, "Badge or PIN not accepted."
    return badge, ""
