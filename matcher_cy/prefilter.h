/* The prefilter's branch-free kernels (declared for Cython in matcher_cy/_prefilter.pxd,
 * which documents the score they compute).
 *
 * In C rather than Cython so that the probe-code loop is unrolled (GCC's unroll pragma):
 * generated from Cython, the same loop stayed rolled when inlined into a scan and ran
 * 1.45 times slower (0.82 against 0.56 us per row at 300,000 rows, measured side by side).
 * On x86-64 the coarse scan also has an AVX2 form (kh_coarse_scan_avx2, compiled for AVX2
 * whatever the build's target and used only where the CPU has it: 0.25 against 0.54 us
 * per row, measured side by side; 0.20-0.21 since a group of four probe codes meets only
 * the gallery codes near it, against 0.24 computing every pair, 10 DB1_B probes at
 * 300,018 rows side by side in one process, load 7-12); AArch64 (the Pi) and older CPUs
 * use the scalar kernel.
 * Pure functions, no allocation, thread-safe.
 */
#ifndef KHIDMAT_PREFILTER_H
#define KHIDMAT_PREFILTER_H
#include <stdint.h>
#include "popcount.h"

/* probe codes the branch-free kernels hold (params.INDEX_PROBE_CODES must not exceed it) */
#define KH_SMALL_PROBE 12
/* words of a coarse code (index.COARSE_WORDS) */
#define KH_COARSE_WIDTH 3

/* a hint to fetch the cache line holding p for reading (no effect on results) */
#if defined(__GNUC__)
#define kh_prefetch(p) __builtin_prefetch((p), 0, 1)
#else
#define kh_prefetch(p) ((void)(p))
#endif

/* v[a] >= v[b] afterwards, without a branch */
#define KH_ORDER(v, a, b)                                 \
    do {                                                  \
        int64_t kh_x = (v)[a], kh_y = (v)[b];             \
        (v)[a] = kh_x > kh_y ? kh_x : kh_y;               \
        (v)[b] = kh_x > kh_y ? kh_y : kh_x;               \
    } while (0)

/* Sum of the `top` largest of value[0..KH_SMALL_PROBE-1] (values >= 0; reordered):
 * a 39-comparator network sorts them in descending order. */
static inline int64_t kh_top_sum_small(int64_t *v, int top) {
    KH_ORDER(v, 0, 1); KH_ORDER(v, 2, 3); KH_ORDER(v, 4, 5);
    KH_ORDER(v, 6, 7); KH_ORDER(v, 8, 9); KH_ORDER(v, 10, 11);
    KH_ORDER(v, 1, 3); KH_ORDER(v, 5, 7); KH_ORDER(v, 9, 11);
    KH_ORDER(v, 0, 2); KH_ORDER(v, 4, 6); KH_ORDER(v, 8, 10);
    KH_ORDER(v, 1, 2); KH_ORDER(v, 5, 6); KH_ORDER(v, 9, 10);
    KH_ORDER(v, 0, 4); KH_ORDER(v, 7, 11);
    KH_ORDER(v, 1, 5); KH_ORDER(v, 6, 10); KH_ORDER(v, 3, 7);
    KH_ORDER(v, 4, 8);
    KH_ORDER(v, 5, 9); KH_ORDER(v, 2, 6); KH_ORDER(v, 0, 4);
    KH_ORDER(v, 7, 11); KH_ORDER(v, 3, 8);
    KH_ORDER(v, 1, 5); KH_ORDER(v, 6, 10); KH_ORDER(v, 2, 3);
    KH_ORDER(v, 8, 9);
    KH_ORDER(v, 1, 4); KH_ORDER(v, 7, 10); KH_ORDER(v, 3, 5);
    KH_ORDER(v, 6, 8);
    KH_ORDER(v, 2, 4); KH_ORDER(v, 7, 9); KH_ORDER(v, 5, 6);
    KH_ORDER(v, 3, 4); KH_ORDER(v, 7, 8);
    int64_t total = 0;
    for (int q = 0; q < top && q < KH_SMALL_PROBE; q++)
        total += v[q];
    return total;
}

/* The score of one row of coarse codes (codes: used x KH_COARSE_WIDTH words, gpop and
 * gsec per code) for a probe padded to KH_SMALL_PROBE codes (pbits: KH_SMALL_PROBE x
 * KH_COARSE_WIDTH, padding zero; probe_reciprocal[q] = R[|q|], zero for the padding);
 * near: 256 masks, bit q for the probe codes near a sector. Every pair is computed and a
 * far one zeroed: an empty or far pair is never better than none. */
