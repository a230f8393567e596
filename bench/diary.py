"""``khidmat bench diary``: what the station diary costs on this machine.

On a fresh hub database (a real SQLite file, WAL, ``synchronous=FULL``, in a temporary
folder), one station's day of ``--entries`` officers' entries, each added in its own
transaction as the console and the CLI do (fsync per entry dominates); then the day's
chain check (read and hash every entry), the duty officer's close, and the export of the
closed day as CSV and PDF. Prints each time, and a JSON object with ``--json``. All
figures are in sample (one run, this machine, whatever else it is running).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

STATION = "QTA1"


def run(entries: int, directory: Path) -> dict[str, float | int | bool]:
    """Time the diary's operations over ``entries`` entries in ``directory``."""
    from hub.diary import Diary, station_day
    from hub.diary.export import export_day
    from hub.store import HubStore
    from khidmat_base.clock import now_ms

    with HubStore(directory / "hub.db") as store:
        diary = Diary(store)
        start_ms = now_ms()
        day = station_day(start_ms)
        started = time.perf_counter()
        for i in range(entries):
            diary.add(
                STATION, "report", "SI Ahmed (QTA-0412)",
                f"patrol report {i}: Jinnah Road, Prince Road, all quiet",
                now_ms=start_ms,
            )  # fmt: skip
        add_s = time.perf_counter() - started
        started = time.perf_counter()
        report = diary.verify(STATION, day)
        verify_s = time.perf_counter() - started
        diary.close(STATION, day, "Insp. Nadia", now_ms=start_ms)
        started = time.perf_counter()
        export_day(diary, STATION, day, directory / "reports")
        export_s = time.perf_counter() - started
    return {
        "entries": entries,
        "add_per_s": round(entries / add_s, 1),
        "add_ms_each": round(1000 * add_s / entries, 3),
        "verify_ms": round(1000 * verify_s, 2),
        "verify_us_per_entry": round(1e6 * verify_s / entries, 2),
        "chain_ok": report.ok,
        "export_s": round(export_s, 2),
    }


def main(args: argparse.Namespace) -> int:
    if args.entries < 1:
        print("--entries: at least 1")
        return 2
    with tempfile.TemporaryDirectory(prefix="khidmat-diary-bench-") as folder:
        result = run(args.entries, Path(folder))
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['entries']} entries added at {result['add_per_s']}/s "
            f"({result['add_ms_each']} ms each, one transaction each); chain check "
            f"{result['verify_ms']} ms ({result['verify_us_per_entry']} us per entry, ok: "
            f"{result['chain_ok']}); closed day exported as CSV and PDF in {result['export_s']} s"
        )
    return 0 if result["chain_ok"] else 1
