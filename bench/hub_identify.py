"""Benchmark of the hub's own work: complaint intake and 1:N identification of gate scans.

    .venv/bin/python -m bench.hub_identify --people 2000 --scans 20 --complaints 2000 --json

Builds a fresh hub database in a temporary folder: ``--people`` people with one synthetic
distractor template each (matcher_cy.distractors, no images) plus 5 real synthetic
fingers (images rendered and extracted), then measures

- complaint intake: ``--complaints`` complaint records through the Ingestor (validation,
  storage, complaint handler, status downlink queued) in batches of 200, records/s;
- gallery load: ``Identifier.load()`` of every stored template, seconds (the hub does
  this on a background thread at start);
- identification: ``Identifier.identify()`` per scan (search + audit row, + alert when
  the gate missed a wanted person), median and max ms, and whether the 5 mated probes
  were found (rank 1, above threshold).

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
    from khidmat_wire.messages import Scan
    from matcher_cy import extract
    from matcher_cy.distractors import distractor_template

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
            records.upsert_person(
                name=f"Distractor {i}", father_name="", cnic="", offences=(), status="convicted",
                source="bench", actor="bench", templates=[(1, distractor_template(i, seed=3).to_bytes(), 50)],
            )  # fmt: skip
        mates = {}
        for finger in range(1, 6):
            enrolled = extract(impression_image(finger, 0, seed=11))
            pid = records.upsert_person(
                name=f"Wanted {finger}", father_name="", cnic="", offences=("PPC 392",),
                status="wanted", source="bench", actor="bench", templates=[(2, enrolled.to_bytes(), 80)],
            )  # fmt: skip
            mates[finger] = (pid, extract(impression_image(finger, 1, seed=11)))
        identifier = Identifier(store, records, AlertBoard(store))
        started = time.perf_counter()
        identifier.load()
        load_s = time.perf_counter() - started

        latencies = []
        found = 0
        probes = [mates[1 + i % 5] for i in range(scans)]
        for pid, probe in probes:
            envelope = make_envelope(
                "scan", "gate-1",
                Scan("B1", base64.b64encode(probe.to_bytes()).decode(), 70, "green", (), 1),
            )  # fmt: skip
            started = time.perf_counter()
            result = identifier.identify(envelope)
            latencies.append((time.perf_counter() - started) * 1000)
            found += result.person_id == pid
        store.close()
    return {
        "complaints": complaints,
        "complaint_intake_per_s": round(complaints / intake_s),
        "gallery_templates": len(identifier.gallery),
        "gallery_load_s": round(load_s, 2),
        "scans": scans,
        "identify_median_ms": round(statistics.median(latencies), 1),
        "identify_max_ms": round(max(latencies), 1),
        "mated_found_rank1": f"{found}/{scans}",
        "matcher": identifier.gallery.implementation,
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
