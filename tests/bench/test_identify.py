"""``khidmat bench identify`` and ``bench fusion``: the issue's JSON keys, honest rates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bench.identify import parse_data, rate
from khidmat.cli import main

IDENTIFY_KEYS = {
    "gallery",
    "fingers",
    "persons",
    "mated_searches",
    "nonmated_searches",
    "fnir_at_fpir_1e-2",
    "fnir_at_fpir_1e-3",
    "red_threshold",
    "fnir_at_red",
    "fpir_at_red",
    "yellow_threshold",
    "fnir_at_yellow",
    "fpir_at_yellow",
    "search_ms_median",
}


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two FVC-style sets of 4 synthetic fingers x 3 impressions (two two-finger persons)."""
    from edge_agent.sim.fingers import impression_image

    roots = []
    for name, seed in (("SET_A", 11), ("SET_B", 12)):
        root = tmp_path_factory.mktemp(name) / name
        root.mkdir()
        for finger in (101, 102, 103, 104):
            for impression in (1, 2, 3):
                image = impression_image(finger, impression, seed=seed)
                Image.fromarray(image).save(root / f"{finger}_{impression}.png")
        roots.append(root)
    return roots


def test_rates_without_events_are_upper_bounds_not_zero() -> None:
    assert rate(0, 3000) == "<0.0998"
    assert rate(3, 300) == pytest.approx(1.0)
    assert rate(0, 0) is None
    assert parse_data("a/DB2_B:569") == (Path("a/DB2_B"), 569)
    assert parse_data("a/DB1_B") == (Path("a/DB1_B"), 500)


def test_bench_identify_two_fingers(two_sets: list[Path], capsys: pytest.CaptureFixture) -> None:
    argv = ["bench", "identify", "--fingers", "2", "--gallery", "30", "--strangers", "20"]
    assert main([*argv, "--data", *map(str, two_sets), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert IDENTIFY_KEYS <= set(result)
    # 4 persons, 2 per fold; each enrolled from impression 1 and searched with 2 and 3
    assert result["persons"] == 4 and result["fingers"] == 2
    assert result["mated_searches"] == 8
    # the other fold's 2 persons x 3 impressions, twice, and the 20 synthetic strangers
    assert result["nonmated_searches"] == 2 * 2 * 3 + 20
    assert result["gallery"] == 32
    assert result["red_threshold"] > result["yellow_threshold"] > 0
    assert result["fnir_at_fpir_1e-3"] is None  # 32 non-mated searches cannot resolve 1e-3
    for key in ("fnir_at_red", "fpir_at_red", "fnir_at_yellow", "fpir_at_yellow"):
        value = result[key]
        assert (isinstance(value, str) and value.startswith("<")) or 0 < value <= 100


def test_bench_identify_one_finger_text(
    two_sets: list[Path], capsys: pytest.CaptureFixture
) -> None:
    argv = ["bench", "identify", "--fingers", "1", "--gallery", "10", "--strangers", "4"]
    assert main([*argv, "--data", str(two_sets[0])]) == 0
    out = capsys.readouterr().out
    assert "1 finger(s), gallery 12 persons, 4 persons of the data; 8 mated" in out


def test_bench_fusion_prints_tables_and_leave_one_out(
    two_sets: list[Path], capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", "fusion", "--data", *map(str, two_sets), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["impostor_pairs"] == 24 * 23 // 2 - 2 * 4 * 3
    scores = [score for _, score in result["tail_2"]]
    assert scores == sorted(scores) and len(scores) >= 2
    assert [row["held_out"] for row in result["lodo"]] == ["SET_A", "SET_B"]
    assert all(row["mated_searches"] == 4 for row in result["lodo"])
    # every safety factor checked leave-one-out, with its in-sample FNIR beside it
    assert [entry["safety"] for entry in result["safety"]] == [1.0, 3.0, 10.0]
    for entry in result["safety"]:
        assert 0.0 <= entry["fnir_in_sample"] <= 100.0
        assert len(entry["lodo"]) == 2 and len(entry["held_out_over_promised"]) == 2
        rows = entry["lodo"]
        mean = sum(r["fnir_at_red_10000"] for r in rows) / len(rows)
        assert entry["fnir_lodo_mean"] == pytest.approx(mean)
    # a stricter safety never lowers the red threshold
    reds = [entry["lodo"][0]["red_threshold_10000"] for entry in result["safety"]]
    assert reds == sorted(reds)
    # nested: the safety is chosen without the held-out set (one set left: nothing to
    # check a choice on, so the strictest)
    assert [row["held_out"] for row in result["nested"]] == ["SET_A", "SET_B"]
    assert all(row["safety"] == 10.0 for row in result["nested"])


def test_bench_identify_refuses_an_empty_directory(tmp_path: Path, capsys) -> None:
    argv = ["bench", "identify", "--fingers", "2", "--gallery", "1", "--data", str(tmp_path)]
    assert main(argv) == 2
    assert "no <finger>_<impression>" in capsys.readouterr().err


def test_bench_identify_with_a_cache_maps_the_same_persons(
    two_sets: list[Path], tmp_path: Path
) -> None:
    """``--cache``: the distractor persons built once into prepared files and mapped give
    the same searches as persons built in memory, and a second run reuses the files."""
    from bench.identify import run

    data = [(two_sets[0], 500)]
    timing = {"search_ms_median", "build_s"}
    in_memory = run(40, fingers=2, data=data, strangers=6, seed=3)
    cached = run(40, fingers=2, data=data, strangers=6, seed=3, cache=tmp_path, processes=2)
    assert {k: v for k, v in cached.items() if k not in timing} == {
        k: v for k, v in in_memory.items() if k not in timing
    }
    files = sorted(p.name for p in tmp_path.glob("persons-*.khg"))
    assert files == [
        "persons-40-fingers2-seed3-position2.khg",
        "persons-40-fingers2-seed3-position7.khg",
    ]
    again = run(40, fingers=2, data=data, strangers=6, seed=3, cache=tmp_path, processes=2)
    assert again["build_s"] == cached["build_s"]  # the cached build's figure: not rebuilt
