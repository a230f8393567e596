"""Minutia Cylinder-Code, bit-based, with LSS-R and a global check: the numpy reference.

This module is the specification; ``matcher_cy._mcc`` (Cython) must give the same
cylinders and scores (tests/matcher_cy/test_matcher_agreement.py). Reference: R. Cappelli,
M. Ferrara, D. Maltoni, "Minutia Cylinder-Code", IEEE TPAMI 32(12), 2010; deviations:
cell validity approximates the convex hull by "some minutia within MCC_OMEGA_PX", the
relaxed pairs are chosen one-to-one (select_pairs) from the MCC_CANDIDATE_PAIRS best, and
pair compatibility uses piecewise-linear ramps on distance and on angle cosines instead
of sigmoids. The LSS-R value is multiplied by a global consistency factor: the best of a
few rigid alignments proposed by the relaxed pairs, as minutiae paired under it over the
minutiae in the prints' overlap (global_consistency; docs/decisions/
matcher-minutia-cylinder-code.md).

A ``Cylinders`` is the search form of a Template: positions scaled to WORK_DPI, image
angles (y down), per minutia a bit cylinder plus its validity mask, packed into ``WORDS``
uint64 words, and the convex hull of the minutiae. Building one costs O(n^2 * cells); a
1:1 score O(nA * nB * WORDS + pairs^2 + alignments * nA * nB). Everything here is pure:
thread-safe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from matcher_cy import params
from matcher_cy.template import Template


def _disc_cells() -> np.ndarray:
    """(C, 2) offsets (u, v) of the cylinder cells whose centre lies inside the disc."""
    n = params.MCC_SPATIAL_CELLS
    step = 2 * params.MCC_RADIUS_PX / n
    cells = []
    for i in range(n):
        for j in range(n):
            u = (i - (n - 1) / 2) * step
            v = (j - (n - 1) / 2) * step
            if u * u + v * v <= params.MCC_RADIUS_PX**2:
                cells.append((u, v))
    return np.array(cells, dtype=np.float64)


CELL_OFFSETS = _disc_cells()
CELL_OFFSETS.flags.writeable = False
CELLS = len(CELL_OFFSETS)
BITS = CELLS * params.MCC_ANGULAR_CELLS
WORDS = (BITS + 63) // 64
ANGULAR_STEP_RAD = 2 * math.pi / params.MCC_ANGULAR_CELLS
MIN_DIRECTION_COS = math.cos(params.MCC_MAX_DIRECTION_DIFF_RAD)


@dataclass(frozen=True, slots=True)
class Cylinders:
    """Search form of a template (see module docstring). Arrays are read-only by convention."""

    x: np.ndarray  # (n,) float64, pixels at WORK_DPI
    y: np.ndarray
    theta: np.ndarray  # (n,) float64, radians, image coordinates (y down)
    cos_t: np.ndarray  # (n,) cos(theta)
    sin_t: np.ndarray  # (n,) sin(theta)
    bits: np.ndarray  # (n, WORDS) uint64
    masks: np.ndarray  # (n, WORDS) uint64; all zero for an invalid cylinder
    hull: np.ndarray  # (h, 3) float64: the convex hull's edges as inward unit normals and
    # offsets (nx, ny, c), a point inside when nx*x + ny*y + c >= 0 for every edge;
    # (0, 3) when the minutiae span no area
    compiled: object = field(default=None, compare=False, repr=False)
    # the compiled matcher's pinned copy of these arrays, built on first use

    def __len__(self) -> int:
        return len(self.x)


def angle_diff(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """a - b wrapped to [-pi, pi)."""
    return np.mod(np.asarray(a) - b + math.pi, 2 * math.pi) - math.pi


def geometry(template: Template) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y at WORK_DPI and image-coordinate angles (y down) of ``template``'s minutiae."""
    scale = params.WORK_DPI / template.dpi
    m = template.minutiae
    x = m["x"].astype(np.float64) * scale
    y = m["y"].astype(np.float64) * scale
    theta = np.mod(-m["angle"], 2 * math.pi)
    return x, y, theta


