"""``khidmat bench diary`` prints measured figures for a small day (real SQLite, real PDF)."""

from __future__ import annotations

import json

from bench.diary import run
from khidmat.cli import main


def test_the_bench_times_a_real_day(tmp_path) -> None:
    result = run(20, tmp_path)
    assert result["entries"] == 20 and result["chain_ok"] is True
    assert result["add_per_s"] > 0 and result["verify_ms"] > 0 and result["export_s"] > 0
    assert (tmp_path / "reports").is_dir() and len(list((tmp_path / "reports").iterdir())) == 2


def test_the_command_prints_one_json_object(capsys) -> None:
    assert main(["bench", "diary", "--entries", "5", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["entries"] == 5 and printed["chain_ok"] is True
