"""The licensing branch's file of driving-licence applications and their statuses.

CSV (UTF-8, header row, column order free) or JSON (``.json``: a list of objects with the
same keys, or ``{"rows": [...]}``); one row per status an application reached::

    token,cnic,name,mobile,licence_class,status,status_at,note,language
    QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,applied,2026-12-01 10:00,,en
    QTA-2026004512,54400-1234567-1,Gul Khan,0300-1234567,LTV,test-passed,2026-12-04 12:30,,en

- ``token``: the application's token on the citizen's receipt (``QTA-2026004512``);
- ``cnic``: the applicant's, 13 digits (dashes optional, Urdu digits accepted);
- ``name``: the applicant's (1-100 characters; kept at the hub, never sent to a kiosk);
- ``mobile``: for status texts, ``03XX-XXXXXXX`` (``03XXXXXXXXX`` and ``+923XXXXXXXXX``
  accepted); empty: no texts;
- ``licence_class``: e.g. ``LTV``, ``M/CYCLE``, ``HTV`` (1-40 characters);
- ``status``: one of khidmat_wire.vocabulary.LICENCE_STATUSES (``applied``,
  ``documents-verified``, ``test-scheduled``, ``test-passed``, ``test-failed``,
  ``approved``, ``printing``, ``ready``, ``collected``, ``refused``);
- ``status_at``: when, ``YYYY-MM-DD HH:MM`` Pakistan time or ISO 8601 with a zone;
- ``note`` (optional): what the citizen is told with this step (up to 300 characters);
- ``language`` (optional): ``en`` (default) or ``ur``, the language of the texts.

The token, CNIC, status, time and note are checked by the wire codec with the very
definitions the kiosk's lookup and the hub's answer use (``LicenceLookup``,
``LicenceStep``). A bad row is reported as ``(line, column: what is wrong)`` without its
values; the good rows are stored in one transaction (:meth:`hub.licences.LicenceOffice.apply`),
each new latest status texting the applicant once.
"""

from __future__ import annotations

import re
from pathlib import Path

from hub.import_rows import RowError, RowReport, field_error, parse_time, read_rows
from hub.licences import ApplyReport, LicenceOffice, LicenceRow
from hub.names import cnic_digits, format_cnic
from khidmat_wire import WireError
from khidmat_wire.codec import build
from khidmat_wire.messages import LicenceLookup, LicenceStep
from khidmat_wire.vocabulary import is_mobile

REQUIRED_COLUMNS = ("token", "cnic", "name", "mobile", "licence_class", "status", "status_at")
COLUMNS = {"at_ms": "status_at"}
_MOBILE_DIGITS = re.compile(r"(?:\+92|0092|0)?(3[0-9]{9})")


class LicenceImportReport(RowReport):
    applied: ApplyReport

    def __init__(self) -> None:
        super().__init__()
        self.applied = ApplyReport()


def mobile_form(text: str) -> str:
    """``03XX-XXXXXXX`` from a mobile as written, ``""`` for none; RowError when unusable."""
    compact = re.sub(r"[\s\-()]", "", text)
    if not compact:
        return ""
    match = _MOBILE_DIGITS.fullmatch(compact)
    number = f"0{match.group(1)[:3]}-{match.group(1)[3:]}" if match else ""
    if not is_mobile(number):
        raise RowError("mobile: must be a mobile number like 0300-1234567")
    return number


def licence_row(row: dict[str, str]) -> LicenceRow:
    """One validated row; RowError names the column that is wrong."""
    if "__error__" in row:
        raise RowError(f"row: {row['__error__']}")
    digits = cnic_digits(row.get("cnic", ""))
    if not digits:
        raise RowError("cnic: must be 13 digits (dashes and spaces may be left out)")
    name = " ".join(row.get("name", "").split())
    if not name or len(name) > 100:
        raise RowError("name: 1 to 100 characters")
    licence_class = row.get("licence_class", "")
    if not licence_class or len(licence_class) > 40:
        raise RowError("licence_class: 1 to 40 characters")
    language = row.get("language", "") or "en"
    if language not in ("en", "ur"):
        raise RowError("language: en or ur")
    try:
        lookup = build(
            LicenceLookup, {"token": row.get("token", "").upper(), "cnic": format_cnic(digits)}
        )
        step = build(
            LicenceStep,
            {
                "status": row.get("status", "").lower(),
                "at_ms": parse_time(row.get("status_at", ""), "status_at"),
                "note": " ".join(row.get("note", "").split()),
            },
        )
    except WireError as error:
        raise field_error(error, COLUMNS) from None
    return LicenceRow(
        token=lookup.token, cnic=lookup.cnic, name=name, mobile=mobile_form(row.get("mobile", "")),
        licence_class=licence_class, language=language, status=step.status, at_ms=step.at_ms,
        note=step.note,
    )  # fmt: skip


def import_licences(office: LicenceOffice, path: str | Path) -> LicenceImportReport:
    """Import the branch's file; :class:`hub.import_rows.ImportFileError` when the file as a
    whole cannot be read."""
    path = Path(path)
    rows = read_rows(path, REQUIRED_COLUMNS)
    report = LicenceImportReport()
    report.rows = len(rows)
    good: list[LicenceRow] = []
    for line, row in rows:
        try:
            good.append(licence_row(row))
        except RowError as error:
            report.errors.append((line, str(error)))
    report.accepted = len(good)
    if good:
        report.applied = office.apply(good, source=f"import {path.name}")
    return report
