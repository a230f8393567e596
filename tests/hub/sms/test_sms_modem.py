"""The hub's GSM modem driver against the simulated modem on a real pty: sending in text
and PDU mode, delivery reports, and the faults (no network, SIM missing, send failure,
a delivery report that never comes, a modem that stops answering)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.sms.modem import GsmModem, ModemFault, international
from hub.sms.sim_modem import SimulatedModem, read_inbox

URDU = "آپ کی شکایت QTA01-261130-000041-K درج ہو گئی ہے۔ مقررہ وقت: 2 دسمبر"


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedModem]:
    with SimulatedModem(link=tmp_path / "modem0", report_delay_s=0.1) as modem:
        yield modem


def _modem(sim: SimulatedModem, **options: float) -> GsmModem:
    return GsmModem(sim.port_path, reply_s=options.pop("reply_s", 2.0), **options)


def test_numbers_are_sent_in_international_form() -> None:
    assert international("0300-1234567") == "+923001234567"
    for bad in ("0300-123456", "+923001234567", "0300-1234567\n", ""):
        with pytest.raises(ValueError):
            international(bad)


def test_english_goes_in_text_mode_urdu_and_long_texts_in_pdu_mode_each_reported(
    sim: SimulatedModem, tmp_path: Path
) -> None:
    modem = _modem(sim)
    modem.prepare()
    assert "AT+CNMI=2,1,0,1,0" in sim.commands
    short = "Khidmat: complaint QTA01-261130-000041-K received, due 2 Dec 10:00."
    refs = modem.send("0300-1234567", short)
    assert len(refs) == 1 and "AT+CMGF=1" in sim.commands
    urdu_refs = modem.send("0333-7654321", URDU)
    long_refs = modem.send("0300-1234567", "Khidmat update. " * 20)
    assert len(urdu_refs) == 1 and len(long_refs) == 3 and "AT+CMGF=0" in sim.commands
    got = {m.text: m for m in sim.received()}
    assert got[short].number == "+923001234567" and got[URDU].number == "+923337654321"
    assert got["Khidmat update. " * 20].parts == 3
    assert [m.text for m in read_inbox(tmp_path / "modem0")] == [m.text for m in sim.received()]
    sent = set(refs + urdu_refs + long_refs)
    reported: set[int] = set()
    deadline = time.monotonic() + 5
    while reported != sent and time.monotonic() < deadline:
        reported |= {r.message_ref for r in modem.reports(0.5) if r.delivered}
    assert reported == sent
    modem.close()


def test_registration_delay_is_waited_out(tmp_path: Path) -> None:
    with SimulatedModem(link=tmp_path / "m", registration_delay_s=1.0) as sim:
        modem = _modem(sim, register_s=5.0)
        started = time.monotonic()
        modem.prepare()
        assert 0.9 <= time.monotonic() - started < 5
        assert sim.commands.count("AT+CREG?") >= 2
        modem.close()


def test_no_network(tmp_path: Path) -> None:
    with SimulatedModem(link=tmp_path / "m", network=False) as sim:
        modem = _modem(sim, register_s=1.0)
        with pytest.raises(ModemFault) as fault:
            modem.prepare()
        assert fault.value.kind == "no-network"
        # a modem that lost the network after preparing: the send is refused
        sim.set_faults(network=True)
        modem.prepare()
        sim.set_faults(network=False)
        with pytest.raises(ModemFault) as fault:
            modem.send("0300-1234567", "hello")
        assert fault.value.kind == "send-failed" and "331" in str(fault.value)
        modem.close()


def test_sim_missing(tmp_path: Path) -> None:
    with SimulatedModem(link=tmp_path / "m", sim_present=False) as sim:
        modem = _modem(sim)
        with pytest.raises(ModemFault) as fault:
            modem.prepare()
        assert fault.value.kind == "sim-missing"
        modem.close()


def test_a_failed_send_is_reported_and_the_next_one_goes(sim: SimulatedModem) -> None:
    modem = _modem(sim)
    modem.prepare()
    sim.set_faults(fail_sends=1)
    with pytest.raises(ModemFault) as fault:
        modem.send("0300-1234567", URDU)
    assert fault.value.kind == "send-failed"
    assert "0300" not in str(fault.value) and "شکایت" not in str(fault.value)  # no personal data
    assert sim.received() == []
    assert len(modem.send("0300-1234567", URDU)) == 1
    assert [m.text for m in sim.received()] == [URDU]
    modem.close()


def test_a_delivery_report_that_never_comes(sim: SimulatedModem) -> None:
    modem = _modem(sim)
    modem.prepare()
    sim.set_faults(reports=False)
    refs = modem.send("0300-1234567", "hello")
    assert refs and sim.received()[0].text == "hello"
    assert modem.reports(1.0) == []  # the caller's timeout decides what to do
    modem.close()


def test_a_modem_that_stops_answering_is_no_reply_not_a_hang(tmp_path: Path) -> None:
    sim = SimulatedModem(link=tmp_path / "m").start()
    modem = _modem(sim, reply_s=0.5)
    modem.prepare()
    sim.close()  # the modem is gone (unplugged)
    started = time.monotonic()
    with pytest.raises(ModemFault) as fault:
        modem.send("0300-1234567", "hello")
    assert fault.value.kind in ("no-reply", "port")
    assert time.monotonic() - started < 5
    modem.close()


def test_a_missing_port_is_a_port_fault(tmp_path: Path) -> None:
    with pytest.raises(ModemFault) as fault:
        GsmModem(str(tmp_path / "no-such-port"))
    assert fault.value.kind == "port"