static inline int32_t kh_coarse_row_score(
    const uint64_t *pbits, const int64_t *probe_reciprocal, int top, const uint64_t *near,
    const uint64_t *codes, const uint8_t *gpop, const uint8_t *gsec, int used,
    const int64_t *reciprocal, int scale_bits) {
    int64_t best_square[KH_SMALL_PROBE], best_norm[KH_SMALL_PROBE], value[KH_SMALL_PROBE];
    for (int q = 0; q < KH_SMALL_PROBE; q++) {
        best_square[q] = 0;
        best_norm[q] = 1;
    }
    for (int g = 0; g < used; g++) {
        const uint64_t c0 = codes[KH_COARSE_WIDTH * g];
        const uint64_t c1 = codes[KH_COARSE_WIDTH * g + 1];
        const uint64_t c2 = codes[KH_COARSE_WIDTH * g + 2];
        const int64_t gn = gpop[g];
        const uint64_t mask = near[gsec[g]];
#pragma GCC unroll 12
        for (int q = 0; q < KH_SMALL_PROBE; q++) {
            int64_t inter = kh_popcount(pbits[KH_COARSE_WIDTH * q] & c0)
                          + kh_popcount(pbits[KH_COARSE_WIDTH * q + 1] & c1)
                          + kh_popcount(pbits[KH_COARSE_WIDTH * q + 2] & c2);
            inter &= -(int64_t)((mask >> q) & 1); /* a far pair counts as empty */
            const int64_t square = inter * inter;
            /* square / gn > best / best_norm, exactly (the first wins ties) */
            const int better = square * best_norm[q] > best_square[q] * gn;
            best_square[q] = better ? square : best_square[q];
            best_norm[q] = better ? gn : best_norm[q];
        }
    }
    for (int q = 0; q < KH_SMALL_PROBE; q++)
        value[q] = (best_square[q] * reciprocal[best_norm[q]] * probe_reciprocal[q]) >> scale_bits;
    return (int32_t)kh_top_sum_small(value, top);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KH_HAVE_AVX2_SCAN 1
/* 1 when this CPU runs the AVX2 scan (checked at run time: built for any x86-64) */
static inline int kh_avx2_usable(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2"))) static inline __m256i kh_byte_counts(__m256i x) {
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    return _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(x, low)),
                           _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
}

/* One group of four probe codes (registers p0..p2, lane bits `lane`) against the gallery
 * codes list[0..count-1] of a row: the best |q & g|^2 / |g| of each lane, exactly. */
#define KH_AVX2_GROUP(p0, p1, p2, lane, list, count, best_square, best_norm)                 \
    do {                                                                                   \
        for (int kh_i = 0; kh_i < (count); kh_i++) {                                       \
            const int g = (list)[kh_i];                                                    \
            const __m256i c0 = _mm256_set1_epi64x((long long)codes[KH_COARSE_WIDTH * g]);    \
            const __m256i c1 = _mm256_set1_epi64x((long long)codes[KH_COARSE_WIDTH * g + 1]); \
            const __m256i c2 = _mm256_set1_epi64x((long long)codes[KH_COARSE_WIDTH * g + 2]); \
            const __m256i gn = _mm256_set1_epi64x(pops[g]);                                \
            const __m256i mask = _mm256_set1_epi64x((long long)near[secs[g]]);             \
            __m256i counts = _mm256_add_epi8(                                              \
                _mm256_add_epi8(kh_byte_counts(_mm256_and_si256((p0), c0)),                \
                                kh_byte_counts(_mm256_and_si256((p1), c1))),               \
                kh_byte_counts(_mm256_and_si256((p2), c2)));                               \
            __m256i inter = _mm256_sad_epu8(counts, zero);                                 \
            inter = _mm256_and_si256(                                                      \
                inter, _mm256_cmpeq_epi64(_mm256_and_si256(mask, (lane)), (lane)));        \
            const __m256i square = _mm256_mul_epu32(inter, inter);                         \
            const __m256i better = _mm256_cmpgt_epi64(_mm256_mul_epu32(square, (best_norm)), \
                                                      _mm256_mul_epu32((best_square), gn)); \
            (best_square) = _mm256_blendv_epi8((best_square), square, better);             \
            (best_norm) = _mm256_blendv_epi8((best_norm), gn, better);                     \
        }                                                                                  \
    } while (0)

/* kh_coarse_row_score for rows start..stop-1 with AVX2: the 12 probe codes in three
 * groups of four 64-bit lanes, popcounts by nibble tables, the exact comparison by
 * 32 x 32-bit products (squares < 2^16, popcounts < 2^8) and a 64-bit compare. A group
 * meets only the row's codes near one of its four probe codes (listed first, without a
 * branch; the others would leave its lanes unchanged), so the caller orders the probe
 * codes by sector: a gallery code is then near about 1.4 of the 3 groups instead of 1.9.
 * Same integers. Row r's codes at coarse + r * code_stride (uint64 words), its popcounts,
 * sectors and info rows likewise; out[r - start]. limit <= KH_MAX_GALLERY_CODES. */
