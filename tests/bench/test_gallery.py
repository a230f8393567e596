"""``khidmat bench gallery`` end to end on a small gallery: every key, plausible values."""

from __future__ import annotations

import json
from pathlib import Path

from bench.gallery import run

KEYS = {
    "size", "build_s", "save_s", "load_s", "file_bytes_per_template", "rss_bytes_per_template",
    "search_ms_median", "search_ms_median_all_cores", "cores", "rank1_rate",
    "rank1_rate_exhaustive",
}  # fmt: skip


def test_bench_gallery_reports_every_figure_and_reuses_its_build(tmp_path: Path) -> None:
    result = run(
        60, data=None, dpi=500, probes=4, exhaustive_probes=2, seed=1, processes=2, cache=tmp_path
    )
    assert KEYS <= result.keys()
    assert result["size"] == 61 and result["probes"] == 4 and result["exhaustive_probes"] == 2
    assert 1000 < result["file_bytes_per_template"] < 20_000
    assert result["load_s"] > 0 and result["search_ms_median"] > 0 and result["cores"] >= 1
    assert 0 <= result["rank1_rate"] <= 100 and result["rank1_rate_exhaustive"] == 100.0
    assert result["search_cpu_ms_median"] > 0
    # the critical path of a split search is part of the CPU time of all its threads
    critical, every = (
        result["search_critical_ms_median_all_cores"],
        result["search_cpu_ms_median_all_cores"],
    )
    assert 0 < critical <= every * 1.05 + 1.0
    assert len(result["load_average"]) == 3
    json.dumps(result)
    built = json.loads((tmp_path / "distractors-60-seed1.json").read_text())
    again = run(
        60, data=None, dpi=500, probes=4, exhaustive_probes=0, seed=1, processes=2, cache=tmp_path
    )
    assert again["build_s"] == built["build_s"]  # the distractor file was reused
    tiled = run(
        90,
        data=None,
        dpi=500,
        probes=4,
        exhaustive_probes=0,
        seed=1,
        processes=2,
        cache=tmp_path,
        distinct=60,
    )
    assert tiled["size"] == 91 and tiled["distinct_distractors"] == 60
    assert tiled["build_s"] == built["build_s"]  # the 60 distinct ones, repeated


def test_a_larger_distractor_file_extends_the_largest_smaller_one(tmp_path: Path) -> None:
    """Distractor i is the same template in every file of a seed, so 50 distractors are
    the cached 30 and 20 built now: the same rows and keys as 50 built from nothing."""
    import numpy as np

    from bench.gallery import distractor_file
    from matcher_cy import gallery_file

    small, small_built = distractor_file(30, 0, 2, 2, tmp_path)
    extended, built = distractor_file(50, 0, 2, 2, tmp_path)
    assert built["extended_from"] == small.name
    assert built["build_s"] > small_built["build_s"]
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh, fresh_built = distractor_file(50, 0, 2, 1, fresh_dir)
    assert "extended_from" not in fresh_built
    one, other = (gallery_file.open_prepared(p, verify=True) for p in (extended, fresh))
    assert list(one.keys) == list(other.keys) == [f"distractor-{i}" for i in range(50)]
    for name, array in one.columns.arrays().items():
        assert np.array_equal(array, other.columns.arrays()[name]), name
