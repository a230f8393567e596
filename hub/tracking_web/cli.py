"""``khidmat tracking``: serve the public tracking page of a hub.

Imports nothing heavy at import time; the handler imports aiohttp and the hub.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    """Add ``tracking`` to the ``khidmat`` command tree."""
    parser = tree.add(
        "tracking",
        help="serve the public tracking page: a citizen's complaint status by tracking number "
        "and the mobile number's last digits, in English and Urdu (loopback by default)",
        example="khidmat tracking --config deploy-data/hub.toml\n"
        "khidmat tracking --config deploy-data/hub.toml --port 8091   # [tracking] port otherwise",
        handler=_serve,
    )
    parser.add_argument("--config", required=True, help="hub config file (hub.toml)")
    parser.add_argument("--host", help="address to listen on (default: [tracking] host)")
    parser.add_argument("--port", type=int, help="port (default: [tracking] port, 8090)")


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from hub.tracking_web.server import serve
    from khidmat_base import daemon_logs
    from khidmat_base.config import ConfigError

    daemon_logs.configure("WARNING")

    async def main() -> None:
        task = asyncio.ensure_future(serve(args.config, host=args.host, port=args.port))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass

    try:
        asyncio.run(main())
    except ConfigError as error:
        print(f"khidmat tracking: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"khidmat tracking: cannot listen: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0
