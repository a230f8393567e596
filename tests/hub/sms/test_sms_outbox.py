"""Texts to citizens: one per status change, sent through the simulated modem, with
retries, quiet hours, restarts, delivery reports, the women's desk rule and Urdu."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.complaints import ComplaintDesk
from hub.ingest import Ingestor
from hub.sms.outbox import SmsOutbox, SmsSettings, quiet_until_ms
from hub.sms.sim_modem import SimulatedModem
from hub.store import HubStore
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Answer
from khidmat_wire.vocabulary import EMERGENCY_NUMBER

LIFECYCLE = ("registered", "assigned", "under-investigation", "resolved", "reopened")


@dataclasses.dataclass
class Hub:
    store: HubStore
    desk: ComplaintDesk
    ingestor: Ingestor
    sms: SmsOutbox
    modem: SimulatedModem


def _settings(modem: SimulatedModem, **changes: object) -> SmsSettings:
    base = SmsSettings(
        port=modem.port_path, quiet_from_h=0, quiet_to_h=0, retry_base_s=0.05, register_s=2.0
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def hub(tmp_path: Path, hub_database) -> Iterator[Hub]:
    with SimulatedModem(link=tmp_path / "modem0", report_delay_s=0.05) as modem:
        store = HubStore(hub_database)
        desk = ComplaintDesk(store)
        desk.install()
        sms = SmsOutbox(store, _settings(modem))
        desk.on_status = sms.on_status
        yield Hub(store, desk, Ingestor(store, lambda topic, payload: True), sms, modem)
        sms.close()
        store.close()


def _file(hub: Hub, body, device: str = "unit-1") -> None:
    envelope = make_envelope("complaint", device, body)
    payload = encode(envelope)
    hub.ingestor.process([(f"khidmat/v1/dev/{device}/up/complaint", payload)])
    hub.ingestor.process([(f"khidmat/v1/dev/{device}/up/complaint", payload)])  # re-sent


def _work(hub: Hub, tracking_no: str, statuses=LIFECYCLE, desk: str = "general") -> None:
    for status in statuses:
        hub.desk.change_status(
            tracking_no, status, reason="internal note", officer="SI Rashid", desk=desk,
            assignee="SI Rashid", message="Please bring your CNIC to the station.",
        )  # fmt: skip


def _send_all(hub: Hub, *, wait_reports: bool = True) -> None:
    hub.sms.send_due()
    deadline = time.monotonic() + 5
    while wait_reports and time.monotonic() < deadline:
        if hub.sms.counts().get("sent", 0) == 0:
            return
        time.sleep(0.1)
        hub.sms.take_reports()


def test_every_status_change_is_texted_once_and_delivered(hub: Hub) -> None:
    body = sample_complaint("QTA01", 1, device_id="unit-1")
    _file(hub, body)
    _work(hub, body.tracking_no)
    _send_all(hub)
    texts = hub.sms.texts(body.tracking_no)
    assert len(texts) == 1 + len(LIFECYCLE)  # received + each change, the re-sent record once
    assert {t["state"] for t in texts} == {"delivered"}
    got = [m.text for m in hub.modem.received()]
    assert got == [t["text"] for t in texts] and len(set(got)) == len(got)
    assert all(body.tracking_no in text for text in got)
    assert "received. Due by" in got[0]
    assert "Please bring your CNIC" in got[2] and "internal note" not in " ".join(got)
    assert "Please rate our service" in got[4] and "reopened as you asked" in got[5]
    assert {m.number for m in hub.modem.received()} == {"+923001234567"}
    for name in (body.complainant_name, body.cnic, "motorcycle"):
        assert all(name not in text for text in got)
    hub.sms.send_due()  # nothing more to send
    assert len(hub.modem.received()) == len(got)


def test_urdu_and_the_womens_desk(hub: Hub) -> None:
    urdu = dataclasses.replace(sample_complaint("QTA01", 2, device_id="unit-1"), language="ur")
    women = dataclasses.replace(
        sample_complaint("QTA01", 3, device_id="unit-1"),
        category="domestic-violence",
        answers=(Answer("danger_now", "yes"),),
        gender_desk=True,
    )
    _file(hub, urdu)
    _file(hub, women)
    _work(hub, urdu.tracking_no, ("registered",))
    _work(hub, women.tracking_no, ("registered", "assigned"), desk="women")
    _send_all(hub)
    by_no = {t["tracking_no"]: [] for t in hub.sms.texts()}
    for t in hub.sms.texts():
        by_no[t["tracking_no"]].append(t["text"])
    assert (
        by_no[urdu.tracking_no][0].startswith("خدمت: شکایت")
        and "موصول" in by_no[urdu.tracking_no][0]
    )
    assert "درج" in by_no[urdu.tracking_no][1]
    women_texts = by_no[women.tracking_no]
    assert len(women_texts) == 3
    for text in women_texts:  # no case details: no urgency, no officer's message, no category
        # (the emergency number as the urgent text puts it: a bare "15" can be the due hour)
        for detail in ("URGENT", f"call {EMERGENCY_NUMBER}", "CNIC", "violence", "danger"):
            assert detail not in text
    sent = {m.text for m in hub.modem.received()}
    assert set(women_texts) <= sent and by_no[urdu.tracking_no][0] in sent


def test_an_urgent_receipt_says_so_and_names_the_emergency_number(hub: Hub) -> None:
    body = dataclasses.replace(
        sample_complaint("QTA01", 4, device_id="unit-1"),
        category="missing-person",
        answers=(Answer("missing_age", "5"),),
    )
    _file(hub, body)
    (text,) = [t["text"] for t in hub.sms.texts(body.tracking_no)]
    assert "URGENT" in text and "call 15" in text


def test_modem_faults_retry_with_backoff_and_send_once(hub: Hub) -> None:
    body = sample_complaint("QTA01", 5, device_id="unit-1")
    hub.modem.set_faults(network=False)
    _file(hub, body)
    assert hub.sms.send_due() == 0
    (row,) = hub.sms.texts(body.tracking_no)
    assert (row["state"], row["attempts"], row["last_error"]) == ("queued", 1, "no-network")
    assert row["next_try_ms"] > row["created_ms"]
    hub.modem.set_faults(network=True, fail_sends=1)
    time.sleep(0.2)
    hub.sms.send_due()
    (row,) = hub.sms.texts(body.tracking_no)
    assert (row["state"], row["attempts"], row["last_error"]) == ("queued", 2, "send-failed")
    time.sleep(0.3)
    assert hub.sms.send_due() == 1
    (row,) = hub.sms.texts(body.tracking_no)
    assert row["state"] in ("sent", "delivered") and len(hub.modem.received()) == 1


def test_a_report_that_never_comes_leaves_the_text_sent_not_resent(hub: Hub) -> None:
    hub.modem.set_faults(reports=False)
    body = sample_complaint("QTA01", 6, device_id="unit-1")
    _file(hub, body)
    hub.sms.send_due()
    time.sleep(0.5)
    hub.sms.take_reports()
    hub.sms.send_due()
    (row,) = hub.sms.texts(body.tracking_no)
    assert row["state"] == "sent" and row["delivered_ms"] is None
    assert len(hub.modem.received()) == 1


def test_a_missing_sim_keeps_texts_queued_until_the_last_attempt(
    tmp_path: Path, hub_database
) -> None:
    with SimulatedModem(link=tmp_path / "m", sim_present=False) as modem:
        store = HubStore(hub_database)
        desk = ComplaintDesk(store)
        desk.install()
        sms = SmsOutbox(store, _settings(modem, max_attempts=2, retry_base_s=0.01))
        desk.on_status = sms.on_status
        ingestor = Ingestor(store, lambda topic, payload: True)
        body = sample_complaint("QTA01", 7, device_id="unit-1")
        ingestor.process(
            [
                (
                    "khidmat/v1/dev/unit-1/up/complaint",
                    encode(make_envelope("complaint", "unit-1", body)),
                )
            ]
        )
        sms.send_due()
        time.sleep(0.05)
        sms.send_due()
        (row,) = sms.texts()
        assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 2, "sim-missing")
        sms.close()
        store.close()


def test_texts_survive_a_restart(hub: Hub, tmp_path: Path) -> None:
    body = sample_complaint("QTA01", 8, device_id="unit-1")
    _file(hub, body)  # queued, the hub stops before sending
    hub.sms.close()
    again = SmsOutbox(hub.store, _settings(hub.modem))
    assert again.send_due() == 1
    assert [m.text for m in hub.modem.received()] == [hub.sms.texts()[0]["text"]]
    again.close()


def _utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_quiet_hours_are_pakistan_time() -> None:
    settings = SmsSettings(quiet_from_h=21, quiet_to_h=8)
    noon_pkt = _utc_ms("2026-12-05T07:00:00")
    assert quiet_until_ms(noon_pkt, settings) == noon_pkt
    late = _utc_ms("2026-12-05T18:30:00")  # 23:30 PKT
    assert quiet_until_ms(late, settings) == _utc_ms("2026-12-06T03:00:00")  # 08:00 PKT
    early = _utc_ms("2026-12-05T01:00:00")  # 06:00 PKT
    assert quiet_until_ms(early, settings) == _utc_ms("2026-12-05T03:00:00")
    assert quiet_until_ms(late, SmsSettings(quiet_from_h=0, quiet_to_h=0)) == late


def test_quiet_hours_hold_ordinary_texts_but_not_urgent_ones(hub: Hub) -> None:
    hub.sms.settings = dataclasses.replace(hub.sms.settings, quiet_from_h=21, quiet_to_h=8)
    _file(hub, sample_complaint("QTA01", 9, device_id="unit-1"))
    _file(
        hub,
        dataclasses.replace(
            sample_complaint("QTA01", 10, device_id="unit-1"),
            category="missing-person",
            answers=(Answer("missing_age", "4"),),
        ),
    )
    # the next 23:30 in Pakistan (18:30 UTC) after the texts were queued
    day = int(time.time() * 1000) // 86_400_000 * 86_400_000
    night = day + 86_400_000 + int(18.5 * 3_600_000)
    assert hub.sms.send_due(now_ms=night) == 1
    assert ["URGENT" in m.text for m in hub.modem.received()] == [True]
    held = [t for t in hub.sms.texts() if t["state"] == "queued"]
    assert len(held) == 1 and held[0]["next_try_ms"] == night + int(8.5 * 3_600_000)


def test_urdu_status_names_are_the_desks_own() -> None:
    from hub.sms.texts import URDU_STATUS_NAMES
    from khidmat_wire.vocabulary import STATUS_NAMES
    from kiosk.i18n import parse_po

    po = Path(__file__).parents[3] / "kiosk/locale/ur/LC_MESSAGES/kiosk.po"
    catalog = parse_po(po.read_text(encoding="utf-8"))
    assert URDU_STATUS_NAMES == {name: catalog[name] for name in STATUS_NAMES.values()}


def test_the_sms_section_of_hub_toml(hub_toml) -> None:
    from hub.config import load_hub_config
    from khidmat_base.config import ConfigError

    config = load_hub_config(hub_toml(extra='[sms]\nport = "modem0"\nquiet_from_h = 22\n'))
    assert config.sms.port.endswith("/modem0") and config.sms.quiet_from_h == 22
    assert load_hub_config(hub_toml()).sms.port == ""
    officer = load_hub_config(hub_toml(extra='[sms]\nduty_officer = "0300-1234567"\n'))
    assert officer.sms.duty_officer == "0300-1234567"
    for bad in (
        "quiet_to_h = 24", "max_attempts = 0", "colour = 1", "port = 5",
        'duty_officer = "+923001234567"', 'duty_officer = "0300-12345"',
    ):  # fmt: skip
        with pytest.raises(ConfigError, match=r"\[sms\]"):
            load_hub_config(hub_toml(extra=f"[sms]\n{bad}\n"))


def test_a_citizen_who_opted_out_at_the_desk_is_never_texted(hub: Hub) -> None:
    body = dataclasses.replace(sample_complaint("QTA01", 11, device_id="unit-1"), sms=False)
    _file(hub, body)
    _work(hub, body.tracking_no, ("registered", "assigned"))
    _send_all(hub)
    assert hub.sms.texts(body.tracking_no) == [] and hub.modem.received() == []


def test_the_duty_marks_the_last_texts_delivered_with_nothing_left_to_send(hub: Hub) -> None:
    """The hub's sms duty only calls send_due: reports that come after the last send are
    still taken on a later round, when nothing is due."""
    body = sample_complaint("QTA01", 7, device_id="unit-1")
    _file(hub, body)
    assert hub.sms.send_due() == 1
    deadline = time.monotonic() + 5
    while hub.sms.counts().get("delivered", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        assert hub.sms.send_due() == 0  # nothing due: the reports are taken all the same
    assert hub.sms.counts() == {"delivered": 1}
