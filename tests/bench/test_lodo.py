"""``khidmat bench lodo``: each set is scored with constants chosen without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

import bench.lodo
from bench.lodo import choose, settings
from khidmat.cli import main


def test_the_choice_ignores_the_held_out_set() -> None:
    table = [
        {"overrides": {}, "eers": {"A": 1.0, "B": 1.0, "C": 3.0}},
        {"overrides": {"X": 1}, "eers": {"A": 0.5, "B": 0.5, "C": 9.0}},
        {"overrides": {"X": 2}, "eers": {"A": 9.0, "B": 0.1, "C": 0.1}},
    ]
    assert choose(table, "C")["overrides"] == {"X": 1}  # best on A and B, worst on C
    assert choose(table, "A")["overrides"] == {"X": 2}
    assert choose(table, "B")["overrides"] == {}  # mean 2.0 on A and C beats 4.75 and 4.55


def test_settings_hold_the_adopted_constants_and_single_moves() -> None:
    rows = settings()
    assert rows[0] == {}
    assert all(len(row) == 1 for row in rows[1:])
    assert len(rows) == 1 + sum(len(values) for values in bench.lodo.SWEEP.values())


def test_bench_lodo_runs_children_with_the_moved_constant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from edge_agent.sim.fingers import impression_image

    roots = []
    for name, seed in (("SET_A", 21), ("SET_B", 22)):
        root = tmp_path / name
        root.mkdir()
        for finger in (101, 102):
            for impression in (1, 2):
                image = impression_image(finger, impression, seed=seed)
                Image.fromarray(image).save(root / f"{finger}_{impression}.png")
        roots.append(str(root))
    monkeypatch.setattr(bench.lodo, "SWEEP", {"MCC_SIGMA_D_RAD": (0.6,)})
    assert main(["bench", "lodo", "--data", *roots, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [row["overrides"] for row in result["sweep"]] == [{}, {"MCC_SIGMA_D_RAD": 0.6}]
    assert [fold["held_out"] for fold in result["lodo"]] == ["SET_A", "SET_B"]
    assert 0.0 <= result["lodo_mean_eer"] <= 100.0


def test_a_failing_child_is_reported(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(bench.lodo, "SWEEP", {})
    assert main(["bench", "lodo", "--data", str(tmp_path)]) == 2
    assert "child failed" in capsys.readouterr().err
