"""Gate identification: the installed watchlist as in-memory galleries, and verdicts.

:class:`WatchlistGallery` loads every entry of the store's signed watchlist into one
matcher_cy :class:`~matcher_cy.Gallery` per ISO finger position (key ``person_id``);
``identify`` searches the fingers the gate captured (``matcher_cy.persons``: every finger
searched, each candidate's finger scores fused by ``matcher_cy.fuse``) and turns each
candidate's fused score into a verdict. A search makes one comparison per person, so the
thresholds follow the number of persons on the list and the fingers compared
(``matcher_cy.decision.red_threshold`` / ``yellow_threshold``): they hold the
false-positive identification rate, not the 1:1 false-match rate:

======  ============================================  ==============================
verdict fused score of a candidate                    meaning
======  ============================================  ==============================
red     >= red_threshold(persons, fingers compared)   probable match
yellow  >= yellow_threshold(...), below red           possible: the officer decides
green   below yellow for every candidate, or no list  no candidate
======  ============================================  ==============================

Against a large list one finger cannot reach red (its contribution to the fused score is
capped below the threshold), so a red always rests on two fingers there. A probe whose
finger position is unknown (0) is compared with every position's gallery as one finger.

The hub may set both thresholds itself (``gate.red_threshold``, ``gate.yellow_threshold``,
fused scores); even then a one-finger search stays below red where the decision module
gives one finger no red for the list's size.

Cost: loading maps one prepared file per finger position (see ``load``; building one
costs about 1 ms per entry); a search is one Gallery search per finger (a prefilter and a
shortlist of precise scores) plus a few 1:1 scores (``khidmat bench kiosk``, ``khidmat
bench identify``). Searching unchanging galleries from one worker thread at a time is
safe; ``load`` builds a new object, so a reload never disturbs a search.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from matcher_cy import params

if TYPE_CHECKING:
    from edge_agent.store import LocalStore
    from matcher_cy import Gallery, Template
    from matcher_cy.persons import PersonCandidate

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
    def for_gallery(cls, size: int, fingers: int = 1) -> Thresholds:
        """The fused-score thresholds that hold FPIR 1e-3 (red) and 1e-2 (yellow) for
        ``size`` persons searched with ``fingers`` fingers (math.inf: unreachable)."""
        from matcher_cy.decision import red_threshold, yellow_threshold

        return cls(red_threshold(size, fingers), yellow_threshold(size, fingers))


def thresholds_from(
    settings: dict[str, str], gallery_size: int = 1, fingers: int = 1
) -> tuple[Thresholds, str]:
    """The thresholds the hub set, else those for ``gallery_size`` persons and ``fingers``
    fingers; and "" or why the hub's settings were refused (then the defaults apply).

    Where the defaults give ``fingers`` no red (one finger against a large list), the
    hub's red does not apply either."""
    default = Thresholds.for_gallery(gallery_size, fingers)
    if RED_SETTING not in settings and YELLOW_SETTING not in settings:
        return default, ""
    try:
        red = float(settings.get(RED_SETTING, default.red))
        yellow = float(settings.get(YELLOW_SETTING, default.yellow))
    except ValueError:
        return default, f"{RED_SETTING}/{YELLOW_SETTING} are not numbers"
    if not 0 < yellow <= red <= 1:
        return default, f"{RED_SETTING}/{YELLOW_SETTING} must satisfy 0 < yellow <= red <= 1"
    if math.isinf(default.red):
        red = math.inf
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
    """ISO position of the candidate's best-scoring finger."""
    name: str
    status: str
    score: float
    """Fused score of the fingers compared (matcher_cy.fuse)."""
    finger_scores: tuple[tuple[int, float | None], ...] = ()
    """(ISO position, score or None where that finger was not compared)."""
    verdict: str = "green"


@dataclass(frozen=True, slots=True)
class Identification:
    """The outcome of one search: verdict, ranked candidates (above the yellow threshold)."""

    verdict: str
    candidates: tuple[Candidate, ...]
    best_score: float
    watchlist_version: int
    search_s: float
    fingers: tuple[int, ...] = ()
    """ISO positions of the fingers searched (one: the verdict says it ran on one finger)."""
    missing: tuple[int, ...] = ()
    """ISO positions the officer recorded as missing or injured at this scan."""


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    status: str


VERDICT_RANK = {"green": 0, "yellow": 1, "red": 2}


