"""``khidmat bench matcher`` / ``bench search``: registered, documented, the JSON keys of the issue."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from khidmat.cli import build_parser, main

MATCHER_KEYS = {
    "eer",
    "fnmr_at_fmr_1e-2",
    "fnmr_at_fmr_1e-3",
    "extract_ms_median",
    "match_us_median",
    "minutiae_mean",
    "genuine",
    "impostor",
}
SEARCH_KEYS = {"gallery", "search_ms_median", "rank1_rate", "rank1_rate_exhaustive"}


@pytest.fixture(scope="module")
def fvc_style_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 synthetic fingers x 3 impressions as <finger>_<impression>.png, plus ISO files."""
    from edge_agent.sim.fingers import impression_image
    from matcher_cy import extract

    root = tmp_path_factory.mktemp("fvc")
    (root / "iso").mkdir()
    for finger in (101, 102, 103):
        for impression in (1, 2, 3):
            image = impression_image(finger, impression)
            Image.fromarray(image).save(root / f"{finger}_{impression}.png")
            (root / "iso" / f"{finger}_{impression}.iso").write_bytes(extract(image).to_iso())
    (root / "notes.txt").write_text("ignored")
    return root


def test_commands_are_registered_with_examples() -> None:
    help_text = build_parser().format_help()
    assert "bench" in help_text
    for command in ("matcher", "search"):
        with pytest.raises(SystemExit):
            main(["bench", command, "--help"])


def test_bench_matcher_json_has_the_issue_keys(
    fvc_style_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "det.png"
    assert (
        main(["bench", "matcher", "--data", str(fvc_style_dir), "--json", "--plot", str(plot)]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert MATCHER_KEYS <= set(result)
    assert (result["genuine"], result["impostor"]) == (9, 27)
    assert 0.0 <= result["eer"] <= 100.0 and result["extract_ms_median"] > 0
    assert np.asarray(Image.open(plot)).shape[:2] == (640, 640)


def test_bench_matcher_reads_iso(fvc_style_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["bench", "matcher", "--data", str(fvc_style_dir / "iso"), "--format", "iso", "--json"]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["extract_ms_median"] is None and result["genuine"] == 9


def test_bench_search_json_has_the_issue_keys(
    fvc_style_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "search", "--gallery", "50", "--data", str(fvc_style_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert SEARCH_KEYS <= set(result)
    assert result["gallery"] == 53 and result["probes"] == 6
    assert result["rank1_rate_exhaustive"] == 100.0


def test_empty_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "matcher", "--data", str(tmp_path)]) == 2
    assert "no <finger>_<impression>" in capsys.readouterr().err
