"""Officer sign-in at a unit, checked against PIN hashes the hub pushes, with a lockout.

The hub sends a signed ``officers`` list, which the agent installs
(:mod:`edge_agent.officers`) as one setting per officer allowed on the unit:
``officer.<badge>`` = an argon2id hash of the PIN in PHC form
(``$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>``; badge in lower case; see
docs/kiosk.md and docs/security.md). The PIN never travels or rests in clear; older
PBKDF2 values are refused (the hub re-issues the list). A PIN has 6 to 8 digits.

:func:`verify_pin` costs what the hash names: at the default (64 MiB, 3 passes) about
0.2-0.4 s on a Pi 4, so it runs on a worker thread. :func:`sign_in` adds the
per-officer lockout kept in the unit's store (:data:`MAX_FAILURES` wrong PINs in a row
lock that badge for :data:`LOCKOUT_S`, across kiosk restarts). Thread-safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge_agent.officers import PREFIX
from khidmat_wire import make_envelope
from khidmat_wire.messages import Event
from khidmat_wire.pins import (
    BADGE_RE,
    MEMORY_KIB,
    PIN_RE,
    PIN_RULE,
    TIME_COST,
    hash_pin,
    verify_pin,
)

if TYPE_CHECKING:
    from edge_agent.store import LocalStore

__all__ = [
    "BADGE_RE", "LOCKOUT_S", "MAX_FAILURES", "MEMORY_KIB", "PIN_RE", "PIN_RULE", "PREFIX",
    "TIME_COST", "check", "hash_pin", "officers", "sign_in", "verify_pin",
]  # fmt: skip

#: Wrong PINs in a row before a badge is locked on this unit, and for how long, seconds.
MAX_FAILURES = 5
LOCKOUT_S = 900.0


def officers(settings: dict[str, str]) -> dict[str, str]:
    """badge (lower case) -> stored PIN hash, from the unit's settings."""
    return {k[len(PREFIX) :]: v for k, v in settings.items() if k.startswith(PREFIX)}


def check(settings: dict[str, str], badge: str, pin: str) -> tuple[str | None, str]:
    """``(badge, "")`` when the badge and PIN are valid here, else ``(None, reason)``."""
    badge = badge.strip()
    if not BADGE_RE.fullmatch(badge):
        return None, "Badge id: letters and digits, as on your card."
    if not PIN_RE.fullmatch(pin):
        return None, PIN_RULE
    known = officers(settings)
    if not known:
        return None, "No officer may sign in on this unit yet: the hub has sent no officer list."
    stored = known.get(badge.lower())
    if stored is None or not verify_pin(pin, stored):
        return None, "Badge or PIN not accepted."
    return badge, ""


def sign_in(
    store: LocalStore, badge: str, pin: str, *, now_ms: int, device_id: str | None = None
) -> tuple[str | None, str]:
    """:func:`check` with the per-officer lockout; failures and lockouts are audited.

    A locked badge is refused without looking at the PIN. A wrong PIN for a badge on the
    officer list counts against that badge; the fifth in a row locks it for LOCKOUT_S.
    With ``device_id`` the outcome is also queued for the hub as an ``event``
    (``officer-signin``, ``officer-signin-failed``, ``officer-locked``; ref = the badge as
    typed when it is a valid badge, never the PIN).
    """
    officer, reason = _sign_in(store, badge, pin, now_ms=now_ms)
    if device_id is not None:
        typed = badge.strip()
        ref = typed if BADGE_RE.fullmatch(typed) else ""
        if officer is not None:
            event = Event("officer-signin", "info", "signed in", ref)
        elif "locked" in reason:
            event = Event("officer-locked", "warning", reason, ref)
        else:
            event = Event("officer-signin-failed", "info", reason, ref)
        store.enqueue(make_envelope("event", device_id, event, now_ms=now_ms))
    return officer, reason


def _sign_in(store: LocalStore, badge: str, pin: str, *, now_ms: int) -> tuple[str | None, str]:
    key = badge.strip().lower()
    settings = store.settings()
    known = key in officers(settings)
    locked_until = store.signin_locked_until(key) if known else 0
    if locked_until > now_ms:
        wait_min = (locked_until - now_ms) / 60_000
        return (
            None,
            f"This badge is locked after {MAX_FAILURES} wrong PINs: try again in {wait_min:.0f} min.",
        )
    officer, reason = check(settings, badge, pin)
    if officer is not None:
        store.clear_signin_failures(key)
        return officer, ""
    if known:
        until = store.note_signin_failure(
            key, now_ms, max_failures=MAX_FAILURES, lockout_ms=int(LOCKOUT_S * 1000)
        )
        if until:
            store.audit("kiosk", "officer locked out", key)
            reason += f" This badge is now locked for {LOCKOUT_S / 60:.0f} min."
    return None, reason
