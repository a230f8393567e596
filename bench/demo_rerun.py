"""``khidmat bench demo-rerun``: how long ``bash scripts/demo.sh`` takes to a usable console on a re-run.

rerun_to_console_s: from starting ``bash scripts/demo.sh --dir DIR`` (set-up check,
Mosquitto, hub, three agents, sensors, seeding check, console start) in a terminal
(a pty, 120 x 40) until the operator console has drawn its tabs, for a directory and a
virtualenv that a previous run already made. Each run is then quit as a user quits it
(ctrl+q) and must stop cleanly. ``setup_s`` is scripts/setup.sh alone on the same re-run
(the stamp check that skips pip and the compiler). A first, untimed run prepares the
directory when it has no deployment yet. Wall-clock on a machine shared with other work:
read the median.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_SCRIPT = ROOT / "scripts" / "demo.sh"
SETUP_SCRIPT = ROOT / "scripts" / "setup.sh"
CONSOLE_OPENING = "Opening the operator console"
"""Printed by ``khidmat demo`` just before the console starts."""
CONSOLE_DRAWN = "Quarantine"
"""A tab label of the console (hub/console/app.py): seen once the console has drawn."""
QUIT = b"\x11"  # ctrl+q
_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def _screen_text(raw: bytes) -> str:
    """What a terminal shows, roughly: escape sequences removed."""
    return _ANSI.sub(b"", raw).decode("utf-8", errors="replace")


def run_to_console(workdir: Path, *, timeout_s: float = 120.0) -> float:
    """One timed ``scripts/demo.sh`` run to the console; quits it and waits for a clean stop."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.monotonic()
    demo = subprocess.Popen(
        ["bash", str(DEMO_SCRIPT), "--dir", str(workdir)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"},
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    drawn_s: float | None = None
    try:
        while time.monotonic() - started < timeout_s:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
                text = _screen_text(seen)
                opened = text.find(CONSOLE_OPENING)
                if opened >= 0 and CONSOLE_DRAWN in text[opened:]:
                    drawn_s = time.monotonic() - started
                    break
            elif demo.poll() is not None:
                break
        if drawn_s is None:
            tail = _screen_text(seen)[-1500:]
            raise RuntimeError(f"the console did not come up within {timeout_s} s:\n{tail}")
        os.write(master, QUIT)
        deadline = time.monotonic() + 60
        while demo.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)  # keep the pty drained so the demo can print
                except OSError:
                    break
        if demo.wait(timeout=max(1.0, deadline - time.monotonic())) != 0:
            raise RuntimeError(f"the demo exited with {demo.returncode} after ctrl+q")
        return drawn_s
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=30)
        os.close(master)


def time_setup() -> float:
    """scripts/setup.sh alone (seconds); it must succeed."""
    started = time.monotonic()
    subprocess.run(["bash", str(SETUP_SCRIPT)], cwd=ROOT, check=True, capture_output=True)
    return time.monotonic() - started


def main(args: argparse.Namespace) -> int:
    workdir = Path(args.dir).resolve()
    if not (workdir / "deployment").exists():
        print(f"first run (untimed): preparing {workdir} ...", file=sys.stderr)
        subprocess.run(
            ["bash", str(DEMO_SCRIPT), "--dir", str(workdir), "--no-console", "--duration", "1"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    setup_s = time_setup()
    runs = [run_to_console(workdir) for _ in range(args.runs)]
    result = {
        "runs": len(runs),
        "rerun_to_console_s": [round(r, 2) for r in runs],
        "rerun_to_console_s_median": round(statistics.median(runs), 2),
        "setup_s": round(setup_s, 2),
        "dir": str(workdir),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"scripts/demo.sh re-run to a drawn console: median {result['rerun_to_console_s_median']} s "
            f"over {len(runs)} runs {result['rerun_to_console_s']}; setup.sh alone {result['setup_s']} s"
        )
    return 0
