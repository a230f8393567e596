"""``khidmat sim sensor``: run a simulated fingerprint module, or place/lift/inject on one.

Imports nothing heavy at import time; the handlers import the simulator.

    khidmat sim sensor --model r307 --link /tmp/fp0          # runs until Ctrl-C / SIGTERM
    khidmat sim sensor place --link /tmp/fp0 --finger 3 --impression 1
    khidmat sim sensor place --link /tmp/fp0 --image thumb.png
    khidmat sim sensor lift --link /tmp/fp0
    khidmat sim sensor inject --link /tmp/fp0 --fault no_reply --count 2
    khidmat sim sensor status --link /tmp/fp0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from khidmat_base.cli import CommandTree

ACTIONS = ("run", "place", "lift", "inject", "status")
FAULTS = ("bad_checksum", "short_reply", "no_reply", "line_noise", "no_finger", "messy_image")


def register(tree: CommandTree) -> None:
    """Add ``sim sensor`` to the ``khidmat`` command tree."""
    parser = tree.add(
        "sim sensor",
        help="a simulated R307/R503 fingerprint module on a pty (run), or place a finger on, "
        "lift it from, inject a fault into or show the status of a running one",
        example="khidmat sim sensor --model r307 --link /tmp/fp0\n"
        "khidmat sim sensor place --link /tmp/fp0 --finger 3 --impression 1\n"
        "khidmat sim sensor place --link /tmp/fp0 --image thumb.png\n"
        "khidmat sim sensor lift --link /tmp/fp0\n"
        "khidmat sim sensor inject --link /tmp/fp0 --fault no_reply --count 2",
        handler=_handle,
    )
    parser.add_argument(
        "action", nargs="?", default="run", choices=ACTIONS, help="what to do (default: run)"
    )
    parser.add_argument("--link", help="symlink to the pty; its control socket is LINK.ctl")
    run = parser.add_argument_group("run")
    run.add_argument("--model", default="r307", choices=("r307", "r503", "as608"))
    run.add_argument("--baud", type=int, help="power-on baud rate (default: model's, 57600)")
    run.add_argument(
        "--packet-size", type=int, choices=(32, 64, 128, 256), help="default: model's, 128"
    )
    run.add_argument("--password", type=int, default=0, help="module password (default 0)")
    run.add_argument(
        "--no-wire-delay", action="store_true", help="send at once instead of at the baud rate"
    )
    place = parser.add_argument_group("place")
    place.add_argument("--image", help="a grey image file (PNG, TIFF, ...) to place")
    place.add_argument("--finger", type=int, help="synthetic finger id to place")
    place.add_argument("--impression", type=int, default=0, help="its impression number")
    place.add_argument("--seed", type=int, default=0, help="synthetic fingers' seed")
    inject = parser.add_argument_group("inject")
    inject.add_argument("--fault", choices=FAULTS)
    inject.add_argument("--count", type=int, default=1, help="commands it applies to")
    inject.add_argument(
        "--command", type=lambda s: int(s, 0), help="only this instruction code (e.g. 0x0A)"
    )


def _handle(args: argparse.Namespace) -> int:
    if args.action == "run":
        return _run(args)
    if not args.link:
        print(f"sim sensor {args.action}: --link is required", file=sys.stderr)
        return 2
    from edge_agent.sim.sensor_control import ControlError, control_path_for, control_request

    path = control_path_for(args.link)
    try:
        if args.action == "place":
            answer = _place(args, path)
        elif args.action == "inject":
            if not args.fault:
                print("sim sensor inject: --fault is required", file=sys.stderr)
                return 2
            request: dict[str, Any] = {"op": "inject", "fault": args.fault, "count": args.count}
            if args.command is not None:
                request["command"] = args.command
            answer = control_request(path, request)
        else:
            answer = control_request(path, {"op": args.action})
    except (ControlError, OSError, ValueError) as error:
        print(f"sim sensor {args.action}: {error}", file=sys.stderr)
        return 1
    answer.pop("ok", None)
    print(json.dumps(answer, indent=None if args.action != "status" else 2))
    return 0


def _place(args: argparse.Namespace, path: Any) -> dict[str, Any]:
    import numpy as np

    from edge_agent.sensor.models import get_model
    from edge_agent.sim.sensor_control import control_request

    if (args.image is None) == (args.finger is None):
        raise ValueError("give exactly one of --image FILE or --finger ID")
    if args.image is not None:
        from PIL import Image

        with Image.open(args.image) as picture:
            image = np.asarray(picture.convert("L"), dtype=np.uint8)
    else:
        from edge_agent.sim.fingers import impression_image

        model = get_model(control_request(path, {"op": "status"})["model"])
        image = impression_image(
            args.finger,
            args.impression,
            seed=args.seed,
            width=model.image_width,
            height=model.image_height,
            dpi=model.dpi,
        )
    height, width = image.shape
    return control_request(
        path,
        {"op": "place", "height": height, "width": width},
        np.ascontiguousarray(image).tobytes(),
    )


def _run(args: argparse.Namespace) -> int:
    from edge_agent.sim.sensor import SimulatedSensor

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with SimulatedSensor(
            args.model,
            baud=args.baud,
            packet_size=args.packet_size,
            password=args.password,
            wire_delay=not args.no_wire_delay,
            link=args.link,
        ).start() as sim:
            where = f" (link {args.link}, control {sim.control_path})" if args.link else ""
            print(
                f"simulated {sim.model.name} on {sim.port_path}{where}: {sim.baud} baud, "
                f"{sim.packet_size}-byte packets, library of {sim.model.capacity}. "
                "Ctrl-C to stop.",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop
                stop.wait()
            for error in sim.errors:
                print(f"simulator error: {error!r}", file=sys.stderr)
            return 1 if sim.errors else 0
    except (OSError, ValueError) as error:
        print(f"sim sensor: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