def hull_edges(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(h, 3) float64 edges (nx, ny, c) of the convex hull of the points, counter-clockwise
    in (x, y) axes, so that nx*px + ny*py + c >= 0 for every edge means (px, py) is inside or
    on it. Andrew's monotone chain: points sorted by x then y, collinear points dropped.
    Empty (0, 3) when fewer than three points span an area. Cost O(n log n) for n points.
    """
    order = np.lexsort((y, x))
    px, py = x[order], y[order]

    def half(indices: range) -> list[int]:
        chain: list[int] = []
        for k in indices:
            while len(chain) >= 2:
                o, m = chain[-2], chain[-1]
                cross = (px[m] - px[o]) * (py[k] - py[o]) - (py[m] - py[o]) * (px[k] - px[o])
                if cross > 0:
                    break
                chain.pop()
            chain.append(k)
        return chain

    n = len(px)
    lower = half(range(n))
    upper = half(range(n - 1, -1, -1))
    vertices = lower[:-1] + upper[:-1]
    if len(vertices) < 3:
        return np.zeros((0, 3), dtype=np.float64)
    edges = np.zeros((len(vertices), 3), dtype=np.float64)
    for e, k in enumerate(vertices):
        q = vertices[(e + 1) % len(vertices)]
        ex, ey = px[q] - px[k], py[q] - py[k]
        length = math.sqrt(ex * ex + ey * ey)
        nx, ny = -ey / length, ex / length  # left of the edge: inside for a CCW hull
        edges[e] = (nx, ny, -(nx * px[k] + ny * py[k]))
    return edges


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(n, BITS) bool -> (n, WORDS) uint64; bit b lands in word b // 64, position b % 64."""
    padded = np.zeros((len(bits), WORDS * 64), dtype=bool)
    padded[:, : bits.shape[1]] = bits
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64).reshape(len(bits), WORDS)


