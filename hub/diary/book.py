"""The station diary (roznamcha) workflow: append, correct, close, read, search, verify.

:class:`Diary` works over the tables of :mod:`hub.store.diary`. Every entry belongs to a
station and a **station day** (Pakistan time, :data:`khidmat_base.clock.PKT`): the day of
the entry's time, or, when the duty officer has closed that day, the next day that is
still open. Entries are only ever appended, each hashed with the one before it
(:mod:`hub.diary.chain`); a mistake is put right by a ``correction`` entry that names the
entry it corrects (``QTA1/2026-12-06/7``), never by changing it. :meth:`Diary.close`
appends the day's closing entry and marks the day closed (after checking its chain);
nothing more is written to a closed day.

Entries made by the hub from the units' records are appended in the ingest transaction
(:mod:`hub.diary.feed`, :meth:`Diary.append`); entries made by officers (console, CLI) in
a transaction of their own (:meth:`Diary.add`). Both serialise on the database's write lock
(``BEGIN IMMEDIATE``), so two processes never give two entries one number.

Thread-safety: as :class:`hub.store.HubStore`. Cost (``khidmat bench diary``, 2 loaded
cores): an append is three indexed statements and one SHA-256, and an officer's entry in
its own transaction takes 3-7 ms (the fsync of ``synchronous=FULL`` dominates);
:meth:`Diary.verify` reads the day once, 15-50 us per entry (35 ms for 1,000 entries).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hub.diary.chain import ChainReport, check, entry_hash, entry_name, genesis
from hub.store import HubStore
from hub.store import diary as table
from khidmat_base.clock import PKT
from khidmat_base.clock import now_ms as _now_ms
from khidmat_base.database import Connection
from khidmat_wire.vocabulary import (
    DIARY_CLOSING,
    DIARY_CORRECTION,
    DIARY_KIND_BY_KEY,
    DIARY_OFFICER_KINDS,
    STATION,
)

TEXT_MAX = 2000
"""Longest entry text (characters)."""
OFFICER_MAX = 80
REF_MAX = 120
TEXT_OPTIONAL = frozenset({"arrival", "departure"})
"""Officer entry kinds whose text may be empty (the kind and the officer say it all)."""
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NAME = re.compile(rf"({STATION})/([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})/([1-9][0-9]{{0,6}})")


class DiaryError(ValueError):
    """An entry or a request the diary refuses; the message says why, for an officer."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored diary entry."""

    station: str
    day: str
    seq: int
    at_ms: int
    kind: str
    officer: str
    text: str
    ref: str
    corrects: str
    source: str
    hash: str

    @property
    def name(self) -> str:
        """``STATION/YYYY-MM-DD/seq``: how the entry is named everywhere."""
        return entry_name(self.station, self.day, self.seq)

    @property
    def title(self) -> str:
        """The kind's English title ("Prisoner brought in")."""
        kind = DIARY_KIND_BY_KEY.get(self.kind)
        return kind.title if kind is not None else self.kind


@dataclass(frozen=True, slots=True)
class DayView:
    """One station's day in the register."""

    station: str
    day: str
    entries: int
    head_hash: str
    closed_ms: int | None
    closed_by: str

    @property
    def closed(self) -> bool:
        return self.closed_ms is not None


def station_day(at_ms: int) -> str:
    """The station day (Pakistan time) of a Unix-ms time: ``YYYY-MM-DD``."""
    return (datetime.fromtimestamp(at_ms / 1000, tz=UTC) + PKT).date().isoformat()


def day_bounds_ms(day: str) -> tuple[int, int]:
    """[start, end) of a station day in Unix ms."""
    start = datetime.fromisoformat(check_day(day)).replace(tzinfo=UTC) - PKT
    begin = int(start.timestamp() * 1000)
    return begin, begin + 86_400_000


def check_station(station: str) -> str:
    station = station.strip().upper()
    if re.fullmatch(STATION, station) is None:
        raise DiaryError("station: its code, 2 to 8 capital letters or digits")
    return station


def check_day(day: str) -> str:
    day = day.strip()
    try:
        if _DAY.fullmatch(day) is None:
            raise ValueError
        date.fromisoformat(day)
    except ValueError:
        raise DiaryError("date: a day as YYYY-MM-DD, e.g. 2026-12-06") from None
    return day


