"""Where the hub's ingest time goes: CPU per complaint in one process, and its profile.

``python -m bench.ingest_profile --devices 20 --records 100 --batch 400 [--profile] --json``

Builds the hub as ``khidmat hub`` does (:class:`hub.service.HubService` with every module
installed, a fresh SQLite file in a temporary directory) and feeds its ingestor batches of
real complaint payloads from ``--devices`` units, interleaved as the broker would deliver
them, then runs the after-ingest hooks (queued downlinks handed to the publisher). No
broker: the publisher counts what the hub would publish, so the figures are the hub's own
work per complaint (decode and checks, the complaint workflow with its audit, SMS, diary and
status-downlink rows, the acks, the commit). CPU time of this process (``time.process_time``),
so other work on the machine disturbs it less than wall time; ``--profile`` prints the
functions with the most cumulative time under cProfile (which slows everything about 2x).
Also prints the SQL statements run per complaint (literals replaced by ``?``), and the
opening statuses pushed and the status messages that carried them, per complaint.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import pstats
import re
import tempfile
import time
from pathlib import Path

from hub.config import load_hub_config
from hub.service import HubService
from khidmat.testbed import sample_complaint
from khidmat_wire import build_topic, decode, encode, make_envelope
from khidmat_wire.topics import Direction

_LITERAL = re.compile(r"x?'[^']*'|\b\d+\b")


def complaints(devices: int, records: int, start: int = 0) -> list[tuple[str, bytes]]:
    """``(topic, payload)`` of ``records`` complaints from each of ``devices`` units, one
    unit's after another's in turn (as many units' records arrive at the hub)."""
    per_unit = []
    for d in range(devices):
        device = f"bench-{d:03d}"
        topic = build_topic(device, Direction.UP, "complaint")
        unit = []
        for i in range(records):
            body = sample_complaint(f"D{d:04d}", start + i, device_id=device)
            unit.append((topic, encode(make_envelope("complaint", device, body))))
        per_unit.append(unit)
    return [unit[i] for i in range(records) for unit in per_unit]


def run(devices: int, records: int, batch: int, root: Path, *, profile: bool) -> dict[str, object]:
    (root / "hub.password").write_text("unused\n")
    (root / "hub.toml").write_text(
        '[hub]\ndatabase = "hub.db"\n\n[broker]\nhost = "127.0.0.1"\nport = 1\n'
        'username = "hub"\npassword_file = "hub.password"\n'
    )
    service = HubService(load_hub_config(root / "hub.toml"))
    published: list[tuple[str, bytes]] = []
    # no broker: keep what the hub hands to its session (kind: the topic's last part)
    service.session.publish = lambda topic, payload, **_: (
        published.append((topic.rsplit("/", 1)[1], payload)) or True
    )  # type: ignore[method-assign]
    messages = complaints(devices, records)
    batches = [messages[i : i + batch] for i in range(0, len(messages), batch)]
    profiler = cProfile.Profile() if profile else None
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    for chunk in batches:
        result = service.ingestor.process(chunk)
        for hook in service.after_ingest:
            hook(service, result)
    if profiler is not None:
        profiler.disable()
    cpu_s = time.process_time() - started
    pushes = sum(1 for kind, _ in published if kind == "complaint-status") + sum(
        len(decode(payload).body.statuses)
        for kind, payload in published
        if kind == "complaint-statuses"
    )
    downlink_messages = sum(1 for kind, _ in published if kind.startswith("complaint-status"))
    statements: collections.Counter[str] = collections.Counter()
    service.store.db.conn.set_trace_callback(
        lambda sql: statements.update([_LITERAL.sub("?", " ".join(sql.split()))[:100]])
    )
    extra = complaints(devices, 5, start=records)
    result = service.ingestor.process(extra)
    for hook in service.after_ingest:
        hook(service, result)
    service.store.db.conn.set_trace_callback(None)
    service.close()
    report: dict[str, object] = {
        "complaints": len(messages),
        "batch": batch,
        "hub_cpu_us_per_complaint": round(cpu_s / len(messages) * 1e6),
        "status_pushes_per_complaint": round(pushes / len(messages), 2),
        "status_messages_per_complaint": round(downlink_messages / len(messages), 3),
        "sql_per_complaint": {
            sql: round(count / len(extra), 2) for sql, count in statements.most_common(25)
        },
    }
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        report["profile"] = text.getvalue()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_profile", description=__doc__)
    parser.add_argument("--devices", type=int, default=20, help="units (default 20)")
    parser.add_argument(
        "--records", type=int, default=100, help="complaints per unit (default 100)"
    )
    parser.add_argument(
        "--batch", type=int, default=400, help="messages per ingest batch (default 400)"
    )
    parser.add_argument("--profile", action="store_true", help="also print a cProfile summary")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="khidmat-ingest-profile-") as directory:
        report = run(args.devices, args.records, args.batch, Path(directory), profile=args.profile)
    profile = report.pop("profile", None)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for sql, count in value.items():
                    print(f"  {count:6.2f}  {sql}")
            else:
                print(f"{key:>26}: {value}")
    if profile is not None:
        print(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
