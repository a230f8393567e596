"""``khidmat bench federation`` runs real hubs, brokers and bridges and prints every figure
issue 23 names (two small provinces here; the documented run is four)."""

from __future__ import annotations

import json

import pytest

from khidmat.cli import main

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_the_command_finds_every_cross_province_person_and_keeps_the_deadline(capsys) -> None:
    argv = ["bench", "federation", "--provinces", "2", "--records-per-province", "20"]
    argv += ["--held", "2", "--strangers", "2", "--deadline", "2", "--json"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    for key in ("provinces", "searches", "cross_hits", "cross_missed", "p50_ms", "p99_ms"):
        assert key in printed
    assert printed["provinces"] == 2
    assert printed["searches"] == 2 * (2 + 2)  # each gate: the other's 2 persons, 2 strangers
    assert printed["cross_hits"] == 4 and printed["cross_missed"] == 0
    assert printed["strangers_red"] == 0 and printed["lost"] == 0
    assert 0 < printed["p50_ms"] <= printed["p99_ms"] < 2000
    # one province stopped: the other's verdicts come at the deadline, naming it
    assert printed["down_named"] == printed["down_searches"] > 0
    assert 2000 <= printed["with_province_down"] < 2000 + 3000
