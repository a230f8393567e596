"""1:N search of persons by several fingers: one Gallery per finger position, fused.

A person is enrolled under one key (their id) in the gallery of every finger position
they gave (ISO/IEC 19794-2 finger position codes, ``RIGHT_INDEX`` = 2, ``LEFT_INDEX`` = 7).
``search_persons`` searches every position for which there is both a probe and a
gallery, takes the union of the candidates, scores each candidate's other fingers 1:1
(a mate that one finger's prefilter missed is still scored on both), and ranks persons
by ``matcher_cy.fuse`` of their finger scores. Each candidate says how many fingers were
compared: the decision thresholds (``matcher_cy.decision``) depend on it.

Cost: one ``Gallery.search`` per position (prefilter + shortlist) plus at most
``positions x per_finger_k`` extra 1:1 scores (tens of microseconds each). Uses only the
public Gallery API (``search``, ``get``, ``in``). Thread-safety: as Gallery's (concurrent
searches of unchanging galleries are safe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from matcher_cy.fusion import (  # noqa: F401 (the finger positions are re-exported)
    GATE_FINGERS,
    LEFT_INDEX,
    RIGHT_INDEX,
    UNKNOWN_FINGER,
    fingers_compared,
    fuse,
)
from matcher_cy.gallery import Gallery
from matcher_cy.matching import match_score
from matcher_cy.template import Template

#: Candidates kept from each finger's own search before fusion.
PER_FINGER_K = 10


@dataclass(frozen=True, slots=True)
class PersonCandidate:
    """One person found by a search: fused score, fingers compared, per-finger scores."""

    person: str
    score: float
    fingers: int
    finger_scores: tuple[tuple[int, float | None], ...]
    """(position, score or None when that finger was not compared), by position."""


def search_persons(
    galleries: Mapping[int, Gallery],
    probes: Mapping[int, Template],
    k: int = 5,
    *,
    per_finger_k: int = PER_FINGER_K,
) -> list[PersonCandidate]:
    """The ``k`` best persons for ``probes`` (position -> template), best fused score first.

    Ties of the fused score (fingers at ``FUSION_FINGER_CAP``) are ranked by the sum of
    the uncapped scores, then by the order found. Positions without a gallery are ignored.
    """
    if k <= 0 or per_finger_k <= 0:
        raise ValueError("k and per_finger_k must be positive")
    positions = sorted(p for p in probes if p in galleries and len(galleries[p]))
    found: dict[str, dict[int, float]] = {}
    for position in positions:
        for person, score in galleries[position].search(probes[position], per_finger_k):
            found.setdefault(person, {})[position] = score
    candidates = []
    for person, scores in found.items():
        for position in positions:
            if position not in scores and person in galleries[position]:
                gallery_template = galleries[position].get(person)
                scores[position] = match_score(probes[position], gallery_template)
        per_finger = tuple((position, scores.get(position)) for position in positions)
        values = [score for _, score in per_finger]
        candidates.append(
            PersonCandidate(person, fuse(values), fingers_compared(values), per_finger)
        )
    candidates.sort(key=rank_key)
    return candidates[:k]


def search_probes(
    galleries: Mapping[int, Gallery],
    probes: Mapping[int, Template],
    k: int = 5,
    *,
    per_finger_k: int = PER_FINGER_K,
) -> list[PersonCandidate]:
    """``search_persons`` for a scan whose probes may include one of unknown position.

    Probes of known positions are searched and fused (a probe at ``UNKNOWN_FINGER`` is
    then ignored); a lone probe at ``UNKNOWN_FINGER`` (a one-finger gate that did not say
    which finger) is searched as one finger against every position's gallery, and each
    person keeps their best position. Used by the gate and by the hub, so both search a
    scan the same way. Cost: as ``search_persons``, times the positions for an unknown one.
    """
    known = {p: t for p, t in probes.items() if p != UNKNOWN_FINGER}
    if known:
        return search_persons(galleries, known, k, per_finger_k=per_finger_k)
    if UNKNOWN_FINGER not in probes:
        return []
    best: dict[str, PersonCandidate] = {}
    probe = probes[UNKNOWN_FINGER]
    for position, gallery in sorted(galleries.items()):
        if not len(gallery):
            continue
        found = search_persons({position: gallery}, {position: probe}, k, per_finger_k=per_finger_k)
        for candidate in found:
            held = best.get(candidate.person)
            if held is None or rank_key(candidate) < rank_key(held):
                best[candidate.person] = candidate
    return sorted(best.values(), key=rank_key)[:k]


def rank_key(candidate: PersonCandidate) -> tuple[float, float]:
    """Sort key, best first: the fused score, then (ties at the cap) the uncapped sum."""
    raw = sum(score for _, score in candidate.finger_scores if score is not None)
    return (-candidate.score, -raw)
