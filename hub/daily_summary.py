"""The daily station summary: complaints, gate activity and units for one station and day,
as CSV rows and a PDF page.

For each station and UTC day: complaints received, resolutions made and how many within
the due time in force when they were made, complaints overdue at the end of the day,
received by category and by current status, ratings given to that day's resolutions;
gate scans, hub hits and officers' confirmations and rejections; units registered and
online now. :func:`summary_rows` returns (station, section, item, value) rows;
:func:`write_csv` and :func:`write_pdf` write them. The PDF uses fpdf2 with HarfBuzz
shaping and Noto Naskh Arabic (installed by scripts/setup.sh, fonts-noto-core) so Urdu
renders joined and right to left (docs/decisions/pdf-reports.md): headings and labels are
given in English and Urdu, and Urdu names (officers, categories, text from people) are set
right to left (:func:`urdu_pdf` sets a document up so; the station diary's export uses it
too). :func:`write_day`
writes both files for every station; the hub runs it each night for the day before
(:mod:`hub.duties`). Reads only. Cost: one pass over the day's complaints, scans and
searches.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hub.fleet import Fleet
from hub.store import HubStore, searches
from hub.store import complaints as complaint_table
from khidmat_base.fonts import find_font
from khidmat_wire.vocabulary import STOPPED_STATUSES

COLUMNS = ("station", "section", "item", "value")
URDU_TITLE = "روزانہ تھانہ خلاصہ"
""""Daily station summary" in Urdu, printed under the English title."""
DAY_MS = 86_400_000


def day_bounds(day: date) -> tuple[int, int]:
    """[start, end) of a UTC day in Unix ms."""
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return start, start + DAY_MS


def summary_rows(store: HubStore, fleet: Fleet, day: date) -> list[tuple[str, str, str, object]]:
    """(station, section, item, value) for every station with units or complaints."""
    since, until = day_bounds(day)
    devices = fleet.devices()
    station_of = {d.device_id: d.station for d in devices if d.station}
    filed = complaint_table.filed_between(store.db, since, until)
    resolutions = complaint_table.resolutions_between(store.db, since, until)
    still_open = complaint_table.open_at(store.db, until, tuple(STOPPED_STATUSES))
    scans = store.payloads_between("scan", since, until)
    hits = searches.hits_between(store.db, since, until)
    stations = sorted(
        {r["station"] for r in filed} | {r["station"] for r in resolutions}
        | set(station_of.values())
    )  # fmt: skip
    rows: list[tuple[str, str, str, object]] = []
    for station in stations:
        mine = [r for r in filed if r["station"] == station]
        resolved = [r for r in resolutions if r["station"] == station]
        ratings = [r["rating"] for r in resolved if r["rating"] is not None]

        def add(section: str, item: str, value: object, station: str = station) -> None:
            rows.append((station, section, item, value))

        add("complaints", "filed", len(mine))
        add("complaints", "resolved", len(resolved))
        add(
            "complaints",
            "resolved in time",
            sum(r["resolved_ms"] <= r["due_at_ms"] for r in resolved),
        )
        add(
            "complaints", "overdue at day end",
            sum(r["station"] == station and r["due_at_ms"] < until for r in still_open),
        )  # fmt: skip
        add("complaints", "ratings", len(ratings))
        add("complaints", "mean rating", round(sum(ratings) / len(ratings), 2) if ratings else "")
        for category, count in sorted(Counter(r["category"] for r in mine).items()):
            add("by category", category, count)
        for status, count in sorted(Counter(r["status"] for r in mine).items()):
            add("by status", status, count)
        gate_scans = decisions = rejections = 0
        for device_id, payload in scans:
            if station_of.get(device_id) != station:
                continue
            body = json.loads(payload).get("body", {})
            decision = body.get("decision", "none") if isinstance(body, dict) else "none"
            if decision == "confirmed":
                decisions += 1
            elif decision == "rejected":
                rejections += 1
            else:
                gate_scans += 1
        add("gates", "scans", gate_scans)
        add("gates", "hub hits", sum(station_of.get(d) == station for d in hits))
        add("gates", "confirmed by officers", decisions)
        add("gates", "rejected by officers", rejections)
        units = [d for d in devices if d.station == station and d.registered and d.active]
        add("units", "in service", len(units))
        add("units", "online now", sum(d.status == "online" for d in units))
    return rows


def write_csv(rows: list[tuple[str, str, str, object]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def font_file() -> Path:
    """The Urdu-capable font the setup installs; FileNotFoundError naming the package."""
    return find_font("urdu")


#: Urdu for the summary's sections, items and column headings, printed beside the English.
URDU_LABELS: dict[str, str] = {
    "section": "حصہ",
    "item": "مد",
    "value": "تعداد",
    "complaints": "شکایات",
    "filed": "درج شدہ",
    "resolved": "حل شدہ",
    "resolved in time": "بروقت حل",
    "overdue at day end": "دن کے اختتام پر زائد المیعاد",
    "ratings": "درجہ بندیاں",
    "mean rating": "اوسط درجہ بندی",
    "by category": "زمرہ وار",
    "by status": "حیثیت وار",
    "gates": "گیٹ",
    "scans": "اسکین",
    "hub hits": "مرکز پر مماثلت",
    "confirmed by officers": "افسران کی تصدیق",
    "rejected by officers": "افسران کا انکار",
    "units": "یونٹ",
    "in service": "زیر استعمال",
    "online now": "اس وقت آن لائن",
    "station": "تھانہ",
    "officers": "افسران",
}
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


def is_urdu(text: str) -> bool:
    """True where ``text`` holds Arabic-script letters (Urdu): it is set right to left."""
    return _ARABIC_SCRIPT.search(text) is not None


def station_officers(store: HubStore) -> dict[str, list[str]]:
    """Active officers on the roster by station: "rank name (badge)", as entered (any script)."""
    from hub.store import roster as roster_table

    roster_table.migrate(store.db)
    by_station: dict[str, list[str]] = defaultdict(list)
    for row in roster_table.officers(store.db, active_only=True):
        by_station[row["station"]].append(f"{row['rank']} {row['name']} ({row['badge']})")
    return dict(by_station)


def _latin_font(regular: Path) -> Path:
    """Noto Sans beside the Naskh font (same package) for Latin text; the Naskh one if absent."""
    sans = regular.with_name("NotoSans-Regular.ttf")
    return sans if sans.exists() else regular


def urdu_pdf():  # -> fpdf.FPDF
    """An empty A4 fpdf2 document for the hub's reports: font ``sans`` (Noto Sans, regular
    and bold) with Noto Naskh Arabic (``naskh``) as fallback and HarfBuzz shaping, so any
    cell may hold English or Urdu. FileNotFoundError naming the package when the font is
    missing. Cost: milliseconds (fonts are read when the PDF is written)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    regular = font_file()
    pdf.add_font("naskh", fname=str(regular))
    bold = regular.with_name(regular.name.replace("Regular", "Bold"))
    pdf.add_font("naskh", style="B", fname=str(bold if bold.exists() else regular))
    latin = _latin_font(regular)
    pdf.add_font("sans", fname=str(latin))
    latin_bold = latin.with_name(latin.name.replace("Regular", "Bold"))
    pdf.add_font("sans", style="B", fname=str(latin_bold if latin_bold.exists() else latin))
    pdf.set_fallback_fonts(["naskh"])
    pdf.set_text_shaping(True)
    return pdf


