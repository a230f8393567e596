"""Bulk import of criminal records: a CSV of people plus their fingerprint files.

CSV (UTF-8, header row; column order free)::

    person_id,name,father_name,cnic,offences,status,fingers
    CRO-QTA-1001,Gul Khan,Sher Khan,54400-1111111-1,PPC 392;PPC 411,wanted,1=gul/r_thumb.iso;2=gul/r_index.png

``person_id`` may be empty (a ``CR-`` id is allocated; a CNIC already on file updates that
person). ``offences`` are separated by ``;``. ``fingers`` are ``position=file`` pairs
separated by ``;``; a file is an ISO/IEC 19794-2 record (``.iso``, ``.ist``), an ANSI
INCITS 378 record (``.ansi``, ``.378``), a compact matcher_cy template (``.tpl``), or a
grayscale image (``.png``, ``.bmp``, ``.tif``, ``.tiff``, ``.pgm``, ``.jpg``) at
``image_dpi`` from which a template is extracted. File paths are relative to ``files_dir``
(default: the CSV's directory) and must stay inside it: absolute paths, ``..`` and links
pointing outside are refused. A bad row is reported and skipped; the others are imported,
each person in its own transaction. Cost: about 0.2 s per image (extraction), a few ms
per template file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from hub.records import RecordError, RecordStore

REQUIRED_COLUMNS = ("name", "father_name", "cnic", "offences", "status", "fingers")
IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".pgm", ".jpg", ".jpeg")
TEMPLATE_SUFFIXES = (".iso", ".ist", ".ansi", ".378", ".tpl")
MAX_FILE_BYTES = 8 * 1_048_576

Progress = Callable[[int, int], None]
"""Called after each row with (rows done, rows in total)."""


class CsvImportError(ValueError):
    """The CSV as a whole cannot be imported (missing columns, unreadable)."""


@dataclass
class ImportReport:
    rows: int = 0
    people: int = 0
    templates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(CSV line number, what was wrong)."""


def safe_path(base: Path, relative: str) -> Path:
    """``base / relative`` resolved; RecordError when it is absolute or escapes ``base``."""
    pure = PurePath(relative)
    if not relative or pure.is_absolute() or relative.startswith(("/", "\\")) or ".." in pure.parts:
        raise RecordError(f"file {relative!r}: must be a relative path inside the import folder")
    root = base.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root):
        raise RecordError(f"file {relative!r}: leads outside the import folder")
    return target


def load_template_file(path: Path, *, image_dpi: int = 500) -> tuple[bytes, int]:
    """(compact template bytes, quality 0..100) from a template or image file."""
    from matcher_cy import Template, TemplateFormatError, extract

    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError(f"file {path.name}: not found")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RecordError(f"file {path.name}: larger than {MAX_FILE_BYTES} bytes")
    try:
        if suffix in (".iso", ".ist"):
            template = Template.from_iso(path.read_bytes())
        elif suffix in (".ansi", ".378"):
            template = Template.from_ansi(path.read_bytes())
        elif suffix == ".tpl":
            template = Template.from_bytes(path.read_bytes())
        elif suffix in IMAGE_SUFFIXES:
            import numpy as np
            from PIL import Image, UnidentifiedImageError

            try:
                with Image.open(path) as image:
                    pixels = np.asarray(image.convert("L"), dtype=np.uint8)
            except (UnidentifiedImageError, OSError) as error:
                raise RecordError(f"file {path.name}: not a readable image ({error})") from None
            template = extract(pixels, dpi=image_dpi)
        else:
            raise RecordError(
                f"file {path.name}: unknown type (use {', '.join(TEMPLATE_SUFFIXES + IMAGE_SUFFIXES)})"
            )
    except (TemplateFormatError, ValueError) as error:
        if isinstance(error, RecordError):
            raise
        raise RecordError(f"file {path.name}: {error}") from None
    if len(template) == 0:
        raise RecordError(f"file {path.name}: no minutiae found")
    return template.to_bytes(), int(template.quality)


def import_csv(
    records: RecordStore,
    csv_path: str | Path,
    *,
    actor: str,
    files_dir: str | Path | None = None,
    image_dpi: int = 500,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every valid row of ``csv_path``; CsvImportError when the file cannot be read."""
    csv_path = Path(csv_path)
    base = Path(files_dir) if files_dir is not None else csv_path.parent
    try:
        with open(csv_path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CsvImportError(f"{csv_path.name}: missing columns {', '.join(missing)}")
            rows = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CsvImportError(f"{csv_path}: cannot read ({error})") from None
    report = ImportReport(rows=len(rows))
    for done, (line, row) in enumerate(rows, start=1):
        try:
            templates = []
            for pair in filter(None, (p.strip() for p in (row["fingers"] or "").split(";"))):
                position, _, relative = pair.partition("=")
                if not position.strip().isdigit() or not 0 <= int(position) <= 10:
                    raise RecordError(f"fingers: {pair!r} is not position=file (position 0..10)")
                data, quality = load_template_file(
                    safe_path(base, relative.strip()), image_dpi=image_dpi
                )
                templates.append((int(position), data, quality))
            records.upsert_person(
                person_id=(row.get("person_id") or "").strip() or None,
                name=row["name"] or "",
                father_name=row["father_name"] or "",
                cnic=(row["cnic"] or "").strip(),
                offences=[o for o in (row["offences"] or "").split(";")],
                status=(row["status"] or "").strip(),
                source=f"import {csv_path.name}:{line}",
                actor=actor,
                templates=templates,
            )
            report.people += 1
            report.templates += len(templates)
        except RecordError as error:
            report.errors.append((line, str(error)))
        if progress is not None:
            progress(done, len(rows))
    return report
