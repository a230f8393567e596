"""Benchmark of the hub's own work: complaint intake and 1:N identification of gate scans.

    .venv/bin/python -m bench.hub_identify --people 2000 --scans 20 --complaints 2000 --json

Builds a fresh hub database in a temporary folder: ``--people`` people with two synthetic
distractor templates each (right and left index, matcher_cy.distractors, no images) plus
5 wanted people with two real synthetic fingers each (images rendered and extracted),
then measures

- complaint intake: ``--complaints`` complaint records through the Ingestor (validation,
  storage, complaint handler, status downlink queued) in batches of 200, records/s;
- gallery load: ``Identifier.load()`` of every stored template, seconds (the hub does
  this on a background thread at start);
- identification: ``Identifier.identify()`` per two-finger scan (both fingers searched
  and fused, audit row, + alert when the gate missed a wanted person), median and max
  ms, and whether the mated scans were found (a hit on the right person).

Timings depend on the machine's load (2 shared cores here): repeat and take the best.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path


def run(people: int, scans: int, complaints: int) -> dict[str, object]:
    from edge_agent.sim.fingers import impression_image
    from hub.alerts import AlertBoard
    from hub.complaints import ComplaintDesk
    from hub.identify import Identifier
    from hub.ingest import Ingestor
    from hub.records import RecordStore
    from hub.store import HubStore
    from khidmat.testbed import sample_complaint
    from khidmat_wire import encode, make_envelope
    from khidmat_wire.messages import Scan, ScanFinger
    from matcher_cy import extract
    from matcher_cy.distractors import distractor_template
    from matcher_cy.persons import LEFT_INDEX, RIGHT_INDEX

    def b64(template) -> str:
        return base64.b64encode(template.to_bytes()).decode()

    with tempfile.TemporaryDirectory() as directory:
        store = HubStore(Path(directory) / "hub.db")
        desk = ComplaintDesk(store)
        desk.install()
        records = RecordStore(store)
        ingestor = Ingestor(store, lambda topic, payload: True)
        payloads = [
            encode(
                make_envelope(
                    "complaint",
                    f"unit-{i % 20}",
                    sample_complaint("QTA01", i, device_id=f"unit-{i % 20}"),
                )
            )
            for i in range(complaints)
        ]
        started = time.perf_counter()
        for start in range(0, complaints, 200):
            batch = [
                (f"khidmat/v1/dev/unit-{(start + j) % 20}/up/complaint", p)
                for j, p in enumerate(payloads[start : start + 200])
            ]
            ingestor.process(batch)
        intake_s = time.perf_counter() - started

        for i in range(people):
            fingers = [
                (RIGHT_INDEX, distractor_template(2 * i, seed=3).to_bytes(), 50),
                (LEFT_INDEX, distractor_template(2 * i + 1, seed=3).to_bytes(), 50),
            ]
            records.upsert_person(
                name=f"Distractor {i}", father_name="", cnic="", offences=(), status="convicted",
                source="bench", actor="bench", templates=fingers,
            )  # fmt: skip
        mates = {}
        for finger in range(1, 6):
            pair = (finger, finger + 1000)  # right and left index: two synthetic fingers
            enrolled = [
                (position, extract(impression_image(f, 0, seed=11)).to_bytes(), 80)
                for position, f in zip((RIGHT_INDEX, LEFT_INDEX), pair, strict=True)
            ]
            pid = records.upsert_person(
                name=f"Wanted {finger}", father_name="", cnic="", offences=("PPC 392",),
                status="wanted", source="bench", actor="bench", templates=enrolled,
            )  # fmt: skip
            mates[finger] = (pid, [extract(impression_image(f, 1, seed=11)) for f in pair])
        identifier = Identifier(store, records, AlertBoard(store))
        started = time.perf_counter()
        identifier.load()
        load_s = time.perf_counter() - started

        latencies = []
        found = 0
        probes = [mates[1 + i % 5] for i in range(scans)]
        for pid, (right, left) in probes:
            body = Scan(
                "B1", b64(right), right.quality, "green", (), 1, finger=RIGHT_INDEX,
                more_fingers=(ScanFinger(LEFT_INDEX, b64(left), left.quality),),
            )  # fmt: skip
            envelope = make_envelope("scan", "gate-1", body)
            started = time.perf_counter()
            result = identifier.identify(envelope)
            latencies.append((time.perf_counter() - started) * 1000)
            found += result.person_id == pid
        store.close()
    return {
        "complaints": complaints,
        "complaint_intake_per_s": round(complaints / intake_s),
        "gallery_persons": identifier.persons,
        "gallery_templates": identifier.templates,
        "gallery_load_s": round(load_s, 2),
        "scans": scans,
        "identify_median_ms": round(statistics.median(latencies), 1),
        "identify_max_ms": round(max(latencies), 1),
        "mated_found_rank1": f"{found}/{scans}",
        "matcher": identifier.galleries[RIGHT_INDEX].implementation,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hub_identify", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--people", type=int, default=2000, help="distractor people (default 2000)")
    parser.add_argument("--scans", type=int, default=20, help="gate scans to identify (default 20)")
    parser.add_argument(
        "--complaints", type=int, default=2000, help="complaints to ingest (default 2000)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.people, args.scans, args.complaints)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
