"""Officer sign-in verified at the hub: a unit's ``signin`` record is checked against the
roster and answered with a ``signin-result`` downlink.

The unit sends the badge and the PIN typed (over the broker's TLS link, on its own
``up/signin`` topic); the hub checks that the badge is on the roster, the PIN matches its
argon2id hash, the officer is active, and the badge is not locked at the hub
(:data:`khidmat_wire.pins.MAX_FAILURES` wrong PINs in a row, from any unit, lock it for
:data:`khidmat_wire.pins.LOCKOUT_S`; a PIN reset clears the count). The PIN is never
stored or logged: the record is kept without its payload (``SECRET_KINDS``) and the answer
names only the badge and the outcome. The unit reports what it did with the answer as an
``officer-signin*`` event (:mod:`hub.roster` records those).

The handler runs in the ingest transaction; cost: one argon2id verification (about 0.1 s
on a PC at the default cost) and a few SQL statements. Thread-safety: as
:class:`hub.store.HubStore`.
"""

from __future__ import annotations

from hub.store import HubStore
from hub.store import roster as table
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import SignIn, SignInResult
from khidmat_wire.pins import LOCKOUT_S, MAX_FAILURES, verify_pin

__all__ = ["SignInVerifier"]

REFUSED = "Badge or PIN not accepted."


class SignInVerifier:
    """Answers ``signin`` records; :meth:`install` registers the ingest handler."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        table.migrate(store.db)

    def install(self) -> None:
        self.store.add_handler("signin", self._on_signin)

    def _on_signin(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: SignIn = envelope.body
        outcome, detail = self.verify(conn, body.badge, body.pin, now_ms)
        result = SignInResult(envelope.record_id, body.badge, outcome, detail)
        HubStore.queue_downlink(conn, envelope.device_id, "signin-result", result)

    @staticmethod
    def verify(conn: Connection, badge: str, pin: str, now_ms: int) -> tuple[str, str]:
        """``(outcome, what the officer is told)``; counts a wrong PIN against the badge."""
        key = badge.strip().lower()
        row = table.officer(conn, key)
        if row is None:
            return "unknown", REFUSED
        locked_until = table.locked_until(conn, key)
        if locked_until > now_ms:
            wait_min = (locked_until - now_ms) / 60_000
            return "locked", (
                f"This badge is locked at the hub after {MAX_FAILURES} wrong PINs: "
                f"try again in {wait_min:.0f} min."
            )
        if not verify_pin(pin, row["pin_hash"]):
            until = table.note_failure(
                conn, key, now_ms, max_failures=MAX_FAILURES, lockout_ms=int(LOCKOUT_S * 1000)
            )
            if until:
                return "locked", (
                    f"{REFUSED} This badge is now locked at the hub for {LOCKOUT_S / 60:.0f} min."
                )
            return "wrong-pin", REFUSED
        table.clear_failures(conn, key)
        if row["status"] != "active":
            return "suspended", "This officer is suspended at the hub."
        return "accepted", ""
