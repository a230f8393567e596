"""The 1:N prefilter: cylinder-set similarity by exact popcounts, coarse then fine.

A template's index codes are its first ``limit`` valid cylinders (the extractor orders
minutiae by quality), each at two resolutions: ``fine``, the cylinder's valid bits
(``bits & masks``, ``mcc.WORDS`` words), and ``coarse``, the same bits OR-pooled over
INDEX_COARSE_POOL x INDEX_COARSE_POOL spatial cells (COARSE_WORDS words); with their
popcounts and the minutia direction quantised to INDEX_DIRECTION_SECTORS sectors.

The prefilter score of a gallery template for a probe, at either resolution: for every
probe code q, the gallery code g whose direction is within INDEX_MAX_SECTOR_DIFF sectors
of q's and whose squared cosine |q & g|^2 / (|q| |g|) is largest (the first g on ties),
valued in integers with reciprocal tables R[n] = 2^s // n (s =
INDEX_SIMILARITY_SCALE_BITS) as

    sim(q) = (|q & g|^2 * R[|g|] * R[|q|]) >> s        (about 2^s x squared cosine)

so both implementations give identical scores and pick the same shortlist (no division
in the scan); the score sums the ``top_codes`` largest sim(q). A search ranks every
template by the coarse score, re-ranks the best INDEX_COARSE_KEEP_FRACTION by the fine
score (matcher_cy.gallery). The 64-bit sign-hash codes this replaced estimated the
cosine too noisily and lost mates (docs/decisions/matcher-1n-prefilter.md).

Cost of a compiled scan: probe codes x gallery codes x 17/64 pairs (the direction rule)
of COARSE_WORDS (3) or WORDS (9) AND-popcounts per template; memory per gallery template
``INDEX_GALLERY_CODES x 8 x (WORDS + COARSE_WORDS + 2)`` bytes (2.6 KiB with 12x12x5
cylinders). Pure functions: thread-safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matcher_cy import params
from matcher_cy.mcc import BITS, CELL_OFFSETS, CELLS, WORDS, Cylinders

_CHUNK_ROWS = 256


def _coarse_groups() -> tuple[np.ndarray, int]:
    """(CELLS,) pooled group of every disc cell, and the number of groups."""
    n = params.MCC_SPATIAL_CELLS
    pool = params.INDEX_COARSE_POOL
    step = 2 * params.MCC_RADIUS_PX / n
    grid = np.round(CELL_OFFSETS / step + (n - 1) / 2).astype(np.int64)  # (CELLS, 2) i, j
    side = -(-n // pool)
    groups = (grid[:, 0] // pool) * side + grid[:, 1] // pool
    used, dense = np.unique(groups, return_inverse=True)
    return dense.astype(np.int64), len(used)


COARSE_GROUP_OF_CELL, COARSE_GROUPS = _coarse_groups()
COARSE_GROUP_OF_CELL.flags.writeable = False
COARSE_BITS = COARSE_GROUPS * params.MCC_ANGULAR_CELLS
COARSE_WORDS = (COARSE_BITS + 63) // 64


@dataclass(frozen=True, slots=True)
class Codes:
    """Codes at one resolution: (k, words) uint64 bits, (k,) int32 popcounts and sectors."""

    bits: np.ndarray
    popcounts: np.ndarray
    sectors: np.ndarray

    def __len__(self) -> int:
        return len(self.popcounts)


@dataclass(frozen=True, slots=True)
class IndexCodes:
    """The index codes of one template (see module docstring); arrays read-only by convention."""

    fine: Codes  # (k, WORDS) valid cylinder bits
    coarse: Codes  # (k, COARSE_WORDS) the same, OR-pooled

    def __len__(self) -> int:
        return len(self.fine)


def _packed(bits: np.ndarray, words: int) -> np.ndarray:
    """(k, b) bool -> (k, words) uint64, bit i in word i // 64 at position i % 64."""
    padded = np.zeros((len(bits), words * 64), dtype=bool)
    padded[:, : bits.shape[1]] = bits
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64).reshape(len(bits), words)


def spread_order(x: np.ndarray, y: np.ndarray, candidates: np.ndarray, limit: int) -> np.ndarray:
    """At most ``limit`` of ``candidates`` (indices, best first), spread over the print.

    Farthest-point order: the first candidate, then each time the one farthest from all
    chosen so far (ties: the earlier candidate), so that a few codes cover the whole
    print rather than its best-quality middle. Cost O(limit * len(candidates)).
    """
    if len(candidates) <= 1 or limit <= 1:
        return candidates[:limit]
    px, py = x[candidates], y[candidates]
    chosen = [0]
    nearest = (px - px[0]) ** 2 + (py - py[0]) ** 2
    for _ in range(min(limit, len(candidates)) - 1):
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, (px - px[pick]) ** 2 + (py - py[pick]) ** 2)
    return candidates[np.array(chosen)]


