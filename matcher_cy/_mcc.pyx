# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled Minutia Cylinder-Code: the same cylinders and scores as ``matcher_cy.mcc``.

``matcher_cy.mcc`` is the specification (read its docstring for the algorithm); this
module re-implements its two hot functions with typed memoryviews and ``nogil`` loops.
Thread-safe: no shared state; the GIL is released while scoring.
"""

import math

import numpy as np

from matcher_cy import params
from matcher_cy.index import reciprocals as index_reciprocals
from matcher_cy.mcc import BITS, CELL_OFFSETS, CELLS, WORDS, Cylinders

from libc.math cimport cos, erf, exp, fabs, floor, fmod, sin, sqrt
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc

cdef double PI = math.pi
cdef double TWO_PI = 2.0 * math.pi
cdef int NS_CELLS = CELLS
cdef int ND = params.MCC_ANGULAR_CELLS
cdef int NWORDS = WORDS
cdef double SIGMA_S = params.MCC_SIGMA_S_PX
cdef double SIGMA_D = params.MCC_SIGMA_D_RAD
cdef double MU_PSI = params.MCC_MU_PSI
cdef double OMEGA2 = params.MCC_OMEGA_PX ** 2
cdef double REACH2 = (params.MCC_RADIUS_PX + 3 * params.MCC_SIGMA_S_PX) ** 2
cdef double MIN_VALID_CELLS = params.MCC_MIN_VALID_CELLS_FRACTION * CELLS
cdef int MIN_NEIGHBOURS = params.MCC_MIN_NEIGHBOURS
cdef double MIN_MATCHABLE = params.MCC_MIN_MATCHABLE_FRACTION * BITS
cdef double MIN_DIRECTION_COS = math.cos(params.MCC_MAX_DIRECTION_DIFF_RAD)
cdef int MAX_RELAXED = params.MCC_MAX_RELAXED_PAIRS
cdef int RELAX_ITERATIONS = params.MCC_RELAX_ITERATIONS
cdef double RELAX_WEIGHT = params.MCC_RELAX_WEIGHT
cdef double DIST_LO = params.MCC_COMPAT_DIST_LO_PX
cdef double DIST_HI = params.MCC_COMPAT_DIST_HI_PX
cdef double LO_COS = math.cos(params.MCC_COMPAT_ANGLE_LO_RAD)
cdef double HI_COS = math.cos(params.MCC_COMPAT_ANGLE_HI_RAD)
cdef double INV_DIST_SPAN = 1.0 / (DIST_HI - DIST_LO)
cdef double INV_COS_SPAN = 1.0 / (LO_COS - HI_COS)
cdef int MIN_NP = params.MCC_MIN_NP
cdef int MAX_NP = params.MCC_MAX_NP
cdef double NP_MU = params.MCC_NP_MU
cdef double NP_TAU = params.MCC_NP_TAU
cdef double[:, ::1] OFFSETS = np.array(CELL_OFFSETS, dtype=np.float64)  # a writable copy
# sqrt of every possible popcount: the same doubles as sqrt(), without its latency
cdef double[::1] SQRT_TABLE = np.sqrt(np.arange(WORDS * 64 + 1, dtype=np.float64))
cdef int SECTORS = params.INDEX_DIRECTION_SECTORS
cdef int MAX_SECTOR_DIFF = params.INDEX_MAX_SECTOR_DIFF
cdef int SCALE_BITS = params.INDEX_SIMILARITY_SCALE_BITS
cdef int64_t[::1] RECIPROCALS = index_reciprocals()
if MAX_RELAXED > 64:
    raise ImportError("matcher_cy._mcc: MCC_MAX_RELAXED_PAIRS above 64 needs larger buffers")
if SECTORS > 64:
    raise ImportError("matcher_cy._mcc: INDEX_DIRECTION_SECTORS above 64 needs a wider mask")


cdef inline double angle_diff(double a, double b) noexcept nogil:
    """a - b wrapped to [-pi, pi), as numpy.mod does it."""
    cdef double d = fmod(a - b + PI, TWO_PI)
    if d < 0:
        d += TWO_PI
    return d - PI


cdef extern from "popcount.h" nogil:
    int popcount "kh_popcount"(uint64_t x)
    int ctz "__builtin_ctzll"(uint64_t x)


cdef inline bint better(double sim, Py_ssize_t flat, double other, Py_ssize_t other_flat) noexcept nogil:
    """Order of local pairs: higher similarity first, then lower flat index (stable)."""
    return sim > other or (sim == other and flat < other_flat)


cdef inline void heap_push(
    double* val, Py_ssize_t* idx, int size, double sim, Py_ssize_t flat
) noexcept nogil:
    """Push onto a min-heap whose root is the worst kept pair."""
    cdef int pos = size
    cdef int parent
    while pos > 0:
        parent = (pos - 1) >> 1
        if not better(val[parent], idx[parent], sim, flat):
            break
        val[pos] = val[parent]
        idx[pos] = idx[parent]
        pos = parent
    val[pos] = sim
    idx[pos] = flat


cdef inline void heap_replace_root(
    double* val, Py_ssize_t* idx, int size, double sim, Py_ssize_t flat
) noexcept nogil:
    """Replace the worst kept pair and sift the newcomer down."""
    cdef int pos = 0
    cdef int child
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and better(val[child], idx[child], val[child + 1], idx[child + 1]):
            child += 1
        if not better(sim, flat, val[child], idx[child]):
            break
        val[pos] = val[child]
        idx[pos] = idx[child]
        pos = child
    val[pos] = sim
    idx[pos] = flat


cdef inline double clip01(double v) noexcept nogil:
    if v < 0.0:
        return 0.0
    if v > 1.0:
        return 1.0
    return v


def build_cylinders(x, y, theta):
    """Same as ``matcher_cy.mcc.build_cylinders`` (x, y, theta: float64 arrays)."""
    cdef double[::1] xs = np.ascontiguousarray(x, dtype=np.float64)
    cdef double[::1] ys = np.ascontiguousarray(y, dtype=np.float64)
    cdef double[::1] ts = np.ascontiguousarray(theta, dtype=np.float64)
    cdef Py_ssize_t n = xs.shape[0]
    bits_array = np.zeros((n, NWORDS), dtype=np.uint64)
    masks_array = np.zeros((n, NWORDS), dtype=np.uint64)
    cdef uint64_t[:, ::1] bits = bits_array
    cdef uint64_t[:, ::1] masks = masks_array
    directional_array = np.zeros((max(n, 1), ND), dtype=np.float64)
    cdef double[:, ::1] directional = directional_array
    cell_valid_array = np.zeros(NS_CELLS, dtype=np.uint8)
    cdef unsigned char[::1] cell_valid = cell_valid_array
    cdef double[::1] value = np.zeros(ND, dtype=np.float64)
    cdef Py_ssize_t m, t, c, k, b
    cdef double cm, sm, px, py, dx, dy, d2, spatial, relative, alpha, phi
    cdef double step = TWO_PI / ND
    cdef double scale = 1.0 / (SIGMA_D * sqrt(2.0))
    cdef double norm_s = SIGMA_S * sqrt(2.0 * PI)
    cdef double reach_s = (3.0 * SIGMA_S) * (3.0 * SIGMA_S)
    cdef int valid_cells, neighbours
    with nogil:
        for m in range(n):
            cm = cos(ts[m])
            sm = sin(ts[m])
            neighbours = 0
            for t in range(n):
                dx = xs[m] - xs[t]
                dy = ys[m] - ys[t]
                if dx * dx + dy * dy <= REACH2:
                    neighbours += 1
                relative = angle_diff(ts[m], ts[t])
                for k in range(ND):
                    phi = -PI + (k + 0.5) * step
                    alpha = angle_diff(phi, relative)
                    directional[t, k] = 0.5 * (
                        erf((alpha + step / 2) * scale) - erf((alpha - step / 2) * scale)
                    )
            neighbours -= 1
            valid_cells = 0
            for c in range(NS_CELLS):
                px = xs[m] + cm * OFFSETS[c, 0] - sm * OFFSETS[c, 1]
                py = ys[m] + sm * OFFSETS[c, 0] + cm * OFFSETS[c, 1]
                cell_valid[c] = 0
                for k in range(ND):
                    value[k] = 0.0
                for t in range(n):
                    dx = px - xs[t]
                    dy = py - ys[t]
                    d2 = dx * dx + dy * dy
                    if d2 <= OMEGA2:
                        cell_valid[c] = 1
                    if t == m or d2 > reach_s:
                        continue
                    spatial = exp(-d2 / (2 * SIGMA_S * SIGMA_S)) / norm_s
                    for k in range(ND):
                        value[k] += spatial * directional[t, k]
                valid_cells += cell_valid[c]
                for k in range(ND):
                    if value[k] > MU_PSI:
                        b = c * ND + k
                        bits[m, b >> 6] |= (<uint64_t>1) << (b & 63)
            if valid_cells >= MIN_VALID_CELLS and neighbours >= MIN_NEIGHBOURS:
                for c in range(NS_CELLS):
                    if cell_valid[c]:
                        for k in range(ND):
                            b = c * ND + k
                            masks[m, b >> 6] |= (<uint64_t>1) << (b & 63)
    theta_array = np.asarray(ts)
    return Cylinders(
        np.asarray(xs), np.asarray(ys), theta_array, np.cos(theta_array), np.sin(theta_array),
        bits_array, masks_array,
    )


cdef double score_arrays(
    double[::1] ax, double[::1] ay, double[::1] ac, double[::1] as_,
    uint64_t[:, ::1] abits, uint64_t[:, ::1] amasks,
    double[::1] bx, double[::1] by, double[::1] bc, double[::1] bs,
    uint64_t[:, ::1] bbits, uint64_t[:, ::1] bmasks,
) noexcept nogil:
    cdef Py_ssize_t na = ax.shape[0]
    cdef Py_ssize_t nb = bx.shape[0]
    if na == 0 or nb == 0:
        return 0.0
    cdef int limit = MAX_RELAXED
    if na < limit:
        limit = <int>na
    if nb < limit:
        limit = <int>nb
    cdef double top_val[64]
    cdef Py_ssize_t top_idx[64]
    cdef Py_ssize_t flat
    cdef int t
    cdef int top_a[64]
    cdef int top_b[64]
    cdef int count = 0
    cdef Py_ssize_t i, j, w
    cdef int pos, q, matchable, pa, pb, differ
    cdef uint64_t common, any_a
    cdef double norm, sim
    cdef const uint64_t* ma
    cdef const uint64_t* ab
    cdef const uint64_t* mb
    cdef const uint64_t* bb
    cdef const double* roots = &SQRT_TABLE[0]
    for i in range(na):
        ma = &amasks[i, 0]
        ab = &abits[i, 0]
        any_a = 0
        for w in range(NWORDS):
            any_a |= ma[w]
        if any_a == 0:
            continue
        for j in range(nb):
            if ac[i] * bc[j] + as_[i] * bs[j] < MIN_DIRECTION_COS:
                continue
            mb = &bmasks[j, 0]
            bb = &bbits[j, 0]
            matchable = 0
            pa = 0
            pb = 0
            differ = 0
            for w in range(NWORDS):
                common = ma[w] & mb[w]
                matchable += popcount(common)
                pa += popcount(ab[w] & common)
                pb += popcount(bb[w] & common)
                differ += popcount((ab[w] ^ bb[w]) & common)
            if matchable < MIN_MATCHABLE:
                continue
            norm = roots[pa] + roots[pb]
            if norm <= 0:
                continue
            sim = 1.0 - roots[differ] / norm
            if sim <= 0:
                continue
            flat = i * nb + j
            if count < limit:
                heap_push(top_val, top_idx, count, sim, flat)
                count += 1
            elif better(sim, flat, top_val[0], top_idx[0]):
                heap_replace_root(top_val, top_idx, count, sim, flat)
    # sort the kept pairs best first (sim desc, then flat index asc) like a stable argsort
    for t in range(1, count):
        sim = top_val[t]
        flat = top_idx[t]
        pos = t
        while pos > 0 and better(sim, flat, top_val[pos - 1], top_idx[pos - 1]):
            top_val[pos] = top_val[pos - 1]
            top_idx[pos] = top_idx[pos - 1]
            pos -= 1
        top_val[pos] = sim
        top_idx[pos] = flat
    for t in range(count):
        top_a[t] = <int>(top_idx[t] // nb)
        top_b[t] = <int>(top_idx[t] % nb)
    if count == 0:
        return 0.0
    cdef double current[64]
    cdef double following[64]
    cdef double rho[64 * 64]
    cdef double cos_a[64]
    cdef double sin_a[64]
    cdef double cos_b[64]
    cdef double sin_b[64]
    cdef double adx, ady, bdx, bdy, dist_a, dist_b, z1, z2, z3, c2, c3, norms
    cdef double cos_da, sin_da, cos_db, sin_db, ux, uy, vx, vy, total
    cdef int it, k
    for t in range(count):
        current[t] = top_val[t]
        cos_a[t] = ac[top_a[t]]
        sin_a[t] = as_[top_a[t]]
        cos_b[t] = bc[top_b[t]]
        sin_b[t] = bs[top_b[t]]
    if count > 1:
        for t in range(count):
            rho[t * count + t] = 0.0
            for k in range(t + 1, count):
                # the angle term first: it needs no square root and rejects most pairs
                cos_da = cos_a[t] * cos_a[k] + sin_a[t] * sin_a[k]
                sin_da = sin_a[t] * cos_a[k] - cos_a[t] * sin_a[k]
                cos_db = cos_b[t] * cos_b[k] + sin_b[t] * sin_b[k]
                sin_db = sin_b[t] * cos_b[k] - cos_b[t] * sin_b[k]
                c2 = cos_da * cos_db + sin_da * sin_db
                z2 = clip01((c2 - HI_COS) * INV_COS_SPAN)
                if z2 == 0.0:
                    rho[t * count + k] = 0.0
                    rho[k * count + t] = 0.0
                    continue
                adx = ax[top_a[k]] - ax[top_a[t]]
                ady = ay[top_a[k]] - ay[top_a[t]]
                bdx = bx[top_b[k]] - bx[top_b[t]]
                bdy = by[top_b[k]] - by[top_b[t]]
                dist_a = sqrt(adx * adx + ady * ady)
                dist_b = sqrt(bdx * bdx + bdy * bdy)
                z1 = clip01((DIST_HI - fabs(dist_a - dist_b)) * INV_DIST_SPAN)
                if z1 == 0.0:
                    rho[t * count + k] = 0.0
                    rho[k * count + t] = 0.0
                    continue
                norms = dist_a * dist_b
                # segment t->k seen from minutia t, and k->t seen from minutia k
                if norms > 0:
                    ux = cos_a[t] * adx + sin_a[t] * ady
                    uy = cos_a[t] * ady - sin_a[t] * adx
                    vx = cos_b[t] * bdx + sin_b[t] * bdy
                    vy = cos_b[t] * bdy - sin_b[t] * bdx
                    c3 = (ux * vx + uy * vy) / norms
                else:
                    c3 = 1.0
                rho[t * count + k] = z1 * z2 * clip01((c3 - HI_COS) * INV_COS_SPAN)
                if norms > 0:
                    ux = -(cos_a[k] * adx + sin_a[k] * ady)
                    uy = -(cos_a[k] * ady - sin_a[k] * adx)
                    vx = -(cos_b[k] * bdx + sin_b[k] * bdy)
                    vy = -(cos_b[k] * bdy - sin_b[k] * bdx)
                    c3 = (ux * vx + uy * vy) / norms
                else:
                    c3 = 1.0
                rho[k * count + t] = z1 * z2 * clip01((c3 - HI_COS) * INV_COS_SPAN)
        for it in range(RELAX_ITERATIONS):
            for t in range(count):
                total = 0.0
                for k in range(count):
                    total += rho[t * count + k] * current[k]
                following[t] = RELAX_WEIGHT * current[t] + (1.0 - RELAX_WEIGHT) * total / (count - 1)
            for t in range(count):
                current[t] = following[t]
    # efficiency = relaxed / initial; keep the n_P most efficient (ties: lower index)
    cdef int smaller = <int>(na if na < nb else nb)
    cdef double ramp = 1.0 / (1.0 + exp(-NP_TAU * (smaller - NP_MU)))
    cdef int n_p = MIN_NP + <int>floor(ramp * (MAX_NP - MIN_NP) + 0.5)
    cdef int take = n_p if n_p < count else count
    cdef double efficiency[64]
    cdef int used[64]
    cdef int best
    for t in range(count):
        efficiency[t] = current[t] / top_val[t]
        used[t] = 0
    total = 0.0
    for q in range(take):
        best = -1
        for t in range(count):
            if not used[t] and (best < 0 or efficiency[t] > efficiency[best]):
                best = t
        used[best] = 1
        total += current[best]
    return total / n_p


def score(a, b):
    """Same as ``matcher_cy.mcc.score``; releases the GIL while it runs."""
    cdef double[::1] ax = a.x, ay = a.y, ac = a.cos_t, as_ = a.sin_t
    cdef double[::1] bx = b.x, by = b.y, bc = b.cos_t, bs = b.sin_t
    cdef uint64_t[:, ::1] abits = a.bits, amasks = a.masks, bbits = b.bits, bmasks = b.masks
    cdef double result
    with nogil:
        result = score_arrays(ax, ay, ac, as_, abits, amasks, bx, by, bc, bs, bbits, bmasks)
    return result


def prefilter_scores(probe, codes, popcounts, sectors, counts, slots, int top_codes):
    """Same as ``matcher_cy.index.prefilter_scores``; releases the GIL while it runs.

    The best gallery code of each probe code is chosen by comparing the rationals
    |q & g|^2 / |g| by cross-multiplication (exact; the first wins ties). Codes of 3
    and 9 words (coarse and fine, 12x12x5 cylinders) run unrolled.
    """
    cdef uint64_t[:, ::1] pbits = np.ascontiguousarray(probe.bits, dtype=np.uint64)
    cdef int32_t[::1] ppop = np.ascontiguousarray(probe.popcounts, dtype=np.int32)
    cdef int32_t[::1] psec = np.ascontiguousarray(probe.sectors, dtype=np.int32)
    cdef uint64_t[:, :, ::1] rows = codes
    cdef int32_t[:, ::1] gpop = popcounts
    cdef int32_t[:, ::1] gsec = sectors
    cdef int32_t[::1] used = counts
    cdef int64_t[::1] chosen = np.ascontiguousarray(slots, dtype=np.int64)
    cdef Py_ssize_t n_slots = chosen.shape[0]
    result = np.zeros(n_slots, dtype=np.int32)
    cdef int32_t[::1] out = result
    cdef Py_ssize_t n_probe = pbits.shape[0]
    if n_probe > 64:
        raise ValueError("at most 64 probe codes")
    if n_slots == 0 or n_probe == 0:
        return result
    cdef int words = <int>rows.shape[2]
    if pbits.shape[1] != words or words > NWORDS:
        raise ValueError(f"probe and gallery codes must have the same words, at most {NWORDS}")
    if np.any(np.asarray(chosen) < 0) or np.any(np.asarray(chosen) >= rows.shape[0]):
        raise IndexError("prefilter slots outside the gallery arrays")
    cdef int top = top_codes if top_codes < n_probe else <int>n_probe
    # near[s]: the probe codes whose direction is within MAX_SECTOR_DIFF of sector s
    cdef uint64_t near[64]
    cdef int64_t best_square[64]
    cdef int64_t best_norm[64]
    cdef int64_t inter_square
    cdef const int64_t* reciprocal = &RECIPROCALS[0]
    cdef int64_t value[64]
    cdef Py_ssize_t k, r, g, q, q2, w, s
    cdef int64_t inter, gn, tmp
    cdef int64_t total
    cdef int diff
    cdef uint64_t todo
    cdef bint better
    cdef const uint64_t* code
    cdef const uint64_t* pq
    cdef uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0
    for s in range(SECTORS):
        near[s] = 0
        for q in range(n_probe):
            diff = psec[q] - <int>s
            if diff < 0:
                diff = -diff
            if SECTORS - diff < diff:
                diff = SECTORS - diff
            if diff <= MAX_SECTOR_DIFF:
                near[s] |= (<uint64_t>1) << q
    with nogil:
        for k in range(n_slots):
            r = chosen[k]
            for q in range(n_probe):
                best_square[q] = 0
                best_norm[q] = 1
            for g in range(used[r]):
                code = &rows[r, g, 0]
                gn = gpop[r, g]
                todo = near[gsec[r, g]]
                if words == 9:  # fine codes of 12x12x5 cylinders: unrolled, in registers
                    c0 = code[0]; c1 = code[1]; c2 = code[2]; c3 = code[3]; c4 = code[4]
                    c5 = code[5]; c6 = code[6]; c7 = code[7]; c8 = code[8]
                elif words == 3:  # their coarse codes
                    c0 = code[0]; c1 = code[1]; c2 = code[2]
                while todo:
                    q = ctz(todo)
                    todo &= todo - 1
                    pq = &pbits[q, 0]
                    if words == 9:
                        inter = (
                            popcount(pq[0] & c0) + popcount(pq[1] & c1) + popcount(pq[2] & c2)
                            + popcount(pq[3] & c3) + popcount(pq[4] & c4) + popcount(pq[5] & c5)
                            + popcount(pq[6] & c6) + popcount(pq[7] & c7) + popcount(pq[8] & c8)
                        )
                    elif words == 3:
                        inter = popcount(pq[0] & c0) + popcount(pq[1] & c1) + popcount(pq[2] & c2)
                    else:
                        inter = 0
                        for w in range(words):
                            inter += popcount(pq[w] & code[w])
                    # inter^2 / gn > best^2 / best_norm, exactly (the first wins ties)
                    inter_square = inter * inter
                    better = inter_square * best_norm[q] > best_square[q] * gn
                    best_square[q] = inter_square if better else best_square[q]
                    best_norm[q] = gn if better else best_norm[q]
            for q in range(n_probe):
                value[q] = (
                    best_square[q] * reciprocal[best_norm[q]] * reciprocal[ppop[q]]
                ) >> SCALE_BITS
            # sum of the `top` largest values (partial selection sort)
            total = 0
            for q in range(top):
                for q2 in range(q + 1, n_probe):
                    if value[q2] > value[q]:
                        tmp = value[q]
                        value[q] = value[q2]
                        value[q2] = tmp
                total += value[q]
            out[k] = <int32_t>total
    return result
