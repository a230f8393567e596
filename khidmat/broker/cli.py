"""``khidmat broker``: the embedded MQTT broker, run from a Mosquitto config file."""

from __future__ import annotations

import argparse

from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    parser = tree.add(
        "broker",
        help="run the embedded pure-Python MQTT broker from a mosquitto.conf (when Mosquitto is not installed)",
        example=(
            "khidmat broker -c khidmat-demo/deployment/mosquitto.conf\n"
            "khidmat broker -p 1883        # anonymous, loopback only"
        ),
        handler=_broker,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-c", "--config", help="a mosquitto.conf written by khidmat provision")
    source.add_argument(
        "-p", "--port", type=int, help="no config: anonymous access on 127.0.0.1:PORT"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every packet decision")


def _broker(args: argparse.Namespace) -> int:
    from pathlib import Path

    from khidmat.broker.config import BrokerConfig, BrokerConfigError, Listener, load_config
    from khidmat.broker.server import serve

    if args.port is not None:
        config = BrokerConfig(listeners=(Listener(args.port, "127.0.0.1"),), allow_anonymous=True)
    else:
        try:
            config = load_config(Path(args.config))
        except BrokerConfigError as error:
            print(f"khidmat broker: {error}")
            return 2
    return serve(config, verbose=args.verbose)
