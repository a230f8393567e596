"""Cross-province identification on one machine: four hubs, four brokers, TLS bridges.

    khidmat bench federation --provinces 4 --records-per-province 2000 --json

Starts ``--provinces`` provinces (khidmat.federation_testbed: per province a real
Mosquitto with its federation listener and bridges to every other province, as
``khidmat provision province`` writes them, and a ``khidmat hub`` process over its own
hub.db), enrols ``--records-per-province`` persons in each (``--held`` of them with two
real synthetic fingers, right and left index, rendered and extracted; the rest two
distractor templates each, matcher_cy.distractors), then, one search at a time, has a
gate of every province scan

- every person held in another province (a fresh impression of both fingers): the home
  search finds nobody, the search goes over the bridges, and it is a **cross hit** when
  the gate's ``federated`` verdict is red naming the holding province with the reference
  that province's desk resolves to that person (else **cross missed**);
- ``--strangers`` persons nobody holds (their verdict should be green).

Latency is from the gate's publish of the scan to the arrival of its ``federated``
downlink (the home search, the asks, every province's search, the answers, the verdict):
``p50_ms``, ``p99_ms``. Then one province is stopped (broker and hub) and each remaining
province's gate scans persons held elsewhere and strangers again: ``with_province_down``
is that round's p99 (the verdict comes at the deadline, ``[federation] deadline_s``, with
the stopped province named as not answered; ``down_named`` counts verdicts that named it).
``lost`` counts searches whose gate never got a verdict (all rounds).

Every figure is in sample (the same synthetic persons are enrolled and searched); the
machine is shared, so the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROVINCE_NAMES = ("balochistan", "punjab", "sindh", "islamabad", "khyber", "gilgit")
SEED = 11
VERDICT_GRACE_S = 5.0
"""How long after the deadline a gate waits before the search counts as lost."""
STATUSES = ("wanted", "proclaimed-offender", "convicted")


@dataclass
class Round:
    latencies_ms: list[float] = field(default_factory=list)
    lost: int = 0
    cross: int = 0
    cross_hits: int = 0
    strangers: int = 0
    strangers_red: int = 0
    named_down: int = 0


def _fingers(finger: int, impression: int) -> tuple[object, object]:
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    return tuple(  # type: ignore[return-value]
        extract(impression_image(f, impression, seed=SEED)) for f in (finger, finger + 100_000)
    )


def _resolve(bed: object, province: str, ref: str) -> str | None:
    from hub.store import HubStore
    from hub.store import federation as table

    store = HubStore(bed.provinces[province].hub_db)  # type: ignore[attr-defined]
    try:
        return table.resolve_ref(store.db, ref)
    finally:
        store.close()


def run(
    provinces: int,
    per_province: int,
    *,
    held: int = 5,
    strangers: int = 20,
    deadline_s: float = 1.5,
    policy: str = "no-hit",
    workdir: Path | None = None,
) -> dict[str, object]:
    from khidmat.federation_testbed import FederationTestbed
    from matcher_cy.distractors import distractor_template
    from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

    if not 2 <= provinces <= len(PROVINCE_NAMES):
        raise ValueError(f"--provinces: 2..{len(PROVINCE_NAMES)}")
    held = min(held, per_province)
    names = list(PROVINCE_NAMES[:provinces])
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=workdir) as directory:
        bed = FederationTestbed(Path(directory), names, policy=policy, deadline_s=deadline_s)
        people: dict[str, list[tuple[str, int]]] = {}  # province -> (person id, finger id)
        started = time.perf_counter()
        for index, name in enumerate(names):
            real = []
            for j in range(held):
                finger = 10 + index * 100 + j
                right, left = _fingers(finger, 0)
                real.append(
                    (
                        f"Held {name} {j}",
                        STATUSES[j % len(STATUSES)],
                        [(RIGHT_INDEX, right.to_bytes()), (LEFT_INDEX, left.to_bytes())],  # type: ignore[attr-defined]
                        finger,
                    )
                )
            ids = bed.enrol(name, [(n, s, f) for n, s, f, _ in real])
            people[name] = [(pid, finger) for pid, (*_, finger) in zip(ids, real, strict=True)]
            base = index * per_province
            bed.enrol(
                name,
                [
                    (
                        f"Distractor {name} {i}",
                        "convicted",
                        [
                            (RIGHT_INDEX, distractor_template(2 * (base + i), seed=5).to_bytes()),
                            (
                                LEFT_INDEX,
                                distractor_template(2 * (base + i) + 1, seed=5).to_bytes(),
                            ),
                        ],
                    )
                    for i in range(per_province - held)
                ],
            )
        enrol_s = time.perf_counter() - started
        probes = {
            finger: _fingers(finger, 1) for persons in people.values() for _, finger in persons
        }
        stranger_probes = [_fingers(90_000 + i, 1) for i in range(strangers)]
        bed.start()
        try:
            started = time.perf_counter()
            if not bed.wait_bridges(60):
                raise RuntimeError("the bridges did not connect")
            if not bed.wait_ready(_fingers(99_999, 1), timeout_s=600):
                raise RuntimeError("a hub did not get ready")
            ready_s = time.perf_counter() - started
            up = _round(bed, names, people, probes, stranger_probes, deadline_s, None)
            down_name = names[-1]
            bed.stop_province(down_name)
            remaining = names[:-1]
            down = _round(
                bed,
                remaining,
                {n: p for n, p in people.items()},
                probes,
                stranger_probes[: max(1, strangers // 2)],
                deadline_s,
                down_name,
            )
        finally:
            bed.close()
    load_after = os.getloadavg()
    searches = len(up.latencies_ms) + up.lost
    return {
        "provinces": provinces,
        "records_per_province": per_province,
        "searches": searches,
        "cross_searches": up.cross,
        "cross_hits": up.cross_hits,
        "cross_missed": up.cross - up.cross_hits,
        "strangers": up.strangers,
        "strangers_red": up.strangers_red,
        "p50_ms": _percentile(up.latencies_ms, 50),
        "p99_ms": _percentile(up.latencies_ms, 99),
        "max_ms": round(max(up.latencies_ms), 1) if up.latencies_ms else None,
        "deadline_ms": round(deadline_s * 1000),
        "with_province_down": _percentile(down.latencies_ms, 99),
        "down_searches": len(down.latencies_ms) + down.lost,
        "down_p50_ms": _percentile(down.latencies_ms, 50),
        "down_named": down.named_down,
        "down_cross_hits": down.cross_hits,
        "down_cross_searches": down.cross,
        "lost": up.lost + down.lost,
        "policy": policy,
        "enrol_s": round(enrol_s, 1),
        "ready_s": round(ready_s, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }


def _round(
    bed: object,
    askers: list[str],
    people: dict[str, list[tuple[str, int]]],
    probes: dict[int, tuple[object, object]],
    strangers: list[tuple[object, object]],
    deadline_s: float,
    down: str | None,
) -> Round:
    """Every asker's gate scans every person held by another running province (or the
    stopped one: then it cannot be found), then the strangers; one search at a time."""
    result = Round()
    wait_s = deadline_s + VERDICT_GRACE_S
    for asker in askers:
        gate = bed.gate(asker)  # type: ignore[attr-defined]
        try:
            searches: list[tuple[str | None, str | None, tuple[object, object]]] = [
                (holder, pid, probes[finger])
                for holder, persons in people.items()
                if holder not in (asker, down)
                for pid, finger in persons
            ]
            searches += [(None, None, probe) for probe in strangers]
            for holder, pid, probe in searches:
                scan_id, sent = gate.scan(*probe)
                got = gate.wait("federated", scan_id, wait_s)
                if holder is None:
                    result.strangers += 1
                else:
                    result.cross += 1
                if got is None:
                    result.lost += 1
                    continue
                arrived, envelope = got
                result.latencies_ms.append((arrived - sent) * 1000)
                body = envelope.body
                if down is not None and down in body.not_answered:
                    result.named_down += 1
                if holder is None:
                    result.strangers_red += body.verdict == "red"
                    continue
                mine = [c for c in body.candidates if c.province == holder and c.level == "red"]
                if body.verdict == "red" and mine and _resolve(bed, holder, mine[0].ref) == pid:
                    result.cross_hits += 1
        finally:
            gate.close()
    return result


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[int(percent) - 1] if percent < 100 else max(values), 1)


def main(args: argparse.Namespace) -> int:
    report = run(
        args.provinces,
        args.records_per_province,
        held=args.held,
        strangers=args.strangers,
        deadline_s=args.deadline,
        policy=args.policy,
    )
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:24} {value}")
    ok = report["cross_missed"] == 0 and report["lost"] == 0
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser()
    parser.add_argument("--provinces", type=int, default=4)
    parser.add_argument("--records-per-province", type=int, default=2000)
    parser.add_argument("--held", type=int, default=5)
    parser.add_argument("--strangers", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=1.5)
    parser.add_argument("--policy", default="no-hit")
    parser.add_argument("--json", action="store_true")
    sys.exit(main(parser.parse_args()))
