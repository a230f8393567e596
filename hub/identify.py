"""Identification at the hub: every gate scan searched against the full record store.

:class:`Identifier` keeps one matcher_cy :class:`~matcher_cy.Gallery` per ISO finger
position of every template in the record store in memory (key ``person_id``), follows
the store's ``template_log`` (:meth:`sync`, run before each search batch, so an
enrolment ingested in the same batch or a bulk import by another process is searchable at
once), and searches each new ``scan`` record (:meth:`identify`) the way the gate does
(``matcher_cy.persons.search_probes``): every finger the scan carries (``template`` at
``finger``, plus ``more_fingers``) is searched in its position's gallery, each
candidate's other fingers are scored 1:1, and the finger scores are fused
(``matcher_cy.fuse``). A scan from a one-finger gate (``finger`` 0: position not known)
is searched as one finger against every position. A candidate whose fused score reaches
the red threshold for the persons on record and the fingers compared
(``matcher_cy.decision.red_threshold``: about one innocent person in a thousand searched
flagged) is a hit; one finger has no red against more than about 300 persons, so a hit
against a large record store rests on two fingers. A fixed ``[hub] hit_threshold`` (a
fused score) overrides it. A hit on a person whose status is in ``alert_statuses`` that
the gate's own watchlist search did not return is sent to that gate as an ``alert`` and
raised on the console (:class:`hub.alerts.AlertBoard`, kind ``hit``). Every search is
audited in ``searches`` (device, officer, time, gate verdict, hub result, candidates with
their best finger and fused score, elapsed ms).

The galleries are kept as prepared files beside the hub database (``<database>.gallery.<
position>``, matcher_cy.gallery_file), each stamped with the ``template_log`` sequence it
holds, and a manifest ``<database>.gallery.json`` naming the positions written: every
hub worker maps the same files (the pages are shared) and applies only the changes
logged since the oldest stamp (replaying a change a file already holds is harmless), so
a restart is ready in about a second instead of rebuilding every template's cylinders
(about 1 ms each). Once ``checkpoint_changes`` changes have piled up in memory a worker
writes new files (one worker at a time, under a lock file; the others skip) and maps
them. A manifest or file that does not load, or a stamp ahead of the database (a restored
database), means a rebuild from the record store.

Cost: per finger a prefilter plus a shortlist of precise scores, split over the cores
(see ``khidmat bench gallery``), plus a few 1:1 scores; the search runs on the hub's
search thread (``hub.search_worker``), never on the ingest thread. Load, sync and search
take an internal lock (the galleries are mutated by sync), so they may load on another
thread meanwhile; one Identifier per hub worker process.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import os
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
    from matcher_cy import Gallery, Template
    from matcher_cy.persons import PersonCandidate

log = logging.getLogger(__name__)

SEARCH_K = 10
"""Persons returned per search."""
CHECKPOINT_CHANGES = 2000
"""Template changes held in memory before a worker writes new prepared files."""
ALERT_STATUSES = ("wanted", "proclaimed-offender")
MANIFEST_FORMAT = 1


class BadProbe(ValueError):
    """A scan's template does not decode (its message names which; never the bytes)."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    scan_id: str
    device_id: str
    result: str
    """hit, no-hit or bad-probe."""
    person_id: str | None
    score: float | None
    """Fused score of the person named (matcher_cy.fuse)."""
    candidates: tuple[tuple[str, int, float], ...]
    """(person_id, best-scoring finger's ISO position, fused score), best first."""
    alerted: bool
    fingers: int = 0
    """Fingers the scan carried that were searched (0 for a bad probe)."""


def scan_probes(body: Scan) -> dict[int, Template]:
    """ISO position -> probe template of every finger a scan carries (position 0: not
    known, a one-finger gate's scan). BadProbe when a template does not decode."""
    from matcher_cy import Template, TemplateFormatError

    probes: dict[int, Template] = {}
    fingers = [("template", body.finger, body.template)]
    fingers += [
        (f"more_fingers[{i}]", extra.finger, extra.template)
        for i, extra in enumerate(body.more_fingers)
    ]
    for name, position, encoded in fingers:
        try:
            probes[position] = Template.from_bytes(base64.b64decode(encoded, validate=True))
        except (TemplateFormatError, binascii.Error, ValueError) as error:
            raise BadProbe(f"{name}: {error}") from None
    return probes