def build_cylinders(x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> Cylinders:
    """Bit cylinders and validity masks for minutiae at (x, y) with image angles theta."""
    n = len(x)
    nd = params.MCC_ANGULAR_CELLS
    if n == 0:
        empty = np.zeros((0, WORDS), dtype=np.uint64)
        return Cylinders(
            x, y, theta, x.copy(), x.copy(), empty, empty.copy(), np.zeros((0, 3), np.float64)
        )
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    u, v = CELL_OFFSETS[:, 0], CELL_OFFSETS[:, 1]
    px = x[:, None] + cos_t[:, None] * u[None, :] - sin_t[:, None] * v[None, :]  # (n, C)
    py = y[:, None] + sin_t[:, None] * u[None, :] + cos_t[:, None] * v[None, :]
    ddx = px[:, :, None] - x[None, None, :]  # (n, C, n)
    ddy = py[:, :, None] - y[None, None, :]
    d2 = ddx * ddx + ddy * ddy
    sigma_s = params.MCC_SIGMA_S_PX
    spatial = np.exp(-d2 / (2 * sigma_s * sigma_s)) / (sigma_s * math.sqrt(2 * math.pi))
    spatial[d2 > (3 * sigma_s) ** 2] = 0.0
    spatial[np.arange(n), :, np.arange(n)] = 0.0
    relative = angle_diff(theta[:, None], theta[None, :])  # (n, n): theta_m - theta_t
    phi = -math.pi + (np.arange(nd) + 0.5) * ANGULAR_STEP_RAD
    alpha = angle_diff(phi[None, None, :], relative[:, :, None])  # (n, n, nd)
    from scipy.special import erf  # here: a gallery is searched without importing scipy

    scale = 1.0 / (params.MCC_SIGMA_D_RAD * math.sqrt(2.0))
    directional = 0.5 * (
        erf((alpha + ANGULAR_STEP_RAD / 2) * scale) - erf((alpha - ANGULAR_STEP_RAD / 2) * scale)
    )
    value = np.einsum("mct,mtk->mck", spatial, directional)
    bits = value > params.MCC_MU_PSI  # (n, C, nd)
    cell_valid = (d2 <= params.MCC_OMEGA_PX**2).any(axis=2)  # (n, C)
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    reach = (params.MCC_RADIUS_PX + 3 * sigma_s) ** 2
    neighbours = (dx * dx + dy * dy <= reach).sum(axis=1) - 1
    valid = (cell_valid.sum(axis=1) >= params.MCC_MIN_VALID_CELLS_FRACTION * CELLS) & (
        neighbours >= params.MCC_MIN_NEIGHBOURS
    )
    mask_bits = np.repeat(cell_valid, nd, axis=1) & valid[:, None]
    return Cylinders(
        x,
        y,
        theta,
        cos_t,
        sin_t,
        pack_bits(bits.reshape(n, CELLS * nd)),
        pack_bits(mask_bits),
        hull_edges(x, y),
    )


def cylinders_of(template: Template) -> Cylinders:
    """The template's search form, built by the reference code."""
    return build_cylinders(*geometry(template))


def local_similarities(a: Cylinders, b: Cylinders) -> np.ndarray:
    """(nA, nB) float64 cylinder similarities, 0 where not comparable."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    common = a.masks[:, None, :] & b.masks[None, :, :]
    matchable = np.bitwise_count(common).sum(axis=2)
    count_a = np.bitwise_count(a.bits[:, None, :] & common).sum(axis=2).astype(np.float64)
    count_b = np.bitwise_count(b.bits[None, :, :] & common).sum(axis=2).astype(np.float64)
    differ = np.bitwise_count((a.bits[:, None, :] ^ b.bits[None, :, :]) & common).sum(axis=2)
    norm = np.sqrt(count_a) + np.sqrt(count_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = 1.0 - np.sqrt(differ.astype(np.float64)) / norm
    cos_diff = a.cos_t[:, None] * b.cos_t[None, :] + a.sin_t[:, None] * b.sin_t[None, :]
    direction_ok = cos_diff >= MIN_DIRECTION_COS
    ok = direction_ok & (matchable >= params.MCC_MIN_MATCHABLE_FRACTION * BITS) & (norm > 0)
    return np.where(ok, sim, 0.0)


def pairs_to_count(n_a: int, n_b: int) -> int:
    """n_P: how many relaxed pairs the score averages, from the smaller minutiae count."""
    smaller = min(n_a, n_b)
    ramp = 1.0 / (1.0 + math.exp(-params.MCC_NP_TAU * (smaller - params.MCC_NP_MU)))
    return params.MCC_MIN_NP + int(math.floor(ramp * (params.MCC_MAX_NP - params.MCC_MIN_NP) + 0.5))


def _ramp(value: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """1 at or below lo, 0 at or above hi, linear between."""
    return np.clip((hi - value) * (1.0 / (hi - lo)), 0.0, 1.0)


def compatibility(a: Cylinders, b: Cylinders, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """(P, P) compatibility rho[t, k] of pairs (ia[t], ib[t]) and (ia[k], ib[k])."""
    ax, ay, bx, by = a.x[ia], a.y[ia], b.x[ib], b.y[ib]
    cos_a, sin_a, cos_b, sin_b = a.cos_t[ia], a.sin_t[ia], b.cos_t[ib], b.sin_t[ib]
    adx = ax[None, :] - ax[:, None]  # [t, k]: a_k - a_t
    ady = ay[None, :] - ay[:, None]
    bdx = bx[None, :] - bx[:, None]
    bdy = by[None, :] - by[:, None]
    dist_a = np.sqrt(adx * adx + ady * ady)
    dist_b = np.sqrt(bdx * bdx + bdy * bdy)
    z1 = _ramp(np.abs(dist_a - dist_b), params.MCC_COMPAT_DIST_LO_PX, params.MCC_COMPAT_DIST_HI_PX)
    # cos((theta_a_t - theta_a_k) - (theta_b_t - theta_b_k))
    cos_da = cos_a[:, None] * cos_a[None, :] + sin_a[:, None] * sin_a[None, :]
    sin_da = sin_a[:, None] * cos_a[None, :] - cos_a[:, None] * sin_a[None, :]
    cos_db = cos_b[:, None] * cos_b[None, :] + sin_b[:, None] * sin_b[None, :]
    sin_db = sin_b[:, None] * cos_b[None, :] - cos_b[:, None] * sin_b[None, :]
    c2 = cos_da * cos_db + sin_da * sin_db
    lo_cos = math.cos(params.MCC_COMPAT_ANGLE_LO_RAD)
    hi_cos = math.cos(params.MCC_COMPAT_ANGLE_HI_RAD)
    z2 = np.clip((c2 - hi_cos) * (1.0 / (lo_cos - hi_cos)), 0.0, 1.0)
    # segment t->k in each minutia t's own frame, compared by the cosine between them
    ux = cos_a[:, None] * adx + sin_a[:, None] * ady
    uy = cos_a[:, None] * ady - sin_a[:, None] * adx
    vx = cos_b[:, None] * bdx + sin_b[:, None] * bdy
    vy = cos_b[:, None] * bdy - sin_b[:, None] * bdx
    norms = dist_a * dist_b
    with np.errstate(invalid="ignore", divide="ignore"):
        c3 = np.where(norms > 0, (ux * vx + uy * vy) / norms, 1.0)
    z3 = np.clip((c3 - hi_cos) * (1.0 / (lo_cos - hi_cos)), 0.0, 1.0)
    return z1 * z2 * z3


def select_pairs(sims: np.ndarray, limit: int) -> np.ndarray:
    """Flat indices of at most ``limit`` local pairs, one-to-one, best first.

    The MCC_CANDIDATE_PAIRS best pairs with a positive similarity (similarity descending,
    then flat index ascending) are walked in order; a pair is taken unless its minutia in
    A or in B is already taken. Keeps one minutia from lending its similarity to several
    pairs (an impostor's lucky cylinder otherwise fills the relaxation).
    """
    flat = sims.ravel()
    order = np.argsort(-flat, kind="stable")
    order = order[flat[order] > 0][: params.MCC_CANDIDATE_PAIRS]
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    chosen: list[int] = []
    for index in order:
        i, j = divmod(int(index), sims.shape[1])
        if i in taken_a or j in taken_b:
            continue
        taken_a.add(i)
        taken_b.add(j)
        chosen.append(int(index))
        if len(chosen) == limit:
            break
    return np.array(chosen, dtype=np.int64)


def matched_count(a: Cylinders, b: Cylinders, i: int, j: int) -> int:
    """Minutiae paired one-to-one when A is moved so that minutia i lies on B's minutia j.

    A's minutiae are rotated by theta_b[j] - theta_a[i] about minutia i and moved onto j;
    a pair (p, r) qualifies when p lands within MCC_ALIGN_DISTANCE_PX of r with directions
    within MCC_ALIGN_ANGLE_RAD; qualifying pairs are taken nearest first (ties: lower p,
    then lower r), each minutia at most once. Cost O(nA * nB).
    """
    c = math.cos(b.theta[j] - a.theta[i])
    s = math.sin(b.theta[j] - a.theta[i])
    dx = a.x - a.x[i]
    dy = a.y - a.y[i]
    tx = b.x[j] + (c * dx - s * dy)
    ty = b.y[j] + (s * dx + c * dy)
    tc = c * a.cos_t - s * a.sin_t
    ts = s * a.cos_t + c * a.sin_t
    ex = tx[:, None] - b.x[None, :]
    ey = ty[:, None] - b.y[None, :]
    d2 = ex * ex + ey * ey
    cos_diff = tc[:, None] * b.cos_t[None, :] + ts[:, None] * b.sin_t[None, :]
    ok = (d2 < params.MCC_ALIGN_DISTANCE_PX**2) & (cos_diff > math.cos(params.MCC_ALIGN_ANGLE_RAD))
    ps, rs = np.nonzero(ok)
    order = np.lexsort((rs, ps, d2[ps, rs]))
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    for k in order:
        if ps[k] in taken_a or rs[k] in taken_b:
            continue
        taken_a.add(int(ps[k]))
        taken_b.add(int(rs[k]))
    return len(taken_a)


def inside_count(hull: np.ndarray, px: np.ndarray, py: np.ndarray) -> int:
    """How many points lie inside ``hull`` (hull_edges form) or within MCC_OVERLAP_MARGIN_PX of it."""
    if len(hull) == 0:
        return 0
    side = (
        hull[:, 0][None, :] * px[:, None] + hull[:, 1][None, :] * py[:, None] + hull[:, 2][None, :]
    )
    return int(np.all(side >= -params.MCC_OVERLAP_MARGIN_PX, axis=1).sum())


def overlap_counts(a: Cylinders, b: Cylinders, i: int, j: int) -> tuple[int, int]:
    """Minutiae of A inside B's hull and of B inside A's hull, under matched_count's alignment."""
    c = math.cos(b.theta[j] - a.theta[i])
    s = math.sin(b.theta[j] - a.theta[i])
    dx = a.x - a.x[i]
    dy = a.y - a.y[i]
    inside_a = inside_count(b.hull, b.x[j] + (c * dx - s * dy), b.y[j] + (s * dx + c * dy))
    ex = b.x - b.x[j]
    ey = b.y - b.y[j]
    inside_b = inside_count(a.hull, a.x[i] + (c * ex + s * ey), a.y[i] + (c * ey - s * ex))
    return inside_a, inside_b


def global_consistency(
    a: Cylinders, b: Cylinders, ia: np.ndarray, ib: np.ndarray, relaxed: np.ndarray
) -> float:
    """In [0, 1]: how much of the two prints' overlap agrees under one rigid alignment.

    Each of the MCC_ALIGNMENTS best relaxed pairs proposes an alignment; the one pairing
    the most minutiae (matched_count; ties: the better-relaxed pair) gives m, and the value
    is m / sqrt((inside_a + K) * (inside_b + K)) with the overlap counts of that alignment
    and K = MCC_OVERLAP_PRIOR (so a tiny overlap cannot score 1), clipped to 1.
    """
    best_count, best = 0, -1
    for k in np.argsort(-relaxed, kind="stable")[: params.MCC_ALIGNMENTS]:
        count = matched_count(a, b, int(ia[k]), int(ib[k]))
        if count > best_count:
            best_count, best = count, int(k)
    if best_count == 0:
        return 0.0
    inside_a, inside_b = overlap_counts(a, b, int(ia[best]), int(ib[best]))
    prior = params.MCC_OVERLAP_PRIOR
    return min(1.0, best_count / math.sqrt((inside_a + prior) * (inside_b + prior)))


def score(a: Cylinders, b: Cylinders) -> float:
    """Similarity in [0, 1] of two search forms: LSS-R on one-to-one local pairs, times the
    global consistency of the best alignment the relaxed pairs propose."""
    sims = local_similarities(a, b)
    limit = min(params.MCC_MAX_RELAXED_PAIRS, len(a), len(b))
    chosen = select_pairs(sims, limit)
    if len(chosen) == 0:
        return 0.0
    ia, ib = np.divmod(chosen, len(b))
    initial = sims.ravel()[chosen]
    current = initial.copy()
    count = len(chosen)
    if count > 1:
        rho = compatibility(a, b, ia, ib)
        np.fill_diagonal(rho, 0.0)
        w = params.MCC_RELAX_WEIGHT
        for _ in range(params.MCC_RELAX_ITERATIONS):
            current = w * current + (1.0 - w) * (rho @ current) / (count - 1)
    efficiency = current / initial
    n_p = pairs_to_count(len(a), len(b))
    best = np.argsort(-efficiency, kind="stable")[: min(n_p, count)]
    local = float(current[best].sum() / n_p)
    return local * global_consistency(a, b, ia, ib, current)
