"""SMS PDUs (3GPP TS 23.040 / 23.038): SMS-SUBMIT out, SMS-STATUS-REPORT in, and back.

What the hub's modem driver (:mod:`hub.sms.modem`) sends and the simulated modem
(:mod:`hub.sms.sim_modem`) reads, so both sides use one codec:

- :func:`split` cuts a text into parts: GSM 7-bit default alphabet when every character is
  in it (160 septets alone, 153 per part of a concatenated message), else UCS-2 (Urdu:
  70 characters alone, 67 per part); at most :data:`MAX_PARTS` parts.
- :func:`submit_pdu` / :func:`parse_submit`: an SMS-SUBMIT with the status-report request
  bit and, for a concatenated message, the 8-bit-reference concatenation header.
- :func:`status_report_pdu` / :func:`parse_status_report`: the delivery report (+CDS).

Pure functions over bytes and hex; thread-safe. Cost: microseconds per part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: GSM 03.38 default alphabet, by code (0x1B, the escape to the extension table, not used).
GSM7 = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_CODE = {ch: i for i, ch in enumerate(GSM7) if ch != "\x1b"}
MAX_PARTS = 8
"""More parts than this is refused: no citizen message needs a longer text."""
_NUMBER = re.compile(r"\+?[0-9]{3,15}")


class PduError(ValueError):
    """A PDU that cannot be built or read (the message says which part is wrong)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a message: its text, the encoding (``gsm7`` or ``ucs2``), and for a
    concatenated message its place (``seq`` 1..``total``; 1 of 1 alone)."""

    text: str
    encoding: str
    seq: int = 1
    total: int = 1


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM default alphabet."""
    return all(ch in _GSM7_CODE for ch in text)


def split(text: str) -> list[Part]:
    """The parts ``text`` is sent as; PduError for an empty text or more than MAX_PARTS."""
    if not text:
        raise PduError("an SMS needs some text")
    encoding = "gsm7" if is_gsm7(text) else "ucs2"
    single, each = (160, 153) if encoding == "gsm7" else (70, 67)
    if len(text) <= single:
        return [Part(text, encoding)]
    chunks = [text[i : i + each] for i in range(0, len(text), each)]
    if len(chunks) > MAX_PARTS:
        raise PduError(f"text too long for an SMS ({len(chunks)} parts; at most {MAX_PARTS})")
    return [Part(c, encoding, i + 1, len(chunks)) for i, c in enumerate(chunks)]


def _pack7(codes: list[int], fill_bits: int) -> bytes:
    value = 0
    bits = fill_bits
    out = bytearray()
    for code in codes:
        value |= code << bits
        bits += 7
        while bits >= 8:
            out.append(value & 0xFF)
            value >>= 8
            bits -= 8
    if bits:
        out.append(value & 0xFF)
    return bytes(out)


def _unpack7(data: bytes, count: int, fill_bits: int) -> list[int]:
    value = int.from_bytes(data, "little")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


def _address(number: str) -> bytes:
    """Address field: length in digits, type (0x91 international, 0x81 national), BCD."""
    if _NUMBER.fullmatch(number) is None:
        raise PduError("the phone number must be 3 to 15 digits, optionally after +")
    international = number.startswith("+")
    digits = number.lstrip("+")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), 0x91 if international else 0x81]) + bytes.fromhex(swapped)


def _read_address(data: bytes, at: int) -> tuple[str, int]:
    length, kind = data[at], data[at + 1]
    octets = (length + 1) // 2
    raw = data[at + 2 : at + 2 + octets].hex().upper()
    digits = "".join(raw[i + 1] + raw[i] for i in range(0, len(raw), 2))[:length]
    if not digits.isdigit():
        raise PduError("the address holds something other than digits")
    return ("+" if kind == 0x91 else "") + digits, at + 2 + octets


