"""1:1 matching: ``match_score`` and the probe-holding ``Matcher``.

Scores are in [0, 1], higher = more similar; see ``params.THRESHOLD_FMR_*`` for the
thresholds and the false-match rates they gave. A template's search form (cylinders) is
built once and cached on the template. Thread-safety: all objects here are immutable
after construction and may be shared between threads.
"""

from __future__ import annotations

from matcher_cy import mcc
from matcher_cy.backend import Backend, select_backend
from matcher_cy.template import Template

#: The backend chosen at import (see matcher_cy.backend); a constant afterwards.
DEFAULT_BACKEND: Backend = select_backend()


def search_form(template: Template, backend: Backend | None = None) -> mcc.Cylinders:
    """The cached cylinders of ``template`` (built by ``backend``, default the selected one)."""
    chosen = backend or DEFAULT_BACKEND
    return template.cached(
        "cylinders:" + chosen.name, lambda t: chosen.build_cylinders(*mcc.geometry(t))
    )


def match_score(a: Template, b: Template, *, backend: Backend | None = None) -> float:
    """Similarity of two templates in [0, 1]; symmetric up to rounding. Cost: ~tens of us."""
    chosen = backend or DEFAULT_BACKEND
    return chosen.score(search_form(a, chosen), search_form(b, chosen))


class Matcher:
    """Holds one probe's search form and scores candidates against it.

    ``Matcher(probe).match(candidate)`` equals ``match_score(probe, candidate)``.
    """

    __slots__ = ("_backend", "_probe", "template")

    def __init__(self, probe: Template, *, backend: Backend | None = None) -> None:
        self._backend = backend or DEFAULT_BACKEND
        self.template = probe
        self._probe = search_form(probe, self._backend)

    @property
    def implementation(self) -> str:
        """ "cython" or "reference"."""
        return self._backend.name

    def match(self, candidate: Template) -> float:
        """Similarity of the probe and ``candidate`` in [0, 1]."""
        return self._backend.score(self._probe, search_form(candidate, self._backend))
