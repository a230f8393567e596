"""Choosing between the compiled (Cython) matcher and the numpy reference.

``KHIDMAT_MATCHER=reference`` forces the numpy reference; ``KHIDMAT_MATCHER=cython``
demands the compiled module (ImportError if it is missing); unset picks the compiled one
and, when it is missing, warns with a RuntimeWarning saying how to build it (never a
silent slowdown). Both give the same scores (tests/matcher_cy/test_agreement.py).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matcher_cy import index, mcc

ENV_VARIABLE = "KHIDMAT_MATCHER"
REFERENCE = "reference"
CYTHON = "cython"


@dataclass(frozen=True, slots=True)
class Backend:
    """The functions that differ between implementations; all pure and thread-safe."""

    name: str
    build_cylinders: Callable[[np.ndarray, np.ndarray, np.ndarray], mcc.Cylinders]
    score: Callable[[mcc.Cylinders, mcc.Cylinders], float]
    prefilter_scores: Callable[
        [index.Codes, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray
    ]
    thin: Callable[[np.ndarray], np.ndarray]


def reference_backend() -> Backend:
    """The numpy specification."""
    from matcher_cy import extraction

    return Backend(
        REFERENCE, mcc.build_cylinders, mcc.score, index.prefilter_scores, extraction.thin
    )


def _compiled_thin(image: np.ndarray) -> np.ndarray:
    """``matcher_cy._extract.thin``, imported at the first extraction: it imports
    matcher_cy.extraction and with it scipy (0.3 s on a quiet machine, 2.6 s seen under
    load), which mapping and searching a gallery do not need."""
    from matcher_cy import _extract  # type: ignore[attr-defined]

    return _extract.thin(image)


def cython_backend() -> Backend:
    """The compiled implementation; ImportError when ``matcher_cy._mcc`` or
    ``matcher_cy._extract`` is not built."""
    from matcher_cy import _mcc  # type: ignore[attr-defined]

    if importlib.util.find_spec("matcher_cy._extract") is None:
        raise ImportError("matcher_cy._extract is not built")
    return Backend(CYTHON, _mcc.build_cylinders, _mcc.score, _mcc.prefilter_scores, _compiled_thin)


def backend_named(name: str) -> Backend:
    """``reference`` or ``cython``; ValueError for anything else."""
    if name == REFERENCE:
        return reference_backend()
    if name == CYTHON:
        return cython_backend()
    raise ValueError(f"unknown matcher implementation {name!r}: use {REFERENCE!r} or {CYTHON!r}")


def select_backend() -> Backend:
    """The backend the environment asks for (see module docstring)."""
    forced = os.environ.get(ENV_VARIABLE, "").strip().lower()
    if forced:
        return backend_named(forced)
    try:
        return cython_backend()
    except ImportError as error:
        warnings.warn(
            f"matcher_cy: compiled matcher not available ({error}); using the numpy "
            "reference, which is about 20-50x slower. Build it with "
            "`python setup.py build_ext --inplace`, or set KHIDMAT_MATCHER=reference "
            "to choose the reference explicitly.",
            RuntimeWarning,
            stacklevel=3,
        )
        return reference_backend()
