"""A GSM modem on a serial port, driven with standard AT commands over pyserial.

Our own small driver (docs/decisions/sms-gsm-modem-driver.md): :meth:`GsmModem.prepare`
checks the SIM (``AT+CPIN?``), waits for network registration (``AT+CREG?``), and asks
for delivery reports as unsolicited ``+CDS`` lines (``AT+CNMI=2,1,0,1,0``).
:meth:`GsmModem.send` sends a short GSM-alphabet text in text mode (``AT+CMGF=1``,
``AT+CSMP=49,167,0,0`` for a status report) and anything else (Urdu in UCS-2, long texts
as concatenated parts) in PDU mode (``AT+CMGF=0``, :mod:`hub.sms.pdu`); it returns each
part's message reference. :meth:`GsmModem.reports` collects the ``+CDS`` delivery
reports that arrived (in either mode).

Faults are :class:`ModemFault` with a ``kind`` the outbox keeps: ``sim-missing``,
``no-network``, ``send-failed`` (``+CMS ERROR``), ``no-reply`` (the modem did not answer
in time), ``port`` (the serial port failed). The phone number and text never appear in a
fault's message or in the log. Not thread-safe: one owner thread per modem.
Cost: a send is one or two AT round trips per part (tens of ms on a real modem, plus the
network's few seconds per part).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from hub.sms import pdu
from khidmat_wire.vocabulary import MOBILE

CTRL_Z = b"\x1a"
ESC = b"\x1b"
_FINAL = re.compile(r"OK|ERROR|\+CME ERROR: ?(.*)|\+CMS ERROR: ?(.*)")
_CREG = re.compile(r"\+CREG: ?[0-9],([0-9])(?:,.*)?")
_CMGS = re.compile(r"\+CMGS: ?([0-9]{1,3})")
_CDS_PDU = re.compile(r"\+CDS: ?([0-9]{1,3})")
_CDS_TEXT = re.compile(r"\+CDS: ?[0-9]+,([0-9]{1,3}),\"?(\+?[0-9]{3,15})\"?,[0-9]+,.*,([0-9]{1,3})")
FAULT_KINDS = ("sim-missing", "no-network", "send-failed", "no-reply", "port")


class ModemFault(RuntimeError):
    """The modem could not do what was asked; ``kind`` is one of :data:`FAULT_KINDS`."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def international(mobile: str) -> str:
    """``03XX-XXXXXXX`` -> ``+923XXXXXXXXX``; ValueError for anything else."""
    if re.fullmatch(MOBILE, mobile) is None:
        raise ValueError("not a mobile number of the form 03XX-XXXXXXX")
    return "+92" + mobile.replace("-", "")[1:]


@dataclass(frozen=True, slots=True)
class Report:
    """A delivery report: the part's message reference and whether it was delivered."""

    message_ref: int
    delivered: bool
    status: int


