"""matcher_cy: fingerprint image -> minutiae template -> 1:1 score and 1:N search.

Public face::

    from matcher_cy import extract, Template, Matcher, Gallery, match_score
    tpl = extract(image, dpi=500)          # uint8 (H, W), ridges dark
    score = match_score(tpl, other)        # [0, 1]; thresholds in matcher_cy.params
    person = fuse([right_index, left_index])  # one score from several fingers' scores
    gallery = Gallery(); gallery.add("key", tpl); gallery.search(probe, k=5)

``matcher_cy.implementation`` is "cython" or "reference" (``KHIDMAT_MATCHER=reference``
forces the numpy reference). Attributes load lazily, so importing ``matcher_cy`` (as
``khidmat --help`` does through the benchmarks' commands) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher_cy.extraction import extract
    from matcher_cy.fusion import fuse
    from matcher_cy.gallery import Gallery
    from matcher_cy.matching import Matcher, match_score
    from matcher_cy.template import MinutiaType, Template, TemplateFormatError

__all__ = [
    "Gallery",
    "Matcher",
    "MinutiaType",
    "Template",
    "TemplateFormatError",
    "extract",
    "fuse",
    "implementation",
    "match_score",
]

_LAZY = {
    "extract": ("matcher_cy.extraction", "extract"),
    "fuse": ("matcher_cy.fusion", "fuse"),
    "Gallery": ("matcher_cy.gallery", "Gallery"),
    "Matcher": ("matcher_cy.matching", "Matcher"),
    "match_score": ("matcher_cy.matching", "match_score"),
    "Template": ("matcher_cy.template", "Template"),
    "TemplateFormatError": ("matcher_cy.template", "TemplateFormatError"),
    "MinutiaType": ("matcher_cy.template", "MinutiaType"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "implementation":
        return importlib.import_module("matcher_cy.matching").DEFAULT_BACKEND.name
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'matcher_cy' has no attribute {name!r}")
