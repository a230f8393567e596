"""``khidmat sim printer``: run a simulated ESC/POS receipt printer on a pty, or list what
it printed.

    khidmat sim printer --link /tmp/printer0                 # runs until Ctrl-C / SIGTERM
    khidmat sim printer --link /tmp/printer0 --state paper-out
    khidmat sim printer --link /tmp/printer0 --vanish-after-bytes 3000
    khidmat sim printer receipts --link /tmp/printer0        # one JSON line per receipt
    khidmat sim printer set --link /tmp/printer0 --state paper-out   # while it runs
    khidmat sim printer off|on|unplug|plug|status --link /tmp/printer0

Receipts go to ``LINK.receipts/`` (``--out`` to choose): ``receipt-NNNN.png`` and
``receipts.jsonl``. Imports nothing heavy at import time; the handlers import the simulator.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree

STATES = ("ok", "paper-low", "paper-out", "cover-open", "error")
CONTROL_ACTIONS = ("set", "off", "on", "unplug", "plug", "status")


def register(tree: CommandTree) -> None:
    """Add ``sim printer`` to the ``khidmat`` command tree."""
    parser = tree.add(
        "sim printer",
        help="a simulated ESC/POS thermal receipt printer on a pty that draws each receipt "
        "to a PNG (run), print what it printed (receipts), or change a running one: paper "
        "state (set), power (off, on), cable (unplug, plug), or show it (status)",
        example="khidmat sim printer --link /tmp/printer0\n"
        "khidmat sim printer --link /tmp/printer0 --state paper-out\n"
        "khidmat sim printer receipts --link /tmp/printer0\n"
        "khidmat sim printer set --link /tmp/printer0 --state paper-out",
        handler=_handle,
    )
    parser.add_argument(
        "action", nargs="?", default="run", choices=("run", "receipts", *CONTROL_ACTIONS)
    )
    parser.add_argument("--link", required=True, help="symlink to the pty")
    parser.add_argument("--out", help="folder for the receipts (default LINK.receipts)")
    parser.add_argument("--width", type=int, default=576, choices=(384, 576),
                        help="dots across: 576 for 80 mm paper, 384 for 58 mm")  # fmt: skip
    parser.add_argument(
        "--state", default="ok", choices=STATES, help="state at power-on (run), or to set (set)"
    )
    parser.add_argument("--off", action="store_true", help="switched off: answers nothing")
    parser.add_argument("--vanish-after-bytes", type=int, help="unplugged N bytes into a job")
    parser.add_argument("--paper-out-after-bytes", type=int, help="the roll ends N bytes in")


def _handle(args: argparse.Namespace) -> int:
    from edge_agent.sim.printer import SimulatedPrinter, out_dir_for, read_receipts

    out = args.out or out_dir_for(args.link)
    if args.action in CONTROL_ACTIONS:
        from edge_agent.sim.sensor_control import ControlError, control_path_for, control_request

        request = {"action": args.action, "state": args.state}
        try:
            answer = control_request(
                control_path_for(args.link), request, command="khidmat sim printer"
            )
        except ControlError as error:
            print(f"sim printer: {error}", file=sys.stderr)
            return 1
        answer.pop("ok", None)
        print(json.dumps(answer))
        return 0
    if args.action == "receipts":
        for receipt in read_receipts(out):
            print(json.dumps(receipt, ensure_ascii=False))
        return 0
    printer = SimulatedPrinter(
        link=args.link,
        out_dir=out,
        width_px=args.width,
        state=args.state,
        online=not args.off,
        vanish_after_bytes=args.vanish_after_bytes,
        paper_out_after_bytes=args.paper_out_after_bytes,
    )
    try:
        printer.start()
    except OSError as error:
        print(f"sim printer: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"simulated receipt printer on {args.link} -> receipts in {out}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        printer.close()
    return 0
