"""Open the database at a location: a SQLite file, or a PostgreSQL server by URL.

A location is a filesystem path (SQLite, :class:`khidmat_base.sqlite.Database`: the demo
and single-station installs) or a ``postgresql://`` URL
(:class:`khidmat_base.postgres.PostgresDatabase`: hubs with several worker processes or
machines). Both have one interface, and the SQL the owner modules write is translated
for PostgreSQL by :mod:`khidmat_base.sql_dialect`, so no owner knows which it has.
psycopg is imported only when a PostgreSQL location is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from khidmat_base.sqlite import Database

if TYPE_CHECKING:
    from khidmat_base.postgres import PostgresDatabase


class Connection(Protocol):
    """A write transaction's connection on either database (``sqlite3.Connection`` or
    :class:`khidmat_base.postgres.Connection`): portable SQL, rows by index or name."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Sequence[Sequence[Any]], /) -> Any: ...


URL_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def integrity_errors() -> tuple[type[Exception], ...]:
    """The exceptions either database raises for a broken constraint (UNIQUE, CHECK)."""
    import sqlite3

    import psycopg

    return (sqlite3.IntegrityError, psycopg.IntegrityError)


def open_database(location: str | Path, **sqlite_options: Any) -> Database | PostgresDatabase:
    """The database at ``location`` (a path or a ``postgresql://`` URL), opened.

    ``sqlite_options`` go to :class:`Database` (``synchronous``, ``read_only``)."""
    if is_server_url(location):
        from khidmat_base.postgres import PostgresDatabase

        return PostgresDatabase(str(location))
    return Database(location, **sqlite_options)
