"""The PostgreSQL database against a real server: the SQLite Database's interface and values."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from khidmat_base.database import integrity_errors, is_server_url, open_database
from khidmat_base.postgres import PostgresDatabase
from khidmat_base.sqlite import Database

SCHEMA = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, "
    "at_ms INTEGER NOT NULL, score REAL, blob BLOB, flag INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX t_at ON t (at_ms)",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database | PostgresDatabase]:
    """The same table on both databases."""
    if request.param == "sqlite":
        database = open_database(tmp_path / "t.db")
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"dialect_{request.node.name[-40:].strip('[]').replace('-', '_')}_{id(request)}"
        database = open_database(server.create_database(name))
    database.migrate("t", SCHEMA)
    yield database
    database.close()


def test_locations_pick_the_database() -> None:
    assert is_server_url("postgresql://khidmat@127.0.0.1:5432/hub")
    assert not is_server_url("hub.db") and not is_server_url(Path("postgresql:/x"))


def test_both_read_write_and_return_the_same_values(db) -> None:
    with db.write() as conn:
        first = conn.execute(
            "INSERT INTO t (name, at_ms, score, blob, flag) VALUES (?, ?, ?, ?, ?) RETURNING id",
            ("Gul %_?", 1_796_540_400_000, 0.125, b"\x00\xff", True),
        ).fetchone()[0]
        ignored = conn.execute(
            "INSERT OR IGNORE INTO t (name, at_ms) VALUES (?, ?) RETURNING id", ("Gul %_?", 1)
        )
        assert ignored.fetchone() is None
        second = conn.execute(
            "INSERT OR IGNORE INTO t (name, at_ms) VALUES (?, ?) RETURNING id", ("b", 2)
        ).fetchone()[0]
        assert second > first
        conn.execute(
            "INSERT INTO t (name, at_ms) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
            "at_ms = t.at_ms + excluded.at_ms",
            ("b", 40),
        )
    row = db.query("SELECT * FROM t WHERE name LIKE ? ESCAPE '\\'", ("gul \\%\\_?",))[0]
    assert (row["id"], row["name"], row["at_ms"], row["score"]) == (
        first, "Gul %_?", 1_796_540_400_000, 0.125,
    )  # fmt: skip
    assert bytes(row["blob"]) == b"\x00\xff" and row["flag"] == 1 and row[0] == first
    assert dict(row)["at_ms"] == 1_796_540_400_000 and list(row.keys())[:2] == ["id", "name"]
    assert db.scalar("SELECT at_ms FROM t WHERE name = ?", ("b",)) == 42
    assert db.scalar("SELECT sum(at_ms) FROM t") == 1_796_540_400_042
    assert isinstance(db.scalar("SELECT sum(at_ms) FROM t"), int)
    assert db.scalar("SELECT count(*) FROM t WHERE score IS ?", (None,)) == 1
    assert db.scalar("SELECT name FROM t WHERE id = ?", (999,)) is None
    assert db.table_exists("t") and not db.table_exists("nothing")


def test_a_failed_transaction_leaves_nothing_and_the_database_usable(db) -> None:
    with pytest.raises(integrity_errors()), db.write() as conn:
        conn.execute("INSERT INTO t (name, at_ms) VALUES (?, ?)", ("a", 1))
        conn.execute("INSERT INTO t (name, at_ms) VALUES (?, ?)", ("a", 2))
    with pytest.raises(ZeroDivisionError), db.write() as conn:
        conn.execute("INSERT INTO t (name, at_ms) VALUES (?, ?)", ("c", 1))
        raise ZeroDivisionError
    assert db.scalar("SELECT count(*) FROM t") == 0
    with db.write() as conn:
        conn.execute("INSERT INTO t (name, at_ms) VALUES (?, ?)", ("a", 1))
    assert db.scalar("SELECT count(*) FROM t") == 1


def test_migrations_apply_once_and_continue_from_their_version(db) -> None:
    assert db.migrate("t", SCHEMA) == 2  # already applied: nothing runs again
    assert db.migrate("t", (*SCHEMA, "ALTER TABLE t ADD COLUMN extra INTEGER")) == 3
    with db.write() as conn:
        conn.execute("INSERT INTO t (name, at_ms, extra) VALUES (?, ?, ?)", ("x", 1, 2**40))
    assert db.scalar("SELECT extra FROM t") == 2**40


def test_writers_wait_for_each_other_as_with_begin_immediate(db) -> None:
    """A second writer's read-then-write waits for the first writer's commit (no lost
    update), on PostgreSQL as on SQLite."""
    if isinstance(db, Database):
        pytest.skip("one SQLite connection per process: covered by the process test")
    with db.write() as conn:
        conn.execute("INSERT INTO t (name, at_ms) VALUES ('n', 0)")

    def bump(pause_s: float) -> None:
        with db.write() as conn:
            value = conn.execute("SELECT at_ms FROM t WHERE name = 'n'").fetchone()[0]
            time.sleep(pause_s)
            conn.execute("UPDATE t SET at_ms = ? WHERE name = 'n'", (value + 1,))

    threads = [threading.Thread(target=bump, args=(0.05,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.scalar("SELECT at_ms FROM t WHERE name = 'n'") == 6


def test_a_server_that_is_not_there_fails_clearly() -> None:
    import psycopg_pool

    from khidmat_base import postgres

    previous = postgres.CONNECT_TIMEOUT_S
    postgres.CONNECT_TIMEOUT_S = 1.0
    try:
        with pytest.raises(psycopg_pool.PoolTimeout):
            PostgresDatabase("postgresql://khidmat@127.0.0.1:9/none?connect_timeout=1")
    finally:
        postgres.CONNECT_TIMEOUT_S = previous
