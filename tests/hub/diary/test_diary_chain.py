"""The hash chain: a stored entry changed, removed or replaced is found and named."""

from __future__ import annotations

from hub.diary import Diary
from hub.diary.chain import canonical, entry_hash, genesis
from tests.hub.raw_sql import run_raw

NOON = 1_796_540_400_000  # 2026-12-06 12:00 in Pakistan


def _day(diary: Diary, entries: int = 5) -> None:
    for i in range(entries):
        diary.add("QTA1", "report", "SI Ahmed", f"patrol report {i + 1}", now_ms=NOON + i)


def _raw(store, sql: str, *params: object) -> None:
    run_raw(store.db.location, sql, *params)


def test_an_intact_day_verifies_and_reports_its_last_hash(diary: Diary) -> None:
    _day(diary)
    report = diary.verify("QTA1", "2026-12-06")
    assert report.ok and report.entries == 5 and report.first_bad == ""
    assert report.head_hash == diary.entries("QTA1", "2026-12-06")[-1].hash
    assert "5 entries, chain intact" in report.describe()


def test_an_entry_changed_with_raw_sql_is_named(diary: Diary, store) -> None:
    _day(diary)
    _raw(store, "UPDATE diary_entries SET text = 'nothing happened' WHERE seq = 3")
    report = diary.verify("QTA1", "2026-12-06")
    assert not report.ok and report.first_bad == "QTA1/2026-12-06/3"
    assert "changed" in report.problem and "QTA1/2026-12-06/3" in report.describe()


def test_a_changed_officer_or_time_is_found_too(diary: Diary, store) -> None:
    _day(diary)
    _raw(store, "UPDATE diary_entries SET at_ms = at_ms + 60000 WHERE seq = 2")
    assert diary.verify("QTA1", "2026-12-06").first_bad == "QTA1/2026-12-06/2"


def test_an_entry_replaced_with_a_recomputed_hash_breaks_the_next_link(diary: Diary, store) -> None:
    _day(diary)
    row = dict(next(e for e in store.db.query("SELECT * FROM diary_entries WHERE seq = 2")))
    row["text"] = "forged"
    forged = entry_hash(row, row["prev_hash"])
    _raw(store, "UPDATE diary_entries SET text = 'forged', hash = ? WHERE seq = 2", forged)
    report = diary.verify("QTA1", "2026-12-06")
    assert report.first_bad == "QTA1/2026-12-06/3" and "link" in report.problem


def test_removed_entries_are_found(diary: Diary, store) -> None:
    _day(diary)
    _raw(store, "DELETE FROM diary_entries WHERE seq = 2")
    gap = diary.verify("QTA1", "2026-12-06")
    assert gap.first_bad == "QTA1/2026-12-06/2" and "missing" in gap.problem
    _raw(store, "DELETE FROM diary_entries WHERE seq >= 2")
    tail = diary.verify("QTA1", "2026-12-06")
    assert tail.first_bad == "QTA1/2026-12-06/2" and "register counts 5" in tail.problem


def test_a_removed_closing_entry_and_register_are_found(diary: Diary, store) -> None:
    _day(diary, 2)
    diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON + 10)
    _raw(store, "DELETE FROM diary_entries WHERE kind = 'day-closed'")
    _raw(
        store,
        "UPDATE diary_days SET entries = 2, head_hash = (SELECT hash FROM diary_entries WHERE seq = 2)",
    )
    report = diary.verify("QTA1", "2026-12-06")
    assert not report.ok and "closing entry" in report.problem
    _raw(store, "DELETE FROM diary_days")
    assert diary.verify("QTA1", "2026-12-06").first_bad == "QTA1/2026-12-06/2"
    assert [r.ok for r in diary.verify_all()] == [False]


def test_an_entry_moved_to_another_day_does_not_fit_there(diary: Diary, store) -> None:
    _day(diary, 1)
    _raw(store, "UPDATE diary_entries SET day = '2026-12-05'")
    _raw(store, "UPDATE diary_days SET day = '2026-12-05'")
    report = diary.verify("QTA1", "2026-12-05")
    assert report.first_bad == "QTA1/2026-12-05/1"


def test_a_tampered_day_is_not_closed(diary: Diary, store) -> None:
    _day(diary, 3)
    _raw(store, "UPDATE diary_entries SET officer = 'nobody' WHERE seq = 1")
    import pytest

    from hub.diary import DiaryError

    with pytest.raises(DiaryError, match="TAMPERED at entry QTA1/2026-12-06/1"):
        diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON + 10)
    assert not diary.day("QTA1", "2026-12-06").closed


def test_the_canonical_encoding_is_fixed() -> None:
    entry = {
        "station": "QTA1", "day": "2026-12-06", "seq": 1, "at_ms": 5, "kind": "report",
        "officer": "SI احمد", "text": "a\nb", "ref": "", "corrects": "", "source": "console",
    }  # fmt: skip
    prev = genesis("QTA1", "2026-12-06")
    assert canonical(entry, prev).decode("utf-8") == (
        '{"at_ms":5,"corrects":"","day":"2026-12-06","kind":"report","officer":"SI احمد",'
        f'"prev":"{prev}","ref":"","seq":1,"source":"console","station":"QTA1","text":"a\\nb",'
        '"v":1}'
    )
    assert entry_hash(entry, prev) != entry_hash({**entry, "text": "a\nc"}, prev)
    assert genesis("QTA1", "2026-12-06") != genesis("QTA1", "2026-12-07")
