"""Run the kiosk from the command line (``khidmat kiosk``)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main(args: argparse.Namespace) -> int:
    from edge_agent.config import ConfigError, load_unit_config
    from kiosk.app import build_app

    # the stock getty clears LANG: a kiosk must be UTF-8 whatever the environment says
    os.environ.setdefault("LANG", "C.UTF-8")
    if args.sim:
        from kiosk.sim import SIM_OFFICER, SIM_PIN, seed_store, sim_config, watchlist_entries

        mode = args.sim
        with tempfile.TemporaryDirectory(prefix=f"khidmat-kiosk-{mode}-") as directory:
            config = sim_config(mode, Path(directory))
            entries = None
            if mode == "gate":
                print("building the synthetic watchlist ...", file=sys.stderr)
                entries = watchlist_entries()
            app = build_app(mode, config, high_contrast=args.high_contrast, sim_panel=True)
            seed_store(app.context.store, entries=entries, issued_at_ms=int(time.time() * 1000))
            app.language = args.language
            if mode != "desk":
                print(f"officer badge {SIM_OFFICER}, PIN {SIM_PIN}", file=sys.stderr)
            app.run()
            from edge_agent.store import LocalStore

            with LocalStore(config.store_path) as store:
                depth = store.outbox_depth()
            print(
                f"{depth} records were waiting in the outbox "
                "(no agent in --sim); the throwaway store is removed now",
                file=sys.stderr,
            )
        return 0
    try:
        config = load_unit_config(args.config)
    except ConfigError as error:
        print(f"khidmat kiosk: {error}", file=sys.stderr)
        return 2
    mode = args.mode or config.device.role
    app = build_app(mode, config, high_contrast=args.high_contrast)
    app.language = args.language
    app.run()
    return 0
