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
from matcher_cy.mcc import BITS, CELL_OFFSETS, CELLS, WORDS, Cylinders, hull_edges

from libc.math cimport cos, erf, exp, fabs, floor, fmod, sin, sqrt
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, qsort

from matcher_cy._prefilter cimport NEAR_TABLE, near_masks, popcount, row_score

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
cdef int CANDIDATES = params.MCC_CANDIDATE_PAIRS
cdef int ALIGNMENTS = params.MCC_ALIGNMENTS
cdef double ALIGN_DISTANCE = params.MCC_ALIGN_DISTANCE_PX
# matched_count looks minutiae up in x buckets a pixel wider than the pairing distance
BUCKET_WIDTH = params.MCC_ALIGN_DISTANCE_PX + 1.0
cdef double INV_BUCKET_WIDTH = 1.0 / BUCKET_WIDTH
cdef double ALIGN_DISTANCE2 = params.MCC_ALIGN_DISTANCE_PX ** 2
cdef double ALIGN_COS = math.cos(params.MCC_ALIGN_ANGLE_RAD)
cdef double OVERLAP_MARGIN = params.MCC_OVERLAP_MARGIN_PX
cdef double OVERLAP_PRIOR = params.MCC_OVERLAP_PRIOR
# fixed-size work arrays below (64 relaxed pairs, 256 minutiae); params must fit them
DEF HISTOGRAM_BINS = 256
cdef int MAX_MINUTIAE = 256
if not (0 < MAX_RELAXED <= 64 and CANDIDATES > 0 and ALIGNMENTS > 0):
    raise ImportError("matcher_cy params outside the compiled matcher's work arrays")
if params.MAX_TEMPLATE_MINUTIAE > MAX_MINUTIAE:
    raise ImportError("MAX_TEMPLATE_MINUTIAE outside the compiled matcher's work arrays")
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


cdef inline bint better(double sim, Py_ssize_t flat, double other, Py_ssize_t other_flat) noexcept nogil:
    """Order of local pairs: higher similarity first, then lower flat index (stable)."""
    return sim > other or (sim == other and flat < other_flat)


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
    x_array, y_array = np.asarray(xs), np.asarray(ys)
    return Cylinders(
        x_array, y_array, theta_array, np.cos(theta_array), np.sin(theta_array),
        bits_array, masks_array, hull_edges(x_array, y_array),
    )


# Form (the struct a score reads) is declared in _mcc.pxd, shared with _search.


