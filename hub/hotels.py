"""Hotel Eye: hotel guests checked against the criminal records, alerts to the station.

Hotels are registered at the hub with the station of their area (``khidmat hotel add``).
A guest's stay arrives either from a hotel unit as a ``hotel-guest`` record (ingest calls
:meth:`HotelEye._on_guest` inside the ingest transaction) or from a hotel's own software
as a batch file (:mod:`hub.hotel_import`, ``khidmat hotel import``). Every new stay is
checked against the people on record whose status is in ``[watchlist] statuses``
(wanted, proclaimed offenders):

- by CNIC: the guest's CNIC, written any way (:func:`hub.names.cnic_digits`), equals a
  person's: a ``critical`` alert;
- by name, when the CNIC is nobody's on record: the transliteration-aware name keys
  (:func:`hub.names.name_key`) score at least ``[hotels] name_match_min`` (rapidfuzz): a
  ``warning`` alert, "possible match: check the guest's papers". (A guest whose CNIC is
  on record is who the CNIC says; a wanted namesake is not a second lead.)

Each match is kept as a hit and raises one console alert keyed ``hotel:<station>:<stay>:
<person>`` (kind ``hotel-hit``) naming the station of the hotel's area, the hotel, the
room and the person on record; the guest's CNIC and passport are not put in the alert.
Stays are kept ``[hotels] retention_days`` after check-in; :meth:`HotelEye.purge` (the
hub's ``hotel-purge`` duty, every ``purge_check_s``) deletes older stays and their hits
and blanks the payloads of older ``hotel-guest`` records. Logs name hotels and counts,
never a guest.

Thread-safety: as :class:`hub.store.HubStore`; the wanted-people index is rebuilt when
the records change (one query for its marker per check). Cost: one rapidfuzz pass over
the wanted people per stay (about 1 ms for 1,000 wanted).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass

from rapidfuzz import process

from hub.alerts import AlertBoard
from hub.names import cnic_digits, name_key, name_score
from hub.store import HubStore
from hub.store import hotels as table
from hub.store import people as people_table
from hub.store.hotels import Hit, HitView, Hotel, Stay
from khidmat_base.clock import SYSTEM_CLOCK, Clock
from khidmat_base.database import Connection
from khidmat_wire.codec import Envelope
from khidmat_wire.messages import HotelGuest
from khidmat_wire.vocabulary import HOTEL_ID, STATION

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
HIT_KIND = "hotel-hit"
HIT_KEY = "hotel:"
WANTED_STATUSES = ("wanted", "proclaimed-offender")
"""Who a guest is checked against when no ``[watchlist] statuses`` is given."""


@dataclass(frozen=True, slots=True)
class HotelSettings:
    """``[hotels]`` in hub.toml."""

    retention_days: float = 90.0
    purge_check_s: float = 3600.0
    name_match_min: float = 90.0
    """rapidfuzz score 0..100 of two name keys at which a possible-match alert is raised."""


class HotelError(ValueError):
    """A hotel that cannot be registered, or a stay for a hotel the hub does not know."""


@dataclass(frozen=True, slots=True)
class Match:
    person_id: str
    name: str
    status: str
    how: str
    """``cnic`` or ``name``."""
    score: float


@dataclass
class _Wanted:
    marker: tuple[int, int, int]
    by_cnic: dict[str, list[tuple[str, str, str]]]
    keys: list[str]
    people: list[tuple[str, str, str]]
    """(person_id, name, status), in the order of ``keys``."""


class HotelEye:
    """Hotel registrations, guest stays, their checks against the records, and retention."""

    def __init__(
        self,
        store: HubStore,
        alerts: AlertBoard,
        settings: HotelSettings | None = None,
        *,
        statuses: tuple[str, ...] = WANTED_STATUSES,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.db = store.db
        self.alerts = alerts
        self.settings = settings or HotelSettings()
        self.statuses = statuses
        self.clock = clock
        self._wanted: _Wanted | None = None
        self._lock = threading.Lock()
        table.migrate(self.db)
        people_table.migrate(self.db)

    def install(self) -> None:
        """Check every hotel unit's ``hotel-guest`` record in the ingest transaction."""
        self.store.add_handler("hotel-guest", self._on_guest)

    # ------------------------------------------------------------- hotels
    def register(self, hotel_id: str, *, name: str, station: str, device_id: str = "") -> bool:
        """Register a hotel (or change it); True when new. HotelError names a bad field."""
        if re.fullmatch(HOTEL_ID, hotel_id) is None:
            raise HotelError(f"hotel {hotel_id[:40]!r}: use 2-32 of A-Z, 0-9 and '-'")
        if re.fullmatch(STATION, station) is None:
            raise HotelError(f"station {station[:20]!r}: use 2-8 of A-Z and 0-9")
        if not name.strip() or len(name) > 100:
            raise HotelError("name: 1 to 100 characters")
        return table.put_hotel(
            self.db, hotel_id, name.strip(), station, device_id, self.clock.now_ms()
        )

    def hotel(self, hotel_id: str) -> Hotel | None:
        return table.hotel(self.db, hotel_id)

    def hotels(self) -> list[Hotel]:
        return table.hotels(self.db)

    def refusal(self, envelope: Envelope) -> str | None:
        """Why a unit's ``hotel-guest`` record must be refused (quarantined, not acked, so
        the unit keeps it until the hotel is registered), or None."""
        if envelope.kind != "hotel-guest":
            return None
        hotel = table.hotel(self.db, envelope.body.hotel)
        if hotel is None:
            return f"hotel {envelope.body.hotel!r} is not registered at the hub"
        if hotel.device_id and hotel.device_id != envelope.device_id:
            return f"unit {envelope.device_id} is not hotel {hotel.hotel_id}'s unit"
        return None

    # -------------------------------------------------------------- stays
    def _on_guest(self, conn: Connection, envelope: Envelope, now_ms: int) -> None:
        body: HotelGuest = envelope.body
        stay = Stay(
            stay_id=envelope.record_id,
            hotel_id=body.hotel,
            name=body.name,
            cnic=body.cnic,
            nationality=body.nationality,
            passport=body.passport,
            room=body.room,
            check_in_ms=body.check_in_ms,
            source=f"unit {envelope.device_id}",
            received_ms=now_ms,
        )
        self.check_in(conn, stay)

    def check_in(self, conn: Connection, stay: Stay) -> list[Hit] | None:
        """Keep a stay and check it (in the caller's transaction). None when the stay was
        already kept (a re-import); else the hits it raised alerts for (maybe none)."""
        hotel = table.hotel_in(conn, stay.hotel_id)
        if hotel is None:
            raise HotelError(f"hotel {stay.hotel_id!r} is not registered at the hub")
        if not table.insert_stay(conn, stay):
            return None
        hits: list[Hit] = []
        for match in self.matches(stay.name, stay.cnic):
            hit = Hit(stay.stay_id, match.person_id, match.how, match.score, hotel.station,
                      stay.received_ms)  # fmt: skip
            if table.insert_hit(conn, hit):
                hits.append(hit)
                self._alert(conn, hotel, stay, match)
        return hits

    def import_key(
        self, hotel_id: str, cnic: str, passport: str, check_in_ms: int, room: str
    ) -> str:
        """The stay id of an imported row: the same guest, check-in and room give the same id."""
        digest = hashlib.sha256(
            f"{hotel_id}|{cnic}|{passport}|{check_in_ms}|{room}".encode()
        ).hexdigest()
        return f"import:{hotel_id}:{digest[:24]}"

    def add_stays(self, stays: list[Stay]) -> tuple[int, int]:
        """Keep and check imported stays in one transaction: (new stays, hits)."""
        new = hits = 0
        with self.db.write() as conn:
            for stay in stays:
                found = self.check_in(conn, stay)
                if found is not None:
                    new += 1
                    hits += len(found)
        return new, hits

    # ------------------------------------------------------------ matching
    def matches(self, name: str, cnic: str) -> list[Match]:
        """People on record (of ``statuses``) this guest may be: the CNIC hits, or when
        the CNIC is nobody's on record, the name hits, best first."""
        wanted = self._index()
        found: dict[str, Match] = {}
        digits = cnic_digits(cnic)
        for person_id, person_name, status in wanted.by_cnic.get(digits, []) if digits else []:
            found[person_id] = Match(person_id, person_name, status, "cnic", 100.0)
        key = name_key(name)
        if found:
            # The CNIC names who the guest is; another wanted man of the same name is a
            # namesake, not a second lead. Without a CNIC hit a name hit stays a lead (a
            # wanted man may check in under someone else's CNIC).
            return list(found.values())
        if key and wanted.keys:
            for _, score, index in process.extract(
                key,
                wanted.keys,
                scorer=lambda a, b, **_: name_score(a, b),
                score_cutoff=self.settings.name_match_min,
                limit=10,
            ):
                person_id, person_name, status = wanted.people[index]
                if person_id not in found:
                    found[person_id] = Match(person_id, person_name, status, "name", float(score))
        return list(found.values())

    def _index(self) -> _Wanted:
        marker = people_table.change_marker(self.db)
        with self._lock:
            if self._wanted is not None and self._wanted.marker == marker:
                return self._wanted
            by_cnic: dict[str, list[tuple[str, str, str]]] = {}
            keys: list[str] = []
            people: list[tuple[str, str, str]] = []
            for row in people_table.with_status(self.db, self.statuses):
                person = (row["person_id"], row["name"], row["status"])
                digits = cnic_digits(row["cnic"])
                if digits:
                    by_cnic.setdefault(digits, []).append(person)
                keys.append(name_key(row["name"]))
                people.append(person)
            self._wanted = _Wanted(marker, by_cnic, keys, people)
            return self._wanted

    def _alert(self, conn: Connection, hotel: Hotel, stay: Stay, match: Match) -> None:
        cnic = match.how == "cnic"
        title = (
            f"Hotel Eye: {match.status} person {match.name} at {hotel.name} (room {stay.room})"
            if cnic
            else f"Hotel Eye: possible match for {match.name} at {hotel.name} (room {stay.room})"
        )
        detail = (
            f"station {hotel.station}: guest of hotel {hotel.hotel_id} checked in "
            f"{_utc(stay.check_in_ms)} UTC, room {stay.room}, "
            + (
                f"has the CNIC of {match.person_id} ({match.status}). Send officers."
                if cnic
                else f"name is like {match.person_id} ({match.status}; score {match.score:.0f}). "
                "Check the guest's papers before acting."
            )
        )
        self.alerts.raise_alert(
            f"{HIT_KEY}{hotel.station}:{stay.stay_id}:{match.person_id}",
            HIT_KIND,
            "critical" if cnic else "warning",
            hotel.device_id or f"hotel-{hotel.hotel_id.lower()}",
            title[:200],
            detail,
            conn=conn,
        )
        log.info("hotel hit at %s (%s match), station %s", hotel.hotel_id, match.how, hotel.station)

    # ------------------------------------------------------------ retention
    def purge(self, now_ms: int | None = None) -> int:
        """Drop stays older than the retention period (and their hits, and the payloads of
        older ``hotel-guest`` records); returns the stays dropped."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        before = now - int(self.settings.retention_days * DAY_MS)
        with self.db.write() as conn:
            dropped = table.purge(conn, before)
            blanked = HubStore.drop_payloads(conn, "hotel-guest", before)
        if dropped or blanked:
            log.info("hotel stays past retention dropped: %d stays, %d records", dropped, blanked)
        return dropped

    # ---------------------------------------------------------------- reads
    def stays(self, *, hotel_id: str = "", limit: int = 1000) -> list[Stay]:
        return table.stays(self.db, hotel_id=hotel_id, limit=limit)

    def stay_count(self) -> int:
        return table.stay_count(self.db)

    def hits(self, *, limit: int = 1000) -> list[Hit]:
        return table.hits(self.db, limit=limit)

    def hit_views(self, *, station: str = "", limit: int = 500) -> list[HitView]:
        """Hits as the station officer reads them (no guest CNIC or passport)."""
        return table.hit_views(self.db, station=station, limit=limit)

    def stays_per_hotel(self) -> dict[str, int]:
        return table.stays_per_hotel(self.db)


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000))
