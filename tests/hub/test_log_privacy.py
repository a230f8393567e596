"""CNIC numbers and fingerprint templates never reach a log, even when a payload is rejected."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.config import load_unit_config
from edge_agent.store import LocalStore
from hub.config import load_hub_config
from hub.ingest import Ingestor
from hub.service import HubService
from hub.store import HubStore
from khidmat.testbed import Testbed, sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Candidate, Scan

CNIC = "54400-1234567-1"
TEMPLATE = base64.b64encode(b"minutiae-template-bytes" * 20).decode()


def _scan(template: str) -> Scan:
    return Scan("B-1", template, 80, "red", (Candidate("p-1", 99.0, 1),), 3)


def _secrets_absent(text: str) -> None:
    assert CNIC not in text
    assert "1234567" not in text
    assert TEMPLATE[:24] not in text


def test_rejected_payloads_are_logged_without_their_contents(
    tmp_path: Path, hub_database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = HubStore(hub_database)
    ingestor = Ingestor(store, lambda topic, payload: True)
    complaint = json.loads(
        encode(
            make_envelope("complaint", "unit-1", sample_complaint("QTA01", 1, device_id="unit-1"))
        )
    )
    bad_cnic = json.loads(json.dumps(complaint))
    bad_cnic["body"]["cnic"] = CNIC[:-2]  # malformed: rejected
    bad_mobile = json.loads(json.dumps(complaint))
    bad_mobile["body"]["mobile"] = "0300 1234567"
    scan = json.loads(encode(make_envelope("scan", "unit-1", _scan(TEMPLATE))))
    scan["body"]["template"] = TEMPLATE + "!"  # not base64: rejected
    ingestor.process(
        [
            ("khidmat/v1/dev/unit-1/up/complaint", json.dumps(bad_cnic).encode()),
            ("khidmat/v1/dev/unit-1/up/complaint", json.dumps(bad_mobile).encode()),
            ("khidmat/v1/dev/unit-1/up/scan", json.dumps(scan).encode()),
            (
                "khidmat/v1/dev/unit-2/up/complaint",
                json.dumps(complaint).encode(),
            ),  # spoofed device
        ]
    )
    assert len(store.quarantined()) == 4
    assert caplog.records, "the rejections should be logged"
    _secrets_absent(caplog.text)
    _secrets_absent(" ".join(q.reason for q in store.quarantined()))
    store.close()


@pytest.mark.broker
def test_a_full_delivery_logs_no_cnic_or_template(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, testbed_databases
) -> None:
    caplog.set_level(logging.DEBUG)
    database = testbed_databases()
    with Testbed(tmp_path, ["unit-1"], resend_after_s=0.5, database=database) as testbed:
        hub = HubService(load_hub_config(testbed.hub_config))
        agent = Agent(load_unit_config(testbed.unit_configs["unit-1"]))
        agent.store.enqueue(
            make_envelope("complaint", "unit-1", sample_complaint("QTA01", 2, device_id="unit-1"))
        )
        agent.store.enqueue(make_envelope("scan", "unit-1", _scan(TEMPLATE)))
        threads = [
            threading.Thread(target=hub.run, daemon=True),
            threading.Thread(target=agent.run, daemon=True),
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while agent.store.outbox_depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        agent.stop()
        hub.stop()
        for thread in threads:
            thread.join(10)
        assert agent.store.outbox_depth() == 0
        agent.store.close()
        hub.store.close()
        with LocalStore(testbed.store_path("unit-1")) as store:
            assert store.outbox_depth() == 0
    _secrets_absent(caplog.text)
