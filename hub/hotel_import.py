"""A hotel's guest register as a file: validated row by row, good rows kept, bad ones named.

For hotels whose own software keeps the register (no hotel unit at the desk). CSV, UTF-8,
a header row, column order free (docs/station.md has an example)::

    name,cnic,nationality,passport,room,check_in
    Muhammad Akram,54400-9876543-1,PK,,12,2026-12-05 14:30
    محمد اکرم,۵۴۴۰۰۹۸۷۶۵۴۳۱,PK,,14,2026-12-05 15:10
    John Smith,,GB,123456789,B-204,2026-12-05T09:00+05:00

- ``name``: as on the guest's papers, English or Urdu (1-100 characters);
- ``cnic``: 13 digits, dashes and spaces optional, Urdu digits accepted; required for a
  Pakistani guest, may be empty for a foreign one;
- ``nationality``: ISO 3166-1 two-letter code (``PK``, ``AF``, ``GB``; lower case accepted);
- ``passport``: required for a foreign guest (letters and digits; spaces dropped);
- ``room``: as the hotel writes it (1-16 of letters, digits, space, ``.``, ``/``, ``-``);
- ``check_in``: ``YYYY-MM-DD HH:MM`` in Pakistan time, or ISO 8601 with a zone.

Each row is made into the same ``HotelGuest`` body a hotel unit sends and checked by the
wire codec (khidmat_wire.messages.HotelGuest: one definition of a valid guest), after
writing-form fixes (CNIC dashes, Urdu digits, case). A bad row is reported as ``(line,
column: what is wrong)`` without its values and skipped; every good row is kept and checked
against the records in one transaction; a row already imported (same hotel, papers,
check-in and room) is counted, not stored twice. Cost: about 1 ms per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.hotels import HotelError, HotelEye
from hub.import_rows import (
    ImportFileError,
    RowError,
    RowReport,
    field_error,
    parse_time,
    read_rows,
)
from hub.names import cnic_digits, format_cnic
from hub.store.hotels import Stay
from khidmat_base.clock import SYSTEM_CLOCK, Clock
from khidmat_wire import WireError
from khidmat_wire.codec import build
from khidmat_wire.messages import HotelGuest

REQUIRED_COLUMNS = ("name", "cnic", "nationality", "passport", "room", "check_in")
COLUMNS = {"check_in_ms": "check_in"}
"""Body field -> the file's column, where they differ."""


@dataclass
class HotelImportReport(RowReport):
    new: int = 0
    """Stays the hub did not have before."""
    hits: int = 0
    """Alerts raised for guests matching people on record."""


def guest_from_row(hotel_id: str, row: dict[str, str]) -> HotelGuest:
    """The ``HotelGuest`` body of one row; RowError names the column that is wrong."""
    if "__error__" in row:
        raise RowError(f"row: {row['__error__']}")
    cnic_text = row.get("cnic", "")
    digits = cnic_digits(cnic_text)
    if cnic_text and not digits:
        raise RowError("cnic: must be 13 digits (dashes and spaces may be left out)")
    raw = {
        "hotel": hotel_id,
        "name": " ".join(row.get("name", "").split()),
        "cnic": format_cnic(digits) if digits else "",
        "nationality": row.get("nationality", "").upper(),
        "passport": "".join(row.get("passport", "").split()).upper(),
        "check_in_ms": parse_time(row.get("check_in", ""), "check_in"),
        "room": row.get("room", ""),
    }
    if not raw["name"]:
        raise RowError("name: missing")
    try:
        return build(HotelGuest, raw)
    except WireError as error:
        raise field_error(error, COLUMNS) from None


def import_guests(
    eye: HotelEye, path: str | Path, *, hotel_id: str, clock: Clock = SYSTEM_CLOCK
) -> HotelImportReport:
    """Import a hotel's file; ImportFileError when the file as a whole cannot be read,
    HotelError when the hotel is not registered."""
    path = Path(path)
    hotel = eye.hotel(hotel_id)
    if hotel is None:
        raise HotelError(f"hotel {hotel_id!r} is not registered (khidmat hotel add)")
    rows = read_rows(path, REQUIRED_COLUMNS)
    report = HotelImportReport(rows=len(rows))
    now = clock.now_ms()
    stays: list[Stay] = []
    for line, row in rows:
        try:
            guest = guest_from_row(hotel_id, row)
        except RowError as error:
            report.errors.append((line, str(error)))
            continue
        stays.append(
            Stay(
                stay_id=eye.import_key(
                    hotel_id, guest.cnic, guest.passport, guest.check_in_ms, guest.room
                ),
                hotel_id=hotel_id,
                name=guest.name,
                cnic=guest.cnic,
                nationality=guest.nationality,
                passport=guest.passport,
                room=guest.room,
                check_in_ms=guest.check_in_ms,
                source=f"import {path.name}:{line}",
                received_ms=now,
            )
        )
    report.accepted = len(stays)
    if stays:
        report.new, report.hits = eye.add_stays(stays)
    return report


__all__ = ["HotelImportReport", "ImportFileError", "guest_from_row", "import_guests"]
