"""``python -m bench.ingest_profile`` measures the real hub's ingest of real complaints."""

from __future__ import annotations

import json

from bench.ingest_profile import complaints, main, run
from khidmat_wire import decode


def test_complaints_come_from_every_unit_in_turn() -> None:
    messages = complaints(3, 2)
    devices = [decode(payload).device_id for _, payload in messages]
    assert devices == ["bench-000", "bench-001", "bench-002"] * 2
    assert len({decode(payload).record_id for _, payload in messages}) == 6


def test_every_complaint_is_opened_and_pushed_once(tmp_path) -> None:
    report = run(3, 4, 5, tmp_path, profile=True)
    assert report["complaints"] == 12
    assert report["hub_cpu_us_per_complaint"] > 0
    assert report["status_pushes_per_complaint"] == 1.0  # one opening status each
    # batches of 5 from 3 units in turn: (2, 2, 1), (2, 2, 1), (1, 1): one message per
    # unit per batch, so 8 messages carry the 12 statuses
    assert report["status_messages_per_complaint"] == round(8 / 12, 3)
    sql = report["sql_per_complaint"]
    assert any(s.startswith("INSERT OR IGNORE INTO records") and n == 1.0 for s, n in sql.items())
    assert "_on_complaint" in report["profile"]


def test_the_module_prints_one_json_object(capsys) -> None:
    assert main(["--devices", "2", "--records", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["complaints"] == 4 and printed["status_pushes_per_complaint"] == 1.0