cdef class CompiledForm:
    """A Cylinders' arrays pinned as C pointers, so that a score does not re-acquire
    (about 2 us) a dozen buffers per call. Built once per Cylinders (compiled_form)."""

    def __reduce__(self):
        """Pickled (or deep-copied) as None: a copy of a Cylinders builds its own on use."""
        return (type(None), ())

    def __init__(self, cylinders):
        x = np.ascontiguousarray(cylinders.x, dtype=np.float64)
        y = np.ascontiguousarray(cylinders.y, dtype=np.float64)
        theta = np.ascontiguousarray(cylinders.theta, dtype=np.float64)
        cos_t = np.ascontiguousarray(cylinders.cos_t, dtype=np.float64)
        sin_t = np.ascontiguousarray(cylinders.sin_t, dtype=np.float64)
        bits = np.ascontiguousarray(cylinders.bits, dtype=np.uint64)
        masks = np.ascontiguousarray(cylinders.masks, dtype=np.uint64)
        hull = np.ascontiguousarray(cylinders.hull, dtype=np.float64).reshape(-1, 3)
        n = len(x)
        if not (len(y) == len(theta) == len(cos_t) == len(sin_t) == n):
            raise ValueError("cylinder arrays of different lengths")
        if bits.shape != (n, NWORDS) or masks.shape != (n, NWORDS):
            raise ValueError(f"cylinder bits and masks must be ({n}, {NWORDS})")
        if n > MAX_MINUTIAE:
            raise ValueError(f"at most {MAX_MINUTIAE} minutiae")
        # stand-ins for empty arrays, so that every pointer is valid (never read when empty)
        one, one_word, one_edge = np.zeros(1), np.zeros((1, 1), np.uint64), np.zeros((1, 3))
        order = np.argsort(x, kind="stable").astype(np.int32)
        x_min = float(x.min()) if n else 0.0
        bucket_of = np.floor((x[order] - x_min) * INV_BUCKET_WIDTH).astype(np.int64)
        buckets = int(bucket_of.max()) + 1 if n else 1
        starts = np.searchsorted(bucket_of, np.arange(buckets + 1)).astype(np.int32)
        one_index = np.zeros(1, np.int32)
        self.arrays = (
            x, y, theta, cos_t, sin_t, bits, masks, hull, order, starts,
            one, one_word, one_edge, one_index,
        )
        cdef int32_t[::1] indices
        cdef double[::1] view
        cdef uint64_t[:, ::1] words
        cdef double[:, ::1] edges
        self.form.n = n
        view = x if n else one
        self.form.x = &view[0]
        view = y if n else one
        self.form.y = &view[0]
        view = theta if n else one
        self.form.theta = &view[0]
        view = cos_t if n else one
        self.form.cos_t = &view[0]
        view = sin_t if n else one
        self.form.sin_t = &view[0]
        words = bits if n else one_word
        self.form.bits = &words[0, 0]
        words = masks if n else one_word
        self.form.masks = &words[0, 0]
        self.form.hull_edges = hull.shape[0]
        edges = hull if hull.shape[0] else one_edge
        self.form.hull = &edges[0, 0]
        indices = order if n else one_index
        self.form.x_order = &indices[0]
        self.form.x_min = x_min
        self.form.buckets = buckets
        indices = starts
        self.form.bucket_start = &indices[0]


cdef CompiledForm compiled_form(cylinders):
    """The CompiledForm cached on ``cylinders`` (built on first use; a benign race)."""
    cached = cylinders.compiled
    if cached is None:
        cached = CompiledForm(cylinders)
        object.__setattr__(cylinders, "compiled", cached)
    return <CompiledForm>cached


