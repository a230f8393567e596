"""Schema versions per component: steps applied once, in order, on a real SQLite file (the
same bookkeeping on PostgreSQL: tests/khidmat_base/test_postgres.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from khidmat_base.schema_versions import apply_migrations
from khidmat_base.sqlite import Database


def test_each_component_keeps_its_own_version_and_steps_run_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def add_row(conn: object) -> None:
        calls.append(1)
        conn.execute("INSERT INTO a (n) VALUES (7)")  # type: ignore[attr-defined]

    with Database(tmp_path / "t.db") as db:
        assert (
            apply_migrations(
                db, "a", ["CREATE TABLE a (n INTEGER); CREATE INDEX a_n ON a (n)", add_row]
            )
            == 2
        )
        assert apply_migrations(db, "b", ["CREATE TABLE b (n INTEGER)"]) == 1
        assert db.migrate("a", ["CREATE TABLE a (n INTEGER)", add_row]) == 2  # nothing again
        assert db.migrate("a", ["", add_row, "ALTER TABLE a ADD COLUMN m INTEGER"]) == 3
        assert calls == [1]
        assert db.scalar("SELECT count(*) FROM a") == 1 and db.table_exists("b")
        versions = dict(db.query("SELECT component, version FROM schema_versions"))
    assert versions == {"a": 3, "b": 1}


def test_check_before_writing_takes_no_write_lock_when_nothing_is_due(tmp_path: Path) -> None:
    steps = ["CREATE TABLE a (n INTEGER)"]
    with Database(tmp_path / "t.db") as db:
        assert db.migrate("a", steps) == 1
        other = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            assert apply_migrations(db, "a", steps, check_before_writing=True) == 1
            other.execute("ROLLBACK")
        finally:
            other.close()
        # a step due still runs, in a write transaction of its own
        due = [*steps, "CREATE TABLE c (n INTEGER)"]
        assert apply_migrations(db, "a", due, check_before_writing=True) == 2
        assert db.table_exists("c")
