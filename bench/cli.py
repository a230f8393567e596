"""``khidmat bench ...`` commands of the delivery path (matcher benchmarks: matcher_cy.cli)."""

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


def _chaos(args: argparse.Namespace) -> int:
    from bench.chaos import main

    return main(args)


def _ingest(args: argparse.Namespace) -> int:
    from bench.ingest import main

    return main(args)