def write_pdf(
    rows: list[tuple[str, str, str, object]],
    path: Path,
    day: date,
    officers: dict[str, list[str]] | None = None,
) -> None:
    """One page (or more) per station: title, headings and labels in English and Urdu, the
    station's officers (``officers``: station -> names, any script), then the rows.

    Every cell is set in Noto Sans with Noto Naskh Arabic as fallback and HarfBuzz shaping,
    so Urdu names and text from people render joined and right to left; a cell holding Urdu
    is aligned right. Cost: about 1.5 s (font loading and subsetting dominate).
    """
    officers = officers or {}
    pdf = urdu_pdf()
    by_station: dict[str, list[tuple[str, str, object]]] = defaultdict(list)
    for station, section, item, value in rows:
        by_station[station].append((section, item, value))
    for station in sorted(set(by_station) | set(officers)):
        items = by_station.get(station, [])
        pdf.add_page()
        pdf.set_font("sans", size=16)
        pdf.cell(
            0, 10, f"Daily station summary: {station}, {day.isoformat()}",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        pdf.set_font("sans", size=16)
        pdf.cell(0, 12, f"{URDU_TITLE}: {station}", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("sans", size=11)
        pdf.cell(95, 9, "Officers on the roster", new_x="RIGHT")
        pdf.set_font("sans", size=11)
        pdf.cell(0, 9, URDU_LABELS["officers"], align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("sans", size=11)
        for name in officers.get(station, []):
            pdf.cell(0, 8, name, align="R" if is_urdu(name) else "L", new_x="LMARGIN", new_y="NEXT")
        with pdf.table(
            col_widths=(35, 60, 25, 60), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT")
        ) as table:
            table.row(
                ("section", "item", "value", f"{URDU_LABELS['section']} / {URDU_LABELS['item']}")
            )
            for section, item, value in items:
                urdu = URDU_LABELS.get(item, item if is_urdu(item) else "")
                row = table.row()
                row.cell(section)
                row.cell(item, align="RIGHT" if is_urdu(item) else "LEFT")
                row.cell(str(value))
                row.cell(
                    f"{URDU_LABELS.get(section, '')} / {urdu}"
                    if urdu
                    else URDU_LABELS.get(section, "")
                )
    pdf.output(str(path))


def write_day(store: HubStore, fleet: Fleet, day: date, directory: Path) -> list[Path]:
    """Write ``summary-<day>.csv`` and ``.pdf`` into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = summary_rows(store, fleet, day)
    csv_path = directory / f"summary-{day.isoformat()}.csv"
    pdf_path = directory / f"summary-{day.isoformat()}.pdf"
    write_csv(rows, csv_path)
    write_pdf(rows, pdf_path, day, station_officers(store))
    return [csv_path, pdf_path]


def yesterday(now_ms: int) -> date:
    return (datetime.fromtimestamp(now_ms / 1000, tz=UTC) - timedelta(days=1)).date()
