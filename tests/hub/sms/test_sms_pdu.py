"""The SMS PDU codec: GSM 7-bit and UCS-2, concatenation, status reports, hostile PDUs."""

from __future__ import annotations

import pytest

from hub.sms import pdu


def test_a_known_gsm7_submit_pdu() -> None:
    # "hellohello" packs to E8329BFD4697D9EC37 (3GPP TS 23.038's classic example)
    hex_pdu, length = pdu.submit_pdu("+923001234567", pdu.Part("hellohello", "gsm7"), 0)
    assert hex_pdu == "0031000C912903103254760000A70AE8329BFD4697D9EC37"
    assert length == len(bytes.fromhex(hex_pdu)) - 1  # the SMSC octet is not counted


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("Complaint received", "gsm7", 1),
        ("x" * 160, "gsm7", 1),
        ("x" * 161, "gsm7", 2),
        ("x" * 153 * 3, "gsm7", 3),
        ("آپ کی شکایت درج ہو گئی ہے", "ucs2", 1),
        ("ب" * 70, "ucs2", 1),
        ("ب" * 71, "ucs2", 2),
        ("Receipt QTA01 — due", "ucs2", 1),  # the em dash is not in the GSM alphabet
    ],
)
def test_texts_split_and_come_back_whole(text: str, encoding: str, parts: int) -> None:
    split = pdu.split(text)
    assert len(split) == parts and {p.encoding for p in split} == {encoding}
    back = [pdu.parse_submit(pdu.submit_pdu("03001234567", p, 9)[0]) for p in split]
    assert "".join(b.part.text for b in back) == text
    assert all(b.status_report and b.number == "03001234567" for b in back)
    if parts > 1:
        assert [(b.reference, b.part.seq, b.part.total) for b in back] == [
            (9, i + 1, parts) for i in range(parts)
        ]


def test_too_long_or_empty_texts_and_bad_numbers_are_refused() -> None:
    with pytest.raises(pdu.PduError, match="too long"):
        pdu.split("x" * 153 * (pdu.MAX_PARTS + 1))
    with pytest.raises(pdu.PduError):
        pdu.split("")
    for number in ("", "+", "12", "0300-1234567", "+92300123456789012", "0300\n1234567"):
        with pytest.raises(pdu.PduError):
            pdu.submit_pdu(number, pdu.Part("x", "gsm7"), 0)


def test_status_reports_round_trip() -> None:
    report = pdu.parse_status_report(pdu.status_report_pdu(200, "+923001234567", 0)[0])
    assert (report.message_ref, report.number, report.delivered) == (200, "+923001234567", True)
    failed = pdu.parse_status_report(pdu.status_report_pdu(3, "+923001234567", 0x46)[0])
    assert not failed.delivered


@pytest.mark.parametrize(
    "garbage", ["", "00", "zz", "0011", "00" + "FF" * 40, "0031000C91290310325476000", "x" * 9999]
)
def test_hostile_pdus_raise_pdu_error_only(garbage: str) -> None:
    with pytest.raises(pdu.PduError):
        pdu.parse_submit(garbage)
    with pytest.raises(pdu.PduError):
        pdu.parse_status_report(garbage)
