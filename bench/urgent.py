"""``khidmat bench urgent``: from an urgent complaint filed at a desk to the console alert.

A test bed (:class:`khidmat.testbed.Testbed`: Mosquitto on a free loopback port, one
``khidmat hub`` process, one desk's ``khidmat agent`` process) and ``--complaints``
missing-child complaints (urgent: a child of 7), each queued in the desk's store as the
kiosk queues a filed complaint, ``--gap`` seconds apart. For each, the time from the queue
write to the hub raising its ``urgent-complaint`` console alert (``raised_ms`` of the
alert, read through :class:`hub.alerts.AlertBoard`; both clocks are this machine's): the
agent's outbox pick-up, MQTT, ingest, the alert in the ingest transaction. The issue's
bound is 5 s. A warm-up complaint (not urgent) is delivered first, so the session is up.
Out of sample for the hub (fresh numbers every run); one machine, whatever else it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path

DEVICE = "qta01-desk-0001"
STATION = "QTA01"
BOUND_S = 5.0


def _urgent_body(sequence: int):  # type: ignore[no-untyped-def]
    from khidmat.testbed import sample_complaint
    from khidmat_wire.messages import Answer

    body = sample_complaint(STATION, sequence, device_id=DEVICE, category="missing-person")
    answers = (
        Answer("missing_name", "Ali"),
        Answer("missing_age", "7"),
        Answer("last_seen", "outside the school at 1 pm"),
    )
    return dataclasses.replace(body, answers=answers, description="My son did not come home.")


def run(complaints: int, gap_s: float, root: Path) -> dict[str, object]:
    from edge_agent.store import LocalStore
    from hub.alerts import AlertBoard
    from hub.duties import URGENT_KEY, URGENT_KIND
    from hub.store import HubStore
    from khidmat.testbed import Testbed, sample_complaint
    from khidmat_base.clock import now_ms
    from khidmat_wire import make_envelope

    latencies: list[float] = []
    missing = 0
    with Testbed(root, [DEVICE]) as bed:
        bed.start_hub()
        bed.start_agent(DEVICE)
        with LocalStore(bed.store_path(DEVICE)) as store:
            warm = make_envelope(
                "complaint", DEVICE, sample_complaint(STATION, 1, device_id=DEVICE)
            )
            store.enqueue(warm)
        if not bed.wait_delivered(60):
            raise RuntimeError("the warm-up complaint was not delivered in 60 s")
        with HubStore(bed.hub_db) as hub:
            board = AlertBoard(hub)
            for i in range(complaints):
                body = _urgent_body(2 + i)
                envelope = make_envelope("complaint", DEVICE, body)
                with LocalStore(bed.store_path(DEVICE)) as store:
                    queued_ms = now_ms()
                    store.enqueue(envelope)
                key = f"{URGENT_KEY}{body.tracking_no}"
                deadline = time.monotonic() + 30
                raised = None
                while raised is None and time.monotonic() < deadline:
                    raised = next(
                        (a.raised_ms for a in board.list(kind=URGENT_KIND) if a.key == key), None
                    )
                    time.sleep(0.02)
                if raised is None:
                    missing += 1
                else:
                    latencies.append((raised - queued_ms) / 1000)
                time.sleep(gap_s)
    ordered = sorted(latencies)
    return {
        "complaints": complaints,
        "alerts": len(latencies),
        "missing": missing,
        "median_s": round(statistics.median(ordered), 3) if ordered else None,
        "p95_s": round(ordered[max(0, int(0.95 * len(ordered)) - 1)], 3) if ordered else None,
        "max_s": round(ordered[-1], 3) if ordered else None,
        "within_5_s": sum(1 for s in ordered if s < BOUND_S),
    }


def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="khidmat-urgent-") as directory:
        figures = run(args.complaints, args.gap, Path(directory))
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>12}: {value}")
    ok = figures["missing"] == 0 and figures["within_5_s"] == figures["complaints"]
    return 0 if ok else 1
