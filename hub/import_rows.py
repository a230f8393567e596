"""What the hub's import files share: rows with their line numbers, times, field errors.

A file from another office (a hotel's software, the licensing branch) is read whole into
rows that keep the line each came from, so every error says where: ``line 7: cnic: ...``.
Errors never repeat a field's value (a CNIC or a name must not reach a terminal log).
Pure functions; thread-safe.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from khidmat_wire import WireError

PKT = timedelta(hours=5)
"""Times without a zone are Pakistan time (UTC+5, no daylight saving)."""
MAX_FILE_BYTES = 64 * 1_048_576
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, not CSV/JSON, missing columns)."""


class RowError(ValueError):
    """One row is wrong; the message names the column and what is wrong, not the value."""


@dataclass
class RowReport:
    """What an import did: rows read, rows taken, and (line, error) for each row refused."""

    rows: int = 0
    accepted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV file (UTF-8, header row) or a JSON file (``.json``: a list of
    objects, or ``{"rows": [...]}``; the "line" is then the item's number, from 1)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
        if path.suffix.lower() == ".json":
            return _json_rows(path, required)
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise ImportFileError(f"{path.name}: missing columns {', '.join(missing)}")
            reader.fieldnames = columns
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ImportFileError(f"{path.name}: cannot read ({type(error).__name__})") from None


def _json_rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, RecursionError):
        raise ImportFileError(f"{path.name}: not valid JSON") from None
    items = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ImportFileError(f'{path.name}: expected a list of objects or {{"rows": [...]}}')
    rows: list[tuple[int, dict[str, str]]] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append((number, {"__error__": "is not an object"}))
            continue
        rows.append(
            (number, {str(k): "" if v is None else str(v).strip() for k, v in item.items()})
        )
    if rows and not any(all(c in r for c in required) for _, r in rows):
        raise ImportFileError(f"{path.name}: no item has the fields {', '.join(required)}")
    return rows


def parse_time(text: str, column: str) -> int:
    """Unix ms from ``2026-12-05 14:30`` (Pakistan time) or ISO 8601 with a zone."""
    if not text:
        raise RowError(f"{column}: missing")
    for form in TIME_FORMATS:
        try:
            local = datetime.strptime(text, form)
        except ValueError:
            continue
        return int((local.replace(tzinfo=UTC) - PKT).timestamp() * 1000)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"{column}: not a time like 2026-12-05 14:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - PKT
    return int(moment.timestamp() * 1000)


def field_error(error: WireError, columns: dict[str, str]) -> RowError:
    """A wire validation error as a row error naming the file's column."""
    name = error.field.removeprefix("body.")
    return RowError(f"{columns.get(name, name)}: {error.reason}")
