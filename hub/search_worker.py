"""Gate scans searched at the hub on their own thread, so acks never wait behind a 1:N search.

The ingest thread stores a batch, acks it, and hands the batch's new scans and
enrolments to :class:`SearchWorker`; the worker syncs the gallery with the record store,
searches each scan (``Identifier.identify``: audit row, alert when the gate missed a
wanted person) and publishes the downlinks that produced. Every ``catch_up_s`` seconds
it also searches scans that have no search row yet: stored while the gallery was still
loading, or handed over just before the hub stopped (the queue is in memory; a scan is
claimed in the database when searched, so none is searched twice).

A search of 300,000 templates takes tens of milliseconds to seconds depending on the
matcher; on this thread it delays only other searches. ``submit`` is thread-safe;
``start`` and ``stop`` are called from the service thread.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.identify import Identifier, SearchResult
    from khidmat_wire.codec import Envelope

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0


class SearchWorker:
    """One thread that runs every hub-side identification of one hub worker process."""

    def __init__(
        self,
        identifier: Identifier,
        publish_downlinks: Callable[[], None],
        *,
        catch_up: Callable[[], None],
        catch_up_s: float,
    ) -> None:
        self.identifier = identifier
        self.publish_downlinks = publish_downlinks
        self.catch_up = catch_up
        self.catch_up_s = catch_up_s
        self._batches: queue.SimpleQueue[list[Envelope] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.searched = 0
        self.after_search: list[Callable[[Envelope, SearchResult | None], None]] = []
        """Called on this thread after each new scan's search (e.g. forwarding it to the
        other provinces, :mod:`hub.federation`); an exception is logged, not raised."""

    def submit(self, new_records: Sequence[Envelope]) -> None:
        """Queue a batch's new scans (and note its enrolments, which change the gallery)."""
        wanted = [e for e in new_records if e.kind in ("scan", "enrolment")]
        if wanted:
            self._batches.put(wanted)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hub-search", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish the search in progress and stop (queued scans are left to the catch-up)."""
        if self._thread is not None:
            self._batches.put(None)
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                batch = self._batches.get(timeout=self.catch_up_s)
            except queue.Empty:
                self._guarded("catch-up", self._catch_up)
                continue
            if batch is None:
                return
            self._guarded("search", functools.partial(self._search, batch))

    def _catch_up(self) -> None:
        self.catch_up()
        self.publish_downlinks()

    def _search(self, batch: list[Envelope]) -> None:
        if not self.identifier.ready.is_set():
            return  # the catch-up searches these once the gallery is loaded
        self.identifier.sync()
        for envelope in batch:
            if envelope.kind != "scan":
                continue
            outcome = self.identifier.identify(envelope)
            self.searched += 1
            for hook in self.after_search:
                try:
                    hook(envelope, outcome)
                except Exception:  # a failed forward must not stop the searches
                    log.exception("after-search hook failed for scan %s", envelope.record_id)
            if outcome is not None and outcome.alerted:
                log.warning(
                    "scan %s at %s: hub hit %s missed by the gate",
                    outcome.scan_id, outcome.device_id, outcome.person_id,
                )  # fmt: skip
        self.publish_downlinks()

    @staticmethod
    def _guarded(what: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # one failed search must not end identification for good
            log.exception("hub %s failed", what)
