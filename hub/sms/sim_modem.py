"""A simulated GSM modem on a pty: the AT command set the hub's driver uses, for tests and the demo.

``khidmat sim modem --link PATH`` runs one; a :class:`SimulatedModem` in a test does the
same in-process. It answers ``AT``, ``ATE0/1``, ``AT+CMEE``, ``AT+CPIN?``, ``AT+CREG?``,
``AT+CSQ``, ``AT+CMGF``, ``AT+CSMP``, ``AT+CNMI`` and ``AT+CMGS`` in text and PDU mode
(reading the SMS-SUBMIT with :mod:`hub.sms.pdu`, joining concatenated parts), and sends
``+CDS`` delivery reports (in the mode in force) after ``report_delay_s`` when asked for.

Faults, set at start or later: no SIM (``+CME ERROR: 10``), no network (``+CREG: 0,0``),
a registration delay (``+CREG: 0,2`` until it passes), the next N sends failing
(``+CMS ERROR: 38``), delivery reports never sent. Every delivered message goes to
:attr:`inbox` and, with a link, as one JSON line to ``LINK.inbox`` (what another process,
the demo or ``khidmat sim modem inbox``, reads). Thread-safety: the fault setters and
:attr:`inbox` may be used from any thread (one lock).
"""

from __future__ import annotations

import json
import os
import re
import select
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hub.sms import pdu
from khidmat_base.pty_link import close_pty, open_pty


@dataclass
class Received:
    """A whole message as the phone shows it: its parts joined."""

    number: str
    text: str
    parts: int
    refs: list[int] = field(default_factory=list)
    at_s: float = 0.0


def inbox_path_for(link: str | Path) -> Path:
    return Path(f"{link}.inbox")


def read_inbox(link: str | Path) -> list[Received]:
    """The messages a simulator on ``link`` has delivered (from its ``LINK.inbox`` file)."""
    path = inbox_path_for(link)
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.append(Received(**json.loads(line)))
    return found


