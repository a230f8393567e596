"""Officer decisions at a gate raise control-room alerts (real SQLite, the hub's ingest)."""

from __future__ import annotations

import pytest

from hub.config import load_hub_config
from hub.ingest import Ingestor
from hub.service import HubService
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Candidate, Scan


@pytest.fixture
def hub(hub_toml):
    service = HubService(load_hub_config(hub_toml()))  # tables and handlers; never started
    yield service, Ingestor(service.store, lambda topic, payload: True)
    service.store.close()


def _scan(verdict: str, decision: str, candidates, *, decides: str = "", reason: str = ""):
    body = Scan("QTA-0412", "AAAA", 70, verdict, candidates, 3, decision, reason, decides)
    return make_envelope("scan", "gate-1", body)


def test_confirmed_reds_and_rejected_hits_raise_alerts_the_operator_acknowledges(hub) -> None:
    service, ingestor = hub
    records, alerts = service.modules.records, service.modules.alerts
    person_id = records.upsert_person(
        name="Gul Khan", father_name="Sher Khan", cnic="54400-7777777-1", offences=("PPC 392",),
        status="wanted", source="test", actor="CRO",
    )  # fmt: skip
    first = _scan("red", "none", (Candidate(person_id, 0.91),))
    confirmed = _scan("red", "confirmed", (Candidate(person_id, 0.91),), decides=first.record_id)
    rejected = _scan(
        "yellow", "rejected", (Candidate("P-UNKNOWN", 0.4),), decides="", reason="different man"
    )
    green = _scan("green", "none", ())
    for envelope in (first, confirmed, rejected, green, confirmed):  # a re-sent record once
        ingestor.process([("khidmat/v1/dev/gate-1/up/scan", encode(envelope))])
    raised = {a.kind: a for a in alerts.list()}
    assert set(raised) == {"confirmed", "rejected-hit"}
    red = raised["confirmed"]
    assert red.severity == "critical" and "RED CONFIRMED" in red.title and "Gul Khan" in red.title
    assert first.record_id in red.detail and red.times == 1
    assert raised["rejected-hit"].severity == "warning"
    assert "different man" in raised["rejected-hit"].detail
    alerts.acknowledge(red.id, officer="Insp. Nadia")
    assert alerts.list(kind="confirmed")[0].acked_by == "Insp. Nadia"


def test_an_alert_raised_again_takes_the_new_title(hub) -> None:
    service, _ = hub
    alerts = service.modules.alerts
    key = "escalation:QTA01-261130-000001-K"
    alerts.raise_alert(key, "escalation", "warning", "unit-1", "escalated to SHO", "level 1 (SHO)")
    alerts.raise_alert(key, "escalation", "warning", "unit-1", "escalated to DPO", "level 5 (DPO)")
    [alert] = alerts.list(kind="escalation")
    assert (alert.title, alert.detail, alert.times) == ("escalated to DPO", "level 5 (DPO)", 2)
