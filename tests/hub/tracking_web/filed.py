"""A hub database with complaints filed through the real ingest path, for the tracking page
(the ``filed`` fixture, which conftest.py makes available)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hub.complaints import ComplaintDesk
from hub.ingest import Ingestor
from hub.store import HubStore
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope

DEVICE = "qta01-desk-0001"
MESSAGE = "Your phone was found. <b>Collect</b> it & sign at the front desk."


@dataclasses.dataclass
class Filed:
    store: HubStore
    desk: ComplaintDesk
    general: str  # worked to resolved, with a message for the citizen
    women: str  # gender desk
    fresh: str  # just received


def file(store: HubStore, body: object) -> None:
    envelope = make_envelope("complaint", DEVICE, body)
    Ingestor(store, lambda topic, payload: True).process(
        [(f"khidmat/v1/dev/{DEVICE}/up/complaint", encode(envelope))]
    )


@pytest.fixture
def filed(tmp_path: Path, hub_database):
    store = HubStore(hub_database)
    desk = ComplaintDesk(store)
    desk.install()
    general = sample_complaint("QTA01", 11, device_id=DEVICE)
    women = dataclasses.replace(
        sample_complaint("QTA01", 12, device_id=DEVICE, category="harassment"),
        gender_desk=True,
        mobile="0333-7654321",
        complainant_name="Rabia Noor",
    )
    fresh = dataclasses.replace(
        sample_complaint("QTA01", 13, device_id=DEVICE), mobile="0345-1112223"
    )
    for body in (general, women, fresh):
        file(store, body)
    change = {"officer": "ASI Karim", "desk": "general"}
    desk.change_status(general.tracking_no, "registered", reason="FIR 12/26 internal", **change)
    desk.change_status(
        general.tracking_no, "assigned", reason="beat 4", assignee="SI Rashid", **change
    )
    desk.change_status(general.tracking_no, "under-investigation", reason="visited", **change)
    desk.change_status(
        general.tracking_no, "resolved", reason="recovered from a suspect", message=MESSAGE,
        **change,
    )  # fmt: skip
    yield Filed(store, desk, general.tracking_no, women.tracking_no, fresh.tracking_no)
    store.close()