def parse_name(name: str) -> tuple[str, str, int]:
    """(station, day, seq) of an entry name ``QTA1/2026-12-06/7``; DiaryError otherwise."""
    match = _NAME.fullmatch(name.strip())
    if match is None:
        raise DiaryError("entry: its name, STATION/YYYY-MM-DD/number, e.g. QTA1/2026-12-06/7")
    return match[1], check_day(match[2]), int(match[3])


def _clean(value: str, label: str, limit: int, *, lines: bool) -> str:
    """``value`` stripped; DiaryError for control characters or too long."""
    value = value.strip()
    if len(value) > limit:
        raise DiaryError(f"{label}: at most {limit} characters")
    allowed = "\n\t" if lines else ""
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise DiaryError(f"{label}: control characters are not allowed")
    return value


class Diary:
    """Every station's daily diary in the hub database."""

    def __init__(self, store: HubStore) -> None:
        self.store = store
        self.db = store.db
        table.migrate(self.db)

    # ------------------------------------------------------------ writes

    def append(
        self,
        conn: Connection,
        *,
        station: str,
        kind: str,
        officer: str,
        text: str,
        source: str,
        at_ms: int,
        ref: str = "",
        corrects: str = "",
        event_key: str | None = None,
    ) -> Entry | None:
        """Append an entry inside the caller's write transaction, to the station's day of
        ``at_ms`` or the next open day after it. None when ``event_key`` was written before.

        The caller has validated the fields (``kind`` must be a diary kind)."""
        if kind not in DIARY_KIND_BY_KEY:
            raise DiaryError(f"kind: one of {', '.join(DIARY_KIND_BY_KEY)}")
        if event_key is not None and table.has_event(conn, event_key):
            return None
        day = station_day(at_ms)
        closed = table.closed_days_from(conn, station, day)
        while day in closed:
            day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        return self._write(
            conn, station, day, at_ms, kind, officer, text, ref, corrects, source, event_key
        )

    def _write(
        self,
        conn: Connection,
        station: str,
        day: str,
        at_ms: int,
        kind: str,
        officer: str,
        text: str,
        ref: str,
        corrects: str,
        source: str,
        event_key: str | None,
    ) -> Entry:
        register = table.head(conn, station, day)
        if register is not None and register["closed_ms"] is not None:
            raise DiaryError(f"the diary of {station} for {day} is closed")
        seq = (int(register["entries"]) if register is not None else 0) + 1
        prev = str(register["head_hash"]) if register is not None else genesis(station, day)
        fields = {
            "station": station, "day": day, "seq": seq, "at_ms": at_ms, "kind": kind,
            "officer": officer, "text": text, "ref": ref, "corrects": corrects, "source": source,
        }  # fmt: skip
        digest = entry_hash(fields, prev)
        table.insert(conn, **fields, event_key=event_key, prev_hash=prev, entry_hash=digest)
        return Entry(**fields, hash=digest)  # type: ignore[arg-type]

    def add(
        self,
        station: str,
        kind: str,
        officer: str,
        text: str,
        *,
        ref: str = "",
        corrects: str = "",
        source: str = "console",
        now_ms: int | None = None,
    ) -> Entry:
        """An officer's entry (``kind`` one of :data:`DIARY_OFFICER_KINDS`), written now.

        A ``correction`` must name the entry it corrects (``corrects``, an entry of the same
        station) and say what is right. DiaryError, with the reason, for anything refused.
        """
        station = check_station(station)
        if kind not in DIARY_OFFICER_KINDS:
            raise DiaryError(f"kind: one of {', '.join(DIARY_OFFICER_KINDS)}")
        officer = _clean(officer, "officer", OFFICER_MAX, lines=False)
        if not officer:
            raise DiaryError("officer: who makes the entry (name or badge)")
        text = _clean(text, "text", TEXT_MAX, lines=True)
        if not text and kind not in TEXT_OPTIONAL:
            raise DiaryError(f"text: a {DIARY_KIND_BY_KEY[kind].title.lower()} entry needs text")
        ref = _clean(ref, "reference", REF_MAX, lines=False)
        source = _clean(source, "source", REF_MAX, lines=False) or "console"
        now = _now_ms() if now_ms is None else now_ms
        if kind == DIARY_CORRECTION:
            if not corrects:
                raise DiaryError("a correction names the entry it corrects")
            target_station, target_day, target_seq = parse_name(corrects)
            if target_station != station:
                raise DiaryError("a correction names an entry of the same station")
            corrects = entry_name(target_station, target_day, target_seq)
        elif corrects:
            raise DiaryError("only a correction names an entry it corrects")
        with self.db.write() as conn:
            if kind == DIARY_CORRECTION and table.entry(conn, *parse_name(corrects)) is None:
                raise DiaryError(f"no entry {corrects} to correct")
            entry = self.append(
                conn, station=station, kind=kind, officer=officer, text=text, source=source,
                at_ms=now, ref=ref, corrects=corrects,
            )  # fmt: skip
        assert entry is not None  # no event key: always written
        return entry

    def correct(
        self,
        name: str,
        officer: str,
        text: str,
        *,
        source: str = "console",
        now_ms: int | None = None,
    ) -> Entry:
        """A correction of entry ``name``, written to its station's current day."""
        station, _, _ = parse_name(name)
        return self.add(
            station, DIARY_CORRECTION, officer, text, corrects=name, source=source, now_ms=now_ms
        )

    def close(self, station: str, day: str, officer: str, *, now_ms: int | None = None) -> Entry:
        """The duty officer closes the station's day: its closing entry is appended and the
        day is closed (later events go to the next day). Refused for a day not yet begun,
        a day already closed, or a day whose chain does not check (the report names the
        entry: tampering is reported, not sealed over)."""
        station, day = check_station(station), check_day(day)
        officer = _clean(officer, "officer", OFFICER_MAX, lines=False)
        if not officer:
            raise DiaryError("officer: the duty officer who closes the day")
        now = _now_ms() if now_ms is None else now_ms
        if day > station_day(now):
            raise DiaryError(f"{day} has not begun at {station}: only a past day or today closes")
        with self.db.write() as conn:
            register = table.head(conn, station, day)
            if register is not None and register["closed_ms"] is not None:
                raise DiaryError(f"the diary of {station} for {day} is already closed")
            report = self.verify(station, day)
            if not report.ok:
                raise DiaryError(f"not closed: {report.describe()}")
            text = f"day closed by {officer} after {report.entries} entries"
            entry = self._write(
                conn, station, day, now, DIARY_CLOSING, officer, text, "", "", "hub", None
            )
            table.mark_closed(conn, station, day, now, officer)
        return entry

    # ------------------------------------------------------------- reads

    def entries(self, station: str, day: str) -> list[Entry]:
        """The station's day, in order."""
        return [_entry(r) for r in table.entries(self.db, check_station(station), check_day(day))]

    def search(
        self, *, station: str = "", day: str = "", text: str = "", kind: str = "", limit: int = 500
    ) -> list[Entry]:
        """Entries matching every filter given, newest first (``text``: in the text, the
        officer or the reference, any case)."""
        station = check_station(station) if station.strip() else ""
        day = check_day(day) if day.strip() else ""
        if kind and kind not in DIARY_KIND_BY_KEY:
            raise DiaryError(f"kind: one of {', '.join(DIARY_KIND_BY_KEY)}")
        rows = table.search(
            self.db, station=station, day=day, text=text.strip(), kind=kind, limit=limit
        )
        return [_entry(r) for r in rows]

    def day(self, station: str, day: str) -> DayView | None:
        row = table.day_row(self.db, check_station(station), check_day(day))
        return DayView(*row) if row is not None else None

    def days(self, station: str = "") -> list[DayView]:
        """The register: every station's days, newest first."""
        station = check_station(station) if station.strip() else ""
        return [DayView(*r) for r in table.days(self.db, station)]

    def count(self, station: str = "", day: str = "") -> int:
        """How many entries are stored (of a station, of a day when given)."""
        station = check_station(station) if station.strip() else ""
        day = check_day(day) if day.strip() else ""
        return table.count(self.db, station, day)

    def verify(self, station: str, day: str) -> ChainReport:
        """Check a station's day: every entry against its hash and the one before it, and
        the day's register (entry count, last hash). The report names the first bad entry."""
        station, day = check_station(station), check_day(day)
        rows = [dict(r) for r in table.entries(self.db, station, day)]
        register = table.day_row(self.db, station, day)
        return check(
            station, day, rows, dict(register) if register else None, closing_kind=DIARY_CLOSING
        )

    def verify_all(self, station: str = "") -> list[ChainReport]:
        """:meth:`verify` for every stored day (of one station when given)."""
        station = check_station(station) if station.strip() else ""
        return [
            self.verify(s, d) for s, d in table.stored_days(self.db) if not station or s == station
        ]


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        row["station"], row["day"], row["seq"], row["at_ms"], row["kind"], row["officer"],
        row["text"], row["ref"], row["corrects"], row["source"], row["hash"],
    )  # fmt: skip
