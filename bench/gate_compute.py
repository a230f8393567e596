"""``khidmat bench gate-compute``: the gate's compute from the last image byte to the verdict.

    khidmat bench gate-compute --gallery 10000 --scans 10 --json

The issue's target (<= 150 ms) counts the gate's own computing once the sensor has sent
the image: extraction of the two index fingers, the search of a list of ``--gallery``
persons enrolled on both fingers, and the decision (fused scores to a verdict at the
thresholds for the list's size and the fingers compared). Everything runs on the gate's
own code: the list is installed in a unit store (``LocalStore.replace_watchlist``) and
loaded as the gate loads it (``kiosk.identify.WatchlistGallery.load``); each scan is
``matcher_cy.extract`` of both images, then ``WatchlistGallery.identify``.

The process is pinned to one core first (``os.sched_setaffinity``), so the galleries split
no search over threads and the CPU time (``time.process_time``) is a one-core figure that
the load of other processes does not inflate; wall times are printed beside it. Printed
per scan stage, median and maximum over ``--scans`` mated scans (two enrolled persons'
other impressions) and as many stranger scans (fingers nobody on the list has):

- ``extract_ms``: one finger's extraction (both fingers pooled);
- ``identify_ms``: the search of both fingers' galleries, the cross scores, the fusion and
  the verdict;
- ``two_fingers_ms``: both extractions + identify: the issue's reading, in CPU time;
- ``after_last_image_ms``: the second finger's extraction + identify: what the gate
  actually computes after the last byte (it extracts the right index while the officer
  moves to the left one).

There is no warm-up scan, so ``two_fingers_ms_first`` (the first scan, which pays any
one-off costs), ``two_fingers_ms_max_after_first`` and ``slowest_scan`` (its index) say
whether the maximum is a start-up cost.

Not included: the sensor's upload itself (the wire: ``khidmat bench kiosk``), and
unpacking the upload into an image array (part of the sensor driver). Cost: building the
list's 2 x N templates (about 1 ms each), then about 0.2 s per scan.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: Synthetic finger id of a person's left index: the right index's id plus this (as the demo).
LEFT_OFFSET = 10_000
#: First synthetic finger id of the strangers (nobody on the list).
STRANGER_FIRST = 5_000


@contextlib.contextmanager
def one_core() -> Iterator[int]:
    """Pin this process to the first core it may run on (yields its number) and restore
    the cores it had on leaving."""
    cores = os.sched_getaffinity(0)
    core = min(cores)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, cores)


def _watchlist_rows(
    gallery: int, wanted: list[int], seed: int
) -> list[tuple[str, int, str, str, str]]:
    """(person_id, position, name, status, template base64) for ``gallery`` persons: the
    ``wanted`` synthetic fingers (impression 0, extracted) and distractor persons."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract
    from matcher_cy.distractors import distractor_template
    from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

    def b64(template) -> str:
        return base64.b64encode(template.to_bytes()).decode()

    rows = []
    for finger in wanted:
        for position, finger_id in ((RIGHT_INDEX, finger), (LEFT_INDEX, finger + LEFT_OFFSET)):
            template = extract(impression_image(finger_id, 0, seed=seed))
            rows.append((f"W-{finger:06d}", position, f"Wanted {finger}", "wanted", b64(template)))
    for index in range(max(0, gallery - len(wanted))):
        for position, draw in ((RIGHT_INDEX, 2 * index), (LEFT_INDEX, 2 * index + 1)):
            template = distractor_template(draw, seed=seed + 1)
            rows.append(
                (f"D-{index:06d}", position, f"Distractor {index}", "wanted", b64(template))
            )
    return rows


def run(gallery: int, scans: int, *, seed: int = 0) -> dict[str, object]:
    """Build the list, time ``scans`` mated and ``scans`` stranger scans on one core; the
    figures (the process's cores are restored afterwards)."""
    with one_core() as core:
        return _run_pinned(gallery, scans, seed, core)


def _run_pinned(gallery: int, scans: int, seed: int, core: int) -> dict[str, object]:
    from edge_agent.sim.fingers import impression_image
    from edge_agent.store import LocalStore
    from kiosk.identify import WatchlistGallery
    from matcher_cy import extract
    from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

    wanted = list(range(1, scans + 1))
    with tempfile.TemporaryDirectory(prefix="khidmat-bench-gate-") as directory:
        store = LocalStore(Path(directory) / "unit.db")
        try:
            started = time.perf_counter()
            store.replace_watchlist(
                1, int(time.time() * 1000), _watchlist_rows(gallery, wanted, seed)
            )
            watchlist = WatchlistGallery.load(store)
            build_s = time.perf_counter() - started
        finally:
            store.close()
        people = [(finger, True) for finger in wanted]
        people += [(STRANGER_FIRST + i, False) for i in range(scans)]
        images = [
            (
                mated,
                impression_image(finger, 1, seed=seed),
                impression_image(finger + LEFT_OFFSET, 1, seed=seed),
            )
            for finger, mated in people
        ]
        extract_cpu, identify_cpu, two_cpu, last_cpu, two_wall = [], [], [], [], []
        verdicts = {"mated": {}, "stranger": {}}
        for mated, right_image, left_image in images:
            wall0, cpu0 = time.perf_counter(), time.process_time()
            right = extract(right_image, dpi=500)
            cpu1 = time.process_time()
            left = extract(left_image, dpi=500)
            cpu2 = time.process_time()
            found = watchlist.identify({RIGHT_INDEX: right, LEFT_INDEX: left})
            cpu3, wall3 = time.process_time(), time.perf_counter()
            extract_cpu += [(cpu1 - cpu0) * 1000, (cpu2 - cpu1) * 1000]
            identify_cpu.append((cpu3 - cpu2) * 1000)
            two_cpu.append((cpu3 - cpu0) * 1000)
            last_cpu.append((cpu3 - cpu1) * 1000)
            two_wall.append((wall3 - wall0) * 1000)
            kind = "mated" if mated else "stranger"
            verdicts[kind][found.verdict] = verdicts[kind].get(found.verdict, 0) + 1
    return {
        "gallery": len(watchlist),
        "fingers": 2,
        "scans": len(images),
        "core": core,
        "cores_used": len(os.sched_getaffinity(0)),
        "load1": round(os.getloadavg()[0], 1),
        "list_build_s": round(build_s, 1),
        "extract_ms_median": _ms(statistics.median(extract_cpu)),
        "extract_ms_max": _ms(max(extract_cpu)),
        "identify_ms_median": _ms(statistics.median(identify_cpu)),
        "identify_ms_max": _ms(max(identify_cpu)),
        "two_fingers_ms_median": _ms(statistics.median(two_cpu)),
        "two_fingers_ms_max": _ms(max(two_cpu)),
        "two_fingers_ms_first": _ms(two_cpu[0]),
        "two_fingers_ms_max_after_first": _ms(max(two_cpu[1:], default=two_cpu[0])),
        "slowest_scan": two_cpu.index(max(two_cpu)),
        "after_last_image_ms_median": _ms(statistics.median(last_cpu)),
        "after_last_image_ms_max": _ms(max(last_cpu)),
        "two_fingers_wall_ms_median": _ms(statistics.median(two_wall)),
        "target_ms": 150,
        "verdicts": verdicts,
    }


def _ms(value: float) -> float:
    return round(value, 1)


def main(args: argparse.Namespace) -> int:
    if args.gallery < args.scans or args.scans < 1:
        raise SystemExit("--scans must be at least 1 and --gallery at least --scans")
    result = run(args.gallery, args.scans, seed=args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return 0
