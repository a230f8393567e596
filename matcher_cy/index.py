"""The 1:N prefilter: cylinder-set similarity by exact popcounts (cosine of cylinder bits).

A template's index codes are its first ``limit`` valid cylinders (the extractor orders
minutiae by quality): each cylinder's valid bits (``bits & masks``, ``mcc.WORDS`` words),
their popcount, and the minutia direction quantised to INDEX_DIRECTION_SECTORS sectors.

The prefilter score of a gallery template for a probe: for every probe code q, the
gallery code g whose direction is within INDEX_MAX_SECTOR_DIFF sectors of q's and whose
squared cosine |q & g|^2 / (|q| |g|) is largest (the first g on ties), valued in integers
with reciprocal tables R[n] = 2^s // n (s = INDEX_SIMILARITY_SCALE_BITS) as

    sim(q) = (|q & g|^2 * R[|g|] * R[|q|]) >> s        (about 2^s x squared cosine)

so both implementations give identical scores and pick the same shortlist (no division
in the scan); the score sums the ``top_codes`` largest sim(q). The 64-bit sign-hash codes
this replaced estimated the cosine too noisily and lost mates
(docs/decisions/matcher-1n-prefilter.md).

Cost of a compiled scan: about probe codes x gallery codes x 17/64 pairs (the direction
rule) of ``mcc.WORDS`` AND-popcounts per template, ~0.8 us; memory: per gallery
template ``INDEX_GALLERY_CODES x (8 x WORDS + 8)`` bytes (1.9 KiB with 12x12x5
cylinders). Pure functions: thread-safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matcher_cy import params
from matcher_cy.mcc import WORDS, Cylinders

_CHUNK_ROWS = 256


@dataclass(frozen=True, slots=True)
class IndexCodes:
    """The index codes of one template (see module docstring); arrays read-only by convention."""

    bits: np.ndarray  # (k, WORDS) uint64: a valid cylinder's bits & mask
    popcounts: np.ndarray  # (k,) int32: set bits of each row of ``bits``
    sectors: np.ndarray  # (k,) int32: direction sector 0..INDEX_DIRECTION_SECTORS-1

    def __len__(self) -> int:
        return len(self.popcounts)


def index_codes(form: Cylinders, limit: int) -> IndexCodes:
    """Index codes of the first ``limit`` valid cylinders of ``form`` (both implementations)."""
    valid = np.flatnonzero(form.masks.any(axis=1))[:limit]
    bits = np.ascontiguousarray(form.bits[valid] & form.masks[valid], dtype=np.uint64)
    popcounts = np.bitwise_count(bits).sum(axis=1, dtype=np.int32).reshape(len(valid))
    sectors_per_radian = params.INDEX_DIRECTION_SECTORS / (2 * math.pi)
    sectors = np.floor(form.theta[valid] * sectors_per_radian).astype(np.int64)
    sectors = np.mod(sectors, params.INDEX_DIRECTION_SECTORS).astype(np.int32)
    return IndexCodes(bits.reshape(len(valid), WORDS), popcounts, sectors)


def reciprocals() -> np.ndarray:
    """R[n] = 2**INDEX_SIMILARITY_SCALE_BITS // n for n in 0..64 x WORDS (R[0] = 0), int64."""
    table = np.zeros(64 * WORDS + 1, dtype=np.int64)
    table[1:] = (1 << params.INDEX_SIMILARITY_SCALE_BITS) // np.arange(1, len(table))
    return table


def sector_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Circular distance between direction sectors (0..INDEX_DIRECTION_SECTORS // 2)."""
    difference = np.abs(np.asarray(a) - np.asarray(b))
    return np.minimum(difference, params.INDEX_DIRECTION_SECTORS - difference)


def prefilter_scores(
    probe: IndexCodes,
    codes: np.ndarray,
    popcounts: np.ndarray,
    sectors: np.ndarray,
    counts: np.ndarray,
    size: int,
    top_codes: int,
) -> np.ndarray:
    """Reference scan: (size,) int32 prefilter scores of gallery rows 0..size-1.

    ``codes`` is (capacity, INDEX_GALLERY_CODES, WORDS) uint64, ``popcounts`` and
    ``sectors`` (capacity, INDEX_GALLERY_CODES) int32, ``counts`` the number of codes used
    in each row; the score sums the ``top_codes`` best probe codes.
    """
    scores = np.zeros(size, dtype=np.int32)
    if size == 0 or len(probe) == 0:
        return scores
    top = min(top_codes, len(probe))
    table = reciprocals()
    probe_reciprocals = table[probe.popcounts][None, :]
    for start in range(0, size, _CHUNK_ROWS):
        stop = min(size, start + _CHUNK_ROWS)
        rows = codes[start:stop]  # (rows, G, WORDS)
        common = np.bitwise_count(probe.bits[None, :, None, :] & rows[:, None, :, :])
        inter = common.sum(axis=3, dtype=np.int64)  # (rows, P, G)
        squares = inter * inter
        norms = np.broadcast_to(popcounts[start:stop, None, :], squares.shape)
        # |q & g|^2 / |g| as float64 orders these rationals exactly (numerators < 2^19,
        # denominators <= 64 x WORDS: distinct values differ by far more than an ulp)
        keys = squares / np.maximum(norms, 1)
        far = (
            sector_distance(probe.sectors[None, :, None], sectors[start:stop, None, :])
            > params.INDEX_MAX_SECTOR_DIFF
        )
        unused = np.arange(rows.shape[1])[None, :] >= counts[start:stop, None]
        keys[far | unused[:, None, :]] = -1.0
        chosen = np.argmax(keys, axis=2)[..., None]  # the first g on ties
        best_squares = np.take_along_axis(squares, chosen, axis=2)[..., 0]
        best_norms = np.take_along_axis(norms, chosen, axis=2)[..., 0]
        best_squares[np.take_along_axis(keys, chosen, axis=2)[..., 0] <= 0] = 0
        sims = (
            best_squares * table[best_norms] * probe_reciprocals
        ) >> params.INDEX_SIMILARITY_SCALE_BITS
        scores[start:stop] = np.sort(sims, axis=1)[:, -top:].sum(axis=1)
    return scores
