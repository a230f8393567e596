"""1:N search: a Gallery of enrolled templates under string keys, packed and mappable.

Templates are held packed (matcher_cy.packed: minutiae, cell masks, masked cylinder bits
and index codes in flat columns, about 3.7 KiB for 32 minutiae): a prepared file mapped
read-only (``load``/``open``; matcher_cy.gallery_file) plus rows added since, in memory.
Every process that maps the same file shares its pages; loading is mapping, not
rebuilding. ``add`` costs building the template's cylinders (about 1 ms); ``remove``
marks the row dead. ``save`` writes the live rows as a new prepared file.

``search`` ranks every live template with the coarse index codes, re-ranks the best
INDEX_COARSE_KEEP_FRACTION with the fine ones (matcher_cy.index), then scores precisely
(MCC + LSS-R, the same scores as ``match_score``) only a shortlist of
max(PREFILTER_SHORTLIST_MIN, PREFILTER_SHORTLIST_FRACTION x size); galleries no larger
than the shortlist, or ``exhaustive=True``, are scored in full. With the compiled matcher
each pass is split over ``threads`` threads (GIL released) when the gallery holds at
least PARALLEL_MIN_ROWS rows: the calling thread and ``threads - 1`` search workers that
the process starts once and keeps (a pass starts no thread).

Write-through (``Gallery.open``): every ``add`` and ``remove`` is appended to the file's
log (fsync'd) before it changes memory, and replayed by the next ``load``; ``compact``
folds the log into a new file. A crash at any point leaves a file and log that load
(gallery_file). One writer per file at a time; any number of readers.

Thread-safety: concurrent ``search`` calls on an unchanging gallery are safe; mutation
(add, remove, compact) must not run concurrently with anything else.
"""

from __future__ import annotations

import math
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from matcher_cy import gallery_file, index, packed, params
from matcher_cy.backend import Backend
from matcher_cy.matching import DEFAULT_BACKEND, search_form
from matcher_cy.mcc import Cylinders
from matcher_cy.template import Template, TemplateFormatError

#: Below this many rows a search runs on the calling thread only.
PARALLEL_MIN_ROWS = 20_000


