"""The officer roster (HRMIS at the units): officers, their assignments, and the signed
list each unit carries.

:class:`Roster` keeps, through :mod:`hub.store.roster`, the tables ``officers`` (badge, name, rank, station, roles, active or
suspended, argon2id PIN hash), ``officer_assignments`` (badge -> unit id or station
code), ``officer_lists`` (per unit: the version and digest sent, the version it reported
installed), ``officer_signins`` (sign-ins, failures and lockouts the units report) and
``operations_audit`` (who changed what, when, old and new value; also used for unit
settings and commands).

Which officers reach a unit: active officers holding the unit's role (gate -> ``gate``,
enrol -> ``enrolment``, desk -> ``desk-supervisor``) who are assigned to that unit or to
its station; an officer with no assignment serves the units of their own station.
:meth:`Roster.publish` (a hub duty, and at once on a unit's birth) queues, on each unit's
downlink, a signed ``officers`` message whenever that subset changed, and again while an
online unit has not reported it installed. Cost: a few SQL reads per round and one
signature per changed unit. Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.alerts import AlertBoard
from hub.store import HubStore
from hub.store import roster as table
from khidmat_base.clock import now_ms as _clock_ms
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import OFFICER_ROLES, Event, OfficerEntry, Officers
from khidmat_wire.pins import BADGE_RE, PIN_HASH_RE
from khidmat_wire.signing import sign_watchlist
from khidmat_wire.vocabulary import STATION

__all__ = ["OFFICER_ROLES", "Officer", "Roster", "RosterError", "UnitList"]

UNIT_ROLE_NEEDS = {"gate": "gate", "enrol": "enrolment", "desk": "desk-supervisor"}
"""The officer role that lets an officer sign in on a unit of each role."""
RESEND_ONLINE_AFTER_MS = 50_000
"""A list an online unit has not reported installed after this long is sent again."""
RESEND_AFTER_MS = 3_600_000
SIGNIN_EVENTS = {
    "officer-signin": "signed in",
    "officer-signin-failed": "failed",
    "officer-locked": "locked out",
}


class RosterError(ValueError):
    """A roster change that is not valid; the message says why (shown to the operator)."""


@dataclass(frozen=True, slots=True)
class Officer:
    badge: str
    name: str
    rank: str
    station: str
    roles: tuple[str, ...]
    status: str
    assignments: tuple[str, ...]
    last_signin_ms: int | None
    failures: int
    """Failed sign-ins reported since the last successful one."""
    locked: bool
    """The last report for this badge was a lockout."""


@dataclass(frozen=True, slots=True)
class UnitList:
    device_id: str
    version: int
    officers: int
    sent_ms: int
    installed_version: int | None
    note: str


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit the roster sends a list to."""

    device_id: str
    role: str
    station: str


