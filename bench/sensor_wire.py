"""Measure scan wire time (image upload) through the simulated sensor at real UART speed.

For each model, baud rate and data packet size: a simulated module paces every byte at
10 bits per byte (``wire_delay=True``), the serial backend (the code a unit runs) takes
an image and uploads it, and the upload (UpImage command to last data packet) is timed.
The wire-only figure is computed from the bytes on the line. Prints a table, or JSON
with ``--json``. Takes about 30 s for the default grid with --repeat 1.

    .venv/bin/python -m bench.sensor_wire --repeat 3

Timings are wall-clock on a shared machine: each figure is the best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from edge_agent.sensor.models import get_model
from edge_agent.sensor.packets import OVERHEAD_BYTES, wire_seconds
from edge_agent.sensor.serial_sensor import SerialFingerprintSensor
from edge_agent.sim.sensor import SimulatedSensor

BAUDS = (57600, 115200)
PACKET_SIZES = (128, 256)
#: UpImage command (12 + 1 bytes) and its ack (12 bytes).
COMMAND_AND_ACK_BYTES = 13 + 12


def wire_bytes(image_bytes: int, packet_size: int) -> int:
    """Bytes on the line for one image upload, both directions."""
    packets = -(-image_bytes // packet_size)
    return COMMAND_AND_ACK_BYTES + image_bytes + packets * OVERHEAD_BYTES


def measure(model: str, baud: int, packet_size: int, repeat: int) -> dict[str, object]:
    """Best-of-``repeat`` upload time for one setting, with the computed wire time."""
    spec = get_model(model)
    card = (np.indices((spec.image_height, spec.image_width)).sum(axis=0) % 256).astype(np.uint8)
    times: list[float] = []
    with SimulatedSensor(model, baud=baud, packet_size=packet_size, wire_delay=True).start() as sim:
        with SerialFingerprintSensor.connect(
            sim.port_path,
            model=spec,
            baud=baud,
            packet_size=packet_size,
            probe_bauds=(),
            quality_gate=False,
        ) as sensor:
            sim.place(card)
            for _ in range(repeat):
                if not sensor.wait_for_finger(timeout_s=5):
                    raise RuntimeError("simulated finger not seen")
                started = time.perf_counter()
                sensor.capture_image()
                times.append(time.perf_counter() - started)
            if sensor.resyncs:
                raise RuntimeError(f"{sensor.resyncs} resyncs during the benchmark")
    n_bytes = wire_bytes(spec.image_bytes, packet_size)
    return {
        "model": model,
        "baud": baud,
        "packet_size": packet_size,
        "image_bytes": spec.image_bytes,
        "wire_bytes": n_bytes,
        "wire_s": round(wire_seconds(n_bytes, baud), 3),
        "measured_s": round(min(times), 3),
        "runs": [round(t, 3) for t in times],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="r307,r503", help="comma-separated models")
    parser.add_argument("--repeat", type=int, default=1, help="uploads per setting (best kept)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.json:
        print("model  baud    packet  image B  wire B  wire s  measured s")
    for model in args.models.split(","):
        for baud in BAUDS:
            for packet_size in PACKET_SIZES:
                row = measure(model.strip(), baud, packet_size, args.repeat)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    print(
                        f"{row['model']:<6} {baud:<7} {packet_size:<7} {row['image_bytes']:<8} "
                        f"{row['wire_bytes']:<7} {row['wire_s']:<7} {row['measured_s']}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