class Identifier:
    """The hub's 1:N search over every enrolled template, by person, fingers fused."""

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
        self.store = store
        self.db = store.db
        self.records = records
        self.alerts = alerts
        self.fixed_threshold = threshold
        self.alert_statuses = alert_statuses
        self.galleries: dict[int, Gallery] = {}
        """ISO finger position -> the gallery of every person's template there."""
        self._enrolled: dict[str, int] = {}
        """person_id -> positions enrolled (the persons a search compares with)."""
        self.ready = threading.Event()
        """Set once :meth:`load` has built the galleries; scans wait (unsearched) until then."""
        self._lock = threading.Lock()
        self._seq = 0
        self._pending = 0
        database = Path(self.db.location) if self.db.dialect == "sqlite" else Path("")
        if gallery_file is None and database.name not in ("", ":memory:"):
            gallery_file = database.with_name(database.name + ".gallery")
        self.gallery_file = gallery_file
        """Base name of the prepared files every worker maps (None: memory only)."""
        self.checkpoint_changes = checkpoint_changes
        searches_table.migrate(self.db)

    @property
    def persons(self) -> int:
        """Persons with at least one searchable template."""
        return len(self._enrolled)

    @property
    def templates(self) -> int:
        """Searchable templates over every position."""
        return sum(len(gallery) for gallery in self.galleries.values())

    def threshold(self, fingers: int = 2) -> float:
        """The fused hit score for the persons on record now and ``fingers`` compared
        (``math.inf``: that many fingers cannot make a hit; see the module docstring)."""
        if self.fixed_threshold is not None:
            return self.fixed_threshold
        from matcher_cy.decision import red_threshold

        return red_threshold(self.persons, min(2, max(1, fingers)))

    def load(self) -> int:
        """Map the prepared files and apply the changes logged since they were written
        (or build the galleries from every stored template when there are no usable
        files), then mark the identifier ready. Returns the templates searchable.

        Runs on a background thread at start so ingest is not held up: mapping takes
        about a second for 300,000 templates, a rebuild about 1 ms per template.
        """
        galleries, since = self._mapped()
        seq, changes = self.records.template_changes(since)
        enrolled = _enrolled_of(galleries)
        _apply(galleries, enrolled, changes)
        with self._lock:
            self.galleries = galleries
            self._enrolled = enrolled
            self._seq = seq
            self._pending = len(changes)
        self.ready.set()
        self.sync()
        return self.templates

    def _position_file(self, position: int) -> Path:
        assert self.gallery_file is not None
        return self.gallery_file.with_name(f"{self.gallery_file.name}.{position}")

    def _manifest(self) -> Path:
        assert self.gallery_file is not None
        return self.gallery_file.with_name(self.gallery_file.name + ".json")

    def _mapped(self) -> tuple[dict[int, Gallery], int]:
        """The mapped prepared files by position and the log sequence they all hold
        (the oldest stamp), or ({}, 0) when there is no usable set."""
        from matcher_cy import Gallery, TemplateFormatError

        if self.gallery_file is None or not self._manifest().exists():
            return {}, 0
        galleries: dict[int, Gallery] = {}
        try:
            manifest = json.loads(self._manifest().read_text())
            if manifest.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"manifest format {manifest.get('format')!r}")
            for position in manifest["positions"]:
                if type(position) is not int or not 0 <= position <= 10:
                    raise ValueError("manifest names a position outside 0..10")
                galleries[position] = Gallery.load(self._position_file(position))
        except (TemplateFormatError, OSError, ValueError, KeyError, TypeError) as error:
            log.warning(
                "gallery files %s.* unusable (%s): rebuilding from the record store",
                self.gallery_file,
                error,
            )
            return {}, 0
        latest, _ = self.records.template_changes(1 << 62)
        stamps = [gallery.stamp for gallery in galleries.values()]
        if any(stamp > latest for stamp in stamps):
            log.warning(
                "gallery files %s.* are ahead of the database: rebuilding", self.gallery_file
            )
            return {}, 0
        return galleries, min(stamps, default=0)

    def checkpoint(self) -> bool:
        """Write every position's gallery as a prepared file, then the manifest, and map
        them; False when another worker is writing (lock held) or there are no files.
        Takes seconds for 300,000 templates (searches wait); run by ``sync`` once
        ``checkpoint_changes`` changes are pending."""
        from matcher_cy import Gallery

        if self.gallery_file is None:
            return False
        with open(self.gallery_file.with_name(self.gallery_file.name + ".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            try:
                with self._lock:
                    mapped: dict[int, Gallery] = {}
                    for position, gallery in sorted(self.galleries.items()):
                        path = self._position_file(position)
                        gallery.save(path, stamp=self._seq)
                        mapped[position] = Gallery.load(path, verify=False)
                    manifest = {"format": MANIFEST_FORMAT, "positions": sorted(mapped)}
                    staged = self._manifest().with_name(self._manifest().name + ".tmp")
                    staged.write_text(json.dumps(manifest))
                    os.replace(staged, self._manifest())
                    self.gallery_file.unlink(missing_ok=True)  # the one-file form of old
                    self.galleries = mapped
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
            _apply(self.galleries, self._enrolled, changes)
            self._seq = seq
            self._pending += len(changes)
            due = self._pending >= self.checkpoint_changes
        if due:
            self.checkpoint()
        return len(changes)

    def search(self, probes: dict[int, Template], k: int = SEARCH_K) -> list[PersonCandidate]:
        """The ``k`` best persons for ``probes`` (ISO position -> template; position 0:
        not known), fused as at the gate (``matcher_cy.persons.search_probes``)."""
        from matcher_cy.persons import search_probes

        with self._lock:
            return search_probes(self.galleries, probes, k)

    def identify(self, envelope: Envelope) -> SearchResult | None:
        """Search one scan record, audit it, and alert when the gate missed a wanted person.

        Claims the scan first (a ``pending`` row in ``searches``): None when it was
        already searched or is being searched by another worker, or when not ready.
        """
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
            probes = scan_probes(body)
        except BadProbe as error:
            log.warning("scan %s: unusable probe: %s", envelope.record_id, error)
            return self._audit(envelope, "bad-probe", None, None, (), False, started, 0)
        found = self.search(probes)
        candidates = tuple((c.person, _best_finger(c), round(c.score, 6)) for c in found)
        hits = [c for c in found if c.score >= self.threshold(c.fingers)]
        if not hits:
            return self._audit(
                envelope, "no-hit", None, None, candidates, False, started, len(probes)
            )
        best = hits[0]
        person_id, score = best.person, best.score
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
                    f"scan {envelope.record_id} by {body.officer}: {person_id} score {score:.3f} "
                    f"on {best.fingers} finger(s); gate verdict {body.verdict}, gate "
                    f"watchlist v{body.watchlist_version} missed it",
                    conn=conn,
                )
        return self._audit(
            envelope, "hit", person_id, score, candidates, alerted, started, len(probes)
        )

    def _audit(
        self,
        envelope: Envelope,
        result: str,
        person_id: str | None,
        score: float | None,
        candidates: tuple[tuple[str, int, float], ...],
        alerted: bool,
        started: float,
        fingers: int,
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
            gallery_size=self.persons,
            elapsed_ms=elapsed_ms,
            alerted=alerted,
        )
        return SearchResult(
            envelope.record_id,
            envelope.device_id,
            result,
            person_id,
            score,
            candidates,
            alerted,
            fingers,
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


def _best_finger(candidate: PersonCandidate) -> int:
    """ISO position of the candidate's best-scoring compared finger (0 when none)."""
    compared = [
        (score, position) for position, score in candidate.finger_scores if score is not None
    ]
    return max(compared)[1] if compared else 0


def _enrolled_of(galleries: dict[int, Gallery]) -> dict[str, int]:
    """person_id -> positions enrolled, counted over ``galleries``' keys."""
    enrolled: dict[str, int] = {}
    for gallery in galleries.values():
        for person_id in gallery:
            enrolled[person_id] = enrolled.get(person_id, 0) + 1
    return enrolled


def _apply(
    galleries: dict[int, Gallery],
    enrolled: dict[str, int],
    changes: list[tuple[str, int, bytes | None]],
) -> None:
    """Apply logged template changes (person_id, position, bytes or None: removed); keeps
    ``enrolled`` counting each person's positions. Replaying a change already held is
    harmless."""
    from matcher_cy import Gallery, Template, TemplateFormatError

    for person_id, finger, data in changes:
        gallery = galleries.get(finger)
        if data is None:
            if gallery is not None and person_id in gallery:
                gallery.remove(person_id)
                _count(enrolled, person_id, -1)
            continue
        try:
            template = Template.from_bytes(data)
        except TemplateFormatError:
            log.exception(
                "stored template %s#%d cannot be decoded; not searchable", person_id, finger
            )
            continue
        if gallery is None:
            gallery = galleries[finger] = Gallery()
        if person_id not in gallery:
            _count(enrolled, person_id, +1)
        gallery.add(person_id, template)


def _count(enrolled: dict[str, int], person_id: str, step: int) -> None:
    held = enrolled.get(person_id, 0) + step
    if held > 0:
        enrolled[person_id] = held
    else:
        enrolled.pop(person_id, None)


__all__ = ["BadProbe", "Identifier", "SearchResult", "scan_probes"]
