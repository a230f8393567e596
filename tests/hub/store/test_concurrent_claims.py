"""Several hub processes on one database (SQLite file or PostgreSQL server): work is
claimed once, counters lose no update.

Four real processes (spawned, each with its own :class:`HubStore`) run side by side: each
publishes queued downlinks, claims queued texts, claims gate scans for searching, and
counts wrong PINs (a read-then-write). Every downlink is published exactly once, every
text and scan claimed exactly once, and the counter ends at the sum of all increments.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter

from hub.store import HubStore
from hub.store import roster as roster_table
from hub.store import searches as searches_table
from hub.store import sms as sms_table
from khidmat_wire.messages import Ack
from tests.hub.store.claim_workers import work

WORKERS = 4
ROUNDS = 40
DOWNLINKS = 300
TEXTS = 120
SCANS = 60


def test_processes_claim_each_item_once_and_lose_no_update(hub_database) -> None:
    with HubStore(hub_database) as store:
        roster_table.migrate(store.db)
        sms_table.migrate(store.db)
        searches_table.migrate(store.db)
        with store.db.write() as conn:
            queued = [
                HubStore.queue_downlink(conn, f"unit-{i % 7}", "ack", Ack((f"r{i}",)))
                for i in range(DOWNLINKS)
            ]
            for i in range(TEXTS):
                assert sms_table.queue(
                    conn, event_key=f"e{i}", tracking_no=f"T{i}", mobile="03001234567",
                    text="x", urgent=False, now_ms=1, not_before_ms=1,
                )  # fmt: skip
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [
        context.Process(target=work, args=(str(hub_database), n, start, results, ROUNDS, SCANS))
        for n in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=240) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    published = Counter(r for _, p, _, _ in outcomes for r in p)
    texts = Counter(t for _, _, t, _ in outcomes for t in t)
    scans = Counter(s for _, _, _, s in outcomes for s in s)
    # every queued downlink handed to the broker exactly once, none invented
    assert set(published) == set(queued) and max(published.values()) == 1
    # every text claimed once (sent once), every scan searched by one worker
    assert len(texts) == TEXTS and max(texts.values()) == 1
    assert set(scans) == {f"scan-{i}" for i in range(SCANS)} and max(scans.values()) == 1
    with HubStore(hub_database) as store:
        # WORKERS x ROUNDS read-then-write increments, none lost
        assert roster_table.failure_count(store.db, "badge-1") == WORKERS * ROUNDS
        assert not store.pending_downlinks()
        assert sms_table.counts(store.db) == {"sent": TEXTS}
        assert searches_table.scan_ids(store.db) == set(scans)
