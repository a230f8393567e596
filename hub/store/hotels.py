"""Hotel Eye tables of the hub database: ``hotels``, ``hotel_stays`` and ``hotel_hits``.

The schema, its migrations and every query on these tables; :mod:`hub.hotels` runs the
workflow over them. A hotel is registered at the hub with the station of its area (and,
when it reports through a hotel unit, that unit's device id). A stay is one guest's
check-in, from a hotel unit's ``hotel-guest`` record (``stay_id`` = the record id) or a
hotel's batch file (``stay_id`` = ``import:`` and a digest of the row, so importing the
same file twice stores each stay once). A hit is a stay matched to a person on record.
Stays and their hits are deleted ``retention`` after check-in (:func:`purge`).

Functions taking a ``conn`` run inside the caller's write transaction; functions taking a
``db`` read on their own. Thread-safety: as :class:`khidmat_base.sqlite.Database`. Cost:
one indexed statement per call; :func:`purge` one statement per table.
"""

from __future__ import annotations

from dataclasses import dataclass

from khidmat_base.database import Connection
from khidmat_base.sqlite import Database

COMPONENT = "hub.hotels"
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE hotels (
        hotel_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        station TEXT NOT NULL,
        device_id TEXT NOT NULL DEFAULT '',
        added_ms INTEGER NOT NULL
    );
    CREATE TABLE hotel_stays (
        stay_id TEXT PRIMARY KEY,
        hotel_id TEXT NOT NULL,
        name TEXT NOT NULL,
        cnic TEXT NOT NULL,
        nationality TEXT NOT NULL,
        passport TEXT NOT NULL,
        room TEXT NOT NULL,
        check_in_ms INTEGER NOT NULL,
        source TEXT NOT NULL,
        received_ms INTEGER NOT NULL
    );
    CREATE INDEX hotel_stays_check_in ON hotel_stays (check_in_ms);
    CREATE INDEX hotel_stays_hotel ON hotel_stays (hotel_id, check_in_ms);
    CREATE TABLE hotel_hits (
        stay_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        how TEXT NOT NULL,
        score REAL NOT NULL,
        station TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (stay_id, person_id)
    )
    """,
)


@dataclass(frozen=True, slots=True)
class Hotel:
    hotel_id: str
    name: str
    station: str
    device_id: str
    added_ms: int


@dataclass(frozen=True, slots=True)
class Stay:
    """One guest's check-in as the hub keeps it (until the retention period ends)."""

    stay_id: str
    hotel_id: str
    name: str
    cnic: str
    nationality: str
    passport: str
    room: str
    check_in_ms: int
    source: str
    received_ms: int


@dataclass(frozen=True, slots=True)
class Hit:
    stay_id: str
    person_id: str
    how: str
    """``cnic`` (the CNIC is on record) or ``name`` (a fuzzy name match)."""
    score: float
    station: str
    at_ms: int


def migrate(db: Database) -> None:
    db.migrate(COMPONENT, MIGRATIONS)


# ------------------------------------------------------------------- writes


def put_hotel(
    db: Database, hotel_id: str, name: str, station: str, device_id: str, now_ms: int
) -> bool:
    """Register a hotel or change its name, station or unit; True when it is new."""
    with db.write() as conn:
        new = (
            conn.execute("SELECT 1 FROM hotels WHERE hotel_id = ?", (hotel_id,)).fetchone() is None
        )
        conn.execute(
            "INSERT INTO hotels (hotel_id, name, station, device_id, added_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(hotel_id) DO UPDATE SET name = excluded.name, "
            "station = excluded.station, device_id = excluded.device_id",
            (hotel_id, name, station, device_id, now_ms),
        )
    return new


def insert_stay(conn: Connection, stay: Stay) -> bool:
    """Keep a stay; False (nothing written) when a stay with this id is already kept."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO hotel_stays VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stay.stay_id,
            stay.hotel_id,
            stay.name,
            stay.cnic,
            stay.nationality,
            stay.passport,
            stay.room,
            stay.check_in_ms,
            stay.source,
            stay.received_ms,
        ),
    )
    return cursor.rowcount == 1


def insert_hit(conn: Connection, hit: Hit) -> bool:
    """Record a hit; False when this stay was already matched to this person."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO hotel_hits VALUES (?, ?, ?, ?, ?, ?)",
        (hit.stay_id, hit.person_id, hit.how, hit.score, hit.station, hit.at_ms),
    )
    return cursor.rowcount == 1