class SimulatedModem:
    """One simulated modem; :meth:`start` opens the pty (``link`` symlinked to it)."""

    def __init__(
        self,
        *,
        link: str | Path | None = None,
        registration_delay_s: float = 0.0,
        sim_present: bool = True,
        network: bool = True,
        report_delay_s: float = 0.2,
        reports: bool = True,
    ) -> None:
        self.link_path = Path(link) if link is not None else None
        self.sim_present = sim_present
        self.network = network
        self.report_delay_s = report_delay_s
        self.send_reports = reports
        self.fail_sends = 0
        self._registered_at = time.monotonic() + registration_delay_s
        self._lock = threading.Lock()
        self.inbox: list[Received] = []
        self.commands: list[str] = []
        """Every command line received (what a test can check the driver did)."""
        self._partial: dict[tuple[str, int], dict[int, str]] = {}
        self._partial_refs: dict[tuple[str, int], list[int]] = {}
        self._echo = True
        self._mode = 0
        self._cnmi_ds = 0
        self._next_ref = 0
        self._pending_reports: list[tuple[float, int, str]] = []
        self._master = self._slave = -1
        self._port_path = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- life cycle
    def start(self) -> SimulatedModem:
        self._master, self._slave, self._port_path = open_pty(self.link_path)
        self._thread = threading.Thread(target=self._run, name="sim-modem", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        close_pty(self.link_path, self._master, self._slave, self._port_path)
        self._master = self._slave = -1

    def __enter__(self) -> SimulatedModem:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port_path(self) -> str:
        """The path to open: the link when there is one, else the pty itself."""
        return str(self.link_path) if self.link_path is not None else self._port_path

    @property
    def pty_path(self) -> str:
        """The pty's own device path (/dev/pts/N)."""
        return self._port_path

    def set_faults(
        self,
        *,
        sim_present: bool | None = None,
        network: bool | None = None,
        fail_sends: int | None = None,
        reports: bool | None = None,
    ) -> None:
        with self._lock:
            if sim_present is not None:
                self.sim_present = sim_present
            if network is not None:
                self.network = network
            if fail_sends is not None:
                self.fail_sends = fail_sends
            if reports is not None:
                self.send_reports = reports

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.inbox)

    # ------------------------------------------------------------------ wire
    def _out(self, text: str) -> None:
        data = text.encode("ascii", "replace")
        while data and not self._stop.is_set():
            try:
                written = os.write(self._master, data)
                data = data[written:]
            except BlockingIOError:
                time.sleep(0.005)
            except OSError:
                return

    def _run(self) -> None:
        buffer = b""
        body_for: str | None = None  # the AT+CMGS waiting for its body
        while not self._stop.is_set():
            self._due_reports()
            ready, _, _ = select.select([self._master], [], [], 0.02)
            if not ready:
                continue
            try:
                buffer += os.read(self._master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            while True:
                if body_for is not None:
                    if ESC_BYTE in buffer:
                        buffer = buffer.split(ESC_BYTE, 1)[1]
                        body_for = None
                        self._out("\r\nOK\r\n")
                        continue
                    if CTRL_Z_BYTE not in buffer:
                        break
                    body, buffer = buffer.split(CTRL_Z_BYTE, 1)
                    command, body_for = body_for, None
                    self._message(command, body.decode("ascii", "replace"))
                    continue
                if b"\r" not in buffer:
                    break
                raw, buffer = buffer.split(b"\r", 1)
                line = raw.decode("ascii", "replace").strip()
                if not line:
                    continue
                with self._lock:
                    self.commands.append(line)
                if self._echo:
                    self._out(line + "\r")
                if line.upper().startswith("AT+CMGS="):
                    if self._cms_refusal():
                        continue
                    body_for = line
                    self._out("\r\n> ")
                    continue
                self._out(self._answer(line))

    def _cms_refusal(self) -> bool:
        with self._lock:
            registered = self.network and time.monotonic() >= self._registered_at
            if not self.sim_present:
                self._out("\r\n+CMS ERROR: 310\r\n")
                return True
            if not registered:
                self._out("\r\n+CMS ERROR: 331\r\n")
                return True
        return False

    def _answer(self, line: str) -> str:
        upper = line.upper()
        ok = "\r\nOK\r\n"
        with self._lock:
            if upper in ("AT", "ATZ", "ATI"):
                return ok
            if upper in ("ATE0", "ATE1"):
                self._echo = upper == "ATE1"
                return ok
            if upper.startswith("AT+CMEE="):
                return ok
            if upper == "AT+CPIN?":
                if not self.sim_present:
                    return "\r\n+CME ERROR: 10\r\n"
                return "\r\n+CPIN: READY\r\n" + ok
            if upper == "AT+CREG?":
                if not self.sim_present:
                    return "\r\n+CME ERROR: 10\r\n"
                if not self.network:
                    state = 0
                else:
                    state = 1 if time.monotonic() >= self._registered_at else 2
                return f"\r\n+CREG: 0,{state}\r\n" + ok
            if upper == "AT+CSQ":
                return f"\r\n+CSQ: {18 if self.network else 99},99\r\n" + ok
            match = re.fullmatch(r"AT\+CMGF=([01])", upper)
            if match:
                self._mode = int(match.group(1))
                return ok
            if upper == "AT+CMGF?":
                return f"\r\n+CMGF: {self._mode}\r\n" + ok
            if upper.startswith("AT+CSMP="):
                return ok
            match = re.fullmatch(r"AT\+CNMI=[0-3],[0-3],[0-3],([0-2]),[0-2]", upper)
            if match:
                self._cnmi_ds = int(match.group(1))
                return ok
        return "\r\nERROR\r\n"

    def _message(self, command: str, body: str) -> None:
        with self._lock:
            if self.fail_sends > 0:
                self.fail_sends -= 1
                self._out("\r\n+CMS ERROR: 38\r\n")  # network out of order
                return
            text_mode = self._mode == 1
        try:
            if text_mode:
                match = re.fullmatch(r'AT\+CMGS="(\+?[0-9]{3,15})"', command, re.IGNORECASE)
                if match is None:
                    raise pdu.PduError("bad destination")
                number, part, reference = match.group(1), pdu.Part(body, "gsm7"), 0
            else:
                submitted = pdu.parse_submit(body)
                number, part, reference = submitted.number, submitted.part, submitted.reference
        except pdu.PduError:
            self._out("\r\n+CMS ERROR: 304\r\n")  # invalid PDU mode parameter
            return
        with self._lock:
            self._next_ref = (self._next_ref + 1) % 256
            ref = self._next_ref
            key = (number, reference)
            parts = self._partial.setdefault(key, {})
            parts[part.seq] = part.text
            refs = self._partial_refs.setdefault(key, [])
            refs.append(ref)
            whole = None
            if all(i in parts for i in range(1, part.total + 1)):
                text = "".join(parts[i] for i in range(1, part.total + 1))
                whole = Received(number, text, part.total, refs, time.time())
                del self._partial[key], self._partial_refs[key]
                self.inbox.append(whole)
            if self.send_reports and self._cnmi_ds:
                self._pending_reports.append((time.monotonic() + self.report_delay_s, ref, number))
        self._out(f"\r\n+CMGS: {ref}\r\n\r\nOK\r\n")
        if whole is not None and self.link_path is not None:
            with inbox_path_for(self.link_path).open("a", encoding="utf-8") as file:
                file.write(json.dumps(asdict(whole), ensure_ascii=False) + "\n")

    def _due_reports(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [r for r in self._pending_reports if r[0] <= now]
            self._pending_reports = [r for r in self._pending_reports if r[0] > now]
            mode = self._mode
        for _, ref, number in due:
            if mode == 1:
                self._out(f'\r\n+CDS: 6,{ref},"{number}",145,"26/12/05,00:00:00+20",'
                          f'"26/12/05,00:00:05+20",0\r\n')  # fmt: skip
            else:
                pdu_hex, length = pdu.status_report_pdu(ref, number, 0)
                self._out(f"\r\n+CDS: {length}\r\n{pdu_hex}\r\n")


CTRL_Z_BYTE = b"\x1a"
ESC_BYTE = b"\x1b"
