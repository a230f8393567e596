"""SQL run straight into a hub database, past the hub (what someone with the file or the
server's credentials could do): the tamper tests use it on either database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from khidmat_base.database import is_server_url


def run_raw(location: str | Path, sql: str, *params: object) -> None:
    """Run one ``?``-parameter statement on the database at ``location`` (a SQLite path or
    a PostgreSQL URL) over a connection of its own."""
    if is_server_url(location):
        with psycopg.connect(str(location), autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s").encode(), params)
        return
    conn = sqlite3.connect(location)
    with conn:
        conn.execute(sql, params)
    conn.close()
