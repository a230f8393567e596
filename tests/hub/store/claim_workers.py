"""What each process of the concurrency test runs (importable, so spawned processes can
run it): several hub processes on one database, each claiming work and counting."""

from __future__ import annotations

import random
from typing import Any

from hub.store import HubStore
from hub.store import roster as roster_table
from hub.store import searches as searches_table
from hub.store import sms as sms_table
from khidmat_wire import decode


def work(location: str, worker: int, start: Any, results: Any, rounds: int, scans: int) -> None:
    """Claim downlinks, texts and scans until none are left, and count wrong PINs;
    puts (worker, published record ids, claimed text ids, claimed scan ids) on ``results``."""
    rng = random.Random(worker)
    with HubStore(location) as store:
        start.wait(60)
        published: list[str] = []
        texts: list[int] = []
        claimed_scans: list[str] = []
        order = [f"scan-{i}" for i in range(scans)]
        rng.shuffle(order)
        for i in range(rounds):
            # a read-then-write (SELECT failures, then upsert): lost without serialized writes
            with store.db.write() as conn:
                roster_table.note_failure(
                    conn, "badge-1", 1_000 + i, max_failures=1_000_000, lockout_ms=1
                )
            store.publish_downlinks(
                lambda topic, payload: published.append(decode(payload).record_id) or True,
                limit=3,
            )
            for row in sms_table.claim_due(store.db, 10**13, 2, lease_ms=10**9):
                sms_table.set_state(store.db, row["id"], state="sent", sent_ms=5)
                texts.append(int(row["id"]))
            for scan_id in order[i * 2 : i * 2 + 2]:
                with store.db.write() as conn:
                    if searches_table.claim(
                        conn, scan_id=scan_id, device_id="gate-1", officer="SI", at_ms=1,
                        gate_verdict="green", gate_candidates=(), watchlist_version=1,
                    ):  # fmt: skip
                        claimed_scans.append(scan_id)
        while store.pending_downlinks(1):  # what is left, after the others' last rounds
            store.publish_downlinks(
                lambda topic, payload: published.append(decode(payload).record_id) or True
            )
        results.put((worker, published, texts, claimed_scans))
