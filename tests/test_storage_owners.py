"""Each database has one owner: no module but the owners holds SQL.

Owners: the ``edge_agent/store/`` package (unit.db), the ``hub/store/`` package (hub.db),
``provisioning/registry.py`` (the ``devices`` table of hub.db) and the database plumbing
in ``khidmat_base/`` (sqlite.py, postgres.py, postgres_server.py, schema_versions.py,
sql_dialect.py). Every other module calls their functions. The scan reads every string
constant of every module and fails, naming file:line, on one that starts like an SQL
statement.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "khidmat_wire", "matcher_cy", "khidmat_base", "edge_agent", "kiosk", "hub", "provisioning",
    "khidmat", "bench",
)  # fmt: skip
OWNERS = (
    "edge_agent/store/",
    "hub/store/",
    "provisioning/registry.py",
    "khidmat_base/sqlite.py",
    "khidmat_base/postgres.py",
    "khidmat_base/schema_versions.py",
    "khidmat_base/postgres_server.py",
    "khidmat_base/sql_dialect.py",
)
HUB_DATABASE_OWNERS = ("hub/store/", "provisioning/registry.py")
"""Their SQL runs on SQLite and PostgreSQL: the portable subset of khidmat_base/sql_dialect.py."""
NOT_PORTABLE = re.compile(
    r"INSERT\s+OR\s+REPLACE|\bX'|\browid\b|sqlite_master|json_extract|\bPRAGMA\b"
    r"|\bGLOB\b|strftime|julianday|group_concat|\b(?:max|min)\((?:[^()]|\([^()]*\))*,",
    re.IGNORECASE,
)
SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN)\s")


def sql_in(source: str, name: str) -> list[str]:
    """file:line of every string constant in ``source`` that starts like an SQL statement."""
    return [
        f"{name}:{node.lineno}"
        for node in ast.walk(ast.parse(source, name))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value)
    ]


def test_only_the_owners_hold_sql() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if not name.startswith(OWNERS):
                found += sql_in(path.read_text(encoding="utf-8"), name)
    assert not found, "SQL outside the database owners:\n" + "\n".join(found)


def test_the_hub_database_owners_write_portable_sql() -> None:
    """No SQLite-only construct in the SQL that runs on either database (nor ``lastrowid``:
    a new row's id comes from ``RETURNING id``)."""
    found = []
    for owner in HUB_DATABASE_OWNERS:
        paths = sorted((ROOT / owner).rglob("*.py")) if owner.endswith("/") else [ROOT / owner]
        for path in paths:
            source = path.read_text(encoding="utf-8")
            name = path.relative_to(ROOT).as_posix()
            found += [
                f"{name}:{node.lineno}: {NOT_PORTABLE.search(node.value).group(0)}"  # type: ignore[union-attr]
                for node in ast.walk(ast.parse(source, name))
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and NOT_PORTABLE.search(node.value)
            ]
            found += [f"{name}: lastrowid" for _ in re.finditer(r"\.lastrowid\b", source)]
    assert not found, "SQL outside the portable subset:\n" + "\n".join(found)
    assert NOT_PORTABLE.search("UPDATE t SET a = max(coalesce(a, 0), ?)")
    assert NOT_PORTABLE.search("DELETE FROM t WHERE rowid IN (SELECT 1)")
    assert not NOT_PORTABLE.search("SELECT max(seq) FROM template_log")
    assert not NOT_PORTABLE.search("SELECT coalesce(max(seq), 0) FROM template_log")


def test_the_scan_sees_sql() -> None:
    assert sql_in('rows = conn.execute("SELECT record_id FROM records")', "x.py") == ["x.py:1"]
    assert sql_in('q = "UPDATE complaints SET rating = ?"', "x.py")
    assert not sql_in('label = "Select a complaint first"', "x.py")
