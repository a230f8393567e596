"""``khidmat bench receipt``: what printing a desk receipt costs, English and Urdu.

For each language: the time to lay out and encode the filing receipt (median of
``--runs``), the job's size, the time for the driver to print it on the simulated
printer over a pty (status query, the job, status query; the simulator draws the PNG
meanwhile), and the wire time the job needs on a serial printer at 19200 and 115200
baud (10 bits a byte; a USB printer takes it at USB speed). Prints one JSON object with
``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from edge_agent.printer import ReceiptPrinter, encode
from edge_agent.sim.printer import SimulatedPrinter
from khidmat_wire.vocabulary import BY_KEY
from kiosk.receipt_print import blocks, filing_receipt

TRACK_URL = "https://track.khidmat.example/"


def measure(runs: int) -> dict[str, dict[str, float]]:
    category = next(c for c in BY_KEY.values() if c.urgent)  # the longest receipt
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="khidmat-bench-receipt-") as directory:
        with SimulatedPrinter(link=Path(directory) / "printer0") as sim:
            printer = ReceiptPrinter.device(sim.port_path)
            try:
                for language in ("en", "ur"):
                    receipt = filing_receipt(
                        "QTA01-261130-120001-D",
                        "QTA01",
                        language,
                        category=category.key,
                        gender_desk=False,
                        urgent=category.urgent[0],
                        filed_at_ms=1_796_032_800_000,
                    )
                    encode_s, print_s = [], []
                    job = b""
                    for _ in range(runs):
                        started = time.perf_counter()
                        job = encode(blocks(receipt, track_url=TRACK_URL), rtl=language == "ur")
                        encode_s.append(time.perf_counter() - started)
                        started = time.perf_counter()
                        printer.print_job(job)
                        print_s.append(time.perf_counter() - started)
                    found[language] = {
                        "encode_ms": round(statistics.median(encode_s) * 1000, 1),
                        "job_bytes": len(job),
                        "print_sim_ms": round(statistics.median(print_s) * 1000, 1),
                        "wire_19200_s": round(len(job) * 10 / 19200, 2),
                        "wire_115200_s": round(len(job) * 10 / 115200, 2),
                    }
            finally:
                printer.close()
        found["printed"] = {"receipts": float(sim.printed())}
    return found


def main(args: argparse.Namespace) -> int:
    result = measure(max(1, args.runs))
    if args.json:
        print(json.dumps(result))
    else:
        for language in ("en", "ur"):
            row = result[language]
            print(
                f"{language}: encode {row['encode_ms']} ms, {row['job_bytes']} bytes, "
                f"printed on the simulator in {row['print_sim_ms']} ms; on a serial line "
                f"{row['wire_19200_s']} s at 19200 baud, {row['wire_115200_s']} s at 115200"
            )
    return 0
