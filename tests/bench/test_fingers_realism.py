"""bench.fingers_realism: per-set resolution, real impressions and the class split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.fingers_realism import _data_dir, impostor_rates_by_class, main, synthetic


def test_data_dir_takes_an_optional_dpi() -> None:
    assert _data_dir("../sets/DB2_B:569") == (Path("../sets/DB2_B"), 569)
    assert _data_dir("../sets/DB1_B") == (Path("../sets/DB1_B"), 500)
    assert _data_dir("C:/odd:name") == (Path("C:/odd:name"), 500)


def test_class_split_groups_every_impostor_pair_by_its_fingers_classes() -> None:
    classes: dict[int, str] = {}
    _genuine, impostor, _ = synthetic(3, 2, 7, classes)
    assert sorted(classes) == [1, 2, 3]
    groups = impostor_rates_by_class(3, 2, classes, impostor)
    # every impostor pair once: 3 finger pairs x 2 x 2 impression pairs
    assert sum(len(scores) for scores in groups.values()) == len(impostor) == 12
    np.testing.assert_array_equal(np.sort(np.concatenate(list(groups.values()))), np.sort(impostor))
    expected: dict[tuple[str, str], int] = {}
    for a, b in ((1, 2), (1, 3), (2, 3)):
        pair = tuple(sorted((classes[a], classes[b])))
        expected[pair] = expected.get(pair, 0) + 4  # type: ignore[index]
    assert {pair: len(scores) for pair, scores in groups.items()} == expected


def test_main_reads_a_set_at_its_own_resolution_with_its_own_impressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge_agent.sim.fingers import write_set

    write_set(tmp_path, fingers=2, impressions=3, seed=11)
    assert (
        main(
            [
                "--fingers", "2", "--impressions", "2", "--seed", "7", "--by-class",
                "--data", f"{tmp_path}:500", "--real-impressions", "3",
            ]
        )
        == 0
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "synthetic: 2 genuine, 4 impostor pairs" in out
    assert "real: 6 genuine, 9 impostor pairs" in out  # 2 fingers x 3 impressions
    assert "synthetic impostors by pattern class" in out
    assert "4 pairs" in out.split("by pattern class")[1]


def test_a_missing_set_is_refused_before_the_synthetic_half(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--fingers", "50", "--data", str(tmp_path / "absent")])
    assert stop.value.code == 2


def _template(points: list[tuple[float, float, float]]):
    from matcher_cy import Template
    from matcher_cy.template import MINUTIA_DTYPE

    minutiae = np.zeros(len(points), dtype=MINUTIA_DTYPE)
    for index, (x, y, angle) in enumerate(points):
        minutiae[index] = (x, y, angle, 1, 80)
    return Template(minutiae, width=200, height=200)


def test_ladder_share_counts_same_sense_neighbours_across_the_ridges() -> None:
    from bench.fingers_realism import ladder_share

    # three endings pointing right (angle 0), stacked 10 px apart across the ridges: a ladder
    assert ladder_share(_template([(100, 80, 0.0), (100, 90, 0.0), (100, 100, 0.0)])) == 1.0
    # the same places, opposite senses: no rung
    assert ladder_share(_template([(100, 80, 0.0), (100, 90, np.pi)])) == 0.0
    # same sense but one behind the other along the ridge: no rung
    assert ladder_share(_template([(80, 100, 0.0), (100, 100, 0.0)])) == 0.0
    # a rung for two of three: the third is too far (50 px)
    share = ladder_share(_template([(100, 80, 0.0), (100, 90, 0.0), (100, 140, 0.0)]))
    assert share == pytest.approx(2 / 3)