#define KH_MAX_GALLERY_CODES 64
__attribute__((target("avx2"))) static inline void kh_coarse_scan_avx2(
    const uint64_t *pbits, const int64_t *probe_reciprocal, int top, const uint64_t *near,
    const uint64_t *coarse, long code_stride, int limit, const uint8_t *gpop, long pop_stride,
    const uint8_t *gsec, long sec_stride, const uint16_t *info, long info_stride,
    int info_codes, long start, long stop, int32_t *out, const int64_t *reciprocal,
    int scale_bits) {
    __m256i probe[3][3]; /* [group of 4 codes][word] */
    for (int group = 0; group < 3; group++)
        for (int w = 0; w < KH_COARSE_WIDTH; w++)
            probe[group][w] = _mm256_setr_epi64x(
                (long long)pbits[(4 * group) * KH_COARSE_WIDTH + w],
                (long long)pbits[(4 * group + 1) * KH_COARSE_WIDTH + w],
                (long long)pbits[(4 * group + 2) * KH_COARSE_WIDTH + w],
                (long long)pbits[(4 * group + 3) * KH_COARSE_WIDTH + w]);
    __m256i lane_bit[3];
    for (int group = 0; group < 3; group++)
        lane_bit[group] = _mm256_setr_epi64x(1LL << (4 * group), 1LL << (4 * group + 1),
                                             1LL << (4 * group + 2), 1LL << (4 * group + 3));
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi64x(1);
    if (limit > KH_MAX_GALLERY_CODES)
        limit = KH_MAX_GALLERY_CODES;
    int list0[KH_MAX_GALLERY_CODES], list1[KH_MAX_GALLERY_CODES], list2[KH_MAX_GALLERY_CODES];
    for (long r = start; r < stop; r++) {
        int used = info[r * info_stride + info_codes];
        if (used > limit)
            used = limit;
        const uint64_t *codes = coarse + r * code_stride;
        const uint8_t *pops = gpop + r * pop_stride;
        const uint8_t *secs = gsec + r * sec_stride;
        int count0 = 0, count1 = 0, count2 = 0;
        for (int g = 0; g < used; g++) {
            const uint64_t m = near[secs[g]];
            list0[count0] = g;
            count0 += (m & 0xF) != 0;
            list1[count1] = g;
            count1 += (m & 0xF0) != 0;
            list2[count2] = g;
            count2 += (m & 0xF00) != 0;
        }
        __m256i square0 = zero, square1 = zero, square2 = zero;
        __m256i norm0 = one, norm1 = one, norm2 = one;
        KH_AVX2_GROUP(probe[0][0], probe[0][1], probe[0][2], lane_bit[0], list0, count0, square0, norm0);
        KH_AVX2_GROUP(probe[1][0], probe[1][1], probe[1][2], lane_bit[1], list1, count1, square1, norm1);
        KH_AVX2_GROUP(probe[2][0], probe[2][1], probe[2][2], lane_bit[2], list2, count2, square2, norm2);
        int64_t squares[KH_SMALL_PROBE], norms[KH_SMALL_PROBE], value[KH_SMALL_PROBE];
        _mm256_storeu_si256((__m256i *)(squares), square0);
        _mm256_storeu_si256((__m256i *)(squares + 4), square1);
        _mm256_storeu_si256((__m256i *)(squares + 8), square2);
        _mm256_storeu_si256((__m256i *)(norms), norm0);
        _mm256_storeu_si256((__m256i *)(norms + 4), norm1);
        _mm256_storeu_si256((__m256i *)(norms + 8), norm2);
        for (int q = 0; q < KH_SMALL_PROBE; q++)
            value[q] = (squares[q] * reciprocal[norms[q]] * probe_reciprocal[q]) >> scale_bits;
        out[r - start] = (int32_t)kh_top_sum_small(value, top);
    }
}

/* kh_coarse_row_score for rows start..stop-1 with AVX2: the 12 probe codes in three
 * registers of four 64-bit lanes, popcounts by nibble tables, the exact comparison by
 * 32 x 32-bit products (squares < 2^16, popcounts < 2^8) and a 64-bit compare. Same
 * integers. Row r's codes at coarse + r * code_stride (uint64 words), its popcounts,
 * sectors and info rows likewise; out[r - start]. */
#else
#define KH_HAVE_AVX2_SCAN 0
#define KH_MAX_GALLERY_CODES 64
static inline int kh_avx2_usable(void) { return 0; }
static inline void kh_coarse_scan_avx2(
    const uint64_t *pbits, const int64_t *probe_reciprocal, int top, const uint64_t *near,
    const uint64_t *coarse, long code_stride, int limit, const uint8_t *gpop, long pop_stride,
    const uint8_t *gsec, long sec_stride, const uint16_t *info, long info_stride,
    int info_codes, long start, long stop, int32_t *out, const int64_t *reciprocal,
    int scale_bits) {
    (void)pbits; (void)probe_reciprocal; (void)top; (void)near; (void)coarse;
    (void)code_stride; (void)limit; (void)gpop; (void)pop_stride; (void)gsec;
    (void)sec_stride; (void)info; (void)info_stride; (void)info_codes; (void)start;
    (void)stop; (void)out; (void)reciprocal; (void)scale_bits;
}
#endif

#endif
