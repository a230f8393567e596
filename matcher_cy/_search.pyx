# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled 1:N search over the packed gallery columns (matcher_cy.packed).

Three scans, each over a range or a list of gallery rows, each releasing the GIL so that
threads can split one probe's search (matcher_cy.gallery):

* ``coarse_scores`` / ``fine_scores``: the prefilter score of ``matcher_cy.index``
  (same integers as ``index.prefilter_scores``) from the packed coarse codes, and from the
  packed cylinder bits that the fine codes point at;
* ``precise_scores``: ``matcher_cy.mcc.score`` of the probe against each row, the row's
  search form rebuilt in a scratch buffer from its packed minutiae (x, y, angle unit),
  cell masks and masked bits: the same doubles as ``mcc.build_cylinders`` would give
  (angle tables computed by numpy, the hull by the same arithmetic as ``mcc.hull_edges``),
  so the same score (tests/matcher_cy/test_matcher_packed.py).

Pure functions over read-only arrays: thread-safe.
"""

import math

import numpy as np

from matcher_cy import params
from matcher_cy._mcc import BUCKET_WIDTH
from matcher_cy.index import reciprocals as index_reciprocals
from matcher_cy.mcc import CELLS, WORDS
from matcher_cy.template import quantize_angle

from matcher_cy._mcc cimport CompiledForm, Form, compiled_form, score_forms
from matcher_cy._prefilter cimport (
    COARSE_WIDTH, MAX_GALLERY_CODES, NEAR_TABLE, SMALL_PROBE, avx2_usable, coarse_row_score,
    coarse_scan_avx2, near_masks, prefetch, row_score,
)
from libc.math cimport floor, sqrt
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint64_t
from libc.stdlib cimport free, malloc

cdef int NWORDS = WORDS
cdef int NCELLS = CELLS
cdef int ND = params.MCC_ANGULAR_CELLS
cdef double INV_BUCKET_WIDTH = 1.0 / BUCKET_WIDTH
cdef double WORK_DPI = params.WORK_DPI
cdef int SECTORS = params.INDEX_DIRECTION_SECTORS
cdef int MAX_SECTOR_DIFF = params.INDEX_MAX_SECTOR_DIFF
cdef int SCALE_BITS = params.INDEX_SIMILARITY_SCALE_BITS
cdef int64_t[::1] RECIPROCALS = index_reciprocals()
#: packed row info columns (matcher_cy.packed.INFO_FIELDS)
cdef int INFO_COUNT = 0
cdef int INFO_DPI = 3
cdef int INFO_CODES = 5
if ND != 5 or NCELLS > 128 or SECTORS > 64 or params.MAX_TEMPLATE_MINUTIAE > 256:
    raise ImportError("matcher_cy._search: params outside the packed layout")
# the angle of a minutia from its 1/65536-turn unit, as Template and mcc.geometry make it
_ANGLES = quantize_angle(np.arange(65536, dtype=np.float64) * (2 * math.pi / 65536))
_THETA = np.mod(-_ANGLES, 2 * math.pi)
# theta, cos, sin of each unit side by side (a row's lookups land at random units: one
# cache line per minutia instead of three tables' lines)
_TRIG = np.zeros((65536, 4), dtype=np.float64)
_TRIG[:, 0] = _THETA
_TRIG[:, 1] = np.cos(_THETA)
_TRIG[:, 2] = np.sin(_THETA)
cdef double[:, ::1] TRIG = _TRIG
# the 40 mask bits of every byte of cell bits (each cell's bit repeated over its 5 angles)
cdef int CELL_BYTES = (NCELLS + 7) // 8
_CELL_BYTE_MASKS = np.zeros(256, dtype=np.uint64)
for _byte in range(256):
    for _cell in range(8):
        if _byte >> _cell & 1:
            _CELL_BYTE_MASKS[_byte] |= np.uint64(31 << (5 * _cell))
cdef uint64_t[::1] CELL_BYTE_MASKS = _CELL_BYTE_MASKS
# the largest x bucket a packed minutia can reach (x < 65536 px at MIN_DPI)
#: whether this CPU runs the AVX2 coarse scan (x86-64 with AVX2, checked at import)
AVX2 = bool(avx2_usable())
cdef Py_ssize_t MAX_BUCKETS = int(65536.0 * params.WORK_DPI / params.MIN_DPI / BUCKET_WIDTH) + 2


def _probe_arrays(probe, int words):
    bits = np.ascontiguousarray(probe.bits, dtype=np.uint64)
    if len(bits) > 64:
        raise ValueError("at most 64 probe codes")
    if len(bits) and bits.shape[1] != words:
        raise ValueError(f"probe codes of {bits.shape[1]} words, gallery codes of {words}")
    return (
        bits.reshape(-1),
        np.ascontiguousarray(probe.popcounts, dtype=np.int32),
        np.ascontiguousarray(probe.sectors, dtype=np.int32),
    )


def coarse_scores(
    probe, const uint64_t[:, :, ::1] coarse, const uint8_t[:, ::1] coarse_pop,
    const uint8_t[:, ::1] sectors, const uint16_t[:, ::1] info,
    Py_ssize_t start, Py_ssize_t stop, int32_t[::1] out, int top_codes, bint simd=True,
):
    """out[r - start] = the coarse prefilter score of rows start..stop-1 (GIL released).

    With ``simd`` (and AVX2 on this CPU: ``AVX2``) up to 12 probe codes are scanned four
    at a time; the same integers either way."""
    cdef int words = <int>coarse.shape[2]
    cdef int limit = <int>coarse.shape[1]
    cdef Py_ssize_t r
    pbits_array, ppop_array, psec_array = _probe_arrays(probe, words)
    cdef const uint64_t[::1] pbits = pbits_array
    cdef const int32_t[::1] ppop = ppop_array
    cdef const int32_t[::1] psec = psec_array
    cdef int n_probe = <int>ppop.shape[0]
    if not (0 <= start <= stop <= coarse.shape[0]) or out.shape[0] < stop - start:
        raise IndexError("coarse scan rows outside the gallery arrays")
    if n_probe == 0 or stop == start:
        for r in range(stop - start):
            out[r] = 0
        return
    cdef int top = top_codes if top_codes < n_probe else n_probe
    cdef uint64_t near[NEAR_TABLE]
    cdef const uint64_t* codes[64]
    cdef int32_t gpop[64]
    cdef uint64_t padded[SMALL_PROBE * COARSE_WIDTH]
    cdef int64_t probe_reciprocal[SMALL_PROBE]
    cdef int g, q, used
    cdef bint small = words == COARSE_WIDTH and n_probe <= SMALL_PROBE
    near_masks(&psec[0], n_probe, SECTORS, MAX_SECTOR_DIFF, near)
    if small:
        for q in range(SMALL_PROBE):
            for g in range(COARSE_WIDTH):
                padded[q * COARSE_WIDTH + g] = pbits[q * COARSE_WIDTH + g] if q < n_probe else 0
            probe_reciprocal[q] = RECIPROCALS[ppop[q]] if q < n_probe else 0
    cdef int32_t order[SMALL_PROBE]
    cdef int32_t ordered_sectors[SMALL_PROBE]
    cdef uint64_t ordered_near[NEAR_TABLE]
    cdef int held, q2
    if small and simd and AVX2 and limit <= MAX_GALLERY_CODES:
        # the probe codes by sector (a stable insertion sort; the score does not depend on
        # their order), so that each group of four meets fewer gallery codes
        for q in range(n_probe):
            held = q
            q2 = q
            while q2 > 0 and psec[order[q2 - 1]] > psec[held]:
                order[q2] = order[q2 - 1]
                q2 -= 1
            order[q2] = held
        for q in range(n_probe):
            ordered_sectors[q] = psec[order[q]]
        near_masks(&ordered_sectors[0], n_probe, SECTORS, MAX_SECTOR_DIFF, ordered_near)
        for q in range(SMALL_PROBE):
            for g in range(COARSE_WIDTH):
                padded[q * COARSE_WIDTH + g] = (
                    pbits[order[q] * COARSE_WIDTH + g] if q < n_probe else 0
                )
            probe_reciprocal[q] = RECIPROCALS[ppop[order[q]]] if q < n_probe else 0
        with nogil:
            coarse_scan_avx2(
                padded, probe_reciprocal, top, ordered_near, &coarse[0, 0, 0],
                coarse.strides[0] // 8, limit, &coarse_pop[0, 0], coarse_pop.strides[0],
                &sectors[0, 0], sectors.strides[0], &info[0, 0], info.strides[0] // 2,
                INFO_CODES, start, stop, &out[0], &RECIPROCALS[0], SCALE_BITS,
            )
        return
    with nogil:
        for r in range(start, stop):
            used = info[r, INFO_CODES]
            if used > limit:
                used = limit
            if small:
                out[r - start] = coarse_row_score(
                    padded, probe_reciprocal, top, near, &coarse[r, 0, 0], &coarse_pop[r, 0],
                    &sectors[r, 0], used, &RECIPROCALS[0], SCALE_BITS,
                )
                continue
            for g in range(used):
                codes[g] = &coarse[r, g, 0]
                gpop[g] = coarse_pop[r, g]
            out[r - start] = row_score(
                &pbits[0], &ppop[0], n_probe, top, near, codes, gpop, &sectors[r, 0], used,
                words, &RECIPROCALS[0], SCALE_BITS,
            )


def fine_scores(
    probe, const uint64_t[:, ::1] bits, const uint64_t[::1] starts, const uint8_t[:, ::1] fine_ref,
    const uint16_t[:, ::1] fine_pop, const uint8_t[:, ::1] sectors, const uint16_t[:, ::1] info,
    const int64_t[::1] rows, int32_t[::1] out, int top_codes,
):
    """out[k] = the fine prefilter score of row rows[k]: its codes are the masked cylinder
    bits of the minutiae ``fine_ref`` names (GIL released)."""
    cdef int words = <int>bits.shape[1]
    pbits_array, ppop_array, psec_array = _probe_arrays(probe, words)
    cdef const uint64_t[::1] pbits = pbits_array
    cdef const int32_t[::1] ppop = ppop_array
    cdef const int32_t[::1] psec = psec_array
    cdef int n_probe = <int>ppop.shape[0]
    cdef Py_ssize_t n_rows = rows.shape[0]
    cdef Py_ssize_t k, r
    if out.shape[0] < n_rows:
        raise IndexError("fine scan output shorter than its rows")
    for k in range(n_rows):
        if rows[k] < 0 or rows[k] >= info.shape[0]:
            raise IndexError("fine scan rows outside the gallery arrays")
    if n_probe == 0:
        for k in range(n_rows):
            out[k] = 0
        return
    cdef int top = top_codes if top_codes < n_probe else n_probe
    cdef uint64_t near[NEAR_TABLE]
    cdef const uint64_t* codes[64]
    cdef int32_t gpop[64]
    cdef int g, used
    cdef int most = <int>fine_ref.shape[1]
    cdef const uint64_t* base = &bits[0, 0]
    near_masks(&psec[0], n_probe, SECTORS, MAX_SECTOR_DIFF, near)
    cdef Py_ssize_t ahead
    cdef int ahead_used
    cdef const uint64_t* line
    with nogil:
        for k in range(n_rows):
            # candidates are scattered over the file: ask for the rows ahead while this
            # one is scored (the row's metadata 4 ahead, the next row's code words)
            if k + 4 < n_rows:
                ahead = rows[k + 4]
                prefetch(&starts[ahead])
                prefetch(&info[ahead, 0])
                prefetch(&fine_ref[ahead, 0])
                prefetch(&fine_pop[ahead, 0])
                prefetch(&sectors[ahead, 0])
            if k + 1 < n_rows:
                ahead = rows[k + 1]
                ahead_used = info[ahead, INFO_CODES]
                if ahead_used > most:
                    ahead_used = most
                for g in range(ahead_used):
                    line = base + (starts[ahead] + fine_ref[ahead, g]) * NWORDS
                    prefetch(line)
                    prefetch(line + NWORDS - 1)
            r = rows[k]
            used = info[r, INFO_CODES]
            if used > most:
                used = most
            for g in range(used):
                codes[g] = base + (starts[r] + fine_ref[r, g]) * NWORDS
                gpop[g] = fine_pop[r, g]
            out[k] = row_score(
                &pbits[0], &ppop[0], n_probe, top, near, codes, gpop, &sectors[r, 0], used,
                words, &RECIPROCALS[0], SCALE_BITS,
            )


cdef struct Scratch:
    double* x
    double* y
    double* theta
    double* cos_t
    double* sin_t
    uint64_t* masks
    double* hull
    int32_t* order  # by (x, y, index): the hull's sort
    int32_t* chain
    int32_t* x_order
    int32_t* bucket_start


cdef inline bint before_xy(const double* x, const double* y, int32_t a, int32_t b) noexcept nogil:
    """numpy.lexsort((y, x)) order: x, then y, then index."""
    if x[a] != x[b]:
        return x[a] < x[b]
    if y[a] != y[b]:
        return y[a] < y[b]
    return a < b


cdef Py_ssize_t hull_edges(Py_ssize_t n, Scratch* s) noexcept nogil:
    """mcc.hull_edges of s.x, s.y into s.hull; returns the number of edges."""
    cdef Py_ssize_t i, j, lower, total, e
    cdef int32_t held, o, m, k, q
    cdef double cross, ex, ey, length, nx, ny
    cdef const double* x = s.x
    cdef const double* y = s.y
    for i in range(n):
        s.order[i] = <int32_t>i
    for i in range(1, n):
        held = s.order[i]
        j = i
        while j > 0 and before_xy(x, y, held, s.order[j - 1]):
            s.order[j] = s.order[j - 1]
            j -= 1
        s.order[j] = held
    # monotone chain over sorted positions; lower hull, then upper, each without its last
    total = 0
    for lower in range(2):
        j = total  # this half's chain starts here
        for i in range(n):
            k = s.order[i] if lower == 0 else s.order[n - 1 - i]
            while total - j >= 2:
                o = s.chain[total - 2]
                m = s.chain[total - 1]
                cross = (x[m] - x[o]) * (y[k] - y[o]) - (y[m] - y[o]) * (x[k] - x[o])
                if cross > 0:
                    break
                total -= 1
            s.chain[total] = k
            total += 1
        if total > j:
            total -= 1  # drop the half's last point (the other half's first)
    if total < 3:
        return 0
    for e in range(total):
        k = s.chain[e]
        q = s.chain[(e + 1) % total]
        ex = x[q] - x[k]
        ey = y[q] - y[k]
        length = sqrt(ex * ex + ey * ey)
        nx = -ey / length
        ny = ex / length
        s.hull[3 * e] = nx
        s.hull[3 * e + 1] = ny
        s.hull[3 * e + 2] = -(nx * x[k] + ny * y[k])
    return total


cdef void fill_form(
    Form* form, Scratch* s, Py_ssize_t n, const uint16_t* minutiae, const uint64_t* cells,
    const uint64_t* bits, int dpi,
) noexcept nogil:
    """The search form of one packed row (mcc.build_cylinders' values) into ``form``."""
    cdef double scale = WORK_DPI / dpi
    cdef Py_ssize_t i, j, b, w, off
    cdef int32_t held
    cdef uint64_t pattern
    cdef int unit
    for i in range(n):
        s.x[i] = (<double>minutiae[4 * i]) * scale
        s.y[i] = (<double>minutiae[4 * i + 1]) * scale
        unit = minutiae[4 * i + 2]
        s.theta[i] = TRIG[unit, 0]
        s.cos_t[i] = TRIG[unit, 1]
        s.sin_t[i] = TRIG[unit, 2]
        for w in range(NWORDS):
            s.masks[i * NWORDS + w] = 0
        # 8 cells (a byte of cell bits) at a time: cells 8k..8k+7 are mask bits 40k..40k+39
        for b in range(CELL_BYTES):
            pattern = CELL_BYTE_MASKS[(cells[2 * i + (b >> 3)] >> (8 * (b & 7))) & 0xFF]
            if pattern == 0:
                continue
            w = (40 * b) >> 6
            off = (40 * b) & 63
            s.masks[i * NWORDS + w] |= pattern << off
            if off > 24:
                s.masks[i * NWORDS + w + 1] |= pattern >> (64 - off)
    form.n = n
    form.x = s.x
    form.y = s.y
    form.theta = s.theta
    form.cos_t = s.cos_t
    form.sin_t = s.sin_t
    form.bits = bits
    form.masks = s.masks
    form.hull = s.hull
    form.hull_edges = hull_edges(n, s)
    # minutiae by x (stable) and their x buckets, as CompiledForm makes them
    for i in range(n):
        s.x_order[i] = <int32_t>i
    for i in range(1, n):
        held = s.x_order[i]
        j = i
        while j > 0 and s.x[held] < s.x[s.x_order[j - 1]]:
            s.x_order[j] = s.x_order[j - 1]
            j -= 1
        s.x_order[j] = held
    form.x_order = s.x_order
    form.x_min = s.x[s.x_order[0]] if n else 0.0
    cdef Py_ssize_t buckets = 1
    if n:
        buckets = <Py_ssize_t>floor((s.x[s.x_order[n - 1]] - form.x_min) * INV_BUCKET_WIDTH) + 1
    for b in range(buckets + 1):
        s.bucket_start[b] = 0
    for i in range(n):
        b = <Py_ssize_t>floor((s.x[s.x_order[i]] - form.x_min) * INV_BUCKET_WIDTH)
        s.bucket_start[b + 1] += 1
    for b in range(buckets):
        s.bucket_start[b + 1] += s.bucket_start[b]
    form.buckets = buckets
    form.bucket_start = s.bucket_start


def precise_scores(
    probe, const uint16_t[:, ::1] minutiae, const uint64_t[:, ::1] cells,
    const uint64_t[:, ::1] bits, const uint64_t[::1] starts, const uint16_t[:, ::1] info,
    const int64_t[::1] rows, double[::1] out,
):
    """out[k] = mcc.score(probe, the search form of row rows[k]) (GIL released).

    ``probe`` is a Cylinders. Cost: one 1:1 score plus O(n^2) rebuilding per row.
    """
    cdef CompiledForm first = compiled_form(probe)
    cdef Py_ssize_t n_rows = rows.shape[0]
    cdef Py_ssize_t k, r, n, start, i, ahead_row, ahead_start, ahead_n
    if out.shape[0] < n_rows:
        raise IndexError("precise scores output shorter than its rows")
    if bits.shape[1] != NWORDS or cells.shape[1] != 2 or minutiae.shape[1] != 4:
        raise ValueError("packed minutiae, cells or bits of the wrong width")
    for k in range(n_rows):
        r = rows[k]
        if r < 0 or r >= info.shape[0]:
            raise IndexError("precise scores rows outside the gallery arrays")
        if starts[r] + info[r, INFO_COUNT] > <uint64_t>minutiae.shape[0]:
            raise IndexError("a packed row's minutiae outside the gallery arrays")
        if info[r, INFO_DPI] < params.MIN_DPI or info[r, INFO_DPI] > params.MAX_DPI:
            raise ValueError("a packed row's resolution outside the accepted range")
    if n_rows == 0:
        return
    cdef Scratch s
    cdef Py_ssize_t most = 256
    cdef void* block = malloc(
        most * (5 * sizeof(double) + NWORDS * sizeof(uint64_t) + 6 * sizeof(double)
                + 4 * sizeof(int32_t)) + (MAX_BUCKETS + 2) * sizeof(int32_t)
    )
    if block == NULL:
        raise MemoryError("precise scores scratch")
    s.x = <double*>block
    s.y = s.x + most
    s.theta = s.y + most
    s.cos_t = s.theta + most
    s.sin_t = s.cos_t + most
    s.hull = s.sin_t + most  # up to 2 * most edges of 3 doubles
    s.masks = <uint64_t*>(s.hull + 6 * most)
    s.order = <int32_t*>(s.masks + most * NWORDS)
    s.chain = s.order + most
    s.x_order = s.chain + 2 * most
    s.bucket_start = s.x_order + most
    cdef Form second
    try:
        with nogil:
            for k in range(n_rows):
                # shortlisted rows are scattered over the file: ask for the next rows
                # while this one is scored (row k + 2's minutiae; row k + 1's cell masks,
                # bits and angle table entries, its minutiae asked for one row earlier)
                if k + 2 < n_rows:
                    ahead_row = rows[k + 2]
                    ahead_start = <Py_ssize_t>starts[ahead_row]
                    ahead_n = info[ahead_row, INFO_COUNT]
                    for i in range(0, 4 * ahead_n, 32):  # 8 bytes a minutia, 64 a line
                        prefetch(&minutiae[ahead_start, 0] + i)
                if k + 1 < n_rows:
                    ahead_row = rows[k + 1]
                    ahead_start = <Py_ssize_t>starts[ahead_row]
                    ahead_n = info[ahead_row, INFO_COUNT]
                    for i in range(ahead_n):
                        prefetch(&TRIG[minutiae[ahead_start + i, 2], 0])
                    for i in range(0, 2 * ahead_n, 8):
                        prefetch(&cells[ahead_start, 0] + i)
                    for i in range(0, NWORDS * ahead_n, 8):
                        prefetch(&bits[ahead_start, 0] + i)
                r = rows[k]
                start = <Py_ssize_t>starts[r]
                n = info[r, INFO_COUNT]
                if n == 0:
                    fill_form(&second, &s, 0, NULL, NULL, NULL, info[r, INFO_DPI])
                    second.bits = s.masks  # never read: no minutiae
                else:
                    fill_form(
                        &second, &s, n, &minutiae[start, 0], &cells[start, 0], &bits[start, 0],
                        info[r, INFO_DPI],
                    )
                out[k] = score_forms(&first.form, &second)
    finally:
        free(block)
