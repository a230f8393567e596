"""The registry admits every unit role, also in a database made before hotel units."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from provisioning.registry import Registry

OLD_TABLE = """
CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO schema_versions VALUES ('provisioning.registry', 1);
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('desk', 'gate', 'enrol')),
    station TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', provisioned_at_ms INTEGER NOT NULL,
    retired_at_ms INTEGER, last_seen_ms INTEGER, has_client_cert INTEGER NOT NULL DEFAULT 0,
    replaces TEXT, mqtt_password_hash TEXT NOT NULL);
INSERT INTO devices VALUES ('qta01-gate-1a2b', 'gate', 'QTA01', 'gate', 5, NULL, 7, 1, NULL, '$7$h');
"""


def test_a_hotel_unit_registers_in_a_database_made_before_hotel_units(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_TABLE)
    with Registry(path) as registry:
        registry.register("qta01-hotel-3c4d", role="hotel", station="QTA01", name="Serena",
                          mqtt_password_hash="$7$x", has_client_cert=False)  # fmt: skip
        devices = {d.device_id: d for d in registry.list()}
    assert devices["qta01-hotel-3c4d"].role == "hotel"
    gate = devices["qta01-gate-1a2b"]  # kept whole by the copy
    assert (gate.role, gate.provisioned_at_ms, gate.last_seen_ms, gate.has_client_cert) == (
        "gate", 5, 7, True,
    )  # fmt: skip
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT mqtt_password_hash FROM devices WHERE device_id = 'qta01-gate-1a2b'").fetchone() == ("$7$h",)  # fmt: skip
