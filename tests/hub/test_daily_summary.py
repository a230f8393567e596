"""The daily station summary from a real hub database: CSV rows and a PDF with Urdu."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.alerts import AlertBoard
from hub.config import load_hub_config
from hub.ingest import Ingestor
from hub.roster import Roster
from hub.service import HubService
from khidmat.cli import main
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Candidate, Feedback, Scan
from khidmat_wire.pins import hash_pin
from provisioning.registry import Registry


def test_daily_summary_counts_the_day_and_writes_csv_and_pdf(tmp_path: Path, hub_toml) -> None:
    config_path = hub_toml()
    service = HubService(load_hub_config(config_path))  # tables and handlers; never started
    ingestor = Ingestor(service.store, lambda topic, payload: True)
    with Registry(service.store.db.location) as registry:
        for device, role in (("desk-1", "desk"), ("gate-1", "gate")):
            registry.register(
                device, role=role, station="QTA01", name=device,
                mqtt_password_hash="$7$x", has_client_cert=False,
            )  # fmt: skip

    def send(device: str, kind: str, body: object) -> None:
        envelope = make_envelope(kind, device, body)
        ingestor.process([(f"khidmat/v1/dev/{device}/up/{kind}", encode(envelope))])

    complaints = service.modules.complaints
    for n in (1, 2, 3):
        send("desk-1", "complaint", sample_complaint("QTA01", n, device_id="desk-1"))
    first = sample_complaint("QTA01", 1, device_id="desk-1").tracking_no
    for status, extra in (
        ("registered", {}), ("assigned", {"assignee": "SI Rashid"}),
        ("under-investigation", {}), ("resolved", {}),
    ):  # fmt: skip
        complaints.change_status(first, status, reason="r", officer="o", desk="general", **extra)
    send("desk-1", "feedback", Feedback(first, 4))
    scan = make_envelope(
        "scan", "gate-1", Scan("G-1", "AAAA", 70, "red", (Candidate("P-1", 0.9),), 1)
    )
    ingestor.process([("khidmat/v1/dev/gate-1/up/scan", encode(scan))])
    send(
        "gate-1",
        "scan",
        Scan(
            "G-1", "AAAA", 70, "red", (Candidate("P-1", 0.9),), 1, "confirmed", "", scan.record_id
        ),
    )
    service.store.close()

    day = datetime.now(UTC).date().isoformat()
    out = tmp_path / "reports"
    assert (
        main(["report", "daily", "--config", str(config_path), "--day", day, "--out", str(out)])
        == 0
    )
    with open(out / f"summary-{day}.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["station"], r["section"], r["item"]): r["value"] for r in csv.DictReader(handle)}
    assert rows[("QTA01", "complaints", "filed")] == "3"
    assert rows[("QTA01", "complaints", "resolved")] == "1"
    assert rows[("QTA01", "complaints", "resolved in time")] == "1"
    assert rows[("QTA01", "complaints", "mean rating")] == "4.0"
    assert (
        rows[("QTA01", "by status", "resolved")] == "1"
        and rows[("QTA01", "by status", "received")] == "2"
    )
    assert rows[("QTA01", "by category", "theft")] == "3"
    assert rows[("QTA01", "gates", "scans")] == "1"
    assert rows[("QTA01", "gates", "confirmed by officers")] == "1"
    assert rows[("QTA01", "units", "in service")] == "2"
    pdf = (out / f"summary-{day}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"NotoNaskhArabic" in pdf
    # another day has none of it
    assert (
        main(
            [
                "report",
                "daily",
                "--config",
                str(config_path),
                "--day",
                "2020-01-01",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with open(out / "summary-2020-01-01.csv", newline="", encoding="utf-8") as handle:
        old = {(r["section"], r["item"]): r["value"] for r in csv.DictReader(handle)}
    assert old[("complaints", "filed")] == "0" and old[("gates", "scans")] == "0"


URDU_OFFICER = "نادیہ بلوچ"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_the_pdf_gives_urdu_names_and_bilingual_labels(tmp_path: Path, hub_toml) -> None:
    config_path = hub_toml()
    service = HubService(load_hub_config(config_path))  # tables and handlers; never started
    store = service.store
    with Registry(store.db.location) as registry:
        registry.register(
            "gate-1", role="gate", station="QTA01", name="gate-1",
            mqtt_password_hash="$7$x", has_client_cert=False,
        )  # fmt: skip
    try:
        roster = Roster(store, AlertBoard(store))
        roster.add(
            "QTA-0412", name=URDU_OFFICER, rank="ASI", station="QTA01", roles=("gate",),
            pin_hash=hash_pin("482913"), actor="test",
        )  # fmt: skip
        roster.add(
            "QTA-0413", name="Rashid Khan", rank="SI", station="QTA01", roles=("gate",),
            pin_hash=hash_pin("482914"), actor="test",
        )  # fmt: skip
    finally:
        store.close()
    out = tmp_path / "reports"
    day = "2026-12-05"
    args = ["report", "daily", "--config", str(config_path), "--day", day, "--out", str(out)]
    assert main(args) == 0
    text = subprocess.run(
        ["pdftotext", str(out / f"summary-{day}.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert URDU_OFFICER in text  # shaped Urdu, extracted back to the same letters
    assert "Rashid Khan" in text and "QTA01" in text
    assert "روزانہ تھانہ خلاصہ" in text and "Daily station summary" in text
    assert "شکایات" in text and "complaints" in text  # labels in both languages
    with open(out / f"summary-{day}.csv", encoding="utf-8") as handle:
        assert URDU_OFFICER not in handle.read()  # the CSV keeps its columns and rows
