"""``khidmat bench kiosk``: kiosk start-up time and gate scan-to-verdict time.

startup_s: from starting a Python process for ``khidmat kiosk`` (desk) until its first
screen has been drawn (headless), median of ``--startups`` runs; this includes the
interpreter, imports, opening the store and the first compose.

scan_to_verdict_s: a simulated R307 in this process at 115200 baud with wire timing on
(every byte paced at 10 bits per baud, 256-byte packets), a watchlist of ``--watchlist``
templates (the three synthetic people of ``--sim`` plus distractors made from other
synthetic fingers, see :func:`distractor_templates`), and the kiosk's own capture and search code: from the finger touching
the window to the verdict. Split into finger detection (GenImg polls and the chip's
Img2Tz quality gate), image upload (the wire), extraction and 1:N search (compute).
Timings are wall-clock on a machine shared with other work: read the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

#: Distinct synthetic fingers the distractors are made from (extracted once each).
DISTRACTOR_SOURCE_FINGERS = 12
#: First synthetic finger id of the distractor sources (clear of the --sim people).
DISTRACTOR_FIRST_FINGER = 300
#: Per-distractor changes: rotation (radians), shift (pixels), position jitter (pixels),
#: fraction of minutiae dropped.
DISTRACTOR_ROTATION_RAD = 0.6
DISTRACTOR_SHIFT_PX = 30
DISTRACTOR_JITTER_PX = 4.0
DISTRACTOR_DROP = 0.15


def distractor_templates(
    count: int, *, seed: int = 1, sources: int = DISTRACTOR_SOURCE_FINGERS
) -> list:
    """``count`` templates with the structure of real prints: synthetic fingers' minutiae
    rotated, shifted, jittered and thinned at random, so a search does the work it does
    on real templates (random points would be rejected early and flatter the search).
    Cost: ~0.5 s per source finger, then ~50 us per template."""
    from kiosk.sim import sim_finger_image
    from matcher_cy import Template, extract
    from matcher_cy.template import MINUTIA_DTYPE

    rng = np.random.default_rng(seed)
    pool = [
        extract(sim_finger_image(DISTRACTOR_FIRST_FINGER + i, 0)).minutiae
        for i in range(min(sources, count) or 0)
    ]
    templates = []
    for n in range(count):
        base = pool[n % len(pool)]
        keep = base[rng.random(len(base)) >= DISTRACTOR_DROP]
        theta = rng.uniform(-DISTRACTOR_ROTATION_RAD, DISTRACTOR_ROTATION_RAD)
        shift = rng.uniform(-DISTRACTOR_SHIFT_PX, DISTRACTOR_SHIFT_PX, 2)
        cx, cy = 128.0, 144.0
        x = keep["x"] - cx
        y = keep["y"] - cy
        nx = np.cos(theta) * x - np.sin(theta) * y + cx + shift[0]
        ny = np.sin(theta) * x + np.cos(theta) * y + cy + shift[1]
        nx += rng.normal(0, DISTRACTOR_JITTER_PX, len(keep))
        ny += rng.normal(0, DISTRACTOR_JITTER_PX, len(keep))
        inside = (nx >= 0) & (nx < 256) & (ny >= 0) & (ny < 288)
        minutiae = np.zeros(int(inside.sum()), dtype=MINUTIA_DTYPE)
        minutiae["x"] = nx[inside]
        minutiae["y"] = ny[inside]
        minutiae["angle"] = np.mod(keep["angle"][inside] + theta, 2 * np.pi)
        minutiae["type"] = keep["type"][inside]
        minutiae["quality"] = keep["quality"][inside]
        templates.append(Template(minutiae, width=256, height=288, dpi=500, quality=80))
    return templates


def startup_child(directory: str) -> int:
    """Run in a fresh process: start the desk kiosk headless, print when the first screen is up."""
    from kiosk.app import build_app
    from kiosk.sim import sim_config

    config = sim_config("desk", Path(directory))

    def ready(app) -> None:
        print("ready", flush=True)
        app.exit()

    build_app("desk", config, on_ready=ready).run(headless=True)
    return 0


def measure_startup(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="khidmat-bench-kiosk-") as directory:
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.kiosk", "--startup-child", directory],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdout is not None
            line = process.stdout.readline()
            elapsed = time.perf_counter() - start
            process.wait(timeout=30)
            if line.strip() != "ready":
                raise RuntimeError(f"kiosk did not start (exit {process.returncode})")
            times.append(elapsed)
    return times


def build_watchlist(size: int, restarts: int = 3):  # -> (WatchlistGallery, load_s, ready)
    """A store holding the three --sim people and distractors, loaded as the gate loads it:
    load_s the first load (builds and saves the prepared file); ``ready`` the medians over
    ``restarts`` restarts (fresh processes that import the gate's store and matcher and
    map the prepared files): ready_s wall time from the child's first line, ready_cpu_s
    its CPU time (process_time, the interpreter's own start included), map_s the part of
    ready_s after the imports, and scipy_imported whether a restart imported scipy (it
    should not: the gate needs it only to extract a scan)."""
    import base64

    from edge_agent.store import LocalStore
    from kiosk.identify import WatchlistGallery
    from kiosk.sim import watchlist_entries

    rows = watchlist_entries()
    rows += [
        (f"DIS-{i:06d}", 2, f"Distractor {i}", "wanted", base64.b64encode(t.to_bytes()).decode())
        for i, t in enumerate(distractor_templates(max(0, size - len(rows))))
    ]
    directory = tempfile.mkdtemp(prefix="khidmat-bench-kiosk-")
    store = LocalStore(Path(directory) / "unit.db")
    store.replace_watchlist(1, int(time.time() * 1000), rows)
    start = time.perf_counter()
    gallery = WatchlistGallery.load(store)
    load_s = time.perf_counter() - start
    store.close()
    runs = []
    for _ in range(max(1, restarts)):
        child = subprocess.run(
            [sys.executable, "-c", "import sys, time; start = time.perf_counter(); "
             "from edge_agent.store import LocalStore; from kiosk.identify import WatchlistGallery; "
             "import matcher_cy.gallery; imported = time.perf_counter(); "
             "store = LocalStore(sys.argv[1]); gallery = WatchlistGallery.load(store); "
             "assert all(g._ram.rows == 0 for g in gallery._galleries.values()); "
             "print(time.perf_counter() - start, time.perf_counter() - imported, "
             "time.process_time(), int(any(m.startswith('scipy') for m in sys.modules)))",
             str(Path(directory) / "unit.db")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        runs.append([float(v) for v in child.stdout.split()])
    ready = {
        name: statistics.median(run[i] for run in runs)
        for i, name in enumerate(("ready_s", "map_s", "ready_cpu_s", "scipy_imported"))
    }
    return gallery, load_s, ready


def measure_scans(gallery, scans: int, baud: int, model: str = "r307") -> list[dict[str, float]]:
    from edge_agent.config import SensorSection
    from edge_agent.sensor import open_sensor
    from kiosk.capture import capture_template
    from kiosk.screens.sim_panel import sim_image

    section = SensorSection(backend="sim", model=model, baud=baud, packet_size=256)
    results = []
    lock = threading.Lock()
    with open_sensor(section, sim_wire_delay=True) as sensor:
        dpi = sensor.info().dpi
        simulator = sensor.simulator
        assert simulator is not None
        for n in range(scans):
            image = sim_image("wanted" if n % 2 == 0 else "stranger")
            stages: dict[str, float] = {}

            def prompt(stage: str, _: str) -> None:
                stages[stage] = time.perf_counter()  # noqa: B023

            simulator.place(image)
            placed = time.perf_counter()
            capture = capture_template(
                sensor, lock, prompt, lambda: False, dpi=dpi, wait_lift=False
            )
            identification = gallery.identify(capture.template)
            done = time.perf_counter()
            simulator.lift()
            sensor.wait_for_lift(5.0)
            results.append(
                {
                    "total_s": done - placed,
                    "detect_s": stages["hold"] - placed,
                    "upload_s": capture.upload_s,
                    "extract_s": capture.extract_s,
                    "search_s": identification.search_s,
                    "compute_s": capture.extract_s + identification.search_s,
                    "verdict": identification.verdict,
                    "person": "wanted" if n % 2 == 0 else "stranger",
                    "top": identification.candidates[0].person_id
                    if identification.candidates
                    else "",
                }
            )
    return results


def run(args: argparse.Namespace) -> dict[str, object]:
    startup = measure_startup(args.startups)
    gallery, load_s, ready = build_watchlist(args.watchlist, args.restarts)
    scans = measure_scans(gallery, args.scans, args.baud, args.model)

    def median(key: str) -> float:
        return round(statistics.median(float(s[key]) for s in scans), 3)  # type: ignore[arg-type]

    import matcher_cy

    return {
        "startup_s": round(statistics.median(startup), 3),
        "startup_runs_s": [round(t, 3) for t in startup],
        "scan_to_verdict_s": median("total_s"),
        "scan_detect_s": median("detect_s"),
        "scan_upload_s": median("upload_s"),
        "scan_extract_s": median("extract_s"),
        "scan_search_s": median("search_s"),
        "scan_compute_s": median("compute_s"),
        "verdicts": [s["verdict"] for s in scans],
        # the wanted person (BAL-000101) ranked first, and strangers flagged red or yellow:
        # a 1:N search makes one comparison per entry, so false flags grow with the list
        "wanted_found": sum(
            1 for s in scans if s["person"] == "wanted" and s["top"] == "BAL-000101"
        ),
        "wanted_scans": sum(1 for s in scans if s["person"] == "wanted"),
        "strangers_flagged": sum(
            1 for s in scans if s["person"] == "stranger" and s["verdict"] != "green"
        ),
        "stranger_scans": sum(1 for s in scans if s["person"] == "stranger"),
        "watchlist": len(gallery),
        "watchlist_load_s": round(load_s, 2),
        "watchlist_ready_s": round(ready["ready_s"], 3),
        "watchlist_ready_cpu_s": round(ready["ready_cpu_s"], 3),
        "watchlist_map_s": round(ready["map_s"], 3),
        "watchlist_restarts": max(1, args.restarts),
        "watchlist_restart_imports_scipy": bool(ready["scipy_imported"]),
        "baud": args.baud,
        "sensor": f"simulated {args.model}, 256-byte packets, wire timing on",
        "matcher": matcher_cy.implementation,
    }


def main(args: argparse.Namespace) -> int:
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--startup-child":
        sys.exit(startup_child(sys.argv[2]))
    sys.exit("usage: khidmat bench kiosk (this module's __main__ is its start-up probe)")
