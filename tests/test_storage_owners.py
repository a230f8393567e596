"""Each database has one owner: no module but the owners holds SQL.

Owners: the ``edge_agent/store/`` package (unit.db), the ``hub/store/`` package (hub.db),
``provisioning/registry.py`` (the ``devices`` table of hub.db) and the SQLite plumbing
``khidmat_base/sqlite.py``. Every other module calls their functions. The scan reads every
string constant of every module and fails, naming file:line, on one that starts like an
SQL statement.
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


def test_the_scan_sees_sql() -> None:
    assert sql_in('rows = conn.execute("SELECT record_id FROM records")', "x.py") == ["x.py:1"]
    assert sql_in('q = "UPDATE complaints SET rating = ?"', "x.py")
    assert not sql_in('label = "Select a complaint first"', "x.py")
