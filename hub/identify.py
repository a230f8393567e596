"""Identification at the hub: every gate scan searched against the full record store.

:class:`Identifier` keeps a matcher_cy :class:`~matcher_cy.Gallery` of every template in
the record store in memory (keys ``<person_id>#<finger>``), follows the store's
``template_log`` (:meth:`sync`, run before each search batch, so an enrolment ingested in
the same batch or a bulk import by another process is searchable at once), and searches
each new ``scan`` record (:meth:`identify`). A candidate at or above the threshold
(default ``THRESHOLD_FMR_1E3``, a false match in about 1,000 impostor comparisons per
template) is a hit. A hit on a person whose status is in ``alert_statuses`` that the
gate's own watchlist search did not return is sent to that gate as an ``alert`` and raised
on the console (:class:`hub.alerts.AlertBoard`, kind ``hit``). Every search is audited in
``searches`` (device, officer, time, gate verdict, hub result, candidates, elapsed ms).

Cost: exhaustive 1:N, linear in the number of templates (see ``khidmat bench search``);
the search runs on the hub service thread after each ingest batch. Not thread-safe (the
gallery is mutated by sync): one Identifier per hub worker thread.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from dataclasses import dataclass

from hub.alerts import AlertBoard
from hub.records import RecordStore
from hub.store import HubStore
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Alert, Scan

log = logging.getLogger(__name__)

SEARCH_K = 10
"""Templates returned per search (several may belong to one person)."""
ALERT_STATUSES = ("wanted", "proclaimed-offender")

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE searches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scan_id TEXT NOT NULL UNIQUE,
        device_id TEXT NOT NULL,
        officer TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        gate_verdict TEXT NOT NULL,
        gate_candidates TEXT NOT NULL,
        watchlist_version INTEGER NOT NULL,
        result TEXT NOT NULL,
        person_id TEXT,
        score REAL,
        candidates TEXT NOT NULL,
        gallery_size INTEGER NOT NULL,
        elapsed_ms REAL NOT NULL,
        alerted INTEGER NOT NULL
    );
    CREATE INDEX searches_at ON searches (at_ms);
    CREATE INDEX searches_person ON searches (person_id)
    """,
)


@dataclass(frozen=True, slots=True)
class SearchResult:
    scan_id: str
    device_id: str
    result: str
    """hit, no-hit or bad-probe."""
    person_id: str | None
    score: float | None
    candidates: tuple[tuple[str, int, float], ...]
    """(person_id, finger, score), best first."""
    alerted: bool


class Identifier:
    """The hub's 1:N search over every enrolled template."""

    def __init__(
        self,
        store: HubStore,
        records: RecordStore,
        alerts: AlertBoard,
        *,
        threshold: float | None = None,
        alert_statuses: tuple[str, ...] = ALERT_STATUSES,
    ) -> None:
        from matcher_cy import Gallery
        from matcher_cy.params import THRESHOLD_FMR_1E3

        self.store = store
        self.db = store.db
        self.records = records
        self.alerts = alerts
        self.threshold = THRESHOLD_FMR_1E3 if threshold is None else threshold
        self.alert_statuses = alert_statuses
        self.gallery = Gallery()
        self._seq = 0
        self.db.migrate("hub.identify", MIGRATIONS)

    def sync(self) -> int:
        """Apply template changes since the last sync; returns how many were applied."""
        from matcher_cy import Template, TemplateFormatError

        seq, changes = self.records.template_changes(self._seq)
        for person_id, finger, data in changes:
            key = f"{person_id}#{finger}"
            if data is None:
                if key in self.gallery:
                    self.gallery.remove(key)
                continue
            try:
                self.gallery.add(key, Template.from_bytes(data))
            except TemplateFormatError:
                log.exception("stored template %s cannot be decoded; not searchable", key)
        self._seq = seq
        return len(changes)

    def identify(self, envelope: Envelope) -> SearchResult:
        """Search one scan record, audit it, and alert when the gate missed a wanted person."""
        from matcher_cy import Template, TemplateFormatError

        body: Scan = envelope.body
        started = time.perf_counter()
        try:
            probe = Template.from_bytes(base64.b64decode(body.template, validate=True))
        except (TemplateFormatError, binascii.Error, ValueError) as error:
            log.warning("scan %s: unusable probe: %s", envelope.record_id, error)
            return self._audit(envelope, "bad-probe", None, None, (), False, started)
        found = self.gallery.search(probe, k=SEARCH_K) if len(self.gallery) else []
        candidates = tuple(
            (key.rsplit("#", 1)[0], int(key.rsplit("#", 1)[1]), float(score))
            for key, score in found
        )
        hits = [c for c in candidates if c[2] >= self.threshold]
        if not hits:
            return self._audit(envelope, "no-hit", None, None, candidates, False, started)
        person_id, _finger, score = hits[0]
        person = self.records.get(person_id)
        gate_ids = {c.person_id for c in body.candidates}
        missed = person_id not in gate_ids
        alerted = bool(person and missed and person.status in self.alert_statuses)
        if alerted and person is not None:
            message = (
                f"Hub match: {person.status} (score {score:.3f}). Detain and verify identity; "
                "call the control room."
            )
            with self.db.write() as conn:
                HubStore.queue_downlink(
                    conn,
                    envelope.device_id,
                    "alert",
                    Alert(
                        envelope.record_id,
                        person_id,
                        person.name[:100],
                        person.status,
                        round(score, 6),
                        message,
                    ),
                )
                self.alerts.raise_alert(
                    f"hit:{envelope.record_id}",
                    "hit",
                    "critical",
                    envelope.device_id,
                    f"{person.status} {person.name} at {envelope.device_id}",
                    f"scan {envelope.record_id} by {body.officer}: {person_id} score {score:.3f}; "
                    f"gate verdict {body.verdict}, gate watchlist v{body.watchlist_version} missed it",
                    conn=conn,
                )
        return self._audit(envelope, "hit", person_id, score, candidates, alerted, started)

    def _audit(
        self,
        envelope: Envelope,
        result: str,
        person_id: str | None,
        score: float | None,
        candidates: tuple[tuple[str, int, float], ...],
        alerted: bool,
        started: float,
    ) -> SearchResult:
        body: Scan = envelope.body
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO searches (scan_id, device_id, officer, at_ms, gate_verdict, "
                "gate_candidates, watchlist_version, result, person_id, score, candidates, "
                "gallery_size, elapsed_ms, alerted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    envelope.record_id,
                    envelope.device_id,
                    body.officer,
                    int(time.time() * 1000),
                    body.verdict,
                    json.dumps([[c.person_id, c.score] for c in body.candidates]),
                    body.watchlist_version,
                    result,
                    person_id,
                    score,
                    json.dumps([list(c) for c in candidates]),
                    len(self.gallery),
                    elapsed_ms,
                    int(alerted),
                ),
            )
        return SearchResult(
            envelope.record_id, envelope.device_id, result, person_id, score, candidates, alerted
        )

    def unsearched_scans(self, limit: int = 1000) -> list[Envelope]:
        """Stored scans with no search row (the hub stopped between storing and searching)."""
        from khidmat_wire import decode

        rows = self.db.query(
            "SELECT payload FROM records WHERE kind = 'scan' AND record_id NOT IN "
            "(SELECT scan_id FROM searches) ORDER BY received_ms LIMIT ?",
            (limit,),
        )
        return [decode(r[0].encode("utf-8"), expected_kind="scan") for r in rows]

    def searches(self, limit: int = 200) -> list[dict[str, object]]:
        """The newest audited searches as dicts (for the console and reports)."""
        rows = self.db.query("SELECT * FROM searches ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]
