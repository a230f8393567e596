"""``khidmat bench chaos``: delivery under failure, checked complaint by complaint at the hub.

A real Mosquitto with persistence, the hub and N real agent processes; a filer process
(bench.chaos_filer) files complaints into every unit's store throughout the run, as
kiosks would, and logs each after its commit in a log of its own. Meanwhile the run
SIGKILLs agents at random moments (often in the middle of an SQLite write: the agent
writes after every publish and every ack), SIGKILLs the filer twice (restarted at once,
it files what is still due), restarts the broker (alternately SIGTERM and SIGKILL) and
SIGKILLs and restarts the hub several times, and cuts one unit's link silently (a
:class:`khidmat.netcut.LinkRelay`) for longer than its keepalive. Then everything is
restarted and the run waits for the outboxes to drain.

Figures (:class:`khidmat.testbed.DeliveryCheck`, the filer's log against the hub's side
effects): records (complaints in the filer's log), lost (logged, never opened at the hub),
duplicated (extra side effects: complaint records beyond one per tracking number,
complaints opened twice, extra status pushes), unlogged (opened but not logged: the filer
died between commit and log), unacked (still waiting at the end), max_delivery_s (filing
to ack, worst record), and the counts of kills and restarts.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edge_agent.store import LocalStore
from khidmat.testbed import Testbed

AGENT_KILL_EVERY_S = 0.7
CUT_S = 9.0  # longer than keepalive (5 s) x 1.5: the unit must notice on its own


def _start_filer(
    root: Path, devices: list[str], records: int, filing_s: float, incarnation: int
) -> subprocess.Popen[bytes]:
    """The filer as its own process (bench.chaos_filer), so that it can be killed too."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.chaos_filer", str(root), "--devices", ",".join(devices)]
        + ["--records", str(records), "--filing-s", f"{filing_s:.1f}"]
        + ["--incarnation", str(incarnation)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def run_chaos(
    devices: int, records: int, root: Path, *, seed: int = 7, log=lambda *_: None
) -> dict[str, float | int]:
    rng = random.Random(seed)
    names = [f"chaos-{i:03d}" for i in range(devices)]
    relayed = (names[0],)
    counts = collections.Counter()
    filing_s = max(15.0, devices * records / 400)
    with Testbed(
        root, names, resend_after_s=2.0, catchup_per_s=400, batch_size=100, relayed=relayed
    ) as testbed:
        for device in names:
            LocalStore(testbed.store_path(device)).close()  # create the stores before the agents
        testbed.start_hub()
        for device in names:
            testbed.start_agent(device)
        started = time.monotonic()
        incarnation = 0
        filer = _start_filer(root, names, records, filing_s, incarnation)
        plan = sorted(
            [(filing_s * f, "broker") for f in (0.2, 0.5, 0.8)]
            + [(filing_s * f, "hub") for f in (0.35, 0.65, 0.9)]
            + [(filing_s * f, "filer") for f in (0.3, 0.6)]
            + [(filing_s * 0.4, "cut"), (filing_s * 0.4 + CUT_S, "restore")]
        )
        dead: dict[str, float] = {}
        next_kill = AGENT_KILL_EVERY_S
        while filer.poll() is None or plan:
            elapsed = time.monotonic() - started
            while plan and plan[0][0] <= elapsed:
                _, action = plan.pop(0)
                log(f"{elapsed:6.1f}s {action}")
                if action == "filer":  # SIGKILL, often mid-commit or mid-log; then go on
                    filer.kill()
                    filer.wait()
                    counts["filer_kills"] += 1
                    incarnation += 1
                    remaining_s = max(1.0, filing_s - (time.monotonic() - started))
                    filer = _start_filer(root, names, records, remaining_s, incarnation)
                elif action == "broker":
                    testbed.broker.restart(kill=counts["broker_restarts"] % 2 == 1, down_s=1.0)
                    counts["broker_restarts"] += 1
                elif action == "hub":
                    testbed.stop_hubs(kill=True)
                    time.sleep(1.0)
                    testbed.start_hub()
                    counts["hub_restarts"] += 1
                elif action == "cut":
                    testbed.relays[relayed[0]].cut(silent=True)
                    counts["network_cuts"] += 1
                else:
                    testbed.relays[relayed[0]].restore()
            if elapsed >= next_kill:
                next_kill += AGENT_KILL_EVERY_S
                victim = rng.choice([d for d in names if d not in dead])
                testbed.stop_agent(victim, kill=True)
                dead[victim] = elapsed + rng.uniform(0.1, 1.5)
                counts["kills"] += 1
            for device, when in list(dead.items()):
                if when <= elapsed:
                    testbed.start_agent(device)
                    del dead[device]
            time.sleep(0.05)
        for device in dead:
            testbed.start_agent(device)
        log(f"{time.monotonic() - started:6.1f}s chaos over; draining")
        testbed.wait_delivered(timeout_s=180 + devices * records / 100)
        unacked = 0
        max_delivery_ms = 0
        for device in names:
            with LocalStore(testbed.store_path(device)) as store:
                unacked += store.outbox_depth()
                times = store.delivery_times()
                if times:
                    max_delivery_ms = max(
                        max_delivery_ms, max(acked - created for created, _, acked in times)
                    )
        testbed.close()
        check = testbed.delivery_check()
    return {
        "records": check.filed,
        "lost": check.lost,
        "duplicated": check.duplicated,
        "unlogged": check.unlogged,
        "unacked": unacked,
        "max_delivery_s": round(max_delivery_ms / 1000, 2),
        "kills": counts["kills"],
        "filer_kills": counts["filer_kills"],
        "broker_restarts": counts["broker_restarts"],
        "hub_restarts": counts["hub_restarts"],
        "network_cuts": counts["network_cuts"],
    }


def main(args: argparse.Namespace) -> int:
    log = (lambda *_: None) if args.json else print
    with tempfile.TemporaryDirectory(prefix="khidmat-chaos-") as directory:
        result = run_chaos(args.devices, args.records, Path(directory), seed=args.seed, log=log)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 and result["unacked"] == 0 else 1
