"""The daily station summary: complaints, gate activity and units for one station and day,
as CSV rows and a PDF page.

For each station and UTC day: complaints received, resolutions made and how many within
the due time in force when they were made, complaints overdue at the end of the day,
received by category and by current status, ratings given to that day's resolutions;
gate scans, hub hits and officers' confirmations and rejections; units registered and
online now. :func:`summary_rows` returns (station, section, item, value) rows;
:func:`write_csv` and :func:`write_pdf` write them. The PDF uses fpdf2 with HarfBuzz
shaping and Noto Naskh Arabic (installed by scripts/setup.sh, fonts-noto-core) so Urdu
renders joined and right to left (docs/decisions/pdf-reports.md). :func:`write_day`
writes both files for every station; the hub runs it each night for the day before
(:mod:`hub.duties`). Reads only. Cost: one pass over the day's complaints, scans and
searches.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hub.fleet import Fleet
from hub.store import HubStore, searches
from hub.store import complaints as complaint_table
from khidmat_wire.vocabulary import STOPPED_STATUSES

COLUMNS = ("station", "section", "item", "value")
URDU_TITLE = "روزانہ تھانہ خلاصہ"
""""Daily station summary" in Urdu, printed under the English title."""
FONT_FILES = (
    Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoNaskhArabic-Regular.ttf"),
)
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

        add("complaints", "received", len(mine))
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
        add("units", "registered", len(units))
        add("units", "online now", sum(d.status == "online" for d in units))
    return rows


def write_csv(rows: list[tuple[str, str, str, object]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def font_file() -> Path:
    """The Urdu-capable font the setup installs; FileNotFoundError naming the package."""
    for path in FONT_FILES:
        if path.exists():
            return path
    raise FileNotFoundError(
        "Noto Naskh Arabic is not installed: apt-get install fonts-noto-core (scripts/setup.sh)"
    )


def write_pdf(rows: list[tuple[str, str, str, object]], path: Path, day: date) -> None:
    """One page (or more) per station: title in English and Urdu, then the rows."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    regular = font_file()
    pdf.add_font("naskh", fname=str(regular))
    bold = regular.with_name(regular.name.replace("Regular", "Bold"))
    pdf.add_font("naskh", style="B", fname=str(bold if bold.exists() else regular))
    pdf.set_text_shaping(True)
    by_station: dict[str, list[tuple[str, str, object]]] = defaultdict(list)
    for station, section, item, value in rows:
        by_station[station].append((section, item, value))
    for station, items in by_station.items():
        pdf.add_page()
        pdf.set_font("naskh", size=16)
        pdf.cell(
            0,
            10,
            f"Daily station summary: {station}, {day.isoformat()}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.cell(0, 12, URDU_TITLE, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("naskh", size=11)
        with pdf.table(col_widths=(40, 90, 40), text_align=("LEFT", "LEFT", "RIGHT")) as table:
            table.row(("section", "item", "value"))
            for section, item, value in items:
                table.row((section, item, str(value)))
    pdf.output(str(path))


def write_day(store: HubStore, fleet: Fleet, day: date, directory: Path) -> list[Path]:
    """Write ``summary-<day>.csv`` and ``.pdf`` into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = summary_rows(store, fleet, day)
    csv_path = directory / f"summary-{day.isoformat()}.csv"
    pdf_path = directory / f"summary-{day.isoformat()}.pdf"
    write_csv(rows, csv_path)
    write_pdf(rows, pdf_path, day)
    return [csv_path, pdf_path]


def yesterday(now_ms: int) -> date:
    return (datetime.fromtimestamp(now_ms / 1000, tz=UTC) - timedelta(days=1)).date()
