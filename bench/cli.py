"""``khidmat bench ...``: the delivery path and the kiosk (the matcher's: bench.matcher_cli)."""

from __future__ import annotations

import argparse

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    ingest = tree.add(
        "bench ingest",
        help="end-to-end delivery throughput: N agent processes -> Mosquitto -> hub -> ack",
        example="khidmat bench ingest --devices 20 --records 500 --json",
        handler=_ingest,
    )
    ingest.add_argument("--devices", type=int, default=20, help="agent processes (default 20)")
    ingest.add_argument("--records", type=int, default=500, help="records per agent (default 500)")
    ingest.add_argument(
        "--hub-workers",
        type=int,
        default=1,
        help="hub worker processes sharing the load (MQTT v5 shared subscription; default 1)",
    )
    ingest.add_argument(
        "--pin",
        action="store_true",
        help="hub on the first allowed CPU, agents on the others (raw run likewise; Linux)",
    )
    ingest.add_argument("--json", action="store_true", help="print one JSON object")

    chaos = tree.add(
        "bench chaos",
        help="delivery under failure: agents SIGKILLed, broker and hub restarted, a link cut; every record checked",
        example="khidmat bench chaos --devices 20 --records 500 --json",
        handler=_chaos,
    )
    chaos.add_argument("--devices", type=int, default=20, help="agent processes (default 20)")
    chaos.add_argument(
        "--records",
        type=int,
        default=500,
        help="records filed per unit during the run (default 500)",
    )
    chaos.add_argument("--seed", type=int, default=7, help="seed of the kill schedule (default 7)")
    chaos.add_argument("--json", action="store_true", help="print one JSON object")

    kiosk = tree.add(
        "bench kiosk",
        help="kiosk start-up time and gate scan-to-verdict time (simulated R307, 115200 baud)",
        example="khidmat bench kiosk --json\nkhidmat bench kiosk --watchlist 10000 --scans 5",
        handler=_kiosk,
    )
    kiosk.add_argument("--watchlist", type=int, default=10_000, help="templates (default 10000)")
    kiosk.add_argument("--scans", type=int, default=3, help="scans to time (default 3)")
    kiosk.add_argument("--startups", type=int, default=3, help="start-ups to time (default 3)")
    kiosk.add_argument(
        "--restarts", type=int, default=3, help="watchlist restarts to time (default 3)"
    )
    kiosk.add_argument("--baud", type=int, default=115200, help="sensor baud (default 115200)")
    kiosk.add_argument(
        "--model", choices=("r307", "r503"), default="r307", help="simulated sensor (default r307)"
    )
    kiosk.add_argument("--json", action="store_true", help="print one JSON object")

    receipt = tree.add(
        "bench receipt",
        help="the desk's printed receipt: layout and encode time, job size, print time on the "
        "simulated printer, wire time on a serial printer (English and Urdu)",
        example="khidmat bench receipt --runs 20 --json",
        handler=_receipt,
    )
    receipt.add_argument("--runs", type=int, default=20, help="receipts per language (default 20)")
    receipt.add_argument("--json", action="store_true", help="print one JSON object")

    diary = tree.add(
        "bench diary",
        help="station diary: entries added per second, the chain check, the day's export",
        example="khidmat bench diary --entries 1000 --json",
        handler=_diary,
    )
    diary.add_argument(
        "--entries", type=int, default=1000, help="entries in the day (default 1000)"
    )
    diary.add_argument("--json", action="store_true", help="print one JSON object")

    gate = tree.add(
        "bench gate-compute",
        help="the gate's compute after the last image byte: two extractions, the search, the verdict (one core, CPU ms)",
        example="khidmat bench gate-compute --gallery 10000 --scans 10 --json",
        handler=_gate_compute,
    )
    gate.add_argument(
        "--gallery",
        type=int,
        default=10_000,
        help="persons on the list, two fingers each (default 10000)",
    )
    gate.add_argument(
        "--scans", type=int, default=10, help="mated scans, and as many strangers (default 10)"
    )
    gate.add_argument("--seed", type=int, default=0, help="synthetic fingers' seed (default 0)")
    gate.add_argument("--json", action="store_true", help="print one JSON object")

    urgent = tree.add(
        "bench urgent",
        help="urgent complaint filed at a desk -> console alert at the hub (real broker, hub, agent)",
        example="khidmat bench urgent --complaints 20 --json",
        handler=_urgent,
    )
    urgent.add_argument("--complaints", type=int, default=20, help="urgent complaints (default 20)")
    urgent.add_argument("--gap", type=float, default=0.5, help="seconds between them (default 0.5)")
    urgent.add_argument("--json", action="store_true", help="print one JSON object")

    federation = tree.add(
        "bench federation",
        help="cross-province gate searches: N hubs, N brokers, TLS bridges; latency, hits, "
        "one province down",
        example="khidmat bench federation --provinces 4 --records-per-province 2000 --json",
        handler=_federation,
    )
    federation.add_argument("--provinces", type=int, default=4, help="provinces (default 4)")
    federation.add_argument(
        "--records-per-province",
        type=int,
        default=2000,
        metavar="N",
        help="persons enrolled in each province (default 2000)",
    )
    federation.add_argument(
        "--held",
        type=int,
        default=5,
        help="of those, persons with real synthetic fingers that other provinces search (default 5)",
    )
    federation.add_argument(
        "--strangers", type=int, default=20, help="searches for persons nobody holds (default 20)"
    )
    federation.add_argument(
        "--deadline", type=float, default=1.5, help="[federation] deadline_s (default 1.5)"
    )
    federation.add_argument(
        "--policy",
        choices=("no-hit", "every"),
        default="no-hit",
        help="forward gate searches that found nobody at home (default), or every one",
    )
    federation.add_argument("--json", action="store_true", help="print one JSON object")

    rerun = tree.add(
        "bench demo-rerun",
        help="`bash scripts/demo.sh` a second time: seconds until the operator console is drawn",
        example="khidmat bench demo-rerun --runs 3 --json",
        handler=_demo_rerun,
    )
    rerun.add_argument(
        "--dir", default="khidmat-demo", help="demo directory (default ./khidmat-demo)"
    )
    rerun.add_argument("--runs", type=int, default=3, help="timed re-runs (default 3)")
    rerun.add_argument("--json", action="store_true", help="print one JSON object")


def _chaos(args: argparse.Namespace) -> int:
    from bench.chaos import main

    return main(args)


def _gate_compute(args: argparse.Namespace) -> int:
    from bench.gate_compute import main

    return main(args)


def _ingest(args: argparse.Namespace) -> int:
    from bench.ingest import main

    return main(args)


def _receipt(args: argparse.Namespace) -> int:
    from bench.receipt import main

    return main(args)


def _kiosk(args: argparse.Namespace) -> int:
    from bench.kiosk import main

    return main(args)


def _diary(args: argparse.Namespace) -> int:
    from bench.diary import main

    return main(args)


def _urgent(args: argparse.Namespace) -> int:
    from bench.urgent import main

    return main(args)


def _federation(args: argparse.Namespace) -> int:
    from bench.federation import main

    return main(args)


def _demo_rerun(args: argparse.Namespace) -> int:
    from bench.demo_rerun import main

    return main(args)
