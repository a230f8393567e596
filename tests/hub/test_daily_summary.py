"""The daily station summary from a real hub database: CSV rows and a PDF with Urdu."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from hub.config import load_hub_config
from hub.ingest import Ingestor
from hub.service import HubService
from khidmat.cli import main
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Candidate, Feedback, Scan
from provisioning.registry import Registry


def test_daily_summary_counts_the_day_and_writes_csv_and_pdf(tmp_path: Path, hub_toml) -> None:
    config_path = hub_toml()
    service = HubService(load_hub_config(config_path))  # tables and handlers; never started
    ingestor = Ingestor(service.store, lambda topic, payload: True)
    with Registry(service.store.db.path) as registry:
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
        send("desk-1", "complaint", sample_complaint("QTA01", n))
    first = sample_complaint("QTA01", 1).tracking_no
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
    assert rows[("QTA01", "complaints", "received")] == "3"
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
    assert rows[("QTA01", "units", "registered")] == "2"
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
    assert old[("complaints", "received")] == "0" and old[("gates", "scans")] == "0"