cdef double score_forms(const Form* a, const Form* b) noexcept nogil:
    cdef Py_ssize_t na = a.n
    cdef Py_ssize_t nb = b.n
    if na == 0 or nb == 0:
        return 0.0
    cdef int limit = MAX_RELAXED
    if na < limit:
        limit = <int>na
    if nb < limit:
        limit = <int>nb
    # every positive local pair, and a histogram of their similarities to find the
    # CANDIDATES best without keeping them ordered while scanning
    cdef double* top_val = <double*>malloc(na * nb * sizeof(double))
    cdef Py_ssize_t* top_idx = <Py_ssize_t*>malloc(na * nb * sizeof(Py_ssize_t))
    cdef unsigned char* top_bin = <unsigned char*>malloc(na * nb)
    cdef double* order_val = <double*>malloc(na * nb * sizeof(double))
    cdef Py_ssize_t* order_idx = <Py_ssize_t*>malloc(na * nb * sizeof(Py_ssize_t))
    cdef int histogram[HISTOGRAM_BINS]
    cdef int offset[HISTOGRAM_BINS]
    cdef int bin_of, kept = 0, positives = 0
    cdef unsigned char taken_a[256]
    cdef unsigned char taken_b[256]
    cdef double pair_val[64]
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
    if top_val == NULL or top_idx == NULL or top_bin == NULL or order_val == NULL or order_idx == NULL:
        free(top_val)
        free(top_idx)
        free(top_bin)
        free(order_val)
        free(order_idx)
        return 0.0  # out of memory: no evidence of similarity
    for t in range(HISTOGRAM_BINS):
        histogram[t] = 0
    for i in range(na):
        ma = &a.masks[i * NWORDS]
        ab = &a.bits[i * NWORDS]
        any_a = 0
        for w in range(NWORDS):
            any_a |= ma[w]
        if any_a == 0:
            continue
        for j in range(nb):
            if a.cos_t[i] * b.cos_t[j] + a.sin_t[i] * b.sin_t[j] < MIN_DIRECTION_COS:
                continue
            mb = &b.masks[j * NWORDS]
            bb = &b.bits[j * NWORDS]
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
            bin_of = <int>(sim * HISTOGRAM_BINS)
            if bin_of >= HISTOGRAM_BINS:
                bin_of = HISTOGRAM_BINS - 1
            top_val[positives] = sim
            top_idx[positives] = i * nb + j
            top_bin[positives] = <unsigned char>bin_of
            positives += 1
            histogram[bin_of] += 1
    # the bins that hold the CANDIDATES best pairs (and a few more), highest first ...
    bin_of = HISTOGRAM_BINS - 1
    q = histogram[bin_of]
    while q < CANDIDATES and bin_of > 0:
        bin_of -= 1
        q += histogram[bin_of]
    pos = 0
    for t in range(HISTOGRAM_BINS - 1, bin_of - 1, -1):
        offset[t] = pos
        pos += histogram[t]
    # ... their pairs placed bin by bin (a counting sort) ...
    for t in range(positives):
        if top_bin[t] >= bin_of:
            order_val[offset[top_bin[t]]] = top_val[t]
            order_idx[offset[top_bin[t]]] = top_idx[t]
            offset[top_bin[t]] += 1
    kept = pos
    # ... then sorted within the bins (similarity descending, then flat index ascending:
    # an insertion sort that only moves pairs within their bin), as a stable argsort
    for t in range(1, kept):
        sim = order_val[t]
        flat = order_idx[t]
        pos = t
        while pos > 0 and better(sim, flat, order_val[pos - 1], order_idx[pos - 1]):
            order_val[pos] = order_val[pos - 1]
            order_idx[pos] = order_idx[pos - 1]
            pos -= 1
        order_val[pos] = sim
        order_idx[pos] = flat
    # walk the CANDIDATES best, taking a pair unless one of its minutiae is taken
    # (select_pairs)
    for t in range(na):
        taken_a[t] = 0
    for t in range(nb):
        taken_b[t] = 0
    for t in range(kept if kept < CANDIDATES else CANDIDATES):
        pa = <int>(order_idx[t] // nb)
        pb = <int>(order_idx[t] % nb)
        if taken_a[pa] or taken_b[pb]:
            continue
        taken_a[pa] = 1
        taken_b[pb] = 1
        top_a[count] = pa
        top_b[count] = pb
        pair_val[count] = order_val[t]
        count += 1
        if count == limit:
            break
    free(top_val)
    free(top_idx)
    free(top_bin)
    free(order_val)
    free(order_idx)
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
        current[t] = pair_val[t]
        cos_a[t] = a.cos_t[top_a[t]]
        sin_a[t] = a.sin_t[top_a[t]]
        cos_b[t] = b.cos_t[top_b[t]]
        sin_b[t] = b.sin_t[top_b[t]]
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
                adx = a.x[top_a[k]] - a.x[top_a[t]]
                ady = a.y[top_a[k]] - a.y[top_a[t]]
                bdx = b.x[top_b[k]] - b.x[top_b[t]]
                bdy = b.y[top_b[k]] - b.y[top_b[t]]
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
        efficiency[t] = current[t] / pair_val[t]
        used[t] = 0
    total = 0.0
    for q in range(take):
        best = -1
        for t in range(count):
            if not used[t] and (best < 0 or efficiency[t] > efficiency[best]):
                best = t
        used[best] = 1
        total += current[best]
    cdef double local = total / n_p
    return local * global_consistency(a, b, top_a, top_b, current, count)


cdef struct Candidate:
    double d2
    int p
    int r


cdef int candidate_order(const void* first, const void* second) noexcept nogil:
    """Nearest first, then lower p, then lower r (numpy.lexsort((r, p, d2)))."""
    cdef const Candidate* u = <const Candidate*>first
    cdef const Candidate* v = <const Candidate*>second
    if u.d2 < v.d2:
        return -1
    if u.d2 > v.d2:
        return 1
    if u.p != v.p:
        return -1 if u.p < v.p else 1
    if u.r != v.r:
        return -1 if u.r < v.r else 1
    return 0


cdef int matched_count(
    const Form* a, const Form* b, int i, int j, double c, double s, Candidate* buffer,
    unsigned char* taken_a, unsigned char* taken_b,
) noexcept nogil:
    """Same as ``mcc.matched_count`` with c, s = cos, sin(theta_b[j] - theta_a[i]);
    ``buffer`` holds nA * nB candidates, ``taken_*`` nA and nB flags."""
    cdef Py_ssize_t na = a.n
    cdef Py_ssize_t nb = b.n
    cdef Py_ssize_t p, r, q, lo, hi, bucket
    cdef Candidate held
    cdef int found = 0
    cdef int k, matched = 0
    cdef double dx, dy, tx, ty, tc, ts, ex, ey, d2
    for p in range(na):
        dx = a.x[p] - a.x[i]
        dy = a.y[p] - a.y[i]
        tx = b.x[j] + (c * dx - s * dy)
        ty = b.y[j] + (s * dx + c * dy)
        tc = c * a.cos_t[p] - s * a.sin_t[p]
        ts = s * a.cos_t[p] + c * a.sin_t[p]
        taken_a[p] = 0
        # only B's minutiae in the x bucket of tx and its two neighbours can qualify
        # floor without a libm call: shifted by 2**20 buckets, truncation is floor
        bucket = <Py_ssize_t>((tx - b.x_min) * INV_BUCKET_WIDTH + 1048576.0) - 1048576
        lo = bucket - 1 if bucket >= 1 else 0
        hi = bucket + 1 if bucket + 1 < b.buckets else b.buckets - 1
        if lo > hi:
            continue
        for q in range(b.bucket_start[lo], b.bucket_start[hi + 1]):
            r = b.x_order[q]
            ex = tx - b.x[r]
            ey = ty - b.y[r]
            d2 = ex * ex + ey * ey
            if d2 < ALIGN_DISTANCE2 and tc * b.cos_t[r] + ts * b.sin_t[r] > ALIGN_COS:
                buffer[found].d2 = d2
                buffer[found].p = <int>p
                buffer[found].r = <int>r
                found += 1
    if found == 0:
        return 0
    for r in range(nb):
        taken_b[r] = 0
    if found > 64:
        qsort(buffer, found, sizeof(Candidate), candidate_order)
    elif found > 1:  # few: an insertion sort, without qsort's allocation
        for k in range(1, found):
            held = buffer[k]
            q = k
            while q > 0 and candidate_order(&held, &buffer[q - 1]) < 0:
                buffer[q] = buffer[q - 1]
                q -= 1
            buffer[q] = held
    for k in range(found):
        if taken_a[buffer[k].p] or taken_b[buffer[k].r]:
            continue
        taken_a[buffer[k].p] = 1
        taken_b[buffer[k].r] = 1
        matched += 1
    return matched


cdef inline bint inside_hull(const Form* form, double px, double py) noexcept nogil:
    """Same test as ``mcc.inside_count`` for one point (an empty hull holds nothing)."""
    cdef Py_ssize_t e
    cdef const double* edge
    if form.hull_edges == 0:
        return False
    for e in range(form.hull_edges):
        edge = &form.hull[3 * e]
        if edge[0] * px + edge[1] * py + edge[2] < -OVERLAP_MARGIN:
            return False
    return True


cdef double global_consistency(
    const Form* a, const Form* b, int* top_a, int* top_b, double* relaxed, int count
) noexcept nogil:
    """Same as ``mcc.global_consistency``."""
    cdef Py_ssize_t na = a.n
    cdef Py_ssize_t nb = b.n
    cdef unsigned char used[64]
    cdef unsigned char taken_a[256]
    cdef unsigned char taken_b[256]
    cdef int t, q, k, pick, matched
    cdef int best_count = 0
    cdef int best = -1
    cdef int alignments = ALIGNMENTS if ALIGNMENTS < count else count
    cdef double c, s, dx, dy
    cdef Py_ssize_t p
    cdef int inside_a = 0
    cdef int inside_b = 0
    cdef Candidate* buffer = <Candidate*>malloc(na * nb * sizeof(Candidate))
    if buffer == NULL:
        return 0.0  # out of memory: no evidence of agreement
    for t in range(count):
        used[t] = 0
    for q in range(alignments):
        # next best relaxed pair (ties: lower index), as a stable argsort of -relaxed
        pick = -1
        for t in range(count):
            if not used[t] and (pick < 0 or relaxed[t] > relaxed[pick]):
                pick = t
        used[pick] = 1
        c = cos(b.theta[top_b[pick]] - a.theta[top_a[pick]])
        s = sin(b.theta[top_b[pick]] - a.theta[top_a[pick]])
        matched = matched_count(
            a, b, top_a[pick], top_b[pick], c, s, buffer, taken_a, taken_b
        )
        if matched > best_count:
            best_count = matched
            best = pick
    free(buffer)
    if best_count == 0:
        return 0.0
    cdef int i = top_a[best]
    cdef int j = top_b[best]
    c = cos(b.theta[j] - a.theta[i])
    s = sin(b.theta[j] - a.theta[i])
    for p in range(na):
        dx = a.x[p] - a.x[i]
        dy = a.y[p] - a.y[i]
        if inside_hull(b, b.x[j] + (c * dx - s * dy), b.y[j] + (s * dx + c * dy)):
            inside_a += 1
    for p in range(nb):
        dx = b.x[p] - b.x[j]
        dy = b.y[p] - b.y[j]
        if inside_hull(a, a.x[i] + (c * dx + s * dy), a.y[i] + (c * dy - s * dx)):
            inside_b += 1
    cdef double value = best_count / sqrt((inside_a + OVERLAP_PRIOR) * (inside_b + OVERLAP_PRIOR))
    return 1.0 if value > 1.0 else value


def score(a, b):
    """Same as ``matcher_cy.mcc.score``; releases the GIL while it runs."""
    cdef CompiledForm first = compiled_form(a)
    cdef CompiledForm second = compiled_form(b)
    cdef double result
    with nogil:
        result = score_forms(&first.form, &second.form)
    return result


def prefilter_scores(probe, codes, popcounts, sectors, counts, slots, int top_codes):
    """Same as ``matcher_cy.index.prefilter_scores``; releases the GIL while it runs.

    The row score is matcher_cy._prefilter.row_score, the one the packed gallery's fine
    scan uses (exact cross-multiplied comparisons; the first code wins ties).
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
    if np.any((np.asarray(used)[np.asarray(chosen)] < 0)
              | (np.asarray(used)[np.asarray(chosen)] > rows.shape[1])):
        raise IndexError("prefilter code counts outside the gallery arrays")
    if np.any((np.asarray(gsec) < 0) | (np.asarray(gsec) >= SECTORS)):
        raise ValueError(f"direction sectors outside 0..{SECTORS - 1}")
    cdef int top = top_codes if top_codes < n_probe else <int>n_probe
    cdef uint64_t near[NEAR_TABLE]
    cdef const uint64_t* row_codes[64]
    cdef uint8_t row_sectors[64]
    cdef const int64_t* reciprocal = &RECIPROCALS[0]
    cdef Py_ssize_t k, r, g
    near_masks(&psec[0], <int>n_probe, SECTORS, MAX_SECTOR_DIFF, near)
    with nogil:
        for k in range(n_slots):
            r = chosen[k]
            for g in range(used[r]):
                row_codes[g] = &rows[r, g, 0]
                row_sectors[g] = <uint8_t>gsec[r, g]
            out[k] = row_score(
                &pbits[0, 0], &ppop[0], <int>n_probe, top, near, row_codes, &gpop[r, 0],
                row_sectors, used[r], words, reciprocal, SCALE_BITS,
            )
    return result
