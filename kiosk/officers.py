"""Officer sign-in at a unit: verified at the hub whenever it is reachable, else checked
against the PIN hashes the hub pushes, with a lockout.

The hub sends a signed ``officers`` list, which the agent installs
(:mod:`edge_agent.officers`) as one setting per officer allowed on the unit:
``officer.<badge>`` = an argon2id hash of the PIN in PHC form
(``$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>``; badge in lower case; see
docs/kiosk.md and docs/security.md). Older PBKDF2 values are refused (the hub re-issues
the list). A PIN has 6 to 8 digits.

While the agent is connected to the broker (health ``hub_link`` = ``up``), :func:`sign_in`
first asks the hub (:func:`ask_hub`): it queues a ``signin`` record (badge and PIN, which
cross only the unit's TLS link to the broker) and waits up to :data:`HUB_WAIT_S` for the
``signin-result`` downlink, then withdraws the record from the outbox whatever happened
(the PIN rests on the unit only for that wait). A hub refusal (wrong PIN, suspended or
locked at the hub) wins over the local list; a hub acceptance also needs the badge on
this unit's list (the hub's roles and assignments). With no answer (the hub or its link
down) the local list decides. Which check decided is in the local audit and the
``officer-signin*`` event (``checked at hub`` / ``checked locally``).

:func:`verify_pin` costs what the hash names: at the default (64 MiB, 3 passes) about
0.2-0.4 s on a Pi 4, and :func:`ask_hub` up to HUB_WAIT_S, so sign-in runs on a worker
thread. :func:`sign_in` adds the per-officer lockout kept in the unit's store
(:data:`MAX_FAILURES` wrong PINs in a row lock that badge for :data:`LOCKOUT_S`, across
kiosk restarts; the hub keeps its own count across units). Thread-safe.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from edge_agent.officers import PREFIX
from edge_agent.store import LINK_HEALTH
from khidmat_wire import WireError, decode, make_envelope
from khidmat_wire.messages import Event, SignIn, SignInResult
from khidmat_wire.pins import (
    BADGE_RE,
    LOCKOUT_S,
    MAX_FAILURES,
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
    "BADGE_RE", "HUB_WAIT_S", "LOCKOUT_S", "MAX_FAILURES", "MEMORY_KIB", "PIN_RE", "PIN_RULE",
    "PREFIX", "TIME_COST", "ask_hub", "check", "hash_pin", "officers", "sign_in", "verify_pin",
]  # fmt: skip

#: How long a sign-in waits for the hub's answer before the local list decides, seconds.
HUB_WAIT_S = 3.0
POLL_S = 0.05
REFUSED = "Badge or PIN not accepted."


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
        return None, REFUSED
    return badge, ""


def ask_hub(
    store: LocalStore,
    device_id: str,
    badge: str,
    pin: str,
    *,
    now_ms: int,
    wait_s: float = HUB_WAIT_S,
) -> SignInResult | None:
    """The hub's verdict on ``badge`` and ``pin``, or None: the agent is not connected, or
    no answer came within ``wait_s`` seconds. The request is withdrawn from the outbox
    before this returns. ``badge`` and ``pin`` must already be valid (BADGE_RE, PIN_RE)."""
    if store.health(LINK_HEALTH) != "up":
        return None
    request = make_envelope("signin", device_id, SignIn(badge, pin), now_ms=now_ms)
    request_id = store.enqueue(request)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            for record_id, _, payload in store.unhandled_inbox(["signin-result"]):
                store.mark_handled(record_id)  # ours, or an answer nobody waits for any more
                try:
                    answer = decode(payload, expected_kind="signin-result").body
                except WireError:
                    continue  # the agent validated it; a damaged row is not an answer
                if isinstance(answer, SignInResult) and answer.request_id == request_id:
                    return answer
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_S)
    finally:
        store.withdraw(request_id)


def sign_in(
    store: LocalStore,
    badge: str,
    pin: str,
    *,
    now_ms: int,
    device_id: str | None = None,
    hub_wait_s: float = HUB_WAIT_S,
) -> tuple[str | None, str]:
    """Hub verification (when ``device_id`` is given and the hub answers), else
    :func:`check`, with the per-officer lockout; every outcome is audited locally.

    A locked badge is refused without looking at the PIN. A wrong PIN for a badge on the
    officer list counts against that badge; the fifth in a row locks it for LOCKOUT_S.
    With ``device_id`` the outcome is also queued for the hub as an ``event``
    (``officer-signin``, ``officer-signin-failed``, ``officer-locked``; ref = the badge as
    typed when it is a valid badge, never the PIN; detail says where it was checked).
    """
    officer, reason, where = _sign_in(
        store, badge, pin, now_ms=now_ms, device_id=device_id, hub_wait_s=hub_wait_s
    )
    typed = badge.strip()
    ref = typed if BADGE_RE.fullmatch(typed) else ""
    store.audit(ref or "?", "sign-in " + ("accepted" if officer else "refused"), where)
    if device_id is not None:
        if officer is not None:
            event = Event("officer-signin", "info", f"signed in ({where})", ref)
        elif "locked" in reason:
            event = Event("officer-locked", "warning", f"{reason} ({where})", ref)
        else:
            event = Event("officer-signin-failed", "info", f"{reason} ({where})", ref)
        store.enqueue(make_envelope("event", device_id, event, now_ms=now_ms))
    return officer, reason


def _sign_in(
    store: LocalStore,
    badge: str,
    pin: str,
    *,
    now_ms: int,
    device_id: str | None,
    hub_wait_s: float,
) -> tuple[str | None, str, str]:
    """``(officer, reason, where it was checked)``."""
    key = badge.strip().lower()
    settings = store.settings()
    known = key in officers(settings)
    locked_until = store.signin_locked_until(key) if known else 0
    if locked_until > now_ms:
        wait_min = (locked_until - now_ms) / 60_000
        return (
            None,
            f"This badge is locked after {MAX_FAILURES} wrong PINs: try again in {wait_min:.0f} min.",
            "checked locally",
        )
    answer = None
    if device_id is not None and BADGE_RE.fullmatch(badge.strip()) and PIN_RE.fullmatch(pin):
        answer = ask_hub(store, device_id, badge.strip(), pin, now_ms=now_ms, wait_s=hub_wait_s)
    if answer is None:
        officer, reason = check(settings, badge, pin)
        where = "checked locally"
        if device_id is not None and store.health(LINK_HEALTH) is not None:
            where += " (hub not reachable)"
    elif answer.outcome == "accepted":
        where = "checked at hub"
        officer, reason = badge.strip(), ""
        if not known:
            officer, reason = None, "This officer may not sign in on this unit."
    else:
        where = "checked at hub"
        officer, reason = None, answer.detail or REFUSED
        if answer.outcome != "wrong-pin":
            return None, reason, where  # locked, suspended or unknown at the hub
    if officer is not None:
        store.clear_signin_failures(key)
        return officer, "", where
    if known:
        until = store.note_signin_failure(
            key, now_ms, max_failures=MAX_FAILURES, lockout_ms=int(LOCKOUT_S * 1000)
        )
        if until:
            store.audit("kiosk", "officer locked out", key)
            reason += f" This badge is now locked for {LOCKOUT_S / 60:.0f} min."
    return None, reason, where
