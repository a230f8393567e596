"""A closed day's export: only a closed, intact day; the CSV as stored (real files)."""

from __future__ import annotations

import csv

import pytest

from hub.diary import Diary, DiaryError
from hub.diary.export import COLUMNS, export_day
from tests.hub.raw_sql import run_raw

NOON = 1_796_540_400_000  # 2026-12-06 12:00 in Pakistan


def test_only_a_closed_intact_day_is_exported(diary: Diary, store, tmp_path) -> None:
    diary.add("QTA1", "report", "SI Ahmed", '=HYPERLINK("x") "quoted", with comma', now_ms=NOON)
    with pytest.raises(DiaryError, match="not closed"):
        export_day(diary, "QTA1", "2026-12-06", tmp_path)
    diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON + 1)
    csv_path, pdf_path = export_day(diary, "QTA1", "2026-12-06", tmp_path / "out")
    assert pdf_path.read_bytes().startswith(b"%PDF")
    with open(csv_path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 3
    assert rows[1][COLUMNS.index("text")] == '=HYPERLINK("x") "quoted", with comma'
    assert rows[1][COLUMNS.index("time_pkt")] == "12:00"
    run_raw(store.db.location, "UPDATE diary_entries SET text = 'x' WHERE seq = 1")
    with pytest.raises(DiaryError, match="TAMPERED at entry QTA1/2026-12-06/1"):
        export_day(diary, "QTA1", "2026-12-06", tmp_path / "again")
    assert not (tmp_path / "again").exists()
