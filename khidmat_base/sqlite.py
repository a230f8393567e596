"""SQLite connections shared by every process: WAL, full sync, immediate transactions.

Several processes write the same files (the kiosk UI and the agent share the unit's
store; several hub workers share the hub database). Every write transaction starts with
``BEGIN IMMEDIATE`` so that two writers never deadlock on an upgrade from a read lock
(FIELD-NOTES: deferred BEGIN gave hundreds of "database is locked" errors). WAL with
``synchronous=FULL`` makes a committed transaction survive a power cut.

A :class:`Database` holds one connection guarded by a lock: it may be shared by threads
in one process, but one transaction runs at a time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from khidmat_base.schema_versions import Migration, apply_migrations
from khidmat_base.sql_dialect import table_exists

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another process's write lock before failing."""


class Database:
    """One SQLite connection (WAL, FULL sync) with a lock and ``BEGIN IMMEDIATE`` writes.

    Shares its interface with :class:`khidmat_base.postgres.PostgresDatabase`
    (:func:`khidmat_base.database.open_database` picks one from a location)."""

    dialect = "sqlite"

    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", read_only: bool = False
    ) -> None:
        """Open (and create) ``path``; ``read_only`` opens an existing file on a read-only
        filesystem as immutable (no WAL, no locks: nothing else may write it meanwhile)."""
        self.path = Path(path)
        self.lock = threading.RLock()
        if read_only:
            self.conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?immutable=1",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
            self.conn.row_factory = sqlite3.Row
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.execute("PRAGMA foreign_keys=ON")

    @property
    def location(self) -> str:
        """Where the database is: its file's path (for :func:`open_database`)."""
        return str(self.path)

    @contextmanager
    def write(self, *, serialized: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); commits on success, rolls back on error.

        Every SQLite write is serialized; ``serialized=False`` (a claim that locks its own
        rows on PostgreSQL) changes nothing here. A COMMIT that fails (disk full, read-only or failing storage) is rolled back too,
        so the connection never stays inside a dead transaction; the error is re-raised.
        """
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot (one transaction, under the lock)."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")

    def table_exists(self, name: str) -> bool:
        return table_exists(self.conn, name)

    def query(
        self, sql: str, params: Sequence[object] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> object:
        """The first column of the first row, or None."""
        with self.lock:
            row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def migrate(self, component: str, steps: Sequence[Migration]) -> int:
        """Apply the not-yet-applied ``steps`` of ``component`` in order; returns its version.

        Versions are kept per component in ``schema_versions``
        (:func:`khidmat_base.schema_versions.apply_migrations`); each step runs in its own
        immediate transaction.
        """
        return apply_migrations(self, component, steps)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
