"""Schema versions per component, and applying a component's migrations in order: the
bookkeeping both databases share (:class:`khidmat_base.sqlite.Database` and
:class:`khidmat_base.postgres.PostgresDatabase` each call :func:`apply_migrations` from
their ``migrate``).

Versions are kept per component in one ``schema_versions`` table (component, version) so
that several modules can own tables in one database. A component's steps are numbered
from 1; its version is the number of the last step applied. Each step runs in one write
transaction of its database, which re-reads the version first: processes that start
together apply each step once. The database-specific parts are the database's own: its
``write()`` transaction (``BEGIN IMMEDIATE`` or the advisory write lock), its
``scalar()``/``table_exists()`` reads, and the SQL translation of
:mod:`khidmat_base.sql_dialect`.

Cost: one write transaction (creating the table if missing) plus one per step due; with
``check_before_writing`` a read or two instead when nothing is due. Thread-safety: as the
database's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from khidmat_base.sql_dialect import split_statements

if TYPE_CHECKING:
    from khidmat_base.database import Connection

Migration = Callable[["Connection"], None] | str
"""One step: a script of ``;``-separated statements, or a function given the write
transaction's connection."""

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_versions "
    "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)
VERSION_QUERY = "SELECT version FROM schema_versions WHERE component = ?"
_RECORD_VERSION = (
    "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
    "ON CONFLICT(component) DO UPDATE SET version = excluded.version"
)


class Migratable(Protocol):
    """What :func:`apply_migrations` needs of a database (both databases have it)."""

    def write(self) -> AbstractContextManager[Any]: ...

    def scalar(self, sql: str, params: Sequence[object] = ..., /) -> object: ...

    def table_exists(self, name: str) -> bool: ...


def apply_migrations(
    db: Migratable,
    component: str,
    steps: Sequence[Migration],
    *,
    check_before_writing: bool = False,
) -> int:
    """Apply the not-yet-applied ``steps`` of ``component`` in order; returns its version.

    ``check_before_writing`` first reads the recorded version (no write transaction, no
    write lock) and returns it when every step is applied already."""
    if check_before_writing and db.table_exists("schema_versions"):
        current = db.scalar(VERSION_QUERY, (component,))
        if current is not None and int(current) >= len(steps):  # type: ignore[call-overload]
            return int(current)  # type: ignore[call-overload]
    with db.write() as conn:
        conn.execute(CREATE_TABLE)
    version = int(db.scalar(VERSION_QUERY, (component,)) or 0)  # type: ignore[call-overload]
    for number, step in enumerate(steps, start=1):
        if number <= version:
            continue
        with db.write() as conn:
            current = conn.execute(VERSION_QUERY, (component,)).fetchone()
            if current is not None and current[0] >= number:
                continue  # another process migrated meanwhile
            if isinstance(step, str):
                for statement in split_statements(step):
                    conn.execute(statement)
            else:
                step(conn)
            conn.execute(_RECORD_VERSION, (component, number))
        version = number
    return version
