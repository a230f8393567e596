"""``khidmat bench gate-compute``: registered, one core, a figure per stage, honest verdicts."""

from __future__ import annotations

import json
import os

from khidmat.cli import main

KEYS = {
    "gallery",
    "fingers",
    "scans",
    "cores_used",
    "extract_ms_median",
    "identify_ms_median",
    "two_fingers_ms_median",
    "two_fingers_ms_max",
    "two_fingers_ms_first",
    "two_fingers_ms_max_after_first",
    "slowest_scan",
    "after_last_image_ms_median",
    "target_ms",
    "verdicts",
}


def test_gate_compute_prints_one_core_cpu_times_and_restores_the_cores(capsys) -> None:
    cores = os.sched_getaffinity(0)
    assert main(["bench", "gate-compute", "--gallery", "12", "--scans", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert KEYS <= result.keys()
    assert result["gallery"] == 12 and result["scans"] == 4 and result["cores_used"] == 1
    assert os.sched_getaffinity(0) == cores  # the test process gets its cores back
    # the stages add up: two extractions and the search make the whole
    assert result["two_fingers_ms_median"] >= result["identify_ms_median"] > 0
    assert result["after_last_image_ms_median"] <= result["two_fingers_ms_max"]
    assert result["extract_ms_median"] > 0
    # the first scan is reported apart, and the maximum is the larger of it and the rest
    assert result["two_fingers_ms_max"] == max(
        result["two_fingers_ms_first"], result["two_fingers_ms_max_after_first"]
    )
    assert 0 <= result["slowest_scan"] < result["scans"]
    # the enrolled persons' other impressions are found, strangers are not
    assert (
        result["verdicts"]["mated"].get("red", 0) + result["verdicts"]["mated"].get("yellow", 0)
        == 2
    )
    assert result["verdicts"]["stranger"].get("red", 0) == 0


def test_gate_compute_refuses_more_scans_than_persons(capsys) -> None:
    import pytest

    with pytest.raises(SystemExit):
        main(["bench", "gate-compute", "--gallery", "1", "--scans", "2"])
