"""The diary's tables: append-only in code, one number per entry, the register kept with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.store import HubStore
from hub.store import diary as table
from khidmat_base.database import integrity_errors

SOURCE = Path(table.__file__).read_text(encoding="utf-8")


def test_no_query_changes_or_removes_an_entry() -> None:
    assert "INSERT INTO diary_entries" in SOURCE  # the scan reads the real module
    assert not re.search(r"(UPDATE|DELETE FROM|REPLACE INTO)\s+diary_entries", SOURCE)


def _insert(conn, seq: int, event_key: str | None = None) -> None:
    table.insert(
        conn, station="QTA1", day="2026-12-06", seq=seq, at_ms=1, kind="report", officer="SI",
        text="t", ref="", corrects="", source="cli", event_key=event_key,
        prev_hash="p", entry_hash=f"h{seq}",
    )  # fmt: skip


def test_a_number_and_an_event_are_taken_once_and_the_register_follows(
    tmp_path, hub_database
) -> None:
    with HubStore(hub_database) as store:
        table.migrate(store.db)
        with store.db.write() as conn:
            _insert(conn, 1, "record:a")
            _insert(conn, 2)
            assert table.has_event(conn, "record:a") and not table.has_event(conn, "record:b")
            register = table.head(conn, "QTA1", "2026-12-06")
            assert (register["entries"], register["head_hash"]) == (2, "h2")
        with pytest.raises(integrity_errors()), store.db.write() as conn:
            _insert(conn, 2)  # the same number twice
        with pytest.raises(integrity_errors()), store.db.write() as conn:
            _insert(conn, 3, "record:a")  # the same record twice
        assert table.count(store.db) == 2 and table.count(store.db, "QTA1", "2026-12-06") == 2


def test_a_savepoint_undoes_only_its_own_writes(tmp_path, hub_database) -> None:
    with HubStore(hub_database) as store:
        table.migrate(store.db)
        with store.db.write() as conn:
            _insert(conn, 1)
            with pytest.raises(RuntimeError), table.savepoint(conn):
                _insert(conn, 2)
                raise RuntimeError("fault")
        assert [r["seq"] for r in table.entries(store.db, "QTA1", "2026-12-06")] == [1]
        assert table.day_row(store.db, "QTA1", "2026-12-06")["entries"] == 1
