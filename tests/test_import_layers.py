"""Imports run downward only: an import scan over every module of every package.

The layers (docs/architecture.md, DESIGN.md)::

    top      khidmat, bench
    apps     kiosk, hub, provisioning
    device   edge_agent
    floor    khidmat_base
    ground   khidmat_wire, matcher_cy

A package imports itself and packages of lower layers, never one above; a ground package
imports nothing of ours (nor does the other ground package). On top of that, the
never-arrows: the kiosk never imports paho (it never talks MQTT), the hub never imports
the kiosk or edge_agent, the kiosk never imports another app. Every import counts, lazy
ones inside functions included; only imports under ``if TYPE_CHECKING:`` are exempt. A
failure names file:line of each offending import.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, int] = {
    "khidmat_wire": 0,
    "matcher_cy": 0,
    "khidmat_base": 1,
    "edge_agent": 2,
    "kiosk": 3,
    "hub": 3,
    "provisioning": 3,
    "khidmat": 4,
    "bench": 4,
}
"""Each package's layer: imports go to the same package or a lower layer."""

SIDEWAYS: frozenset[tuple[str, str]] = frozenset({("hub", "provisioning"), ("bench", "khidmat")})
"""Arrows between two packages of one layer that are allowed (one way only): the hub reads
the device registry that provisioning keeps in the hub's database (hub/fleet.py, hub/units.py); the
benchmarks run the system on khidmat's test bed (khidmat/testbed.py)."""

NEVER: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"paho", "hub", "provisioning"}),
    "hub": frozenset({"kiosk", "edge_agent"}),
    "khidmat_wire": frozenset(LAYERS) - {"khidmat_wire"},
    "matcher_cy": frozenset(LAYERS) - {"matcher_cy"},
    "khidmat_base": frozenset(LAYERS) - {"khidmat_base"},
}
"""Imports a package must never make, whatever the layers allow."""

_PYX_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+c?import\b|c?import\s+([\w.]+))", re.M)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers inside the bodies of ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for statement in node.body:
                for sub in ast.walk(statement):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, lazy ones included.

    Imports under ``if TYPE_CHECKING:`` are left out; relative imports stay inside their
    package and are left out too. ``.pyx`` files (Cython) are scanned line by line.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".pyx":
        return [
            (text.count("\n", 0, match.start()) + 1, match.group(1) or match.group(2))
            for match in _PYX_IMPORT.finditer(text)
        ]
    tree = ast.parse(text, filename=str(path))
    exempt = _type_checking_lines(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in exempt:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(root: Path = ROOT) -> list[str]:
    """Every upward, sideways or never-arrow import in the packages under ``root``."""
    bad: list[str] = []
    for package, layer in LAYERS.items():
        for path in sorted((root / package).rglob("*")):
            if path.suffix not in (".py", ".pyx") or "__pycache__" in path.parts:
                continue
            where = path.relative_to(root)
            for line, module in imports_of(path):
                target = module.split(".")[0]
                if target == package:
                    continue
                if target in NEVER.get(package, ()):
                    bad.append(f"{where}:{line}: {package} must never import {module}")
                elif target not in LAYERS:
                    continue  # the standard library or a third-party package
                elif LAYERS[target] > layer:
                    bad.append(f"{where}:{line}: {package} imports {module} from a layer above")
                elif LAYERS[target] == layer and (package, target) not in SIDEWAYS:
                    bad.append(f"{where}:{line}: {package} imports {module} from its own layer")
    return bad


def test_imports_run_downward_only() -> None:
    bad = violations()
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_every_package_on_disk_has_a_layer() -> None:
    """A new package must be given a layer here, or the scan would not look at it."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("hub", "import edge_agent.config\n", "hub must never import edge_agent.config"),
        ("kiosk", "def f():\n    import paho.mqtt.client\n", "kiosk must never import paho"),
        ("matcher_cy", "from khidmat_base.cli import X\n", "must never import khidmat_base.cli"),
        ("edge_agent", "def f():\n    from hub import store\n", "a layer above"),
        ("provisioning", "from kiosk.app import build_app\n", "from its own layer"),
        ("khidmat_base", "from khidmat.demo import run\n", "must never import khidmat.demo"),
    ],
)
def test_the_scan_catches_a_planted_arrow(
    tmp_path: Path, package: str, source: str, expected: str
) -> None:
    """A wrong import planted in a throwaway tree is found and named by file:line."""
    for name in LAYERS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    planted = tmp_path / package / "planted.py"
    planted.write_text("from __future__ import annotations\n" + source)
    [found] = violations(tmp_path)
    line = source.count("\n", 0, source.index("import")) + 2
    assert found.startswith(f"{package}/planted.py:{line}: ") and expected in found


def test_type_checking_imports_are_exempt_and_else_branches_are_not(tmp_path: Path) -> None:
    for name in LAYERS:
        (tmp_path / name).mkdir()
    (tmp_path / "hub" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from kiosk.app import KioskApp\n"
        "else:\n"
        "    import edge_agent\n"
    )
    assert violations(tmp_path) == ["hub/typed.py:5: hub must never import edge_agent"]


def test_the_kiosk_loads_without_paho() -> None:
    """Every kiosk screen imported in a fresh interpreter, and paho never loaded (transitively)."""
    code = (
        "import sys, kiosk.app, kiosk.run, kiosk.sim, kiosk.screens.gate, kiosk.screens.enrol,"
        " kiosk.screens.track, kiosk.screens.complaint\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'paho', 'hub', 'provisioning'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_module_imports() -> None:
    """Each module of each package imports in a fresh interpreter (a moved name is caught here)."""
    code = (
        "import importlib, pkgutil\n"
        f"for name in {sorted(LAYERS)!r}:\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