class WatchlistGallery:
    """The installed watchlist, searchable. Build with :meth:`load`."""

    def __init__(
        self, galleries: dict[int, Gallery], people: dict[str, _Person], version: int
    ) -> None:
        self._galleries = galleries
        self._people = people
        self.version = version

    def __len__(self) -> int:
        """Persons on the list (a search makes one comparison per person and finger)."""
        return len(self._people)

    @property
    def positions(self) -> tuple[int, ...]:
        """ISO finger positions enrolled on the list."""
        return tuple(sorted(self._galleries))

    @classmethod
    def load(
        cls,
        store: LocalStore,
        progress: Callable[[int, int], None] | None = None,
        *,
        prepared: Path | None = None,
        key: bytes | None = None,
    ) -> WatchlistGallery:
        """The store's watchlist, searchable (version 0 and empty when none is installed).

        Each finger position's gallery is kept as a prepared file (``prepared``, default
        beside the unit store: ``<store>.watchlist``, plus ``.<position>``) stamped with
        the watchlist version: when its stamp and keys match the installed list it is
        only mapped (well under a second for 10,000 entries); otherwise it is brought up
        to date entry by entry (removed keys dropped, new or changed templates added,
        about 1 ms each) and saved again, so a delta never rebuilds the whole list. A
        file that does not load is rebuilt. Entries whose template does not parse are
        skipped and counted in ``skipped``. ``progress(done, total)`` is called every
        ``PROGRESS_EVERY`` entries added.
        """
        info = store.watchlist_info()
        version = info.version if info is not None else 0
        rows = _opened(store.watchlist_entries(), key)
        sealed = key is not None and bool(rows)
        by_position: dict[int, dict[str, str]] = {}
        for person_id, finger, _, _, template in rows:
            by_position.setdefault(int(finger), {})[person_id] = template
        # a sealed list's templates never go to the card in clear: only ``prepared`` (RAM)
        base = prepared if prepared is not None or sealed else _prepared_path(store)
        galleries: dict[int, Gallery] = {}
        skipped = 0
        for position, wanted in sorted(by_position.items()):
            path = None if base is None else base.with_name(f"{base.name}.{position}")
            gallery, bad = _prepared_gallery(path, wanted, version, progress, len(rows))
            galleries[position] = gallery
            skipped += bad
        enrolled = {person for gallery in galleries.values() for person in gallery}
        people = {
            person_id: _Person(name, status)
            for person_id, _, name, status, _ in rows
            if person_id in enrolled
        }
        result = cls(galleries, people, version)
        result.skipped = skipped
        return result

    skipped: int = 0

    def _search(self, probes: Mapping[int, Template], k: int) -> list[PersonCandidate]:
        """Fused candidates; a probe of unknown position is one finger against every gallery."""
        from matcher_cy.persons import search_probes

        return search_probes(self._galleries, probes, k)

    def identify(
        self,
        probes: Template | Mapping[int, Template],
        k: int = MAX_CANDIDATES,
        settings: dict[str, str] | None = None,
        *,
        missing: tuple[int, ...] = (),
    ) -> Identification:
        """Search ``probes`` (ISO position -> template; a bare template: position unknown)
        1:N; candidates are those at or above their yellow threshold. ``settings``: the
        hub's threshold settings (thresholds_from); ``missing``: positions recorded as
        missing or injured, carried into the result."""
        from matcher_cy import Template

        if isinstance(probes, Template):
            probes = {0: probes}
        start = time.perf_counter()
        found = self._search(probes, k) if self._people else []
        elapsed = time.perf_counter() - start
        candidates = []
        verdict = "green"
        for hit in found:
            thresholds, _ = thresholds_from(settings or {}, len(self), max(1, hit.fingers))
            hit_verdict = verdict_for(hit.score, thresholds)
            if hit_verdict == "green":
                continue
            if VERDICT_RANK[hit_verdict] > VERDICT_RANK[verdict]:
                verdict = hit_verdict
            person = self._people[hit.person]
            compared = [(p, s) for p, s in hit.finger_scores if s is not None]
            finger = max(compared, key=lambda item: item[1])[0] if compared else 0
            candidates.append(
                Candidate(
                    hit.person,
                    finger,
                    person.name,
                    person.status,
                    hit.score,
                    hit.finger_scores,
                    hit_verdict,
                )
            )
        return Identification(
            verdict,
            tuple(candidates),
            found[0].score if found else 0.0,
            self.version,
            elapsed,
            tuple(sorted(probes)),
            missing,
        )


def _prepared_gallery(
    path: Path | None,
    wanted: dict[str, str],
    version: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> tuple[Gallery, int]:
    """One position's gallery (keys: person ids) from its prepared file, brought up to
    date with ``wanted`` (person id -> template base64) and saved; and how many entries
    did not parse."""
    from matcher_cy import Gallery, Template, TemplateFormatError

    gallery = Gallery()
    if path is not None and path.exists():
        try:
            gallery = Gallery.load(path)
        except (TemplateFormatError, OSError) as error:
            log.warning("prepared watchlist %s unusable (%s): rebuilding it", path, error)
    if gallery.stamp == version and version and set(gallery) <= wanted.keys():
        return gallery, len(wanted) - len(gallery)  # unparseable when it was prepared
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
            progress(added, total)
        gallery.add(key, template)
        added += 1
    if path is not None and version:
        try:
            gallery.save(path, stamp=version)
        except OSError as error:  # searching still works from memory
            log.warning("prepared watchlist %s not saved: %s", path, error)
    return gallery, skipped


def _opened(
    rows: list[tuple[str, int, str, str, str]], key: bytes | None
) -> list[tuple[str, int, str, str, str]]:
    """Entries with sealed names and templates opened (edge_agent.watchlist_key).

    WatchlistLocked when an entry is sealed and ``key`` is None or does not open it.
    """
    from edge_agent.watchlist_key import WatchlistLocked, is_sealed, open_sealed

    opened = []
    for person_id, finger, name, status, template in rows:
        if is_sealed(name) or is_sealed(template):
            if key is None:
                raise WatchlistLocked("the watchlist is sealed and no key from the hub is held")
            name = open_sealed(key, person_id, finger, "name", name)
            template = open_sealed(key, person_id, finger, "template", template)
        opened.append((person_id, finger, name, status, template))
    return opened


def _prepared_path(store: LocalStore) -> Path | None:
    """``<unit store>.watchlist`` beside the store's database file; None for a memory store."""
    database = Path(str(store.db.path))
    if database.name in ("", ":memory:"):
        return None
    return database.with_name(database.name + ".watchlist")
