"""``khidmat agent``: run a unit's delivery daemon."""

from __future__ import annotations

import argparse

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "agent",
        help="run the unit daemon: deliver the local outbox to the hub, apply what the hub sends",
        example="khidmat agent --config /data/khidmat/unit.toml",
        handler=run_agent,
    )
    parser.add_argument(
        "--config", required=True, help="unit config file (unit.toml from the provisioning bundle)"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )


def run_agent(args: argparse.Namespace) -> int:
    import signal
    import sys

    from edge_agent.agent import Agent
    from edge_agent.config import ConfigError, load_unit_config
    from khidmat_base import daemon_logs

    daemon_logs.configure(args.log_level)
    try:
        config = load_unit_config(args.config)
    except ConfigError as error:
        print(f"khidmat agent: {error}", file=sys.stderr)
        return 2
    agent = Agent(config)
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    signal.signal(signal.SIGINT, lambda *_: agent.stop())
    return agent.run()
