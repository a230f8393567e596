"""Hotel Eye at the hub: the batch file, the checks against the records, alerts, retention.

Real SQLite files; the clock is a SettableClock where time matters (retention).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.alerts import AlertBoard
from hub.hotel_import import import_guests
from hub.hotels import DAY_MS, HIT_KIND, HotelError, HotelEye, HotelSettings
from hub.import_rows import ImportFileError
from hub.records import RecordStore
from hub.store import HubStore
from khidmat_base.clock import SettableClock

NOW_MS = 1_796_000_000_000  # 2026-11-30


@pytest.fixture
def hub(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    records = RecordStore(store)
    for name, cnic, status in (
        ("Muhammad Akram", "54400-9876543-1", "wanted"),
        ("Zahid Hussain", "54301-1231231-1", "proclaimed-offender"),
        ("Gul Khan", "54400-7777777-1", "released"),  # not wanted: never an alert
    ):
        records.upsert_person(
            person_id=None, name=name, father_name="-", cnic=cnic, offences=["PPC 392"],
            status=status, source="test", actor="CRO", templates=[],
        )  # fmt: skip
    clock = SettableClock(NOW_MS)
    alerts = AlertBoard(store)
    eye = HotelEye(store, alerts, HotelSettings(retention_days=30), clock=clock)
    eye.register("QTA-SERENA", name="Serena Hotel", station="QTA01")
    try:
        yield eye, alerts, clock
    finally:
        store.close()


def _write(tmp_path: Path, rows: list[str], name: str = "guests.csv") -> Path:
    path = tmp_path / name
    path.write_text("name,cnic,nationality,passport,room,check_in\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")  # fmt: skip
    return path


def test_good_rows_are_kept_bad_rows_named_by_line(hub, tmp_path: Path, caplog) -> None:
    eye, alerts, clock = hub
    caplog.set_level(logging.DEBUG)
    path = _write(tmp_path, [
        "Ayesha Bibi,42101-1234567-1,PK,,12,2026-11-30 10:00",          # 2: good
        "Hamid Raza,4210112345,PK,,14,2026-11-30 10:05",                 # 3: CNIC short
        "John Smith,,GB,,B-204,2026-11-30 09:00",                        # 4: no passport
        "Ali Ahmad,,PK,,15,2026-11-30 11:00",                            # 5: no CNIC
        "Wang Lei,,cn,E 1234 5678,16,2026-11-30T09:30+05:00",            # 6: good
        "Sara Khan,35202-7654321-1,PK,,17,yesterday",                    # 7: bad time
        "Bilal Shah,35202-1111111-1,PK,,<script>,2026-11-30 12:00",      # 8: bad room
    ])  # fmt: skip
    report = import_guests(eye, path, hotel_id="QTA-SERENA", clock=clock)
    assert (report.rows, report.accepted, report.new) == (7, 2, 2)
    assert [line for line, _ in report.errors] == [3, 4, 5, 7, 8]
    reasons = dict(report.errors)
    assert reasons[3].startswith("cnic:") and reasons[4].startswith("passport:")
    assert reasons[5].startswith("cnic:") and reasons[7].startswith("check_in:")
    assert reasons[8].startswith("room:")
    stays = {s.name: s for s in eye.stays()}
    assert set(stays) == {"Ayesha Bibi", "Wang Lei"}
    assert stays["Wang Lei"].passport == "E12345678" and stays["Wang Lei"].nationality == "CN"
    assert stays["Ayesha Bibi"].check_in_ms == 1_796_014_800_000  # 10:00 PKT is 05:00 UTC
    # no personal data in the errors or the log
    said = " ".join(r for _, r in report.errors) + caplog.text
    for value in ("Hamid", "4210112345", "John Smith", "35202", "Sara", "Bilal", "E 1234"):
        assert value not in said
    # the same file again stores nothing twice
    again = import_guests(eye, path, hotel_id="QTA-SERENA", clock=clock)
    assert (again.accepted, again.new) == (2, 0) and eye.stay_count() == 2
    assert not alerts.list(kind=HIT_KIND)


def test_wanted_guests_raise_alerts_to_the_hotels_station(hub, tmp_path: Path) -> None:
    eye, alerts, clock = hub
    path = _write(tmp_path, [
        "Mohammad Akram,۵۴۴۰۰۹۸۷۶۵۴۳۱,PK,,21,2026-11-30 20:00",   # CNIC in Urdu digits
        "زاہد حسین,35202-0000000-1,PK,,22,2026-11-30 20:10",       # Urdu name, other CNIC
        "Gul Khan,54400-7777777-1,PK,,23,2026-11-30 20:20",        # on record, released
        "Ayesha Bibi,42101-1234567-1,PK,,24,2026-11-30 20:30",     # nobody
    ])  # fmt: skip
    report = import_guests(eye, path, hotel_id="QTA-SERENA", clock=clock)
    assert report.errors == [] and report.hits == 2
    hits = {h.how: h for h in eye.hits()}
    assert set(hits) == {"cnic", "name"}
    assert all(h.station == "QTA01" for h in hits.values())
    raised = {a.severity: a for a in alerts.list(kind=HIT_KIND)}
    assert set(raised) == {"critical", "warning"}
    critical = raised["critical"]
    assert critical.key.startswith("hotel:QTA01:")
    assert "Muhammad Akram" in critical.title and "room 21" in critical.title
    assert "station QTA01" in critical.detail
    assert "۵۴۴۰۰" not in critical.detail and "9876543" not in critical.detail
    assert "possible match for Zahid Hussain" in raised["warning"].title
    # importing again raises nothing new
    assert import_guests(eye, path, hotel_id="QTA-SERENA", clock=clock).hits == 0
    assert len(alerts.list(kind=HIT_KIND)) == 2


def test_stays_are_dropped_after_the_retention_period(hub, tmp_path: Path) -> None:
    eye, _, clock = hub
    path = _write(tmp_path, [
        "Mohammad Akram,54400-9876543-1,PK,,21,2026-11-01 20:00",
        "Ayesha Bibi,42101-1234567-1,PK,,24,2026-11-29 20:30",
    ])  # fmt: skip
    import_guests(eye, path, hotel_id="QTA-SERENA", clock=clock)
    assert eye.stay_count() == 2 and len(eye.hits()) == 1
    assert eye.purge() == 0  # 2026-11-01 is 29 days before now: kept
    clock.advance(2 * DAY_MS)
    assert eye.purge() == 1
    assert [s.name for s in eye.stays()] == ["Ayesha Bibi"] and eye.hits() == []
    clock.advance(30 * DAY_MS)
    assert eye.purge() == 1 and eye.stay_count() == 0


def test_a_file_or_hotel_that_cannot_be_used_is_refused_whole(hub, tmp_path: Path) -> None:
    eye, _, clock = hub
    with pytest.raises(HotelError):
        import_guests(eye, _write(tmp_path, []), hotel_id="NO-SUCH", clock=clock)
    bad = tmp_path / "bad.csv"
    bad.write_text("guest,room\nA,1\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing columns"):
        import_guests(eye, bad, hotel_id="QTA-SERENA", clock=clock)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ImportFileError):
        import_guests(eye, binary, hotel_id="QTA-SERENA", clock=clock)
    with pytest.raises(HotelError):
        eye.register("bad id!", name="x", station="QTA01")


def test_a_cnic_hit_is_not_doubled_by_a_namesake(hub, tmp_path: Path) -> None:
    eye, alerts, clock = hub
    RecordStore(eye.store).upsert_person(
        name="Mohammad Akram", father_name="-", cnic="54400-1111111-1", offences=["PPC 379"],
        status="wanted", source="test", actor="CRO",
    )  # fmt: skip
    (akram,) = [m for m in eye.matches("x", "54400-9876543-1")]
    assert akram.how == "cnic"
    # the CNIC says which Akram: the namesake is no second lead
    assert [m.person_id for m in eye.matches("Muhammad Akram", "54400-9876543-1")] == [
        akram.person_id
    ]
    # under a CNIC nobody on record has, both Akrams are leads by name
    leads = eye.matches("محمد اکرم", "35202-0000000-1")
    assert len(leads) == 2 and {m.how for m in leads} == {"name"}


def test_a_units_guest_record_is_blanked_with_its_stay(hub, tmp_path: Path) -> None:
    """The unit path: the ingest stores the record and the stay; past the retention period
    the purge drops the stay and blanks the record's payload (its id stays known)."""
    import time

    from hub.ingest import Ingestor
    from khidmat_wire import encode, make_envelope
    from khidmat_wire.messages import HotelGuest

    eye, _, _ = hub
    eye.install()
    now = int(time.time() * 1000)
    envelope = make_envelope(
        "hotel-guest",
        "hotel-1",
        HotelGuest("QTA-SERENA", "Ali Raza", "42101-7654321-1", "PK", "", now, "5"),  # fmt: skip
    )
    ingestor = Ingestor(eye.store, lambda topic, payload: True)
    result = ingestor.process([("khidmat/v1/dev/hotel-1/up/hotel-guest", encode(envelope))])
    assert result.stored == 1 and eye.stay_count() == 1
    assert eye.purge(now_ms=now + 29 * DAY_MS) == 0
    assert eye.purge(now_ms=now + 31 * DAY_MS) == 1
    rows = eye.store.db.query(
        "SELECT payload FROM records WHERE record_id = ?", (envelope.record_id,)
    )
    assert [r[0] for r in rows] == [""]
    again = ingestor.process([("khidmat/v1/dev/hotel-1/up/hotel-guest", encode(envelope))])
    assert again.duplicates == 1 and eye.stay_count() == 0  # a re-send is known, not re-kept
