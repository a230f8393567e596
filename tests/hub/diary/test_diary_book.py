"""The diary workflow: officers' entries, corrections, closing a day (real SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.diary import Diary, DiaryError, station_day
from hub.diary.book import day_bounds_ms
from khidmat_wire.vocabulary import DIARY_KIND_BY_KEY, DIARY_OFFICER_KINDS


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


NOON = _ms("2026-12-06T07:00:00")  # 12:00 in Pakistan


def test_the_station_day_is_pakistan_time() -> None:
    assert station_day(_ms("2026-12-05T18:59:59")) == "2026-12-05"  # 23:59:59 PKT
    assert station_day(_ms("2026-12-05T19:00:00")) == "2026-12-06"  # midnight PKT
    assert day_bounds_ms("2026-12-06") == (_ms("2026-12-05T19:00:00"), _ms("2026-12-06T19:00:00"))


def test_officers_entries_are_numbered_per_station_and_day(diary: Diary) -> None:
    first = diary.add("QTA1", "arrival", "SI Ahmed (QTA-0412)", "", now_ms=NOON)
    second = diary.add(
        "qta1", "prisoner-in", "SI Ahmed", "Gul Khan s/o Sher Khan, FIR 112/26", ref="FIR 112/26",
        now_ms=NOON + 60_000,
    )  # fmt: skip
    other = diary.add("SBI2", "visitor", "ASI Rubina", "Father of Gul Khan, 20 min", now_ms=NOON)
    assert (first.name, second.name, other.name) == (
        "QTA1/2026-12-06/1", "QTA1/2026-12-06/2", "SBI2/2026-12-06/1",
    )  # fmt: skip
    assert [e.kind for e in diary.entries("QTA1", "2026-12-06")] == ["arrival", "prisoner-in"]
    assert (
        diary.count() == 3 and diary.count("QTA1") == 2 and diary.count("QTA1", "2026-12-07") == 0
    )
    assert second.title == DIARY_KIND_BY_KEY["prisoner-in"].title
    assert [e.name for e in diary.search(text="gul khan")] == [
        "SBI2/2026-12-06/1", "QTA1/2026-12-06/2",
    ] or [e.name for e in diary.search(text="gul khan")] == [
        "QTA1/2026-12-06/2", "SBI2/2026-12-06/1",
    ]  # fmt: skip
    assert [e.name for e in diary.search(station="QTA1", kind="prisoner-in")] == [second.name]
    assert diary.search(text="100%") == []  # LIKE wildcards are plain characters


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("QTA1", "unit-offline", "SI Ahmed", "x"), "kind"),  # the hub's kinds are not typed
        (("QTA1", "day-closed", "SI Ahmed", "x"), "kind"),
        (("QTA1", "report", "", "x"), "officer"),
        (("QTA1", "report", "SI Ahmed", "  "), "needs text"),
        (("QTA1", "report", "SI Ahmed", "x" * 2001), "at most"),
        (("QTA1", "report", "SI\x1b[31m", "x"), "control"),
        (("QTA1", "report", "SI Ahmed", "bell \x07"), "control"),
        (("Q-1", "report", "SI Ahmed", "x"), "station"),
        (("QTA1", "correction", "SI Ahmed", "x"), "names the entry"),
    ],
)
def test_refused_entries_say_why_and_write_nothing(diary: Diary, args, message) -> None:
    with pytest.raises(DiaryError, match=message):
        diary.add(*args, now_ms=NOON)
    assert diary.count() == 0


def test_text_from_people_is_kept_exactly(diary: Diary) -> None:
    text = "[bold red]ملزم[/] gul khan\n[@click=app.quit]x[/]\twith a tab"
    entry = diary.add("QTA1", "report", "SI Ahmed", text, now_ms=NOON)
    assert diary.entries("QTA1", "2026-12-06")[0].text == text == entry.text
    assert diary.verify("QTA1", "2026-12-06").ok


def test_a_correction_is_a_new_entry_naming_the_one_it_corrects(diary: Diary) -> None:
    wrong = diary.add(
        "QTA1", "property", "SI Ahmed", "one motorcycle, CD-70, LEA-1234", now_ms=NOON
    )
    fixed = diary.correct(wrong.name, "SI Ahmed", "registration is LEB-1234", now_ms=NOON + 1)
    assert fixed.kind == "correction" and fixed.corrects == wrong.name and fixed.seq == 2
    assert diary.entries("QTA1", "2026-12-06")[0].text == "one motorcycle, CD-70, LEA-1234"
    with pytest.raises(DiaryError, match="no entry QTA1/2026-12-06/9"):
        diary.correct("QTA1/2026-12-06/9", "SI Ahmed", "x", now_ms=NOON)
    with pytest.raises(DiaryError, match="same station"):
        diary.add("SBI2", "correction", "SI Ahmed", "x", corrects=wrong.name, now_ms=NOON)
    with pytest.raises(DiaryError, match="entry: its name"):
        diary.correct("QTA1-2026-12-06-1", "SI Ahmed", "x", now_ms=NOON)
    assert diary.count() == 2


def test_a_closed_day_takes_nothing_more_and_later_events_go_to_the_next_day(
    diary: Diary, store
) -> None:
    diary.add("QTA1", "arrival", "SI Ahmed", "", now_ms=NOON)
    closing = diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON + 3_600_000)
    assert closing.kind == "day-closed" and closing.seq == 2 and "Insp. Nadia" in closing.text
    day = diary.day("QTA1", "2026-12-06")
    assert day is not None and day.closed and day.closed_by == "Insp. Nadia" and day.entries == 2
    late = diary.add("QTA1", "departure", "SI Ahmed", "", now_ms=NOON + 2 * 3_600_000)
    assert late.name == "QTA1/2026-12-07/1"  # same clock day, but the 6th is closed
    with store.db.write() as conn:  # an automatic entry of the closed day, too
        auto = diary.append(
            conn, station="QTA1", kind="unit-offline", officer="hub", text="gate unit went offline",
            source="gate-qta1-1", at_ms=NOON,
        )  # fmt: skip
    assert auto is not None and auto.day == "2026-12-07" and auto.seq == 2
    with pytest.raises(DiaryError, match="already closed"):
        diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON + 3_600_000)
    with pytest.raises(DiaryError, match="has not begun"):
        diary.close("QTA1", "2026-12-08", "Insp. Nadia", now_ms=NOON)
    assert diary.verify("QTA1", "2026-12-06").ok and diary.verify("QTA1", "2026-12-06").closed
    assert [r.ok for r in diary.verify_all()] == [True, True]


def test_an_empty_day_closes_with_its_closing_entry_alone(diary: Diary) -> None:
    closing = diary.close("QTA1", "2026-12-06", "Insp. Nadia", now_ms=NOON)
    assert closing.name == "QTA1/2026-12-06/1"
    assert diary.verify("QTA1", "2026-12-06").entries == 1


def test_every_officer_kind_can_be_added(diary: Diary) -> None:
    for offset, kind in enumerate(DIARY_OFFICER_KINDS):
        corrects = "QTA1/2026-12-06/1" if kind == "correction" else ""
        diary.add(
            "QTA1", kind, "SI Ahmed", f"{kind} entry", corrects=corrects, now_ms=NOON + offset
        )
    assert diary.count("QTA1", "2026-12-06") == len(DIARY_OFFICER_KINDS)
    assert diary.verify("QTA1", "2026-12-06").ok
