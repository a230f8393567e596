# cython: language_level=3
"""The prefilter's row score (matcher_cy.index.prefilter_scores for one gallery row),
defined once for the compiled modules that scan index codes (matcher_cy._mcc for the
reference-layout arrays, matcher_cy._search for the packed gallery), and the population
count they and the 1:1 score use.

For every probe code q, the gallery code g whose direction sector is within
INDEX_MAX_SECTOR_DIFF of q's (``near[sector]``: a bit per probe code) and whose
|q & g|^2 / |g| is largest, compared exactly by cross-multiplication (the first g wins
ties); a row's score sums the ``top`` largest (|q & g|^2 * R[|g|] * R[|q|]) >> scale_bits.

Two kernels give the same integers:

* ``row_score``: any number of codes (at most 64) and words; visits only the near pairs
  (a bit loop), about 17/64 of probe x gallery codes;
* ``coarse_row_score`` (C, prefilter.h): up to SMALL_PROBE probe codes of COARSE_WIDTH
  (3) words, the probe padded with empty codes; computes every pair and zeroes the far
  ones (an empty or far pair is never better than none): no data-dependent branch, and
  about 1.4 times faster than the bit loop on the coarse scan (0.56 against 0.76 us per
  row, 300,000 rows, measured side by side).
* ``coarse_scan_avx2`` (C, prefilter.h; x86-64 CPUs with AVX2, ``avx2_usable``): the same
  for a range of rows, four probe codes at a time, each group of four only against the
  gallery codes near one of them (the caller orders the probe codes by sector; 0.20 us
  per row).

The top sum uses a sorting network (no data-dependent branch) for up to SMALL_PROBE
codes: padding with zeros changes nothing, every value being >= 0.

Pure functions of their arguments, no GIL, thread-safe.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint64_t


cdef extern from "popcount.h" nogil:
    int popcount "kh_popcount"(uint64_t x)
    int ctz "__builtin_ctzll"(uint64_t x)


cdef extern from "prefilter.h" nogil:
    enum:
        SMALL_PROBE "KH_SMALL_PROBE"  # probe codes the branch-free kernels hold
        MAX_GALLERY_CODES "KH_MAX_GALLERY_CODES"  # gallery codes the AVX2 scan lists
        COARSE_WIDTH "KH_COARSE_WIDTH"  # words of a coarse code (index.COARSE_WORDS)
    int64_t kh_top_sum_small(int64_t* value, int top)
    void prefetch "kh_prefetch"(const void* p)
    bint avx2_usable "kh_avx2_usable"()
    void coarse_scan_avx2 "kh_coarse_scan_avx2"(
        const uint64_t* pbits, const int64_t* probe_reciprocal, int top, const uint64_t* near,
        const uint64_t* coarse, long code_stride, int limit, const uint8_t* gpop,
        long pop_stride, const uint8_t* gsec, long sec_stride, const uint16_t* info,
        long info_stride, int info_codes, long start, long stop, int32_t* out,
        const int64_t* reciprocal, int scale_bits,
    )
    int32_t coarse_row_score "kh_coarse_row_score"(
        const uint64_t* pbits, const int64_t* probe_reciprocal, int top, const uint64_t* near,
        const uint64_t* codes, const uint8_t* gpop, const uint8_t* gsec, int used,
        const int64_t* reciprocal, int scale_bits,
    )


cdef enum:
    NEAR_TABLE = 256  # entries of a near table: any uint8 sector indexes it


cdef inline void near_masks(
    const int32_t* psec, int n_probe, int sectors, int max_diff, uint64_t* near
) noexcept nogil:
    """near[s]: bit q set when probe code q's sector is within max_diff of s, for s <
    sectors (<= NEAR_TABLE); zero for the other NEAR_TABLE entries (a malformed sector
    meets no probe code and reads nothing outside the table)."""
    cdef int s, q, diff
    for s in range(NEAR_TABLE):
        near[s] = 0
    for s in range(sectors if sectors < NEAR_TABLE else NEAR_TABLE):
        for q in range(n_probe):
            diff = psec[q] - s
            if diff < 0:
                diff = -diff
            if sectors - diff < diff:
                diff = sectors - diff
            if diff <= max_diff:
                near[s] |= (<uint64_t>1) << q


cdef inline int64_t top_sum(int64_t* value, int n, int top) noexcept nogil:
    """Sum of the ``top`` largest of value[0..n-1] (values >= 0; ``value`` has room for
    SMALL_PROBE and is reordered)."""
    cdef int64_t total = 0
    cdef int64_t held
    cdef int q, q2
    if n <= SMALL_PROBE:
        for q in range(n, SMALL_PROBE):
            value[q] = 0
        return kh_top_sum_small(value, top)
    for q in range(top if top < n else n):  # partial selection sort
        for q2 in range(q + 1, n):
            if value[q2] > value[q]:
                held = value[q]
                value[q] = value[q2]
                value[q2] = held
        total += value[q]
    return total


cdef inline int32_t row_score(
    const uint64_t* pbits, const int32_t* ppop, int n_probe, int top, const uint64_t* near,
    const uint64_t** codes, const int32_t* gpop, const uint8_t* gsec, int used, int words,
    const int64_t* reciprocal, int scale_bits,
) noexcept nogil:
    """The score of one gallery row whose code g is codes[g] (``words`` words), with
    popcount gpop[g] and sector gsec[g]; the probe's codes are pbits (n_probe x words)."""
    cdef int64_t best_square[64]
    cdef int64_t best_norm[64]
    cdef int64_t value[64]
    cdef int64_t inter, inter_square, gn
    cdef int q, g, w
    cdef uint64_t todo
    cdef bint better
    cdef const uint64_t* code
    cdef const uint64_t* pq
    cdef uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, c8 = 0
    for q in range(n_probe):
        best_square[q] = 0
        best_norm[q] = 1
    for g in range(used):
        code = codes[g]
        gn = gpop[g]
        todo = near[gsec[g]]
        if words == 9:  # fine codes of 12x12x5 cylinders: unrolled, in registers
            c0 = code[0]; c1 = code[1]; c2 = code[2]; c3 = code[3]; c4 = code[4]
            c5 = code[5]; c6 = code[6]; c7 = code[7]; c8 = code[8]
        elif words == 3:  # their coarse codes
            c0 = code[0]; c1 = code[1]; c2 = code[2]
        while todo:
            q = ctz(todo)
            todo &= todo - 1
            pq = &pbits[q * words]
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
        value[q] = (best_square[q] * reciprocal[best_norm[q]] * reciprocal[ppop[q]]) >> scale_bits
    return <int32_t>top_sum(value, n_probe, top)
