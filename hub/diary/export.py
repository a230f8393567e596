"""A closed diary day as CSV and PDF (the hub's report tooling: :mod:`hub.daily_summary`).

:func:`export_day` writes ``roznamcha-<STATION>-<day>.csv`` and ``.pdf`` for a station's
closed day, after checking its chain (a tampered day is not exported: the error names the
entry). The CSV holds every stored field and both hashes, so anyone with the file can check
the chain again (:func:`hub.diary.chain.check` over its rows); text is written exactly as
entered. The PDF prints the entries in order in English and Urdu headings (Urdu text set
right to left by :func:`hub.daily_summary.urdu_pdf`), who closed the day, and the day's
last hash: a printed copy anchors the chain. Reads only. Cost (``khidmat bench diary``, 2
loaded cores): the PDF about 7-13 s for a day of 100-200 entries and 35-55 s for 1,000
(fpdf2 shapes every cell with HarfBuzz), the CSV milliseconds.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from hub.daily_summary import is_urdu, urdu_pdf
from hub.diary.book import Diary, DiaryError, Entry
from hub.diary.chain import ChainReport, genesis
from khidmat_base.clock import PKT
from khidmat_wire.vocabulary import DIARY_KIND_BY_KEY

COLUMNS = (
    "station", "day", "seq", "time_pkt", "at_ms", "kind", "officer", "text", "ref",
    "corrects", "source", "prev_hash", "hash",
)  # fmt: skip
URDU_TITLE = "روزنامچہ"
""""Station daily diary" (roznamcha) in Urdu, printed under the English title."""


def local_time(at_ms: int) -> str:
    """``HH:MM`` in Pakistan time."""
    return (datetime.fromtimestamp(at_ms / 1000, tz=UTC) + PKT).strftime("%H:%M")


def export_day(diary: Diary, station: str, day: str, directory: Path) -> list[Path]:
    """Write the closed day's CSV and PDF into ``directory``; returns their paths.

    DiaryError when the day is not closed (or has no entries) or its chain does not check."""
    view = diary.day(station, day)
    if view is None or not view.closed:
        raise DiaryError(f"the diary of {station} for {day} is not closed: close it first")
    report = diary.verify(station, day)
    if not report.ok:
        raise DiaryError(f"not exported: {report.describe()}")
    entries = diary.entries(station, day)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"roznamcha-{report.station}-{report.day}"
    csv_path, pdf_path = directory / f"{stem}.csv", directory / f"{stem}.pdf"
    write_csv(entries, report, csv_path)
    write_pdf(entries, report, view.closed_by, pdf_path)
    return [csv_path, pdf_path]


def write_csv(entries: list[Entry], report: ChainReport, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        prev = genesis(report.station, report.day)
        for e in entries:
            writer.writerow(
                (
                    e.station, e.day, e.seq, local_time(e.at_ms), e.at_ms, e.kind, e.officer,
                    e.text, e.ref, e.corrects, e.source, prev, e.hash,
                )
            )  # fmt: skip
            prev = e.hash


def write_pdf(entries: list[Entry], report: ChainReport, closed_by: str, path: Path) -> None:
    """The day's entries, in order, on A4 pages, with the chain's verdict and last hash."""
    pdf = urdu_pdf()
    pdf.add_page()
    pdf.set_font("sans", style="B", size=15)
    pdf.cell(
        0, 9, f"Station daily diary (roznamcha): {report.station}, {report.day}",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.cell(0, 11, f"{URDU_TITLE}: {report.station}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", size=9)
    closing = entries[-1]
    pdf.multi_cell(
        0, 5,
        f"Closed by {closed_by} at {local_time(closing.at_ms)} (Pakistan time); "
        f"{report.entries} entries; hash chain verified. Last hash: {report.head_hash}",
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    pdf.ln(2)
    with pdf.table(
        col_widths=(8, 12, 36, 30, 94), text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT")
    ) as table:
        table.row(("no.", "time", "kind / قسم", "officer / افسر", "entry / اندراج"))
        for e in entries:
            kind = DIARY_KIND_BY_KEY.get(e.kind)
            label = f"{kind.title}\n{kind.urdu}" if kind is not None else e.kind
            text = e.text
            if e.corrects:
                text = f"corrects {e.corrects}: {text}"
            if e.ref and e.ref not in text:
                text = f"{text} (ref. {e.ref})"
            row = table.row()
            row.cell(str(e.seq))
            row.cell(local_time(e.at_ms))
            row.cell(label)
            row.cell(e.officer, align="RIGHT" if is_urdu(e.officer) else "LEFT")
            row.cell(text, align="RIGHT" if is_urdu(text) else "LEFT")
    pdf.output(str(path))
