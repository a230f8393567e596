"""The command line (khidmat/kiosk_cli.py): ``khidmat kiosk`` is registered, ``--sim`` builds a working unit, bench parts."""

from __future__ import annotations

import time
from pathlib import Path

from khidmat.cli import build_parser


def test_commands_are_registered_with_examples() -> None:
    parser = build_parser(("khidmat.kiosk_cli", "bench.cli"))
    args = parser.parse_args(["kiosk", "--sim", "gate"])
    assert args.sim == "gate" and args.handler is not None
    args = parser.parse_args(["kiosk", "--config", "unit.toml", "--mode", "enrol"])
    assert (args.config, args.mode) == ("unit.toml", "enrol")
    args = parser.parse_args(["bench", "kiosk", "--json"])
    assert args.json and args.watchlist == 10_000 and args.baud == 115200


async def test_sim_enrol_unit_signs_in_with_the_demo_officer(tmp_path: Path) -> None:
    from kiosk.run import sim_app
    from kiosk.screens.enrol import EnrolScreen
    from kiosk.sim import SIM_OFFICER, SIM_PIN

    app = sim_app("enrol", tmp_path)
    assert app.context.simulator is not None and app.sim_panel
    async with app.run_test(size=(120, 50)) as pilot:
        app.screen.query_one("#badge").value = SIM_OFFICER
        app.screen.query_one("#pin").value = SIM_PIN
        await pilot.press("enter")
        await pilot.click("#sign-in")
        deadline = time.monotonic() + 10
        while not isinstance(app.screen, EnrolScreen):
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        assert app.screen.query("#sim-panel")
        assert app.context.sensor is not None
        assert app.context.store.health("sensor") == "ok"


def test_startup_probe_and_distractors() -> None:
    from bench.kiosk import distractor_templates, measure_startup

    [elapsed] = measure_startup(1)
    assert 0 < elapsed < 20
    templates = distractor_templates(4, sources=2)
    assert len(templates) == 4 and all(len(t) >= 10 for t in templates)
    assert templates[0] != templates[2]  # same source finger, moved differently


def test_kiosk_with_a_broken_config_says_why(tmp_path: Path, capsys) -> None:
    from khidmat.cli import main

    bad = tmp_path / "unit.toml"
    bad.write_text('[device]\nid = "Bad Id"\nrole = "desk"\nstation = "QTA01"\ndata_dir = "d"\n')
    assert main(["kiosk", "--config", str(bad)]) == 2
    assert "[device] id" in capsys.readouterr().err
    assert main(["kiosk", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
