/* Exact powers of two from the bits of a float, for fastsvd's kernels.
 * frexp and ldexp are library calls that stop the compiler from vectorising
 * the scaling loop; these are plain integer operations that it vectorises. */
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
#endif