def submit_pdu(number: str, part: Part, reference: int) -> tuple[str, int]:
    """The SMS-SUBMIT of one part, as hex, and its TPDU length (for ``AT+CMGS=<length>``).

    Uses the SIM's service centre (a zero-length SMSC field), asks for a status report,
    validity 4 days; ``reference`` (0..255) ties the parts of one message together."""
    udh = b""
    if part.total > 1:
        udh = bytes([0x05, 0x00, 0x03, reference & 0xFF, part.total, part.seq])
    first = 0x01 | 0x10 | 0x20 | (0x40 if udh else 0)  # SUBMIT, relative VP, SRR, UDHI
    if part.encoding == "gsm7":
        codes = [_GSM7_CODE[ch] for ch in part.text]
        fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
        body = udh + _pack7(codes, fill)
        udl = len(codes) + (len(udh) * 8 + fill) // 7
        dcs = 0x00
    elif part.encoding == "ucs2":
        body = udh + part.text.encode("utf-16-be")
        udl = len(body)
        dcs = 0x08
    else:
        raise PduError(f"unknown encoding {part.encoding!r}")
    tpdu = bytes([first, 0x00]) + _address(number) + bytes([0x00, dcs, 0xA7, udl]) + body
    return "00" + tpdu.hex().upper(), len(tpdu)


@dataclass(frozen=True, slots=True)
class Submitted:
    """An SMS-SUBMIT as a modem reads it."""

    number: str
    part: Part
    reference: int
    status_report: bool


def parse_submit(pdu_hex: str) -> Submitted:
    """Read an SMS-SUBMIT (with its SMSC field); PduError when it is not a valid one."""
    try:
        data = bytes.fromhex(pdu_hex.strip())
        smsc_len = data[0]
        at = 1 + smsc_len
        first = data[at]
        if first & 0x03 != 0x01:
            raise PduError("not an SMS-SUBMIT")
        number, at = _read_address(data, at + 2)
        dcs = data[at + 1]
        at += 2
        vp_format = (first >> 3) & 0x03
        at += {0: 0, 2: 1, 1: 7, 3: 7}[vp_format]
        udl = data[at]
        body = data[at + 1 :]
        udh = b""
        if first & 0x40:
            udh = body[: body[0] + 1]
        reference, seq, total = 0, 1, 1
        if len(udh) >= 6 and udh[1] == 0x00:
            reference, total, seq = udh[3], udh[4], udh[5]
        if dcs & 0x0C == 0x08:
            text = body[len(udh) :].decode("utf-16-be")
            encoding = "ucs2"
            if len(body) != udl:
                raise PduError("user data length does not match")
        elif dcs & 0x0C == 0x00:
            fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
            header_septets = (len(udh) * 8 + fill) // 7
            codes = _unpack7(body[len(udh) :], udl - header_septets, fill)
            text = "".join(GSM7[c] for c in codes)
            encoding = "gsm7"
        else:
            raise PduError("unsupported data coding scheme")
    except (IndexError, ValueError, UnicodeDecodeError, KeyError) as error:
        if isinstance(error, PduError):
            raise
        raise PduError(f"not a readable SMS-SUBMIT ({type(error).__name__})") from None
    return Submitted(number, Part(text, encoding, seq, total), reference, bool(first & 0x20))


def _timestamp() -> bytes:
    return bytes.fromhex("62210650000000")  # 2026-12-05 00:00:00, swapped-nibble BCD


def status_report_pdu(message_ref: int, number: str, status: int) -> tuple[str, int]:
    """An SMS-STATUS-REPORT for message reference ``message_ref`` (``status`` 0: delivered;
    0x40-0x7F: permanent or temporary failure), as hex with an empty SMSC, and its length."""
    tpdu = (
        bytes([0x06, message_ref & 0xFF])
        + _address(number)
        + _timestamp()
        + _timestamp()
        + bytes([status & 0xFF])
    )
    return "00" + tpdu.hex().upper(), len(tpdu)


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_ref: int
    number: str
    status: int

    @property
    def delivered(self) -> bool:
        """Status 0x00-0x1F: the short message was received by the phone."""
        return self.status < 0x20


def parse_status_report(pdu_hex: str) -> StatusReport:
    """Read an SMS-STATUS-REPORT (with its SMSC field); PduError when it is not one."""
    try:
        data = bytes.fromhex(pdu_hex.strip())
        at = 1 + data[0]
        if data[at] & 0x03 != 0x02:
            raise PduError("not an SMS-STATUS-REPORT")
        message_ref = data[at + 1]
        number, at = _read_address(data, at + 2)
        status = data[at + 14]
    except (IndexError, ValueError) as error:
        if isinstance(error, PduError):
            raise
        raise PduError(f"not a readable status report ({type(error).__name__})") from None
    return StatusReport(message_ref, number, status)
