"""PostgreSQL connections for a database that several processes and machines share.

:class:`PostgresDatabase` has the interface of :class:`khidmat_base.sqlite.Database`
(``write()``, ``read()``, ``query()``, ``scalar()``, ``migrate()``, ``close()``) over a
psycopg 3 connection pool, so every owner module runs unchanged on either database: the
statements they write are translated once by :mod:`khidmat_base.sql_dialect`.

Writes: by default a write transaction first takes one transaction-scoped advisory lock
per database (``pg_advisory_xact_lock``), which is what SQLite's ``BEGIN IMMEDIATE``
gives: writers run one after another, so every read-then-write the owners do (a counter,
a quota, a state change checked before it is made) stays free of lost updates across
processes and machines, while reads never wait. ``write(serialized=False)`` skips that
lock for work queues that claim their rows with ``FOR UPDATE SKIP LOCKED`` (the downlink
and SMS outboxes): claims by several workers then run side by side and never take the same
row. A transaction that fails is rolled back; nothing is retried behind the caller's back.

Values: rows are read by index or by column name (:class:`Row`, as ``sqlite3.Row``);
Python booleans are stored as integers and ``numeric`` results (``sum()`` of integers)
come back as ``int`` (or ``float`` when they have a fraction), as from SQLite.

Thread-safety: a :class:`PostgresDatabase` may be shared by threads; each transaction
holds one pooled connection. Not fork-safe: open it after forking. Cost: a pooled
connection per concurrent transaction (``max_connections`` bounds them).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg_pool import ConnectionPool

from khidmat_base.schema_versions import Migration, apply_migrations
from khidmat_base.sql_dialect import to_postgres

CONNECT_TIMEOUT_S = 30.0
"""How long opening the pool, or waiting for a free pooled connection, may take."""
MAX_CONNECTIONS = 8
"""Pooled connections per :class:`PostgresDatabase` (one per concurrent transaction)."""

_INT8_OID = 20


class Row(Sequence[Any]):
    """One result row, read by position or column name (like ``sqlite3.Row``)."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key):  # type: ignore[no-untyped-def,override]
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row({self._values!r})"


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = [column.name for column in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}
    return lambda values: Row(values, index)


class _BoolAsInt(Dumper):
    """Python booleans as 0/1 integers, as SQLite stores them."""

    oid = _INT8_OID

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    """``numeric`` as ``int`` when whole, else ``float`` (SQLite's ``sum``/``avg``)."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode("ascii"))
        return int(value) if value == value.to_integral_value() else float(value)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInt)
    conn.adapters.register_loader("numeric", _NumericAsNumber)


class Cursor:
    """What ``Connection.execute`` returns: rows, ``rowcount`` (no ``lastrowid``: use
    ``RETURNING``)."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class Connection:
    """One transaction's connection: ``execute``/``executemany`` take the portable SQL."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] | None = ()) -> Cursor:
        return Cursor(self._conn.execute(to_postgres(sql), tuple(params or ())))

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> Cursor:
        cursor = self._conn.cursor()
        cursor.executemany(to_postgres(sql), [tuple(r) for r in rows])
        return Cursor(cursor)


class PostgresDatabase:
    """A pooled PostgreSQL database at ``url`` (``postgresql://user@host:port/name``)."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_connections: int = MAX_CONNECTIONS) -> None:
        self.url = url
        self._closed = threading.Event()
        self._write_lock_key = zlib.crc32(b"khidmat write lock")
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": _row_factory},
            configure=_configure,
            timeout=CONNECT_TIMEOUT_S,
            open=False,
            name="khidmat",
        )
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            self.pool.close()  # no reconnect attempts left running behind the error
            raise

    @property
    def location(self) -> str:
        """Where the database is: its URL (for :func:`open_database`)."""
        return self.url

    @contextmanager
    def write(self, *, serialized: bool = True) -> Iterator[Connection]:
        """A write transaction; commits on success, rolls back on error.

        ``serialized`` (default) waits for the database's write lock first (as SQLite's
        ``BEGIN IMMEDIATE``); ``False`` for claims that lock their own rows."""
        with self.pool.connection() as conn, conn.transaction():
            if serialized:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._write_lock_key,))
            yield Connection(conn)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Several reads that see one snapshot (a repeatable-read, read-only transaction)."""
        with self.pool.connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield Connection(conn)
            finally:
                conn.execute("ROLLBACK")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run a read query and return all rows."""
        with self.pool.connection() as conn:
            cursor = conn.execute(to_postgres(sql), tuple(params))
            return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, params: Sequence[object] = ()) -> object:
        """The first column of the first row, or None."""
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def table_exists(self, name: str) -> bool:
        return bool(self.scalar("SELECT to_regclass(?) IS NOT NULL", (name,)))

    def migrate(self, component: str, steps: Sequence[Migration]) -> int:
        """Apply the not-yet-applied ``steps`` of ``component`` in order; returns its version.

        As :meth:`khidmat_base.sqlite.Database.migrate` (one ``schema_versions`` row per
        component, :func:`khidmat_base.schema_versions.apply_migrations`); each step runs in
        one serialized write transaction, so processes that start together apply it once.
        When every step is applied already, only reads are made (no write transaction)."""
        return apply_migrations(self, component, steps, check_before_writing=True)

    def close(self) -> None:
        """Close the pool (idempotent)."""
        if not self._closed.is_set():
            self._closed.set()
            self.pool.close()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
