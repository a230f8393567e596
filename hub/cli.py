"""``khidmat hub``: run the hub process."""

from __future__ import annotations

import argparse

from khidmat.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "hub",
        help="run the hub: ingest every unit's records, ack them, and run the hub's duties",
        example="khidmat hub --config deploy-data/hub.toml\nkhidmat hub --config deploy-data/hub.toml --worker 2   # one of several workers",
        handler=run_hub,
    )
    parser.add_argument(
        "--config",
        required=True,
        help="hub config file (hub.toml, written by 'khidmat provision init')",
    )
    parser.add_argument(
        "--worker", type=int, default=0, help="worker number when [hub] workers > 1 (default 0)"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )


def run_hub(args: argparse.Namespace) -> int:
    import logging
    import signal
    import sys

    from edge_agent.config import ConfigError
    from hub.config import load_hub_config
    from hub.service import HubService

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = load_hub_config(args.config)
    except ConfigError as error:
        print(f"khidmat hub: {error}", file=sys.stderr)
        return 2
    service = HubService(config, worker=args.worker)
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    return service.run()
