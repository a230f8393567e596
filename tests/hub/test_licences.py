"""Driving-licence imports at the hub: row validation, steps once, texts once, lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.import_rows import ImportFileError, RowError
from hub.licence_import import import_licences, mobile_form
from hub.licences import LicenceOffice
from hub.sms.outbox import SmsOutbox, SmsSettings
from hub.store import HubStore

HEADER = "token,cnic,name,mobile,licence_class,status,status_at,note,language\n"


@pytest.fixture
def office(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    sms = SmsOutbox(store, SmsSettings(quiet_from_h=0, quiet_to_h=0))
    try:
        yield LicenceOffice(store, sms), sms, store
    finally:
        store.close()


def test_rows_are_checked_one_by_one_and_good_ones_kept(office, tmp_path: Path) -> None:
    licences, sms, _ = office
    path = tmp_path / "branch.csv"
    path.write_text(HEADER + "\n".join([
        "QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,applied,2026-12-01 10:00,,en",
        "qta-2026004512,5440012345671,Gul Khan,03001234567,LTV,test-passed,2026-12-04 12:30,,en",
        "QTA-2026004513,54400-1234567,Sher Khan,0300-1234567,LTV,applied,2026-12-01 10:00,,",
        "QTA2026,54400-1234567-2,Ali,0300-1234567,LTV,applied,2026-12-01 10:00,,",
        "QTA-2026004514,54400-1234567-3,Ali,0300-1234567,LTV,lost,2026-12-01 10:00,,",
        "QTA-2026004515,54400-1234567-4,Ali,99887,LTV,applied,2026-12-01 10:00,,",
        "QTA-2026004516,۵۴۴۰۰۱۲۳۴۵۶۷۵,علی,+923001234567,M/CYCLE,applied,2026-12-02 09:00,,ur",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    report = import_licences(licences, path)
    assert (report.rows, report.accepted) == (7, 3)
    assert [line for line, _ in report.errors] == [4, 5, 6, 7]
    reasons = [r.split(":")[0] for _, r in report.errors]
    assert reasons == ["cnic", "token", "status", "mobile"]
    assert "Sher" not in str(report.errors) and "99887" not in str(report.errors)
    assert report.applied.applications == 2 and report.applied.steps == 3
    assert licences.application("QTA-2026004512").status == "test-passed"
    urdu = licences.application("QTA-2026004516")
    assert urdu.cnic == "54400-1234567-5" and urdu.mobile == "0300-1234567"
    texts = {t["tracking_no"]: t["text"] for t in sms.texts()}
    assert "ڈرائیونگ لائسنس" in texts["QTA-2026004516"]
    # the same file again adds no step and no text
    again = import_licences(licences, path)
    assert again.applied.steps == 0 and again.applied.texts == 0
    assert len(sms.texts()) == report.applied.texts


def test_an_older_status_arriving_late_does_not_replace_the_newer(office, tmp_path: Path) -> None:
    licences, sms, _ = office
    late = tmp_path / "late.json"
    late.write_text(json.dumps([
        {"token": "QTA-2026000001", "cnic": "54400-1111111-1", "name": "A", "mobile": "",
         "licence_class": "LTV", "status": "ready", "status_at": "2026-12-05 10:00"},
        {"token": "QTA-2026000001", "cnic": "54400-1111111-1", "name": "A", "mobile": "",
         "licence_class": "LTV", "status": "approved", "status_at": "2026-12-04 10:00"},
        "not an object",
    ]), encoding="utf-8")  # fmt: skip
    report = import_licences(licences, late)
    assert report.accepted == 2 and report.errors == [(3, "row: is not an object")]
    assert licences.application("QTA-2026000001").status == "ready"
    assert [s.status for s in licences.steps("QTA-2026000001")] == ["approved", "ready"]
    assert sms.texts() == []  # no mobile: no texts


def test_a_file_that_is_not_a_branch_file_is_refused_whole(office, tmp_path: Path) -> None:
    licences, _, _ = office
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportFileError):
        import_licences(licences, bad)
    other = tmp_path / "x.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing columns"):
        import_licences(licences, other)


def test_lookups_answer_only_with_the_right_cnic(office, tmp_path: Path) -> None:
    licences, _, store = office
    path = tmp_path / "b.csv"
    path.write_text(HEADER + "QTA-2026004512,54400-1234567-1,Gul Khan,,LTV,approved,"
                    "2026-12-01 10:00,Collect from window 3,en\n", encoding="utf-8")  # fmt: skip
    import_licences(licences, path)
    request = "019ad3a4-5f1e-7c2a-9b1e-0c8f6a2d4e11"
    with store.db.write() as conn:
        right = licences.status_for(conn, "QTA-2026004512", "54400-1234567-1", request)
        wrong = licences.status_for(conn, "QTA-2026004512", "54400-1234567-9", request)
        unknown = licences.status_for(conn, "QTA-2026009999", "54400-1234567-1", request)
    assert right.found and right.status == "approved"
    assert right.history[0].note == "Collect from window 3"
    assert wrong == unknown.__class__(wrong.token, request, False, "applied", "", ())
    assert not unknown.found and unknown.history == ()


@pytest.mark.parametrize(
    ("typed", "form"),
    [("0300-1234567", "0300-1234567"), ("03001234567", "0300-1234567"),
     ("+92 300 1234567", "0300-1234567"), ("", "")],
)  # fmt: skip
def test_mobile_numbers_as_written(typed: str, form: str) -> None:
    assert mobile_form(typed) == form


def test_a_landline_is_not_a_mobile() -> None:
    with pytest.raises(RowError):
        mobile_form("081-2345678")


def test_urdu_licence_status_names_are_the_desks_own() -> None:
    from hub.sms.texts import URDU_LICENCE_STATUS_NAMES
    from khidmat_wire.vocabulary import LICENCE_STATUS_NAMES
    from kiosk.i18n import parse_po

    po = Path(__file__).parents[2] / "kiosk/locale/ur/LC_MESSAGES/kiosk.po"
    catalog = parse_po(po.read_text(encoding="utf-8"))
    assert URDU_LICENCE_STATUS_NAMES == {n: catalog[n] for n in LICENCE_STATUS_NAMES.values()}
