"""``khidmat sim modem``: run a simulated GSM modem on a pty, or print what it delivered.

    khidmat sim modem --link /tmp/modem0                      # runs until Ctrl-C / SIGTERM
    khidmat sim modem --link /tmp/modem0 --registration-delay 5 --fail-sends 2 --no-reports
    khidmat sim modem inbox --link /tmp/modem0                # one JSON line per message

Imports nothing heavy at import time; the handlers import the simulator.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree


def register(tree: CommandTree) -> None:
    """Add ``sim modem`` to the ``khidmat`` command tree."""
    parser = tree.add(
        "sim modem",
        help="a simulated GSM modem on a pty (AT commands, text and PDU mode, delivery "
        "reports, faults) for the hub's SMS, or print the messages it delivered (inbox)",
        example="khidmat sim modem --link /tmp/modem0 --registration-delay 5\n"
        "khidmat sim modem inbox --link /tmp/modem0",
        handler=_handle,
    )
    parser.add_argument("action", nargs="?", default="run", choices=("run", "inbox"))
    parser.add_argument("--link", required=True, help="symlink to the pty; inbox in LINK.inbox")
    parser.add_argument("--registration-delay", type=float, default=2.0, help="seconds (2)")
    parser.add_argument("--no-sim", action="store_true", help="answer as a modem without SIM")
    parser.add_argument("--no-network", action="store_true", help="never register")
    parser.add_argument("--fail-sends", type=int, default=0, help="the first N sends fail")
    parser.add_argument("--no-reports", action="store_true", help="never send delivery reports")
    parser.add_argument("--report-delay", type=float, default=1.0, help="seconds (1)")


def _handle(args: argparse.Namespace) -> int:
    from hub.sms.sim_modem import SimulatedModem, read_inbox

    if args.action == "inbox":
        for message in read_inbox(args.link):
            print(json.dumps(asdict(message), ensure_ascii=False))
        return 0
    modem = SimulatedModem(
        link=args.link,
        registration_delay_s=args.registration_delay,
        sim_present=not args.no_sim,
        network=not args.no_network,
        report_delay_s=args.report_delay,
        reports=not args.no_reports,
    )
    modem.fail_sends = max(0, args.fail_sends)
    try:
        modem.start()
    except OSError as error:
        print(f"sim modem: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"simulated GSM modem on {args.link} -> {modem.pty_path}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        modem.close()
    return 0
