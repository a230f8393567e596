"""hub/store/federation.py: a query finished once, late replies kept apart, stable refs."""

from __future__ import annotations

import re
from pathlib import Path

from hub.store import HubStore
from hub.store import federation as table
from khidmat_wire.vocabulary import FEDERATION_REF


def test_a_query_is_finished_once_and_a_late_reply_changes_nothing(
    tmp_path: Path, hub_database
) -> None:
    store = HubStore(hub_database)
    table.migrate(store.db)
    with store.db.write() as conn:
        assert table.open_query(
            conn, query_id="q1", scan_id="s1", device_id="gate-1", officer="B1",
            home_result="no-hit", asked=["sindh", "punjab"], asked_ms=1000, deadline_ms=2500,
        )  # fmt: skip
        assert not table.open_query(
            conn,
            query_id="q2",
            scan_id="s1",
            device_id="gate-1",
            officer="B1",
            home_result="no-hit",
            asked=["sindh"],
            asked_ms=1000,
            deadline_ms=2500,
        )  # fmt: skip  (the same scan is forwarded once)
        stored, held = table.add_reply(
            conn, "q1", "sindh", received_ms=1200, result="hit",
            candidates=[{"ref": "sindh-0123456789abcdef", "level": "red"}], desk="desk",
        )  # fmt: skip
        assert (stored, held) == (True, 1)
        assert table.add_reply(
            conn, "q1", "sindh", received_ms=1300, result="hit", candidates=[], desk="desk"
        ) == (False, 1)  # a copy
    assert table.due_queries(store.db, 2499) == []
    assert table.due_queries(store.db, 2500) == ["q1"]
    assert table.next_deadline_ms(store.db) == 2500
    with store.db.write() as conn:
        closed = table.finish(conn, "q1", finished_ms=2500)
        assert closed is not None
        query, replies = closed
        assert query.asked == ("sindh", "punjab") and [r.province for r in replies] == ["sindh"]
        table.record_verdict(conn, "q1", "red", ["punjab"])
        assert table.finish(conn, "q1", finished_ms=2600) is None  # once
        stored, _ = table.add_reply(
            conn, "q1", "punjab", received_ms=2700, result="no-hit", candidates=[], desk=""
        )
        assert not stored  # late
    (row,) = table.queries(store.db)
    assert row["verdict"] == "red" and row["not_answered"] == '["punjab"]'
    assert {r["province"]: r["late"] for r in row["replies"]} == {"sindh": 0, "punjab": 1}
    assert table.next_deadline_ms(store.db) is None
    store.close()


def test_references_are_stable_opaque_and_resolvable(tmp_path: Path, hub_database) -> None:
    store = HubStore(hub_database)
    table.migrate(store.db)
    with store.db.write() as conn:
        first = table.refs_for(conn, "sindh", ["P-1", "P-2", "P-1"], 1)
        again = table.refs_for(conn, "sindh", ["P-2"], 2)
    assert again["P-2"] == first["P-2"] and first["P-1"] != first["P-2"]
    for ref in first.values():
        assert re.fullmatch(FEDERATION_REF, ref) and "P-" not in ref
    assert table.resolve_ref(store.db, first["P-1"]) == "P-1"
    assert table.resolve_ref(store.db, "sindh-ffffffffffffffff") is None
    store.close()
