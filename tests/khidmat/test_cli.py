"""The command line: every listed command works, and every command's help has an example."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import pytest

from khidmat.cli import build_parser


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*prefix, name), sub))
                found += _commands(sub, (*prefix, name))
    return found


COMMANDS = _commands(build_parser())


def test_the_commands_the_issues_name_are_there() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"agent", "hub", "demo", "bench ingest", "bench chaos"} <= names


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_help_has_an_example(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    text = parser.format_help()
    assert "example:" in text
    assert "khidmat " in text.split("example:", 1)[1]


def test_top_level_help_runs_fast_as_a_process() -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "khidmat", "--help"], capture_output=True, text=True, timeout=30
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 0 and "example:" in result.stdout
    assert elapsed < 5.0  # command modules import nothing heavy


def test_a_bad_config_is_explained_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "unit.toml"
    bad.write_text('[device]\nid = "Bad ID"\nrole = "desk"\nstation = "X1"\ndata_dir = "d"\n')
    result = subprocess.run(
        [sys.executable, "-m", "khidmat", "agent", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "[device] id:" in result.stderr and "Traceback" not in result.stderr


def test_kiosk_demo_without_a_running_demo_says_what_to_do(tmp_path, capsys) -> None:
    """``khidmat kiosk --demo ROLE`` (khidmat/kiosk_cli.py) finds the demo's unit or says why."""
    from khidmat.cli import main

    assert main(["kiosk", "--demo", "gate", "--dir", str(tmp_path)]) == 2
    assert "start `khidmat demo` first" in capsys.readouterr().err
    (tmp_path / "units.json").write_text('{"desk": "qta01-desk-0001"}')
    assert main(["kiosk", "--demo", "gate", "--dir", str(tmp_path)]) == 2
    assert "has no gate unit" in capsys.readouterr().err
    assert main(["kiosk", "--demo", "desk", "--dir", str(tmp_path)]) == 2  # no unit.toml there
    assert "cannot read" in capsys.readouterr().err
