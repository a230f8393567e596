"""Implementation selection: env switch, and a loud warning when the compiled module is missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from matcher_cy.backend import backend_named

PROBE = "import warnings, matcher_cy; print(matcher_cy.implementation)"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KHIDMAT_MATCHER"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=True,
    )


def test_env_forces_reference() -> None:
    result = run_python(PROBE, KHIDMAT_MATCHER="reference")
    assert result.stdout.strip() == "reference"
    assert "RuntimeWarning" not in result.stderr


def test_missing_compiled_module_warns_and_falls_back() -> None:
    # None in sys.modules makes ``import matcher_cy._mcc`` raise ImportError, as a broken install would
    result = run_python("import sys; sys.modules['matcher_cy._mcc'] = None; " + PROBE)
    assert result.stdout.strip() == "reference"
    assert "compiled matcher not available" in result.stderr
    assert "build_ext" in result.stderr


def test_demanding_cython_without_it_fails() -> None:
    code = "import sys; sys.modules['matcher_cy._mcc'] = None; " + PROBE
    with pytest.raises(subprocess.CalledProcessError) as error:
        run_python(code, KHIDMAT_MATCHER="cython")
    assert "matcher_cy._mcc" in error.value.stderr.splitlines()[-1]


def test_default_is_cython_when_built() -> None:
    pytest.importorskip("matcher_cy._mcc", reason="compiled matcher not built")
    assert run_python(PROBE).stdout.strip() == "cython"


def test_unknown_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown matcher implementation"):
        backend_named("fortran")
