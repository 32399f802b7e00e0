/* Small C helpers for fastsvd's kernels and loops.
 *
 * Exact powers of two from the bits of a float: frexp and ldexp are library
 * calls that stop the compiler from vectorising the scaling loop; these are
 * plain integer operations that it vectorises. */
#ifndef FASTSVD_BITS_H
#define FASTSVD_BITS_H
#include <stdint.h>
#include <string.h>

/* Biased exponent field: 0 for zero and subnormals, 2047 for Inf and NaN. */
static inline int64_t fastsvd_biased_exponent(double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int64_t)((bits >> 52) & 0x7ff);
}

/* 2^k for -1022 <= k <= 1023. */
static inline double fastsvd_pow2(int64_t k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static inline int32_t fastsvd_biased_exponentf(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int32_t)((bits >> 23) & 0xff);
}

/* 2^k for -126 <= k <= 127. */
static inline float fastsvd_pow2f(int32_t k)
{
    uint32_t bits = (uint32_t)(k + 127) << 23;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* The floating-point exception flags, saved around the kernels and restored
 * after them.  In the x86-64 builds with FMA all the kernels' arithmetic is
 * SSE/AVX instructions, whose flags are MXCSR's: reading and writing it takes
 * a few ns, where fenv's fesetexceptflag also stores and reloads the x87
 * environment (about 100 ns, as much as a small kernel).  Elsewhere fma() is a
 * library call, which may raise x87 flags (glibc's does): fenv then. */
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__FMA__)
#include <xmmintrin.h>
typedef unsigned int fastsvd_fp_flags;
static inline fastsvd_fp_flags fastsvd_save_fp_flags(void) { return _mm_getcsr(); }
static inline void fastsvd_restore_fp_flags(fastsvd_fp_flags flags) { _mm_setcsr(flags); }
#else
#include <fenv.h>
typedef fexcept_t fastsvd_fp_flags;
static inline fastsvd_fp_flags fastsvd_save_fp_flags(void)
{
    fexcept_t flags;
    fegetexceptflag(&flags, FE_ALL_EXCEPT);
    return flags;
}
static inline void fastsvd_restore_fp_flags(fastsvd_fp_flags flags)
{
    fesetexceptflag(&flags, FE_ALL_EXCEPT);
}
#endif
#endif
