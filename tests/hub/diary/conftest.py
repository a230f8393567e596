"""Diary fixtures: a hub database (real SQLite file) with a station's units registered."""

from __future__ import annotations

import pytest

from hub.diary import Diary
from hub.store import HubStore
from provisioning.registry import Registry

STATION = "QTA1"
UNITS = (("desk-qta1-1", "desk"), ("gate-qta1-1", "gate"), ("enrol-qta1-1", "enrol"))


@pytest.fixture
def register_units():
    """``register_units(store)``: the desk, gate and enrolment unit of QTA1 in provisioning's
    registry (``desk-qta1-1``, ``gate-qta1-1``, ``enrol-qta1-1``)."""

    def register(store: HubStore, station: str = STATION) -> None:
        registry = Registry(store.db)
        for device_id, role in UNITS:
            registry.register(
                device_id, role=role, station=station, name=device_id,
                mqtt_password_hash="x", has_client_cert=False,
            )  # fmt: skip

    return register


@pytest.fixture
def store(tmp_path, hub_database):
    hub_store = HubStore(hub_database)
    yield hub_store
    hub_store.close()


@pytest.fixture
def diary(store) -> Diary:
    return Diary(store)
