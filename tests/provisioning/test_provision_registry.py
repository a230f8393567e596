"""The device registry on a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from provisioning.registry import Registry, RegistryError

HASH = "$7$101$c2FsdA==$aGFzaA=="


def register(registry: Registry, device_id: str, at_ms: int = 1_000, **extra) -> None:
    fields = {"role": "gate", "station": "QTA01", "name": "", "mqtt_password_hash": HASH}
    registry.register(device_id, has_client_cert=False, at_ms=at_ms, **(fields | extra))


def test_register_get_list_and_retire(hub_database) -> None:
    with Registry(hub_database) as registry:
        register(registry, "qta01-gate-0001", at_ms=2_000, name="Gate 1")
        register(registry, "qta01-desk-0002", at_ms=1_000, role="desk")
        device = registry.get("qta01-gate-0001")
        assert device is not None and device.name == "Gate 1" and device.active
        assert registry.get("nope-000") is None
        assert [d.device_id for d in registry.list()] == ["qta01-desk-0002", "qta01-gate-0001"]
        retired = registry.retire("qta01-gate-0001", at_ms=5_000)
        assert retired.retired_at_ms == 5_000 and not retired.active
        assert registry.retire("qta01-gate-0001", at_ms=9_000).retired_at_ms == 5_000
        assert [d.device_id for d in registry.list(include_retired=False)] == ["qta01-desk-0002"]
        assert registry.active_password_hashes() == {"qta01-desk-0002": HASH}


def test_duplicate_and_unknown_ids_are_errors(hub_database) -> None:
    with Registry(hub_database) as registry:
        register(registry, "qta01-gate-0001")
        with pytest.raises(RegistryError, match="already registered"):
            register(registry, "qta01-gate-0001")
        with pytest.raises(RegistryError, match="no such device"):
            registry.retire("qta01-gate-9999")
        with pytest.raises(RegistryError):
            register(registry, "qta01-xxxx-0002", role="kiosk")  # CHECK constraint


def test_touch_last_seen_only_moves_forward(hub_database) -> None:
    with Registry(hub_database) as registry:
        register(registry, "qta01-gate-0001")
        assert registry.touch_last_seen("qta01-gate-0001", 50_000)
        assert registry.touch_last_seen("qta01-gate-0001", 40_000)
        device = registry.get("qta01-gate-0001")
        assert device is not None and device.last_seen_ms == 50_000
        assert not registry.touch_last_seen("qta01-gate-9999", 60_000)


def test_the_database_is_wal_and_shared_between_connections(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    with Registry(path) as writer, Registry(path) as reader:
        threads = [
            threading.Thread(
                target=lambda n=n: [
                    register(writer if n % 2 else reader, f"qta01-gate-{n:02d}{i:02d}")
                    for i in range(20)
                ]
            )
            for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(reader.list()) == 80
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {row[1] for row in db.execute("PRAGMA table_info(devices)")}
    assert {
        "device_id",
        "role",
        "station",
        "name",
        "provisioned_at_ms",
        "retired_at_ms",
        "last_seen_ms",
        "has_client_cert",
    } <= columns


def test_a_hub_on_a_database_server_gets_its_units_registered_there(
    deployment, hub_database
) -> None:
    """Provisioning registers units where the hub reads them: the server hub.toml names."""
    from provisioning.operations import provision_device

    if isinstance(hub_database, str):
        text = deployment.hub_toml.read_text(encoding="utf-8")
        deployment.hub_toml.write_text(
            text.replace('database = "hub.db"', f'database = "{hub_database}"'), encoding="utf-8"
        )
    assert deployment.hub_database == (
        hub_database if isinstance(hub_database, str) else deployment.hub_db
    )
    made = provision_device(deployment, role="gate", station="QTA01")
    with Registry(hub_database if isinstance(hub_database, str) else deployment.hub_db) as reg:
        assert [d.device_id for d in reg.list()] == [made.device.device_id]