def purge(conn: Connection, before_ms: int) -> int:
    """Delete the stays that checked in before ``before_ms`` and their hits; returns stays."""
    conn.execute(
        "DELETE FROM hotel_hits WHERE stay_id IN "
        "(SELECT stay_id FROM hotel_stays WHERE check_in_ms < ?)",
        (before_ms,),
    )
    return conn.execute("DELETE FROM hotel_stays WHERE check_in_ms < ?", (before_ms,)).rowcount


# -------------------------------------------------------------------- reads


_HOTEL_SQL = "SELECT hotel_id, name, station, device_id, added_ms FROM hotels WHERE hotel_id = ?"


def hotel(db: Database, hotel_id: str) -> Hotel | None:
    rows = db.query(_HOTEL_SQL, (hotel_id,))
    return Hotel(*rows[0]) if rows else None


def hotel_in(conn: Connection, hotel_id: str) -> Hotel | None:
    """:func:`hotel` inside the caller's transaction."""
    row = conn.execute(_HOTEL_SQL, (hotel_id,)).fetchone()
    return None if row is None else Hotel(*row)


def hotels(db: Database) -> list[Hotel]:
    return [
        Hotel(*r)
        for r in db.query(
            "SELECT hotel_id, name, station, device_id, added_ms FROM hotels ORDER BY hotel_id"
        )
    ]


def stays(db: Database, *, hotel_id: str = "", limit: int = 1000) -> list[Stay]:
    """Stays kept, newest check-in first (of one hotel when ``hotel_id``)."""
    where, params = ("WHERE hotel_id = ?", (hotel_id,)) if hotel_id else ("", ())
    return [
        Stay(*r)
        for r in db.query(
            f"SELECT * FROM hotel_stays {where} ORDER BY check_in_ms DESC LIMIT ?",
            (*params, limit),
        )
    ]


def stay_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM hotel_stays") or 0)


def hits(db: Database, *, limit: int = 1000) -> list[Hit]:
    """Hits kept, newest first."""
    return [
        Hit(*r)
        for r in db.query(
            "SELECT stay_id, person_id, how, score, station, at_ms FROM hotel_hits "
            "ORDER BY at_ms DESC LIMIT ?",
            (limit,),
        )
    ]


@dataclass(frozen=True, slots=True)
class HitView:
    """A hit as the station officer reads it: where, when, who checked in, whom it matches."""

    hotel_id: str
    hotel_name: str
    station: str
    room: str
    check_in_ms: int
    guest_name: str
    person_id: str
    person_name: str
    status: str
    how: str
    score: float
    at_ms: int


def hit_views(db: Database, *, station: str = "", limit: int = 500) -> list[HitView]:
    """Hits with their stay, hotel and person on record, newest first (of one station
    when ``station``). The guest's CNIC and passport are not part of it."""
    where, params = ("WHERE h.station = ?", (station,)) if station else ("", ())
    return [
        HitView(*r)
        for r in db.query(
            "SELECT s.hotel_id, coalesce(t.name, s.hotel_id), h.station, s.room, s.check_in_ms, "
            "s.name, h.person_id, coalesce(p.name, ''), coalesce(p.status, ''), h.how, h.score, "
            "h.at_ms FROM hotel_hits h JOIN hotel_stays s ON s.stay_id = h.stay_id "
            "LEFT JOIN hotels t ON t.hotel_id = s.hotel_id "
            f"LEFT JOIN people p ON p.person_id = h.person_id {where} "
            "ORDER BY h.at_ms DESC LIMIT ?",
            (*params, limit),
        )
    ]


def stays_per_hotel(db: Database) -> dict[str, int]:
    """hotel id -> stays kept."""
    return {
        r[0]: r[1] for r in db.query("SELECT hotel_id, count(*) FROM hotel_stays GROUP BY hotel_id")
    }
