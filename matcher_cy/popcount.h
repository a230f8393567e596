/* Population count for the compiled matcher.
 *
 * On x86-64 the whole translation unit that includes this header is compiled for the
 * POPCNT instruction (every x86-64 CPU since 2008; the extension would fault on older
 * ones). On AArch64 (Raspberry Pi) __builtin_popcountll is already a NEON sequence.
 */
#ifndef KHIDMAT_POPCOUNT_H
#define KHIDMAT_POPCOUNT_H
#include <stdint.h>
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC target("popcnt")
#endif
static inline int kh_popcount(uint64_t x) { return __builtin_popcountll(x); }
#endif