class GsmModem:
    """One modem on ``port`` at ``baud``. ``reply_s``: how long a command may take;
    ``register_s``: how long :meth:`prepare` waits for the network."""

    def __init__(
        self,
        port: str,
        *,
        baud: int = 115_200,
        reply_s: float = 5.0,
        register_s: float = 60.0,
        opener: Callable[..., serial.Serial] = serial.Serial,
    ) -> None:
        self.port = port
        self.reply_s = reply_s
        self.register_s = register_s
        try:
            self._serial = opener(port, baud, timeout=0.05, write_timeout=reply_s)
        except (serial.SerialException, OSError) as error:
            raise ModemFault("port", f"cannot open the modem's port ({error})") from None
        self._buffer = b""
        self._reports: list[Report] = []
        self._mode = -1
        self._reference = 0

    def close(self) -> None:
        self._serial.close()

    # ------------------------------------------------------------------ lines
    def _write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError) as error:
            raise ModemFault("port", f"writing to the modem failed ({error})") from None

    def _read_line(self, deadline: float, *, prompt: bool = False) -> str | None:
        """The next non-empty line (or the ``> `` prompt), None at the deadline; a ``+CDS``
        delivery report met on the way is collected, not returned."""
        while True:
            if prompt and self._buffer.lstrip(b"\r\n").startswith(b">"):
                self._buffer = self._buffer.lstrip(b"\r\n")[1:].lstrip(b" ")
                return ">"
            if b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                line = raw.strip().decode("ascii", "replace")
                if not line:
                    continue
                if self._take_report(line, deadline):
                    continue
                return line
            if time.monotonic() >= deadline:
                return None
            try:
                chunk = self._serial.read(256)
            except (serial.SerialException, OSError) as error:
                raise ModemFault("port", f"reading from the modem failed ({error})") from None
            self._buffer += chunk

    def _take_report(self, line: str, deadline: float) -> bool:
        match = _CDS_TEXT.fullmatch(line)
        if match:
            status = int(match.group(3))
            self._reports.append(Report(int(match.group(1)), status < 0x20, status))
            return True
        if _CDS_PDU.fullmatch(line):
            pdu_line = self._read_line(max(deadline, time.monotonic() + self.reply_s))
            if pdu_line is not None:
                try:
                    found = pdu.parse_status_report(pdu_line)
                except pdu.PduError:
                    return True  # a garbled report: the outbox's report timeout covers it
                self._reports.append(Report(found.message_ref, found.delivered, found.status))
            return True
        return False

    def command(self, text: str, *, timeout_s: float | None = None) -> list[str]:
        """Send ``AT...`` and return the lines before ``OK``; ModemFault otherwise."""
        self._write(text.encode("ascii") + b"\r")
        return self._final(time.monotonic() + (timeout_s or self.reply_s), text)

    def _final(self, deadline: float, what: str) -> list[str]:
        lines: list[str] = []
        name = what.split("=")[0].split("?")[0][:16]
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise ModemFault("no-reply", f"no answer to {name}")
            if line == what:  # echo (ATE1)
                continue
            final = _FINAL.fullmatch(line)
            if final is None:
                lines.append(line)
                continue
            if line == "OK":
                return lines
            if final.group(1) is not None:  # +CME ERROR
                code = final.group(1).strip()
                if code in ("10", "SIM not inserted"):
                    raise ModemFault("sim-missing", "no SIM card in the modem")
                if code in ("30", "no network service"):
                    raise ModemFault("no-network", "no network service")
                raise ModemFault("send-failed", f"{name}: CME error {code[:20]}")
            if final.group(2) is not None:
                raise ModemFault("send-failed", f"{name}: CMS error {final.group(2).strip()[:20]}")
            raise ModemFault("send-failed", f"{name}: ERROR")

    # -------------------------------------------------------------- session
    def prepare(self) -> None:
        """Echo off, numeric errors, SIM ready, registered, delivery reports on.
        ModemFault ``sim-missing`` or ``no-network`` (after ``register_s``) otherwise."""
        self.command("ATE0")
        self.command("AT+CMEE=1")
        answer = self.command("AT+CPIN?")
        if not any(line.endswith("READY") for line in answer):
            raise ModemFault("sim-missing", "the SIM is not ready (PIN or missing)")
        deadline = time.monotonic() + self.register_s
        while True:
            state = ""
            for line in self.command("AT+CREG?"):
                match = _CREG.fullmatch(line)
                if match:
                    state = match.group(1)
            if state in ("1", "5"):  # home network, roaming
                break
            if state in ("0", "3") or time.monotonic() >= deadline:
                raise ModemFault("no-network", "the modem is not registered on a network")
            time.sleep(0.2)
        self.command("AT+CNMI=2,1,0,1,0")

    def _set_mode(self, mode: int) -> None:
        if self._mode != mode:
            self.command(f"AT+CMGF={mode}")
            if mode == 1:
                self.command("AT+CSMP=49,167,0,0")  # ask for status reports in text mode
            self._mode = mode

    def send(self, mobile: str, text: str) -> list[int]:
        """Send ``text`` to ``mobile`` (03XX-XXXXXXX); the message reference of each part.

        A plain short GSM-alphabet text goes in text mode, anything else in PDU mode.
        ModemFault on failure (a concatenated message may then be partly sent: the caller
        sends it again whole, as a phone shows a repeated part once)."""
        number = international(mobile)
        parts = pdu.split(text)
        plain = len(parts) == 1 and parts[0].encoding == "gsm7" and text.isascii()
        plain = plain and text.isprintable()
        if plain:
            self._set_mode(1)
            self._write(f'AT+CMGS="{number}"\r'.encode("ascii"))
            return [self._after_prompt(text.encode("ascii"))]
        self._set_mode(0)
        self._reference = (self._reference + 1) % 256
        refs = []
        for part in parts:
            pdu_hex, length = pdu.submit_pdu(number, part, self._reference)
            self._write(f"AT+CMGS={length}\r".encode("ascii"))
            refs.append(self._after_prompt(pdu_hex.encode("ascii")))
        return refs

    def _after_prompt(self, body: bytes) -> int:
        deadline = time.monotonic() + self.reply_s
        while True:
            line = self._read_line(deadline, prompt=True)
            if line is None:
                self._write(ESC)
                raise ModemFault("no-reply", "no prompt for the message")
            if line == ">":
                break
            if _FINAL.fullmatch(line):
                self._buffer = line.encode() + b"\r\n" + self._buffer
                self._final(deadline, "AT+CMGS")
                raise ModemFault("send-failed", "AT+CMGS refused")
        self._write(body + CTRL_Z)
        # the network can take a while to take a message
        lines = self._final(time.monotonic() + max(self.reply_s, 30.0), "AT+CMGS")
        for line in lines:
            match = _CMGS.fullmatch(line)
            if match:
                return int(match.group(1))
        raise ModemFault("send-failed", "no message reference in the answer")

    def reports(self, wait_s: float = 0.0) -> list[Report]:
        """Delivery reports received since the last call: what the port holds now (read
        for at least 0.1 s), waiting up to ``wait_s`` for the first one."""
        drain_until = time.monotonic() + 0.1
        deadline = time.monotonic() + max(wait_s, 0.1)
        while time.monotonic() < deadline:
            if self._reports and time.monotonic() >= drain_until:
                break
            # an unsolicited line that is not a report (RING, +CREG) is dropped
            self._read_line(min(deadline, time.monotonic() + 0.1))
        found, self._reports = self._reports, []
        return found