class Roster:
    """The officer roster over the hub store; :meth:`install` follows the units' reports."""

    def __init__(
        self, store: HubStore, alerts: AlertBoard, *, key: Ed25519PrivateKey | None = None
    ) -> None:
        self.store = store
        self.db = store.db
        self.alerts = alerts
        self.key = key
        table.migrate(self.db)

    def install(self) -> None:
        self.store.add_handler("event", self._on_event)

    # ------------------------------------------------------------- changes

    def add(
        self,
        badge: str,
        *,
        name: str,
        rank: str,
        station: str,
        roles: Sequence[str],
        pin_hash: str,
        actor: str,
        assignments: Sequence[str] = (),
    ) -> None:
        """Add an active officer. RosterError for a badge already on the roster or bad fields."""
        badge = badge.strip()
        if not BADGE_RE.fullmatch(badge):
            raise RosterError("badge: letters, digits, '.', '_' or '-', as on the card")
        name, rank, station = name.strip(), rank.strip(), station.strip().upper()
        if not 1 <= len(name) <= 100 or any(c in name for c in "\x00\r\n"):
            raise RosterError("name: 1 to 100 characters on one line")
        if not 1 <= len(rank) <= 40 or any(c in rank for c in "\x00\r\n"):
            raise RosterError("rank: 1 to 40 characters on one line")
        _check_station(station)
        roles = _check_roles(roles)
        _check_pin_hash(pin_hash)
        now = _clock_ms()
        with self.db.write() as conn:
            if table.officer(conn, badge.lower()) is not None:
                raise RosterError(f"badge {badge} is already on the roster")
            table.insert_officer(conn, badge, name, rank, station, json.dumps(roles), pin_hash, now)
            _audit(
                conn, now, actor, "officer add", badge, "", f"{rank}, {station}, {','.join(roles)}"
            )
            for target in assignments:
                self._assign(conn, now, actor, badge, target)

    def set_status(self, badge: str, status: str, *, actor: str) -> None:
        """Suspend (``suspended``) or reinstate (``active``) an officer."""
        if status not in ("active", "suspended"):
            raise RosterError("status: active or suspended")
        now = _clock_ms()
        with self.db.write() as conn:
            old = self._get_row(conn, badge)["status"]
            table.set_status(conn, badge.strip().lower(), status, now)
            _audit(conn, now, actor, "officer status", badge.strip(), old, status)

    def reset_pin(self, badge: str, pin_hash: str, *, actor: str) -> None:
        """Replace an officer's PIN hash (never logged: the audit says only that it changed)."""
        _check_pin_hash(pin_hash)
        now = _clock_ms()
        with self.db.write() as conn:
            self._get_row(conn, badge)
            table.set_pin_hash(conn, badge.strip().lower(), pin_hash, now)
            table.clear_failures(conn, badge.strip().lower())  # the hub's lockout ends
            _audit(conn, now, actor, "officer reset-pin", badge.strip(), "(hidden)", "(new PIN)")

    def assign(self, badge: str, target: str, *, actor: str) -> None:
        """Let an officer serve a unit (its device id) or every unit of a station (its code)."""
        with self.db.write() as conn:
            self._assign(conn, _clock_ms(), actor, badge, target)

    def unassign(self, badge: str, target: str, *, actor: str) -> None:
        now = _clock_ms()
        with self.db.write() as conn:
            self._get_row(conn, badge)
            if not table.unassign(conn, badge.strip().lower(), target.strip()):
                raise RosterError(f"{badge} is not assigned to {target}")
            _audit(conn, now, actor, "officer unassign", badge.strip(), target.strip(), "")

    def _assign(self, conn: Connection, now: int, actor: str, badge: str, target: str) -> None:
        self._get_row(conn, badge)
        target = target.strip()
        if not BADGE_RE.fullmatch(target):
            raise RosterError("assignment: a unit id or a station code")
        table.assign(conn, badge.strip().lower(), target)
        _audit(conn, now, actor, "officer assign", badge.strip(), "", target)

    @staticmethod
    def _get_row(conn: Connection, badge: str) -> sqlite3.Row:
        row = table.officer(conn, badge.strip().lower())
        if row is None:
            raise RosterError(f"no officer with badge {badge.strip()[:64]} on the roster")
        return row

    # --------------------------------------------------------------- reads

    def officers(self) -> list[Officer]:
        assignments: dict[str, list[str]] = {}
        for key, target in table.assignments(self.db):
            assignments.setdefault(key, []).append(target)
        signins: dict[str, tuple[int | None, int, bool]] = {}
        for badge, outcome, at_ms in table.signin_outcomes(self.db):
            last, failures, _ = signins.get(badge, (None, 0, False))
            if outcome == "signed in":
                signins[badge] = (at_ms, 0, False)
            else:
                signins[badge] = (last, failures + 1, outcome == "locked out")
        result = []
        for r in table.officers(self.db):
            last, failures, locked = signins.get(r["badge_key"], (None, 0, False))
            result.append(
                Officer(
                    r["badge"], r["name"], r["rank"], r["station"], tuple(json.loads(r["roles"])),
                    r["status"], tuple(assignments.get(r["badge_key"], ())), last, failures, locked,
                )
            )  # fmt: skip
        return result

    def signins(self, limit: int = 100) -> list[tuple[int, str, str, str, str]]:
        """Newest first: (at_ms, device_id, badge, outcome, detail)."""
        return table.signins(self.db, limit)

    def unit_lists(self) -> list[UnitList]:
        return [UnitList(*tuple(r)[:6]) for r in table.unit_lists(self.db)]

    def audit_log(self, limit: int = 200) -> list[tuple[int, str, str, str, str, str]]:
        """Newest first: (at_ms, actor, action, target, old, new)."""
        return table.audit_log(self.db, limit)

    def entries_for(self, unit: Unit) -> list[OfficerEntry]:
        """The officers who may sign in on ``unit``, by badge."""
        need = UNIT_ROLE_NEEDS.get(unit.role)
        if need is None:
            return []
        assigned: dict[str, set[str]] = {}
        for key, target in table.assignments(self.db):
            assigned.setdefault(key, set()).add(target)
        entries = []
        for r in sorted(table.officers(self.db, active_only=True), key=lambda r: r["badge_key"]):
            roles = tuple(json.loads(r["roles"]))
            targets = assigned.get(r["badge_key"])
            serves = (
                unit.device_id in targets or unit.station in targets
                if targets
                else r["station"] == unit.station
            )
            if need in roles and serves:
                entries.append(OfficerEntry(r["badge"], r["name"], r["rank"], roles, r["pin_hash"]))
        return entries

    # ------------------------------------------------------------- publish

    def publish(
        self,
        units: Sequence[Unit],
        now_ms: int | None = None,
        *,
        online: frozenset[str] = frozenset(),
        reconnected: frozenset[str] = frozenset(),
    ) -> list[tuple[str, int, int]]:
        """Queue a signed list for each unit whose officers changed, or that has not
        installed the last one (at once after its birth, after RESEND_ONLINE_AFTER_MS while
        online, RESEND_AFTER_MS otherwise). Returns (unit, version, officers) queued.
        RuntimeError without a signing key."""
        now_ms = _clock_ms() if now_ms is None else now_ms
        rows = table.unit_lists(self.db)
        sent = {r["device_id"]: UnitList(*tuple(r)[:6]) for r in rows}
        digests = {r["device_id"]: r["digest"] for r in rows}
        queued: list[tuple[str, int, int]] = []
        for unit in units:
            entries = self.entries_for(unit)
            digest = _digest(entries)
            last = sent.get(unit.device_id)
            old_digest = digests.get(unit.device_id)
            if last is not None and old_digest == digest:
                if last.installed_version == last.version:
                    continue
                wait = RESEND_ONLINE_AFTER_MS if unit.device_id in online else RESEND_AFTER_MS
                if unit.device_id not in reconnected and now_ms - last.sent_ms < wait:
                    continue
                version = last.version
            else:
                version = (last.version if last else 0) + 1
            if self.key is None:
                raise RuntimeError("no signing key: set [hub] signing_key_file")
            message = sign_watchlist(Officers(version, now_ms, tuple(entries), ""), self.key)
            with self.db.write() as conn:
                HubStore.queue_downlink(conn, unit.device_id, "officers", message)
                table.record_sent(conn, unit.device_id, version, digest, len(entries), now_ms)
            queued.append((unit.device_id, version, len(entries)))
        return queued

    # ------------------------------------------------------------ handlers

    def _on_event(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Event = envelope.body
        device = envelope.device_id
        if body.event_type == "officers-installed" and body.ref.isdigit():
            table.mark_installed(conn, device, int(body.ref), now_ms)
        elif body.event_type == "officers-rejected":
            table.mark_rejected(conn, device, f"rejected: {body.detail[:300]}")
        elif body.event_type in SIGNIN_EVENTS:
            badge = body.ref if BADGE_RE.fullmatch(body.ref) else "?"
            outcome = SIGNIN_EVENTS[body.event_type]
            table.add_signin(
                conn, envelope.device_time_ms, device, badge, outcome, body.detail[:300]
            )
            if body.event_type == "officer-locked":
                self.alerts.raise_alert(
                    f"lockout:{device}:{badge.lower()}",
                    "officer",
                    "warning",
                    device,
                    f"officer {badge} locked out at {device}",
                    body.detail[:300],
                    conn=conn,
                    now_ms=now_ms,
                )


def _check_station(station: str) -> None:
    if not re.fullmatch(STATION, station):
        raise RosterError("station: its code, 2 to 8 capital letters or digits")


def _check_roles(roles: Sequence[str]) -> list[str]:
    cleaned = sorted({r.strip() for r in roles if r.strip()})
    bad = [r for r in cleaned if r not in OFFICER_ROLES]
    if bad or not cleaned:
        raise RosterError("roles: one or more of " + ", ".join(OFFICER_ROLES))
    return cleaned


def _check_pin_hash(pin_hash: str) -> None:
    if not re.fullmatch(PIN_HASH_RE, pin_hash):
        raise RosterError("PIN hash: an argon2id hash made by khidmat_wire.pins.hash_pin")


def _audit(
    conn: Connection, at_ms: int, actor: str, action: str, target: str, old: str, new: str
) -> None:
    actor = actor.strip()[:80]
    if not actor:
        raise RosterError("who makes the change: give --by (an operator's name or badge)")
    table.audit(conn, at_ms, actor, action, target[:64], old[:200], new[:200])


def _digest(entries: list[OfficerEntry]) -> str:
    text = json.dumps(
        [[e.badge, e.name, e.rank, list(e.roles), e.pin_hash] for e in entries], ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]
