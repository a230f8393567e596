"""``khidmat sim printer``: a separate process the kiosk's driver prints on, and its
receipts (what the citizen demo counts)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from edge_agent.printer import Line, ReceiptPrinter, encode
from edge_agent.sim.printer import out_dir_for, read_receipts

KHIDMAT = [sys.executable, "-m", "khidmat.cli"]


def _start(link: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [*KHIDMAT, "sim", "printer", "--link", str(link), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not link.is_symlink() and time.monotonic() < deadline:
        time.sleep(0.05)
    return process


def test_the_sim_printer_command_prints_and_lists_its_receipts(tmp_path: Path) -> None:
    link = tmp_path / "printer0"
    process = _start(link)
    try:
        with ReceiptPrinter.device(str(link)) as printer:
            for number in ("QTA01-261130-120001-D", "QTA01-261130-120002-B"):
                printer.print_job(encode([Line(number, size=2), Line("آپ کی رسید")]))
        deadline = time.monotonic() + 10
        while len(read_receipts(out_dir_for(link))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        listed = subprocess.run(
            [*KHIDMAT, "sim", "printer", "receipts", "--link", str(link)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        receipts = [json.loads(line) for line in listed.splitlines()]
        assert [r["text"][0] for r in receipts] == [
            "QTA01-261130-120001-D",
            "QTA01-261130-120002-B",
        ]
        assert all(r["complete"] and r["images"] == 1 for r in receipts)
        assert all((out_dir_for(link) / r["file"]).stat().st_size > 0 for r in receipts)
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0 and not link.exists()  # the link goes with it


def test_a_sim_printer_started_out_of_paper_prints_nothing(tmp_path: Path) -> None:
    link = tmp_path / "printer1"
    process = _start(link, "--state", "paper-out", "--out", str(tmp_path / "out"))
    try:
        with ReceiptPrinter.device(str(link)) as printer:
            assert printer.status() == "paper-out"
    finally:
        process.terminate()
        process.wait(10)
    assert read_receipts(tmp_path / "out") == []


def _control(link: Path, action: str, *extra: str) -> dict:
    done = subprocess.run(
        [*KHIDMAT, "sim", "printer", action, "--link", str(link), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_running_sim_printer_takes_faults_from_another_process(tmp_path: Path) -> None:
    link = tmp_path / "printer2"
    process = _start(link)
    try:
        with ReceiptPrinter.device(str(link), reply_timeout_s=1.0) as printer:
            assert _control(link, "set", "--state", "paper-out")["state"] == "paper-out"
            assert printer.status() == "paper-out"
            _control(link, "set", "--state", "ok")
            assert _control(link, "off")["online"] is False
            assert printer.status() == "offline"
            _control(link, "on")
            assert _control(link, "unplug")["plugged"] is False
            assert not link.exists() and printer.status() == "offline"
            _control(link, "plug")
            assert printer.status() == "ok"
            printer.print_job(encode([Line("QTA01-261130-120001-D")]))
        deadline = time.monotonic() + 10
        while _control(link, "status")["printed"] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _control(link, "status")["printed"] == 1
    finally:
        process.terminate()
        process.wait(10)
    refused = subprocess.run(
        [*KHIDMAT, "sim", "printer", "status", "--link", str(link)], capture_output=True, text=True
    )
    assert refused.returncode == 1 and "khidmat sim printer --link" in refused.stderr