def _best(slots: np.ndarray, scores: np.ndarray, wanted: int) -> np.ndarray:
    """The ``wanted`` entries of ascending ``slots`` with the best scores (ties: lower slot)."""
    if wanted >= len(slots):
        return slots
    cut = len(scores) - wanted
    threshold = np.partition(scores, cut)[cut]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: wanted - len(above)]
    return slots[np.sort(np.concatenate([above, tied]))]


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _workers(count: int) -> ThreadPoolExecutor:
    """The process's search workers, at least ``count`` of them, started once and kept
    (a search pass hands them its parts instead of starting threads; they wait on a
    queue when idle and use no CPU). Shared by every Gallery of the process: concurrent
    searches queue their parts on it. Thread-safe."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < count:
            if _pool is not None:
                _pool.shutdown(wait=False)  # parts already queued on it still run
            _pool = ThreadPoolExecutor(count, thread_name_prefix="gallery-search")
            _pool_size = count
        return _pool


def _forget_workers() -> None:
    """In a forked child: the parent's workers do not exist there; start new ones."""
    global _pool, _pool_size, _pool_lock
    _pool, _pool_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def default_threads() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Gallery:
    """Enrolled templates by key; ``search(probe, k)`` returns the best ``k`` (key, score)."""

    def __init__(self, *, backend: Backend | None = None, threads: int | None = None) -> None:
        self._backend = backend or DEFAULT_BACKEND
        self.threads = threads or default_threads()
        """Threads one search is split over (compiled matcher, large galleries)."""
        self._base: gallery_file.Prepared | None = None
        self._ram = packed.GrowingColumns()
        self._alive = np.zeros(0, dtype=bool)
        self._keys: list[str] = []
        self._slots: dict[str, int] = {}
        self._path: Path | None = None
        self._writer: gallery_file.LogWriter | None = None
        self.log_entries = 0
        """Records in the log of the file this gallery was loaded from (compact to fold)."""

    @property
    def implementation(self) -> str:
        """ "cython" or "reference"."""
        return self._backend.name

    @property
    def stamp(self) -> int:
        """The caller's stamp stored in the loaded file (0 when none was loaded)."""
        return self._base.stamp if self._base is not None else 0

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def __iter__(self) -> Iterator[str]:
        """Live keys in row order."""
        keys = self._keys
        return iter([keys[slot] for slot in np.flatnonzero(self._alive)])

    # --- rows ---------------------------------------------------------------------------
    def _base_rows(self) -> int:
        return self._base.columns.rows if self._base is not None else 0

    def _segments(self) -> list[tuple[int, packed.Columns]]:
        """(first global slot, columns) of the mapped file and of the rows in memory."""
        parts = []
        if self._base is not None and self._base.columns.rows:
            parts.append((0, self._base.columns))
        if self._ram.rows:
            parts.append((self._base_rows(), self._ram.view()))
        return parts

    def _locate(self, slot: int) -> tuple[packed.Columns, int]:
        base = self._base_rows()
        if slot < base:
            assert self._base is not None
            return self._base.columns, slot
        return self._ram.view(), slot - base

    def get(self, key: str) -> Template:
        """The template enrolled under ``key``; KeyError when absent."""
        columns, row = self._locate(self._slots[key])
        return packed.template_of(columns, row)

    @staticmethod
    def _check_key(key: object) -> str:
        if not isinstance(key, str) or not key:
            raise ValueError("gallery keys must be non-empty strings")
        if "\0" in key:
            raise ValueError("gallery keys must not contain NUL")
        if len(key.encode()) > 0xFFFF:
            raise ValueError("gallery key longer than 65,535 bytes")
        return key

    def add(self, key: str, template: Template) -> None:
        """Enrol ``template`` under ``key``, replacing any template already there."""
        self._check_key(key)
        if not isinstance(template, Template):
            raise TypeError(f"expected a Template, got {type(template).__name__}")
        row = packed.pack(template, search_form(template, self._backend))
        if self._writer is not None:
            self._writer.append([gallery_file.record(gallery_file.ADD, key, template.to_bytes())])
            self.log_entries += 1
        self._put(key, row)

    def _put(self, key: str, row: packed.Columns) -> None:
        old = self._slots.get(key)
        if old is not None:
            self._alive[old] = False
        slot = self._base_rows() + self._ram.append(row)
        if slot >= len(self._alive):
            grown = np.zeros(max(16, 2 * len(self._alive)), dtype=bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown
        self._alive[slot] = True
        self._keys.append(key)
        self._slots[key] = slot

    def remove(self, key: str) -> None:
        """Remove ``key``; KeyError when absent."""
        slot = self._slots[key]
        if self._writer is not None:
            self._writer.append([gallery_file.record(gallery_file.REMOVE, key)])
            self.log_entries += 1
        del self._slots[key]
        self._alive[slot] = False

    # --- search -------------------------------------------------------------------------
    def shortlist_size(self) -> int:
        """How many templates a search scores precisely at the current size."""
        size = len(self)
        wanted = max(
            params.PREFILTER_SHORTLIST_MIN,
            math.ceil(params.PREFILTER_SHORTLIST_FRACTION * size),
        )
        return min(size, wanted)

    def _live_slots(self) -> np.ndarray:
        total = self._base_rows() + self._ram.rows
        return np.flatnonzero(self._alive[:total])

    def _threads_for(self, rows: int) -> int:
        if self._backend.name != "cython" or rows < PARALLEL_MIN_ROWS:
            return 1
        return max(1, self.threads)

    def _split(self, work: Callable[[int, int], None], total: int, threads: int) -> None:
        """work(start, stop) over [0, total) in ``threads`` contiguous parts, concurrently:
        the last part on the calling thread, the others on the process's long-lived
        workers (``_workers``), so a pass starts no thread."""
        if threads <= 1 or total < 2 * threads:
            work(0, total)
            return
        bounds = np.linspace(0, total, threads + 1).astype(np.int64)
        pool = _workers(threads - 1)
        futures = [
            pool.submit(work, int(bounds[i]), int(bounds[i + 1])) for i in range(threads - 1)
        ]
        try:
            work(int(bounds[-2]), int(bounds[-1]))
        finally:
            for future in futures:
                future.result()

    def _coarse(self, codes: index.Codes, threads: int) -> np.ndarray:
        """Coarse prefilter score of every row (dead ones included), by global slot."""
        total = self._base_rows() + self._ram.rows
        scores = np.zeros(total, dtype=np.int32)
        top = params.INDEX_TOP_CODES
        for first, cols in self._segments():
            if self._backend.name == "cython":
                from matcher_cy import _search  # type: ignore[attr-defined]

                def work(
                    start: int, stop: int, cols: packed.Columns = cols, first: int = first
                ) -> None:
                    _search.coarse_scores(
                        codes, cols.coarse, cols.coarse_pop, cols.sectors, cols.info,
                        start, stop, scores[first + start : first + stop], top,
                    )  # fmt: skip

                self._split(work, cols.rows, threads)
            else:
                used = np.minimum(cols.info[:, 5], packed.COARSE_CODES).astype(np.int32)
                scores[first : first + cols.rows] = self._backend.prefilter_scores(
                    codes,
                    cols.coarse,
                    cols.coarse_pop.astype(np.int32),
                    cols.sectors[:, : packed.COARSE_CODES].astype(np.int32),
                    used,
                    np.arange(cols.rows),
                    top,
                )
        return scores

    def _per_slot(
        self, slots: np.ndarray, threads: int, dtype: type, compiled: Callable, reference: Callable
    ) -> np.ndarray:
        """Values for ascending global ``slots``, segment by segment, split over threads."""
        out = np.zeros(len(slots), dtype=dtype)
        for first, cols in self._segments():
            lo, hi = np.searchsorted(slots, [first, first + cols.rows])
            rows = (slots[lo:hi] - first).astype(np.int64)
            if self._backend.name == "cython":

                def work(
                    start: int,
                    stop: int,
                    cols: packed.Columns = cols,
                    rows: np.ndarray = rows,
                    lo: int = lo,
                ) -> None:
                    compiled(cols, rows[start:stop], out[lo + start : lo + stop])

                self._split(work, len(rows), threads)
            else:
                out[lo:hi] = reference(cols, rows)
        return out

    def shortlist(self, probe: Template, *, threads: int | None = None) -> np.ndarray:
        """Global slots of the prefilter's best ``shortlist_size()`` live templates
        (ascending; ties: lower slot).

        Two passes: every template by the coarse score of its first
        INDEX_COARSE_GALLERY_CODES codes, then the best max(shortlist,
        INDEX_COARSE_KEEP_FRACTION x size) of those by the fine score of all its codes.
        """
        live = self._live_slots()
        wanted = self.shortlist_size()
        if wanted >= len(live):
            return live
        parallel = self._threads_for(len(live)) if threads is None else threads
        codes = index.index_codes(search_form(probe, self._backend), params.INDEX_PROBE_CODES)
        kept = max(wanted, math.ceil(params.INDEX_COARSE_KEEP_FRACTION * len(live)))
        coarse = self._coarse(codes.coarse, parallel)
        candidates = _best(live, coarse[live], kept)
        top = params.INDEX_TOP_CODES

        def compiled(cols: packed.Columns, rows: np.ndarray, out: np.ndarray) -> None:
            from matcher_cy import _search  # type: ignore[attr-defined]

            _search.fine_scores(
                codes.fine, cols.bits, cols.starts, cols.fine_ref, cols.fine_pop, cols.sectors,
                cols.info, rows, out, top,
            )  # fmt: skip

        def reference(cols: packed.Columns, rows: np.ndarray) -> np.ndarray:
            bits, pops = packed.fine_codes(cols, rows)
            return self._backend.prefilter_scores(
                codes.fine, bits, pops, cols.sectors[rows].astype(np.int32),
                cols.info[rows, 5].astype(np.int32), np.arange(len(rows)), top,
            )  # fmt: skip

        fine = self._per_slot(candidates, parallel, np.int32, compiled, reference)
        return np.sort(_best(candidates, fine, wanted))

    def _precise(self, probe_form: Cylinders, slots: np.ndarray, threads: int) -> np.ndarray:
        def compiled(cols: packed.Columns, rows: np.ndarray, out: np.ndarray) -> None:
            from matcher_cy import _search  # type: ignore[attr-defined]

            _search.precise_scores(
                probe_form, cols.minutiae, cols.cells, cols.bits, cols.starts, cols.info, rows, out
            )

        def reference(cols: packed.Columns, rows: np.ndarray) -> np.ndarray:
            score = self._backend.score
            return np.array([score(probe_form, packed.cylinders_of(cols, int(r))) for r in rows])

        return self._per_slot(slots, threads, np.float64, compiled, reference)

    def search(
        self, probe: Template, k: int = 5, *, exhaustive: bool = False, threads: int | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best (key, score) pairs, best first; ties keep the lower slot.

        Cost: two prefilter passes plus ``shortlist_size()`` precise scores; with
        ``exhaustive=True`` every template is scored. ``threads`` overrides the number of
        threads (1: the calling thread only).
        """
        if k <= 0:
            raise ValueError("k must be positive")
        probe_form = search_form(probe, self._backend)
        live = self._live_slots()
        parallel = self._threads_for(len(live)) if threads is None else threads
        slots = live if exhaustive else self.shortlist(probe, threads=parallel)
        scores = self._precise(probe_form, slots, parallel)
        order = np.lexsort((slots, -scores))[:k]
        return [(self._keys[int(slots[i])], float(scores[i])) for i in order]

    # --- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, stamp: int = 0) -> None:
        """Write the live templates as a prepared file at ``path`` (atomically), with the
        caller's ``stamp`` (for example the change-log sequence it reflects); an old
        log there no longer applies."""
        target = Path(path)
        live = self._live_slots()
        base = self._base_rows()
        parts = []
        for first, cols in self._segments():
            chosen = live[(live >= first) & (live < first + cols.rows)] - first
            parts.append((cols, chosen))
        columns = packed.gather(parts)
        keys = [self._keys[int(slot)] for slot in live]
        del base
        gallery_file.write(target, columns, keys, generation=secrets.randbits(63), stamp=stamp)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        backend: Backend | None = None,
        threads: int | None = None,
        verify: bool = True,
    ) -> Gallery:
        """Map a prepared file and replay its log; TemplateFormatError when it is malformed.

        Cost: mapping plus about 0.1 s per million keys, plus (``verify``) the checksum of
        every section, plus 1 ms per log record.
        """
        gallery = cls(backend=backend, threads=threads)
        gallery._map(Path(path), verify=verify)
        return gallery

    def _map(self, path: Path, *, verify: bool) -> None:
        prepared = gallery_file.open_prepared(path, verify=verify, threads=self.threads)
        self._base = prepared
        self._ram = packed.GrowingColumns()
        self._keys = list(prepared.keys)
        self._slots = dict(zip(self._keys, range(len(self._keys)), strict=True))
        self._alive = np.ones(len(self._keys), dtype=bool)
        if len(self._slots) != len(self._keys):  # a key twice: the later row holds it
            self._alive[:] = False
            self._alive[list(self._slots.values())] = True
        records, _ = gallery_file.read_log(path, prepared.generation)
        for op, key, body in records:
            if op == gallery_file.ADD:
                template = Template.from_bytes(body)
                self._put(
                    self._check_key(key),
                    packed.pack(template, search_form(template, self._backend)),
                )
            elif op == gallery_file.REMOVE and key in self._slots:
                self._alive[self._slots.pop(key)] = False
        self.log_entries = len(records)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        backend: Backend | None = None,
        threads: int | None = None,
        verify: bool = True,
    ) -> Gallery:
        """``load`` with write-through: add and remove are logged to ``path``'s log
        first. Creates an empty prepared file when there is none."""
        target = Path(path)
        gallery = cls(backend=backend, threads=threads)
        if not target.exists():
            gallery.save(target)
        gallery._map(target, verify=verify)
        gallery._path = target
        assert gallery._base is not None
        gallery._writer = gallery_file.LogWriter(target, gallery._base.generation)
        return gallery

    def compact(self, *, stamp: int | None = None) -> None:
        """Fold the log into a new prepared file and map it (write-through galleries)."""
        if self._path is None or self._writer is None:
            raise ValueError("compact needs a gallery opened with Gallery.open")
        self.save(self._path, stamp=self.stamp if stamp is None else stamp)
        self._map(self._path, verify=False)
        assert self._base is not None
        self._writer.reset(self._base.generation)
        self.log_entries = 0


__all__ = ["Gallery", "TemplateFormatError", "default_threads"]
