"""Identification at the hub: every gate scan searched against the full record store.

:class:`Identifier` keeps a matcher_cy :class:`~matcher_cy.Gallery` of every template in
the record store in memory (keys ``<person_id>#<finger>``), follows the store's
``template_log`` (:meth:`sync`, run before each search batch, so an enrolment ingested in
the same batch or a bulk import by another process is searchable at once), and searches
each new ``scan`` record (:meth:`identify`). A candidate at or above the threshold is a
hit. By default the threshold follows the gallery size so that about one innocent
person in a thousand searched would be flagged (``matcher_cy.decision``:
``threshold_for_fpir(RED_FPIR, N)``, the 1:1 threshold at FMR = 1e-3 / N); a fixed
``[hub] hit_threshold`` overrides it. A hit on a person whose status is in ``alert_statuses`` that the
gate's own watchlist search did not return is sent to that gate as an ``alert`` and raised
on the console (:class:`hub.alerts.AlertBoard`, kind ``hit``). Every search is audited in
``searches`` (device, officer, time, gate verdict, hub result, candidates, elapsed ms).

The gallery is kept as a prepared file beside the hub database (``<database>.gallery``,
matcher_cy.gallery_file) stamped with the ``template_log`` sequence it holds: every hub
worker maps the same file (the pages are shared) and applies only the changes logged
since, so a restart is ready in about a second instead of rebuilding every template's
cylinders (about 1 ms each). Once ``checkpoint_changes`` changes have piled up in memory a
worker writes a new file (one worker at a time, under a lock file; the others skip) and
maps it. A file that does not load, or whose stamp is ahead of the database (a restored
database), is rebuilt from the record store.

Cost: a prefilter plus a shortlist of precise scores, split over the cores (see ``khidmat
bench gallery``); the search runs on the hub's search thread (``hub.search_worker``), never
on the ingest thread. Load, sync and search take an internal lock (the gallery is mutated
by sync), so the gallery may load on another thread meanwhile; one Identifier per hub
worker process.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.alerts import AlertBoard
from hub.records import RecordStore
from hub.store import HubStore
from hub.store import searches as searches_table
from khidmat_base import clock
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import Alert, Scan

if TYPE_CHECKING:
    from matcher_cy import Gallery

log = logging.getLogger(__name__)

SEARCH_K = 10
"""Templates returned per search (several may belong to one person)."""
CHECKPOINT_CHANGES = 2000
"""Template changes held in memory before a worker writes a new prepared file."""
ALERT_STATUSES = ("wanted", "proclaimed-offender")


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
        gallery_file: Path | None = None,
        checkpoint_changes: int = CHECKPOINT_CHANGES,
    ) -> None:
        from matcher_cy import Gallery

        self.store = store
        self.db = store.db
        self.records = records
        self.alerts = alerts
        self.fixed_threshold = threshold
        self.alert_statuses = alert_statuses
        self.gallery = Gallery()
        self.ready = threading.Event()
        """Set once :meth:`load` has built the gallery; scans wait (unsearched) until then."""
        self._lock = threading.Lock()
        self._seq = 0
        self._pending = 0
        database = Path(str(self.db.path))
        if gallery_file is None and database.name not in ("", ":memory:"):
            gallery_file = database.with_name(database.name + ".gallery")
        self.gallery_file = gallery_file
        """The prepared gallery every worker maps (None: memory only)."""
        self.checkpoint_changes = checkpoint_changes
        searches_table.migrate(self.db)

    def threshold(self) -> float:
        """The hit score for the gallery as it is now (see the module docstring)."""
        if self.fixed_threshold is not None:
            return self.fixed_threshold
        from matcher_cy.decision import RED_FPIR, threshold_for_fpir

        return threshold_for_fpir(RED_FPIR, len(self.gallery))

    def load(self) -> int:
        """Map the prepared gallery file and apply the changes logged since it was written
        (or build the gallery from every stored template when there is no usable file),
        then mark the identifier ready. Returns the gallery size.

        Runs on a background thread at start so ingest is not held up: mapping takes
        about a second for 300,000 templates, a rebuild about 1 ms per template.
        """
        gallery, since = self._mapped()
        seq, changes = self.records.template_changes(since)
        _apply(gallery, changes)
        with self._lock:
            self.gallery = gallery
            self._seq = seq
            self._pending = len(changes)
        self.ready.set()
        self.sync()
        return len(self.gallery)

    def _mapped(self) -> tuple[Gallery, int]:
        """The mapped prepared file and the log sequence it holds, or (empty, 0)."""
        from matcher_cy import Gallery, TemplateFormatError

        path = self.gallery_file
        if path is None or not path.exists():
            return Gallery(), 0
        try:
            gallery = Gallery.load(path)
        except (TemplateFormatError, OSError) as error:
            log.warning(
                "gallery file %s unusable (%s): rebuilding from the record store", path, error
            )
            return Gallery(), 0
        latest, _ = self.records.template_changes(1 << 62)
        if gallery.stamp > latest:
            log.warning("gallery file %s is ahead of the database: rebuilding", path)
            return Gallery(), 0
        return gallery, gallery.stamp

    def checkpoint(self) -> bool:
        """Write the gallery as the prepared file and map it; False when another worker is
        writing one (lock held) or there is no file. Takes seconds for 300,000 templates
        (searches wait); run by ``sync`` once ``checkpoint_changes`` changes are pending."""
        from matcher_cy import Gallery

        path = self.gallery_file
        if path is None:
            return False
        with open(path.with_name(path.name + ".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            try:
                with self._lock:
                    self.gallery.save(path, stamp=self._seq)
                    self.gallery = Gallery.load(path, verify=False)
                    self._pending = 0
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return True

    def sync(self) -> int:
        """Apply template changes since the last sync (0 before :meth:`load`)."""
        if not self.ready.is_set():
            return 0
        with self._lock:
            seq, changes = self.records.template_changes(self._seq)
            _apply(self.gallery, changes)
            self._seq = seq
            self._pending += len(changes)
            due = self._pending >= self.checkpoint_changes
        if due:
            self.checkpoint()
        return len(changes)

    def identify(self, envelope: Envelope) -> SearchResult | None:
        """Search one scan record, audit it, and alert when the gate missed a wanted person.

        Claims the scan first (a ``pending`` row in ``searches``): None when it was
        already searched or is being searched by another worker, or when not ready.
        """
        from matcher_cy import Template, TemplateFormatError

        if not self.ready.is_set():
            return None
        body: Scan = envelope.body
        with self.db.write() as conn:
            claimed = searches_table.claim(
                conn,
                scan_id=envelope.record_id,
                device_id=envelope.device_id,
                officer=body.officer,
                at_ms=clock.now_ms(),
                gate_verdict=body.verdict,
                gate_candidates=[(c.person_id, c.score) for c in body.candidates],
                watchlist_version=body.watchlist_version,
            )
        if not claimed:
            return None
        started = time.perf_counter()
        try:
            probe = Template.from_bytes(base64.b64decode(body.template, validate=True))
        except (TemplateFormatError, binascii.Error, ValueError) as error:
            log.warning("scan %s: unusable probe: %s", envelope.record_id, error)
            return self._audit(envelope, "bad-probe", None, None, (), False, started)
        with self._lock:
            found = self.gallery.search(probe, k=SEARCH_K) if len(self.gallery) else []
        candidates = tuple(
            (key.rsplit("#", 1)[0], int(key.rsplit("#", 1)[1]), float(score))
            for key, score in found
        )
        threshold = self.threshold()
        hits = [c for c in candidates if c[2] >= threshold]
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
        elapsed_ms = (time.perf_counter() - started) * 1000
        searches_table.finish(
            self.db,
            envelope.record_id,
            at_ms=clock.now_ms(),
            result=result,
            person_id=person_id,
            score=score,
            candidates=candidates,
            gallery_size=len(self.gallery),
            elapsed_ms=elapsed_ms,
            alerted=alerted,
        )
        return SearchResult(
            envelope.record_id, envelope.device_id, result, person_id, score, candidates, alerted
        )

    def unsearched_scans(self, since_ms: int = 0, limit: int = 1000) -> list[Envelope]:
        """Scans received since ``since_ms`` with no search row (stored before the gallery
        was ready, or just before the hub stopped), oldest first."""
        from khidmat_wire import decode

        return [
            decode(payload, expected_kind="scan")
            for payload in searches_table.unsearched_scan_payloads(self.db, since_ms, limit)
        ]

    def searches(self, limit: int = 200) -> list[dict[str, object]]:
        """The newest audited searches as dicts (for the console and reports)."""
        return searches_table.newest(self.db, limit)


def _apply(gallery: Gallery, changes: list[tuple[str, int, bytes | None]]) -> None:
    from matcher_cy import Template, TemplateFormatError

    for person_id, finger, data in changes:
        key = f"{person_id}#{finger}"
        if data is None:
            if key in gallery:
                gallery.remove(key)
            continue
        try:
            gallery.add(key, Template.from_bytes(data))
        except TemplateFormatError:
            log.exception("stored template %s cannot be decoded; not searchable", key)
