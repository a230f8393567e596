"""The watchlist builder: criteria -> templates -> signed, versioned snapshots and deltas.

:class:`WatchlistPublisher` turns the record store into the list every gate carries:
every template of every person whose status is in the criteria (wanted and proclaimed
offenders by default), optionally only for some offences. Each time the membership
changes (a person added, removed, re-enrolled or renamed) a new version is recorded with
a digest per person. For each active gate in the device registry the publisher then
queues, on the gate's downlink, a delta from the version the gate last reported installed
(telemetry ``watchlist_version`` or a ``watchlist-installed`` event) or a full snapshot
when the gate has none or reported ``watchlist-rejected``. Every message is signed with
the hub's Ed25519 key (``[hub] signing_key_file``); the gate verifies it.

Tables: ``watchlist_versions`` (the last ``VERSIONS_KEPT`` memberships, person -> digest)
and ``gate_watchlists`` (per gate: sent and installed versions). Cost: a refresh reads
every listed person's templates (about 1 KiB each): ~0.1 s per 10,000 templates.
Thread-safety: as :class:`hub.store.HubStore`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.config import WatchlistCriteria
from hub.records import RecordStore
from hub.store import HubStore, people
from hub.store import watchlists as table
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Event, Telemetry, WatchEntry, Watchlist
from khidmat_wire.signing import sign_watchlist

__all__ = ["GateWatchlist", "WatchlistCriteria", "WatchlistPublisher"]

VERSIONS_KEPT = 20
"""Memberships kept for building deltas; a gate on an older version gets a snapshot."""
RESEND_AFTER_MS = 3_600_000
"""A sent version an offline gate has not reported installed after this long is sent again
(the broker keeps it in the gate's session meanwhile)."""
RESEND_ONLINE_AFTER_MS = 50_000
"""A sent version an online gate has not reported installed after this long is sent again:
the copy may have been dropped (published before the gate's first connection), and a gate
must not wait a minute for a list it lacks."""


@dataclass(frozen=True, slots=True)
class GateWatchlist:
    device_id: str
    sent_version: int | None
    sent_ms: int | None
    installed_version: int | None
    installed_ms: int | None
    note: str


class WatchlistPublisher:
    """Builds versions and queues signed snapshots/deltas for the gates."""

    def __init__(
        self,
        store: HubStore,
        records: RecordStore,
        *,
        key: Ed25519PrivateKey | None,
        criteria: WatchlistCriteria | None = None,
    ) -> None:
        self.store = store
        self.db = store.db
        self.records = records
        self.key = key
        self.criteria = criteria or WatchlistCriteria()
        self._cache: tuple[tuple[int, ...], dict[str, list[WatchEntry]]] | None = None
        table.migrate(self.db)

    def install(self) -> None:
        """Follow what the gates report: installed versions and rejections."""
        self.store.add_handler("telemetry", self._on_telemetry)
        self.store.add_handler("event", self._on_event)

    # ------------------------------------------------------------- building

    def entries(self) -> dict[str, list[WatchEntry]]:
        """person_id -> that person's entries, from the record store as it is now."""
        people = [
            p
            for p in self.records.people_with_status(self.criteria.statuses)
            if not self.criteria.offences or set(p.offences) & set(self.criteria.offences)
        ]
        by_id = {p.person_id: p for p in people}
        result: dict[str, list[WatchEntry]] = {pid: [] for pid in by_id}
        for pid, finger, data in self.records.templates_of(list(by_id)):
            person = by_id[pid]
            result[pid].append(
                WatchEntry(pid, person.name, person.status, finger, base64.b64encode(data).decode())
            )
        return {pid: entries for pid, entries in result.items() if entries}

    def refresh(self, entries: dict[str, list[WatchEntry]], now_ms: int | None = None) -> int:
        """Record a new version when the membership changed; returns the current version."""
        now_ms = _now_ms() if now_ms is None else now_ms
        members = {pid: _digest(e) for pid, e in entries.items()}
        version = table.add_version_if_changed(
            self.db,
            members,
            criteria={"statuses": self.criteria.statuses, "offences": self.criteria.offences},
            entries=sum(len(e) for e in entries.values()),
            now_ms=now_ms,
            keep=VERSIONS_KEPT,
        )
        return version

    def message(
        self,
        entries: dict[str, list[WatchEntry]],
        version: int,
        base_version: int,
        now_ms: int,
    ) -> Watchlist:
        """A signed snapshot (``base_version`` 0) or delta from ``base_version``."""
        if self.key is None:
            raise RuntimeError("no watchlist signing key: set [hub] signing_key_file")
        if base_version == 0:
            add = tuple(e for pid in sorted(entries) for e in entries[pid])
            remove: tuple[str, ...] = ()
        else:
            old = self._members(base_version)
            new = {pid: _digest(e) for pid, e in entries.items()}
            changed = sorted(pid for pid in new if old.get(pid) != new[pid])
            # The gate removes first, then adds: a changed person is replaced whole.
            remove = tuple(sorted(set(old) - set(new)) + [p for p in changed if p in old])
            add = tuple(e for pid in changed for e in entries[pid])
        body = Watchlist(version, base_version, now_ms, add, remove, "")
        return sign_watchlist(body, self.key)

    def publish(
        self,
        gates: Sequence[str],
        now_ms: int | None = None,
        *,
        online: frozenset[str] = frozenset(),
        reconnected: frozenset[str] = frozenset(),
    ) -> list[tuple[str, int, int]]:
        """Queue what each gate needs; returns (gate, version, base_version) queued.

        A version already sent is sent again to a gate in ``reconnected`` (its birth just
        arrived: a copy published before its first connection was dropped by the broker),
        to a gate in ``online`` after ``RESEND_ONLINE_AFTER_MS`` and to any other after
        ``RESEND_AFTER_MS``. Nothing is queued without a signing key (RuntimeError then,
        when a gate needs one).
        """
        now_ms = _now_ms() if now_ms is None else now_ms
        entries = self._current_entries()
        version = self.refresh(entries, now_ms)
        known = table.versions(self.db)
        state = {g.device_id: g for g in self.gates()}
        queued: list[tuple[str, int, int]] = []
        messages: dict[int, Watchlist] = {}
        for gate in gates:
            current = state.get(gate)
            installed = current.installed_version if current else None
            if installed == version:
                continue
            resend_ms = RESEND_ONLINE_AFTER_MS if gate in online else RESEND_AFTER_MS
            if (
                gate not in reconnected
                and current is not None
                and current.sent_version == version
                and current.sent_ms is not None
                and now_ms - current.sent_ms < resend_ms
            ):
                continue
            base = installed if installed and installed in known and installed < version else 0
            if base not in messages:
                messages[base] = self.message(entries, version, base, now_ms)
            with self.db.write() as conn:
                HubStore.queue_downlink(conn, gate, "watchlist", messages[base])
                table.mark_sent(conn, gate, version, now_ms)
            queued.append((gate, version, base))
        return queued

    def _current_entries(self) -> dict[str, list[WatchEntry]]:
        """:meth:`entries`, rebuilt only when a person or template changed since last time."""
        marker = (self.records.template_seq(), *people.change_marker(self.db))
        if self._cache is None or self._cache[0] != marker:
            self._cache = (marker, self.entries())
        return self._cache[1]

    # -------------------------------------------------------------- reads

    def current_version(self) -> int:
        return table.current_version(self.db)

    def gates(self) -> list[GateWatchlist]:
        return [GateWatchlist(*r) for r in table.gates(self.db)]

    def _members(self, version: int) -> dict[str, str]:
        return table.members(self.db, version)

    # ----------------------------------------------------------- handlers

    def _on_telemetry(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Telemetry = envelope.body
        # 0 means none installed (a replaced or wiped unit): it then gets a snapshot.
        table.mark_installed(conn, envelope.device_id, body.watchlist_version or None, now_ms, "")

    def _on_event(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: Event = envelope.body
        if body.event_type == "watchlist-installed" and body.ref.isdigit():
            table.mark_installed(conn, envelope.device_id, int(body.ref), now_ms, "")
        elif body.event_type == "watchlist-rejected":
            # Forget what was sent, keep what the gate last reported installed: the next
            # round sends a delta from that (or a snapshot when it has none). Telemetry
            # corrects a stale installed version.
            table.mark_rejected(conn, envelope.device_id, f"rejected: {body.detail[:300]}")


def _digest(entries: list[WatchEntry]) -> str:
    text = json.dumps(
        [[e.finger, e.name, e.status, e.template] for e in sorted(entries, key=lambda e: e.finger)],
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]
