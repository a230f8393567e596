"""Run the kiosk from the command line (``khidmat kiosk``)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from khidmat_base import clock
from kiosk.app import KioskApp


def sim_app(mode: str, directory: Path, **options: object) -> KioskApp:
    """The kiosk of a simulated ``mode`` unit whose data lives in ``directory``.

    Simulated R307 and mock GPIO (see :mod:`kiosk.sim`), the demo officer, for the gate
    the synthetic watchlist (built here: ~0.5 s per person), for the desk a simulated
    receipt printer drawing to ``directory/data/receipts``.
    """
    from kiosk.app import build_app
    from kiosk.sim import seed_store, sim_config, watchlist_entries

    config = sim_config(mode, directory, printer=True)
    entries = watchlist_entries() if mode == "gate" else None
    app = build_app(mode, config, sim_panel=True, **options)  # type: ignore[arg-type]
    seed_store(app.context.store, entries=entries, issued_at_ms=clock.now_ms())
    return app


def main(args: argparse.Namespace) -> int:
    from edge_agent.config import ConfigError, load_unit_config
    from kiosk.app import build_app

    # the stock getty clears LANG: a kiosk must be UTF-8 whatever the environment says
    os.environ.setdefault("LANG", "C.UTF-8")
    if args.sim:
        from edge_agent.store import LocalStore
        from kiosk.sim import SIM_OFFICER, SIM_PIN

        mode = args.sim
        with tempfile.TemporaryDirectory(prefix=f"khidmat-kiosk-{mode}-") as directory:
            if mode == "gate":
                print("building the synthetic watchlist ...", file=sys.stderr)
            app = sim_app(
                mode,
                Path(directory),
                high_contrast=args.high_contrast,
                start_language=args.language,
            )
            if mode != "desk":
                print(f"officer badge {SIM_OFFICER}, PIN {SIM_PIN}", file=sys.stderr)
            store_path = app.context.store.path
            if app.context.printer is not None:
                receipts = Path(directory) / "data" / "receipts"
                print(f"simulated receipt printer: receipts drawn to {receipts}", file=sys.stderr)
            app.run()
            with LocalStore(store_path) as store:
                depth = store.outbox_depth()
            print(
                f"{depth} records were waiting in the outbox (no agent in --sim); "
                "the throwaway store is removed now",
                file=sys.stderr,
            )
        return 0
    try:
        config = load_unit_config(args.config)
    except ConfigError as error:
        print(f"khidmat kiosk: {error}", file=sys.stderr)
        return 2
    mode = args.mode or getattr(args, "demo", None) or config.device.role
    app = build_app(mode, config, high_contrast=args.high_contrast, start_language=args.language)
    app.run()
    return 0
