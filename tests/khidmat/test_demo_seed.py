"""The demo's seed: two index fingers per person, and a one-finger seed upgraded in place."""

from __future__ import annotations

from pathlib import Path

from hub.records import RecordStore
from hub.store import HubStore
from khidmat.demo_seed import (
    INDEX_FINGER,
    LEFT_INDEX_FINGER,
    seed_records,
    seeded_person_id,
)


def _fingers_and_templates(hub_db: Path) -> dict[str, dict[int, bytes]]:
    store = HubStore(hub_db)
    try:
        records = RecordStore(store)
        ids = records.ids_starting("SEED-")
        held: dict[str, dict[int, bytes]] = {pid: {} for pid in ids}
        for pid, finger, data in records.templates_of(ids):
            held[pid][finger] = data
        return held
    finally:
        store.close()


def test_a_one_finger_seed_is_upgraded_to_the_templates_a_fresh_seed_has(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    first = seed_records(old, people=12, wanted=2, two_fingers=False)
    assert (first.added, first.upgraded) == (12, 0) and first.upgrade_note() == ""
    assert {tuple(f) for f in _fingers_and_templates(old).values()} == {(INDEX_FINGER,)}
    store = HubStore(old)
    try:  # an operator's change to a seeded person survives the upgrade
        RecordStore(store).set_status(seeded_person_id(5), "wanted", reason="test", actor="t")
    finally:
        store.close()

    again = seed_records(old, people=12, wanted=2)
    assert (again.added, again.upgraded) == (0, 12)
    assert "12 seeded people had the right index only" in again.upgrade_note()
    fresh = tmp_path / "fresh.db"
    seed_records(fresh, people=12, wanted=2)
    assert _fingers_and_templates(old) == _fingers_and_templates(fresh)
    assert all(
        tuple(f) == (INDEX_FINGER, LEFT_INDEX_FINGER) for f in _fingers_and_templates(old).values()
    )
    store = HubStore(old)
    try:
        assert RecordStore(store).get(seeded_person_id(5)).status == "wanted"  # type: ignore[union-attr]
    finally:
        store.close()

    current = seed_records(old, people=12, wanted=2)
    assert (current.added, current.upgraded) == (0, 0) and current.upgrade_note() == ""
