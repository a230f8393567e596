"""The filer of ``khidmat bench chaos``: a process of its own, so the run can kill it too.

``python -m bench.chaos_filer ROOT --devices a,b --records N --filing-s S --incarnation K``
files complaints into each unit's outbox (``ROOT/units/<id>/data/unit.db``) as kiosks
would, every 0.25 s, and after each commit appends them to its own log ``ROOT/filed.log``
(fsynced): the independent account the run checks the hub against. A restarted filer
(``--incarnation`` K+1) reads the log, files only what is still due per unit, and numbers
its complaints from ``K * 100,000`` so tracking numbers never repeat across incarnations.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from edge_agent.store import LocalStore
from khidmat.testbed import log_filed, read_filed_log, sample_complaint
from khidmat_wire import make_envelope

INTERVAL_S = 0.25
SEQUENCE_BLOCK = 100_000
"""Tracking-number sequences per incarnation (a unit files fewer records than this)."""


def station_of(index: int) -> str:
    """The station code of the ``index``-th chaos unit."""
    return f"C{index:04d}"


def file_records(
    root: Path, devices: list[str], records: int, filing_s: float, incarnation: int
) -> None:
    """File up to ``records`` complaints per unit (minus what the log already holds)."""
    log_path = root / "filed.log"
    done = collections.Counter(f.device_id for f in read_filed_log(log_path))
    due = {d: max(0, records - done[d]) for d in devices}
    batches = max(1, int(filing_s / INTERVAL_S))
    stores = {d: LocalStore(root / "units" / d / "data" / "unit.db") for d in devices}
    sequence = dict.fromkeys(devices, incarnation * SEQUENCE_BLOCK)
    try:
        for batch in range(batches):
            for index, device in enumerate(devices):
                left = batches - batch
                count = -(-due[device] // left) if due[device] else 0  # ceil: all by the end
                envelopes = [
                    make_envelope(
                        "complaint",
                        device,
                        sample_complaint(station_of(index), sequence[device] + i, device_id=device),
                    )
                    for i in range(count)
                ]
                if envelopes:
                    stores[device].enqueue_many(envelopes)
                    log_filed(log_path, envelopes)  # after the commit: a receipt was given
                due[device] -= count
                sequence[device] += count
            time.sleep(INTERVAL_S)
    finally:
        for store in stores.values():
            store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--devices", required=True, help="comma-separated device ids")
    parser.add_argument("--records", type=int, required=True, help="per unit, in all")
    parser.add_argument("--filing-s", type=float, required=True)
    parser.add_argument("--incarnation", type=int, default=0)
    args = parser.parse_args()
    file_records(args.root, args.devices.split(","), args.records, args.filing_s, args.incarnation)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
