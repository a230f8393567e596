"""``khidmat demo``: the delivery path of the whole system, live, on this machine.

Starts a real Mosquitto, the hub and three unit agents (desk, gate, enrolment) in a
working directory that re-runs reuse, files a complaint at the desk unit every
``interval_s`` seconds as the kiosk would, and prints one status line per second: what
each unit still holds and what the hub has stored. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from edge_agent.store import LocalStore
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import make_envelope

UNITS = ("demo-desk", "demo-gate", "demo-enrol")


def run_demo(
    workdir: Path, *, interval_s: float = 1.0, duration_s: float | None = None, out=print
) -> int:
    """Run until Ctrl-C (or ``duration_s``); returns 0 when nothing was lost."""
    workdir.mkdir(parents=True, exist_ok=True)
    testbed = Testbed(
        workdir / "delivery", list(UNITS), resend_after_s=2.0, telemetry_interval_s=10.0
    )
    started = time.monotonic()
    filed = 0
    try:
        testbed.start()
        out(
            f"broker   mosquitto on {testbed.broker.host}:{testbed.broker.port} (log {testbed.broker.log_path})"
        )
        testbed.start_hub()
        out(f"hub      database {testbed.hub_db}")
        for unit in UNITS:
            testbed.start_agent(unit)
            out(f"unit     {unit}: store {testbed.store_path(unit)}")
        out("Filing a complaint at demo-desk every second. Ctrl-C stops everything.")
        with LocalStore(testbed.store_path("demo-desk")) as desk:
            for tick in itertools.count():
                if duration_s is not None and time.monotonic() - started >= duration_s:
                    break
                sequence = desk.next_sequence("demo-complaints")
                desk.enqueue(
                    make_envelope("complaint", "demo-desk", sample_complaint("DEMO", sequence))
                )
                filed += 1
                time.sleep(interval_s)
                pending = {unit: testbed.pending(unit) for unit in UNITS}
                stored = len(testbed.hub_record_ids("complaint"))
                out(
                    f"t={tick + 1:>4}s  filed {filed:>4}  hub complaints {stored:>5}  waiting at units {pending}"
                )
    except KeyboardInterrupt:
        out("stopping")
    finally:
        testbed.close()
    return 0
