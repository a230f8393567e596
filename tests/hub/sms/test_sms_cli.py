"""``khidmat sim modem``: a separate process the hub's driver talks to, and its inbox."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import serial

from hub.sms.modem import GsmModem

KHIDMAT = [sys.executable, "-m", "khidmat.cli"]


def test_the_sim_modem_command_takes_messages_and_lists_them(tmp_path: Path) -> None:
    link = tmp_path / "modem0"
    process = subprocess.Popen(
        [*KHIDMAT, "sim", "modem", "--link", str(link), "--registration-delay", "0.3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not link.is_symlink() and time.monotonic() < deadline:
            time.sleep(0.05)
        modem = GsmModem(str(link), reply_s=3.0, register_s=5.0)
        modem.prepare()
        modem.send("0300-1234567", "آپ کی شکایت درج ہو گئی ہے")
        # hostile bytes on the line: the simulator answers and keeps serving
        raw = serial.Serial(str(link), 115200, timeout=1)
        raw.write(b"AT+CMGF=0\rAT+CMGS=12\r")
        time.sleep(0.2)
        raw.write(b"ZZ\x00\xff not a pdu\x1a")
        raw.write(b"AT+BOGUS\r\xff\xfe\r")
        time.sleep(0.5)
        answer = raw.read(4096)
        raw.close()
        assert b"+CMS ERROR: 304" in answer and b"ERROR" in answer
        modem.send("0300-1234567", "second")
        modem.close()
        listed = subprocess.run(
            [*KHIDMAT, "sim", "modem", "inbox", "--link", str(link)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        messages = [json.loads(line) for line in listed.splitlines()]
        assert [(m["number"], m["text"]) for m in messages] == [
            ("+923001234567", "آپ کی شکایت درج ہو گئی ہے"),
            ("+923001234567", "second"),
        ]
    finally:
        process.terminate()
        process.wait(10)
    assert not link.exists()  # the link goes with the simulator
