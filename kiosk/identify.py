"""Gate identification: the installed watchlist as an in-memory gallery, and verdicts.

:class:`WatchlistGallery` loads every entry of the store's signed watchlist into a
matcher_cy :class:`~matcher_cy.Gallery` (key ``person_id/finger``); ``identify`` searches a
probe 1:N and turns the best score into a verdict. A search makes one comparison per
entry, so the thresholds follow the watchlist's size (``matcher_cy.decision``): they hold
the false-positive identification rate, not the 1:1 false-match rate:

======  ============================================  ==============================
verdict best score                                    meaning
======  ============================================  ==============================
red     >= the score for FPIR 1e-3 at this size       probable match
yellow  >= the score for FPIR 1e-2, below red         possible: the officer decides
green   below yellow, or an empty list                no candidate
======  ============================================  ==============================

The hub may set both thresholds itself (``gate.red_threshold``, ``gate.yellow_threshold``).

Cost: loading maps a prepared file (see ``load``; building one costs about 1 ms per
entry); a search is a prefilter and a shortlist of precise scores (``khidmat bench kiosk``). Searching an unchanging gallery from one worker
thread at a time is safe; ``load`` builds a new object, so a reload never disturbs a search.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from matcher_cy import params

if TYPE_CHECKING:
    from edge_agent.store import LocalStore
    from matcher_cy import Gallery, Template

log = logging.getLogger(__name__)

#: Entries between two progress reports while loading.
PROGRESS_EVERY = 500
#: Candidates kept per scan (the wire allows 10).
MAX_CANDIDATES = 5
#: Probes below this quality (0..100) are retaken ("quality check with retry").
MIN_SCAN_QUALITY = 40
RED_THRESHOLD = params.THRESHOLD_FMR_1E3
"""Red for a one-entry list (FPIR = FMR); larger lists need more (:meth:`Thresholds.for_gallery`)."""
YELLOW_THRESHOLD = params.THRESHOLD_FMR_1E2


#: Hub settings that override the thresholds (a bigger watchlist needs stricter ones:
#: a search makes one comparison per entry, so false reds grow with its size).
RED_SETTING = "gate.red_threshold"
YELLOW_SETTING = "gate.yellow_threshold"


@dataclass(frozen=True, slots=True)
class Thresholds:
    red: float = RED_THRESHOLD
    yellow: float = YELLOW_THRESHOLD

    @classmethod
    def for_gallery(cls, size: int) -> Thresholds:
        """The thresholds that hold FPIR 1e-3 (red) and 1e-2 (yellow) for ``size`` entries."""
        from matcher_cy.decision import verdict_thresholds

        red, yellow = verdict_thresholds(size)
        return cls(red, yellow)


def thresholds_from(settings: dict[str, str], gallery_size: int = 1) -> tuple[Thresholds, str]:
    """The thresholds the hub set, else those for ``gallery_size`` entries; and "" or why the
    hub's settings were refused (then the size's defaults apply)."""
    default = Thresholds.for_gallery(gallery_size)
    if RED_SETTING not in settings and YELLOW_SETTING not in settings:
        return default, ""
    try:
        red = float(settings.get(RED_SETTING, default.red))
        yellow = float(settings.get(YELLOW_SETTING, default.yellow))
    except ValueError:
        return default, f"{RED_SETTING}/{YELLOW_SETTING} are not numbers"
    if not 0 < yellow <= red <= 1:
        return default, f"{RED_SETTING}/{YELLOW_SETTING} must satisfy 0 < yellow <= red <= 1"
    return Thresholds(red, yellow), ""


def verdict_for(best_score: float | None, thresholds: Thresholds = Thresholds()) -> str:
    """``red``, ``yellow`` or ``green`` for the best score (None: empty watchlist)."""
    if best_score is None or best_score < thresholds.yellow:
        return "green"
    return "red" if best_score >= thresholds.red else "yellow"


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: str
    finger: int
    name: str
    status: str
    score: float


@dataclass(frozen=True, slots=True)
class Identification:
    """The outcome of one search: verdict, ranked candidates (above the yellow threshold)."""

    verdict: str
    candidates: tuple[Candidate, ...]
    best_score: float
    watchlist_version: int
    search_s: float


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    status: str


class WatchlistGallery:
    """The installed watchlist, searchable. Build with :meth:`load`."""

    def __init__(self, gallery: Gallery, people: dict[str, _Person], version: int) -> None:
        self._gallery = gallery
        self._people = people
        self.version = version

    def __len__(self) -> int:
        return len(self._gallery)

    @classmethod
    def load(
        cls,
        store: LocalStore,
        progress: Callable[[int, int], None] | None = None,
        *,
        prepared: Path | None = None,
    ) -> WatchlistGallery:
        """The store's watchlist, searchable (version 0 and empty when none is installed).

        The gallery is kept as a prepared file (``prepared``, default beside the unit
        store: ``<store>.watchlist``) stamped with the watchlist version: when its stamp
        and keys match the installed list it is only mapped (well under a second for
        10,000 entries); otherwise it is brought up to date entry by entry (removed
        keys dropped, new or changed templates added, about 1 ms each) and saved again,
        so a delta never rebuilds the whole list. A file that does not load is rebuilt.
        Entries whose template does not parse are skipped and counted in ``skipped``.
        ``progress(done, total)`` is called every ``PROGRESS_EVERY`` entries added.
        """
        from matcher_cy import Gallery, Template, TemplateFormatError

        info = store.watchlist_info()
        version = info.version if info is not None else 0
        rows = store.watchlist_entries()
        people = {person_id: _Person(name, status) for person_id, _, name, status, _ in rows}
        wanted = {f"{person_id}/{finger}": template for person_id, finger, _, _, template in rows}
        path = prepared if prepared is not None else _prepared_path(store)
        gallery = Gallery()
        if path is not None and path.exists():
            try:
                gallery = Gallery.load(path)
            except (TemplateFormatError, OSError) as error:
                log.warning("prepared watchlist %s unusable (%s): rebuilding it", path, error)
        if gallery.stamp == version and version and set(gallery) <= wanted.keys():
            result = cls(gallery, people, version)
            result.skipped = len(wanted) - len(gallery)  # unparseable when it was prepared
            return result
        for key in [key for key in gallery if key not in wanted]:
            gallery.remove(key)
        skipped = 0
        added = 0
        for key, encoded in wanted.items():
            try:
                template = Template.from_bytes(base64.b64decode(encoded, validate=True))
            except (TemplateFormatError, ValueError):
                skipped += 1
                if key in gallery:
                    gallery.remove(key)
                continue
            if key in gallery and gallery.get(key) == template:
                continue
            if progress is not None and added % PROGRESS_EVERY == 0:
                progress(added, len(wanted))
            gallery.add(key, template)
            added += 1
        if path is not None and version:
            try:
                gallery.save(path, stamp=version)
            except OSError as error:  # searching still works from memory
                log.warning("prepared watchlist %s not saved: %s", path, error)
        result = cls(gallery, people, version)
        result.skipped = skipped
        return result

    skipped: int = 0

    def identify(
        self,
        probe: Template,
        k: int = MAX_CANDIDATES,
        thresholds: Thresholds = Thresholds(),
    ) -> Identification:
        """Search ``probe`` 1:N; candidates are those at or above the yellow threshold."""
        start = time.perf_counter()
        hits = self._gallery.search(probe, k) if len(self._gallery) else []
        elapsed = time.perf_counter() - start
        candidates = []
        for key, score in hits:
            if score < thresholds.yellow:
                continue
            person_id, _, finger = key.rpartition("/")
            person = self._people[person_id]
            candidates.append(Candidate(person_id, int(finger), person.name, person.status, score))
        best = hits[0][1] if hits else None
        return Identification(
            verdict_for(best, thresholds),
            tuple(candidates),
            best if best is not None else 0.0,
            self.version,
            elapsed,
        )


def _prepared_path(store: LocalStore) -> Path | None:
    """``<unit store>.watchlist`` beside the store's database file; None for a memory store."""
    database = Path(str(store.db.path))
    if database.name in ("", ":memory:"):
        return None
    return database.with_name(database.name + ".watchlist")
