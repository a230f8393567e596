"""The station daily diary (roznamcha) at the hub.

Every station has a diary: entries made by the hub from what the units record
(:mod:`hub.diary.feed`: complaints received, gate detentions confirmed by an officer,
enrolments, units going offline and back online) and by officers at the console or the
command line (arrival and departure on duty, prisoners in and out, property, visitors,
reports, corrections). Entry kinds are defined once in
:data:`khidmat_wire.vocabulary.DIARY_KINDS`. Entries are append-only and hash-chained per
station per day (:mod:`hub.diary.chain`); the duty officer closes the day.

Public API (what a scenario or another module calls):

- ``Diary(store)``: the workflow over a :class:`hub.store.HubStore` (migrates its tables).
- ``Diary.count(station="", day="") -> int``: entries stored.
- ``Diary.verify(station, day) -> ChainReport``: ``ok``, ``first_bad`` (entry name such as
  ``QTA1/2026-12-06/7``), ``problem``, ``entries``, ``head_hash``; ``describe()`` for one line.
- ``Diary.verify_all(station="") -> list[ChainReport]``: every stored day.
- ``Diary.add(station, kind, officer, text, ref=..., corrects=...)``, ``Diary.correct(name,
  officer, text)``, ``Diary.close(station, day, officer)``, ``Diary.entries(station, day)``,
  ``Diary.search(...)``, ``Diary.days(station="")``.
- ``station_day(at_ms) -> "YYYY-MM-DD"``: the station day (Pakistan time) of a time.

The hub process feeds the diary by itself (:func:`hub.duties.install` installs the feed).
"""

from hub.diary.book import DayView, Diary, DiaryError, Entry, parse_name, station_day
from hub.diary.chain import ChainReport

__all__ = [
    "ChainReport",
    "DayView",
    "Diary",
    "DiaryError",
    "Entry",
    "parse_name",
    "station_day",
]