def code_minutiae(form: Cylinders, limit: int, *, spread: bool = False) -> np.ndarray:
    """Indices of the minutiae whose cylinders ``index_codes`` uses, in code order."""
    valid = np.flatnonzero(form.masks.any(axis=1))
    return spread_order(form.x, form.y, valid, limit) if spread else valid[:limit]


def index_codes(form: Cylinders, limit: int, *, spread: bool = False) -> IndexCodes:
    """Index codes of ``limit`` valid cylinders of ``form`` (both implementations): the
    first ones (best quality first), or with ``spread`` in spread_order.

    A gallery template's codes are spread, so that a probe covering another part of the
    finger still meets some of them; a probe's are its best. (Measured at 10,000
    distractors, FVC2002 DB1-4_B: spreading the gallery's codes raised the mean rank-1
    rate from 93.9 to 95.4%; spreading the probe's too lowered it to 92.1%.)
    """
    valid = code_minutiae(form, limit, spread=spread)
    count = len(valid)
    fine = np.ascontiguousarray(form.bits[valid] & form.masks[valid], dtype=np.uint64)
    cells = np.unpackbits(fine.view(np.uint8), axis=1, bitorder="little")[:, :BITS]
    cells = cells.reshape(count, CELLS, params.MCC_ANGULAR_CELLS).astype(bool)
    pooled = np.zeros((count, COARSE_GROUPS, params.MCC_ANGULAR_CELLS), dtype=bool)
    np.logical_or.at(pooled, (slice(None), COARSE_GROUP_OF_CELL), cells)
    coarse = _packed(pooled.reshape(count, COARSE_BITS), COARSE_WORDS)
    sectors_per_radian = params.INDEX_DIRECTION_SECTORS / (2 * math.pi)
    sectors = np.floor(form.theta[valid] * sectors_per_radian).astype(np.int64)
    sectors = np.mod(sectors, params.INDEX_DIRECTION_SECTORS).astype(np.int32)

    def popcounts(bits: np.ndarray) -> np.ndarray:
        return np.bitwise_count(bits).sum(axis=1, dtype=np.int32).reshape(count)

    fine = fine.reshape(count, WORDS)
    return IndexCodes(
        Codes(fine, popcounts(fine), sectors), Codes(coarse, popcounts(coarse), sectors)
    )


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
    probe: Codes,
    codes: np.ndarray,
    popcounts: np.ndarray,
    sectors: np.ndarray,
    counts: np.ndarray,
    slots: np.ndarray,
    top_codes: int,
) -> np.ndarray:
    """Reference scan: (len(slots),) int32 prefilter scores of gallery rows ``slots``.

    ``codes`` is (capacity, INDEX_GALLERY_CODES, words) uint64 at the probe's resolution,
    ``popcounts`` and ``sectors`` (capacity, INDEX_GALLERY_CODES) int32, ``counts`` the
    number of codes used in each row; the score sums the ``top_codes`` best probe codes.
    """
    scores = np.zeros(len(slots), dtype=np.int32)
    if len(slots) == 0 or len(probe) == 0:
        return scores
    top = min(top_codes, len(probe))
    table = reciprocals()
    probe_reciprocals = table[probe.popcounts][None, :]
    for start in range(0, len(slots), _CHUNK_ROWS):
        chosen_rows = slots[start : start + _CHUNK_ROWS]
        rows = codes[chosen_rows]  # (rows, G, words)
        common = np.bitwise_count(probe.bits[None, :, None, :] & rows[:, None, :, :])
        inter = common.sum(axis=3, dtype=np.int64)  # (rows, P, G)
        squares = inter * inter
        norms = np.broadcast_to(popcounts[chosen_rows, None, :], squares.shape)
        # |q & g|^2 / |g| as float64 orders these rationals exactly (numerators < 2^19,
        # denominators <= 64 x WORDS: distinct values differ by far more than an ulp)
        keys = squares / np.maximum(norms, 1)
        far = (
            sector_distance(probe.sectors[None, :, None], sectors[chosen_rows, None, :])
            > params.INDEX_MAX_SECTOR_DIFF
        )
        unused = np.arange(rows.shape[1])[None, :] >= counts[chosen_rows, None]
        keys[far | unused[:, None, :]] = -1.0
        best = np.argmax(keys, axis=2)[..., None]  # the first g on ties
        best_squares = np.take_along_axis(squares, best, axis=2)[..., 0]
        best_norms = np.take_along_axis(norms, best, axis=2)[..., 0]
        best_squares[np.take_along_axis(keys, best, axis=2)[..., 0] <= 0] = 0
        sims = (best_squares * table[best_norms] * probe_reciprocals) >> (
            params.INDEX_SIMILARITY_SCALE_BITS
        )
        scores[start : start + len(chosen_rows)] = np.sort(sims, axis=1)[:, -top:].sum(axis=1)
    return scores
