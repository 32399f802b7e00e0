/* SIMD vectors for the kernels that fastsvd writes with explicit vectors
 * (_kernel_simd.pxd): fastsvd_vd holds FASTSVD_VD_LANES doubles and
 * fastsvd_vf FASTSVD_VF_LANES floats, as AVX-512, AVX2 or portable C,
 * whichever the build's flags allow; fastsvd_vd1 and fastsvd_vf1 hold one.
 *
 * Every operation is a macro that writes its result through its first
 * argument and picks the version for that argument's type (C11 _Generic), so
 * that Cython code fused over the types uses one set of names; operands are
 * passed by address.
 *
 * fastsvd_v_xor_lanes exchanges lanes (l ↔ l XOR d) within a vector, for the
 * kernel that keeps one matrix's columns across the lanes.
 *
 * Comparisons give indicator vectors (1 where true, 0 where false) rather
 * than masks, so that the Cython side needs no mask types.
 *
 * fastsvd_v_rsqrt is 1/sqrt(x) exactly rounded twice, except on AVX-512:
 * VRSQRT14 (relative error below 2^-14, the same function on every lane and
 * in its scalar form) refined by Newton steps to about one ulp, without the
 * divider, whose throughput bounds the Jacobi kernels.  So the AVX-512 build
 * differs from the others in the last bits, and every lane of one build,
 * wide or one-lane, computes the same function. */
#ifndef FASTSVD_SIMD_H
#define FASTSVD_SIMD_H

#include <math.h>

#if defined(__FMA__)
#define FASTSVD_FMA fma
#define FASTSVD_FMAF fmaf
#else
#define FASTSVD_FMA(a, b, c) ((a) * (b) + (c))
#define FASTSVD_FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* Every operation lane by lane in C, for the portable vectors and the
   one-lane ones: FMA where the build has it, as its wide vectors use it. */
#define FASTSVD_PORTABLE_OPS(V, T, N, SQRT, ABS, FMA)                                \
static inline V V##_set1(T a) { V z; for (int i = 0; i < N; i++) z.x[i] = a; return z; } \
static inline V V##_load(const void* p)                                              \
{ V z; for (int i = 0; i < N; i++) z.x[i] = ((const T*)p)[i]; return z; }            \
static inline void V##_store(void* p, V a)                                           \
{ for (int i = 0; i < N; i++) ((T*)p)[i] = a.x[i]; }                                 \
static inline V V##_add(V a, V b)                                                    \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] + b.x[i]; return z; }             \
static inline V V##_sub(V a, V b)                                                    \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] - b.x[i]; return z; }             \
static inline V V##_mul(V a, V b)                                                    \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] * b.x[i]; return z; }             \
static inline V V##_div(V a, V b)                                                    \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] / b.x[i]; return z; }             \
static inline V V##_fmadd(V a, V b, V c)                                             \
{ V z; for (int i = 0; i < N; i++) z.x[i] = FMA(a.x[i], b.x[i], c.x[i]); return z; } \
static inline V V##_abs(V a)                                                         \
{ V z; for (int i = 0; i < N; i++) z.x[i] = ABS(a.x[i]); return z; }                 \
static inline V V##_max(V a, V b)  /* b where either is NaN, as MAXPD */             \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] > b.x[i] ? a.x[i] : b.x[i]; return z; } \
static inline V V##_less(V a, V b)                                                   \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] < b.x[i]; return z; }             \
static inline V V##_less_equal(V a, V b)                                             \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i] <= b.x[i]; return z; }            \
static inline V V##_select(V m, V a, V b)                                            \
{ V z; for (int i = 0; i < N; i++) z.x[i] = m.x[i] != 0 ? a.x[i] : b.x[i]; return z; } \
static inline int V##_any(V a)                                                       \
{ int any = 0; for (int i = 0; i < N; i++) any |= a.x[i] != 0; return any; }         \
static inline V V##_sqrt(V a)                                                        \
{ V z; for (int i = 0; i < N; i++) z.x[i] = SQRT(a.x[i]); return z; }                \
static inline V V##_xor_lanes(V a, int d)                                            \
{ V z; for (int i = 0; i < N; i++) z.x[i] = a.x[i ^ d]; return z; }

typedef struct { double x[1]; } fastsvd_vd1;
typedef struct { float x[1]; } fastsvd_vf1;
FASTSVD_PORTABLE_OPS(fastsvd_vd1, double, 1, sqrt, fabs, FASTSVD_FMA)
FASTSVD_PORTABLE_OPS(fastsvd_vf1, float, 1, sqrtf, fabsf, FASTSVD_FMAF)

/* The operations both x86 vector builds make from one intrinsic each
   (PREFIX _mm512 or _mm256, SUFFIX pd or ps). */
#define FASTSVD_INTRINSIC_OPS(V, T, PREFIX, SUFFIX)                                  \
static inline V V##_set1(T x) { return PREFIX##_set1_##SUFFIX(x); }                  \
static inline V V##_load(const void* p) { return PREFIX##_loadu_##SUFFIX(p); }        \
static inline void V##_store(void* p, V x) { PREFIX##_storeu_##SUFFIX(p, x); }        \
static inline V V##_add(V x, V y) { return PREFIX##_add_##SUFFIX(x, y); }             \
static inline V V##_sub(V x, V y) { return PREFIX##_sub_##SUFFIX(x, y); }             \
static inline V V##_mul(V x, V y) { return PREFIX##_mul_##SUFFIX(x, y); }             \
static inline V V##_div(V x, V y) { return PREFIX##_div_##SUFFIX(x, y); }             \
static inline V V##_fmadd(V x, V y, V w) { return PREFIX##_fmadd_##SUFFIX(x, y, w); } \
static inline V V##_max(V x, V y) { return PREFIX##_max_##SUFFIX(x, y); }             \
static inline V V##_sqrt(V x) { return PREFIX##_sqrt_##SUFFIX(x); }

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#define FASTSVD_VD_LANES 8
#define FASTSVD_VF_LANES 16
typedef __m512d fastsvd_vd;
typedef __m512 fastsvd_vf;

FASTSVD_INTRINSIC_OPS(fastsvd_vd, double, _mm512, pd)
FASTSVD_INTRINSIC_OPS(fastsvd_vf, float, _mm512, ps)
static inline fastsvd_vd fastsvd_vd_abs(fastsvd_vd x) { return _mm512_abs_pd(x); }
static inline fastsvd_vf fastsvd_vf_abs(fastsvd_vf x) { return _mm512_abs_ps(x); }
static inline fastsvd_vd fastsvd_vd_less(fastsvd_vd x, fastsvd_vd y)
{ return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, y, _CMP_LT_OQ), _mm512_set1_pd(1)); }
static inline fastsvd_vf fastsvd_vf_less(fastsvd_vf x, fastsvd_vf y)
{ return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, y, _CMP_LT_OQ), _mm512_set1_ps(1)); }
static inline fastsvd_vd fastsvd_vd_less_equal(fastsvd_vd x, fastsvd_vd y)
{ return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, y, _CMP_LE_OQ), _mm512_set1_pd(1)); }
static inline fastsvd_vf fastsvd_vf_less_equal(fastsvd_vf x, fastsvd_vf y)
{ return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, y, _CMP_LE_OQ), _mm512_set1_ps(1)); }
static inline fastsvd_vd fastsvd_vd_select(fastsvd_vd m, fastsvd_vd x, fastsvd_vd y)
{ return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(m, _mm512_setzero_pd(), _CMP_NEQ_OQ), y, x); }
static inline fastsvd_vf fastsvd_vf_select(fastsvd_vf m, fastsvd_vf x, fastsvd_vf y)
{ return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_NEQ_OQ), y, x); }
static inline int fastsvd_vd_any(fastsvd_vd x)
{ return _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_NEQ_OQ) != 0; }
static inline int fastsvd_vf_any(fastsvd_vf x)
{ return _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_OQ) != 0; }
static inline fastsvd_vd fastsvd_vd_xor_lanes(fastsvd_vd x, int d)
{
    __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    return _mm512_permutexvar_pd(_mm512_xor_si512(lane, _mm512_set1_epi64(d)), x);
}
static inline fastsvd_vf fastsvd_vf_xor_lanes(fastsvd_vf x, int d)
{
    __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    return _mm512_permutexvar_ps(_mm512_xor_si512(lane, _mm512_set1_epi32(d)), x);
}

/* One Newton step for 1/sqrt(x) from y: y + y·(1/2 − (x/2)·y²). */
static inline fastsvd_vd fastsvd_vd_rsqrt_step(fastsvd_vd half_x, fastsvd_vd y)
{
    fastsvd_vd e = _mm512_fnmadd_pd(_mm512_mul_pd(half_x, y), y, _mm512_set1_pd(0.5));
    return _mm512_fmadd_pd(y, e, y);
}
static inline fastsvd_vf fastsvd_vf_rsqrt_step(fastsvd_vf half_x, fastsvd_vf y)
{
    fastsvd_vf e = _mm512_fnmadd_ps(_mm512_mul_ps(half_x, y), y, _mm512_set1_ps(0.5f));
    return _mm512_fmadd_ps(y, e, y);
}
/* 14 bits, 28 after one step (enough for float), 56 after two. */
static inline fastsvd_vd fastsvd_vd_rsqrt(fastsvd_vd x)
{
    fastsvd_vd half_x = _mm512_mul_pd(x, _mm512_set1_pd(0.5));
    fastsvd_vd y = _mm512_rsqrt14_pd(x);
    return fastsvd_vd_rsqrt_step(half_x, fastsvd_vd_rsqrt_step(half_x, y));
}
static inline fastsvd_vf fastsvd_vf_rsqrt(fastsvd_vf x)
{
    return fastsvd_vf_rsqrt_step(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), _mm512_rsqrt14_ps(x));
}
/* The same steps on one lane: VRSQRT14SD/SS compute what the packed forms do. */
static inline double fastsvd_rsqrt_step(double half_x, double y)
{ return fma(y, fma(-(half_x * y), y, 0.5), y); }
static inline float fastsvd_rsqrt_stepf(float half_x, float y)
{ return fmaf(y, fmaf(-(half_x * y), y, 0.5f), y); }
static inline fastsvd_vd1 fastsvd_vd1_rsqrt(fastsvd_vd1 a)
{
    double half_x = a.x[0] * 0.5;
    double y = _mm_cvtsd_f64(_mm_rsqrt14_sd(_mm_setzero_pd(), _mm_set_sd(a.x[0])));
    a.x[0] = fastsvd_rsqrt_step(half_x, fastsvd_rsqrt_step(half_x, y));
    return a;
}
static inline fastsvd_vf1 fastsvd_vf1_rsqrt(fastsvd_vf1 a)
{
    float y = _mm_cvtss_f32(_mm_rsqrt14_ss(_mm_setzero_ps(), _mm_set_ss(a.x[0])));
    a.x[0] = fastsvd_rsqrt_stepf(a.x[0] * 0.5f, y);
    return a;
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define FASTSVD_VD_LANES 4
#define FASTSVD_VF_LANES 8
typedef __m256d fastsvd_vd;
typedef __m256 fastsvd_vf;

FASTSVD_INTRINSIC_OPS(fastsvd_vd, double, _mm256, pd)
FASTSVD_INTRINSIC_OPS(fastsvd_vf, float, _mm256, ps)
static inline fastsvd_vd fastsvd_vd_abs(fastsvd_vd x)
{ return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x); }
static inline fastsvd_vf fastsvd_vf_abs(fastsvd_vf x)
{ return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
static inline fastsvd_vd fastsvd_vd_less(fastsvd_vd x, fastsvd_vd y)
{ return _mm256_and_pd(_mm256_cmp_pd(x, y, _CMP_LT_OQ), _mm256_set1_pd(1)); }
static inline fastsvd_vf fastsvd_vf_less(fastsvd_vf x, fastsvd_vf y)
{ return _mm256_and_ps(_mm256_cmp_ps(x, y, _CMP_LT_OQ), _mm256_set1_ps(1)); }
static inline fastsvd_vd fastsvd_vd_less_equal(fastsvd_vd x, fastsvd_vd y)
{ return _mm256_and_pd(_mm256_cmp_pd(x, y, _CMP_LE_OQ), _mm256_set1_pd(1)); }
static inline fastsvd_vf fastsvd_vf_less_equal(fastsvd_vf x, fastsvd_vf y)
{ return _mm256_and_ps(_mm256_cmp_ps(x, y, _CMP_LE_OQ), _mm256_set1_ps(1)); }
static inline fastsvd_vd fastsvd_vd_select(fastsvd_vd m, fastsvd_vd x, fastsvd_vd y)
{ return _mm256_blendv_pd(y, x, _mm256_cmp_pd(m, _mm256_setzero_pd(), _CMP_NEQ_OQ)); }
static inline fastsvd_vf fastsvd_vf_select(fastsvd_vf m, fastsvd_vf x, fastsvd_vf y)
{ return _mm256_blendv_ps(y, x, _mm256_cmp_ps(m, _mm256_setzero_ps(), _CMP_NEQ_OQ)); }
static inline int fastsvd_vd_any(fastsvd_vd x)
{ return _mm256_movemask_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_NEQ_OQ)) != 0; }
static inline int fastsvd_vf_any(fastsvd_vf x)
{ return _mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NEQ_OQ)) != 0; }
/* A double is two floats: lane l of doubles is float lanes 2l, 2l + 1. */
static inline fastsvd_vd fastsvd_vd_xor_lanes(fastsvd_vd x, int d)
{
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(
        _mm256_castpd_ps(x), _mm256_xor_si256(lane, _mm256_set1_epi32(2 * d))));
}
static inline fastsvd_vf fastsvd_vf_xor_lanes(fastsvd_vf x, int d)
{
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_permutevar8x32_ps(x, _mm256_xor_si256(lane, _mm256_set1_epi32(d)));
}
/* VRSQRTPS differs between vendors: this build divides. */
static inline fastsvd_vd fastsvd_vd_rsqrt(fastsvd_vd x)
{ return _mm256_div_pd(_mm256_set1_pd(1), _mm256_sqrt_pd(x)); }
static inline fastsvd_vf fastsvd_vf_rsqrt(fastsvd_vf x)
{ return _mm256_div_ps(_mm256_set1_ps(1), _mm256_sqrt_ps(x)); }
#define FASTSVD_DIVIDED_RSQRT

#else
/* Portable C: short arrays whose loops the compiler vectorises as it can. */
#define FASTSVD_VD_LANES 2
#define FASTSVD_VF_LANES 4
typedef struct { double x[FASTSVD_VD_LANES]; } fastsvd_vd;
typedef struct { float x[FASTSVD_VF_LANES]; } fastsvd_vf;
FASTSVD_PORTABLE_OPS(fastsvd_vd, double, FASTSVD_VD_LANES, sqrt, fabs, FASTSVD_FMA)
FASTSVD_PORTABLE_OPS(fastsvd_vf, float, FASTSVD_VF_LANES, sqrtf, fabsf, FASTSVD_FMAF)
static inline fastsvd_vd fastsvd_vd_rsqrt(fastsvd_vd a)
{ for (int i = 0; i < FASTSVD_VD_LANES; i++) a.x[i] = 1 / sqrt(a.x[i]); return a; }
static inline fastsvd_vf fastsvd_vf_rsqrt(fastsvd_vf a)
{ for (int i = 0; i < FASTSVD_VF_LANES; i++) a.x[i] = 1 / sqrtf(a.x[i]); return a; }
#define FASTSVD_DIVIDED_RSQRT
#endif

#ifdef FASTSVD_DIVIDED_RSQRT
static inline fastsvd_vd1 fastsvd_vd1_rsqrt(fastsvd_vd1 a) { a.x[0] = 1 / sqrt(a.x[0]); return a; }
static inline fastsvd_vf1 fastsvd_vf1_rsqrt(fastsvd_vf1 a) { a.x[0] = 1 / sqrtf(a.x[0]); return a; }
#undef FASTSVD_DIVIDED_RSQRT
#endif
#undef FASTSVD_PORTABLE_OPS
#undef FASTSVD_INTRINSIC_OPS

/* dst[k] = src[index[k]] for k < count: the gather and scatter of fastsvd's
   blocks for contiguous stacks, by a table of indices, with the hardware's
   gathers where the build has them. */
#include <stdint.h>
#include <stddef.h>
static inline void fastsvd_indexed_copy(double* dst, const double* src, const int32_t* index,
                                        ptrdiff_t count)
{
    ptrdiff_t k = 0;
#if defined(__AVX512F__)
    for (; k + 8 <= count; k += 8)
        _mm512_storeu_pd(dst + k, _mm512_i32gather_pd(
            _mm256_loadu_si256((const __m256i*)(index + k)), src, 8));
#elif defined(__AVX2__)
    for (; k + 4 <= count; k += 4)
        _mm256_storeu_pd(dst + k, _mm256_i32gather_pd(
            src, _mm_loadu_si128((const __m128i*)(index + k)), 8));
#endif
    for (; k < count; k++)
        dst[k] = src[index[k]];
}
static inline void fastsvd_indexed_copyf(float* dst, const float* src, const int32_t* index,
                                         ptrdiff_t count)
{
    ptrdiff_t k = 0;
#if defined(__AVX512F__)
    for (; k + 16 <= count; k += 16)
        _mm512_storeu_ps(dst + k, _mm512_i32gather_ps(
            _mm512_loadu_si512((const void*)(index + k)), src, 4));
#elif defined(__AVX2__)
    for (; k + 8 <= count; k += 8)
        _mm256_storeu_ps(dst + k, _mm256_i32gather_ps(
            src, _mm256_loadu_si256((const __m256i*)(index + k)), 4));
#endif
    for (; k < count; k++)
        dst[k] = src[index[k]];
}

#define FASTSVD_PICK(z, op) _Generic(*(z), fastsvd_vd: fastsvd_vd_##op, fastsvd_vf: fastsvd_vf_##op, \
                                     fastsvd_vd1: fastsvd_vd1_##op, fastsvd_vf1: fastsvd_vf1_##op)

#define fastsvd_v_set1(z, a) (*(z) = FASTSVD_PICK(z, set1)(a))
#define fastsvd_v_load(z, p) (*(z) = FASTSVD_PICK(z, load)(p))
#define fastsvd_v_store(p, a) (FASTSVD_PICK(a, store)((p), *(a)))
#define fastsvd_v_add(z, a, b) (*(z) = FASTSVD_PICK(z, add)(*(a), *(b)))
#define fastsvd_v_sub(z, a, b) (*(z) = FASTSVD_PICK(z, sub)(*(a), *(b)))
#define fastsvd_v_mul(z, a, b) (*(z) = FASTSVD_PICK(z, mul)(*(a), *(b)))
#define fastsvd_v_div(z, a, b) (*(z) = FASTSVD_PICK(z, div)(*(a), *(b)))
#define fastsvd_v_fmadd(z, a, b, c) (*(z) = FASTSVD_PICK(z, fmadd)(*(a), *(b), *(c)))
#define fastsvd_v_abs(z, a) (*(z) = FASTSVD_PICK(z, abs)(*(a)))
#define fastsvd_v_max(z, a, b) (*(z) = FASTSVD_PICK(z, max)(*(a), *(b)))
#define fastsvd_v_less(z, a, b) (*(z) = FASTSVD_PICK(z, less)(*(a), *(b)))
#define fastsvd_v_less_equal(z, a, b) (*(z) = FASTSVD_PICK(z, less_equal)(*(a), *(b)))
#define fastsvd_v_select(z, m, a, b) (*(z) = FASTSVD_PICK(z, select)(*(m), *(a), *(b)))
#define fastsvd_v_any(a) (FASTSVD_PICK(a, any)(*(a)))
#define fastsvd_v_sqrt(z, a) (*(z) = FASTSVD_PICK(z, sqrt)(*(a)))
#define fastsvd_v_rsqrt(z, a) (*(z) = FASTSVD_PICK(z, rsqrt)(*(a)))
/* Lane l of z ← lane l XOR d of a (0 ≤ d < the lanes). */
#define fastsvd_v_xor_lanes(z, a, d) (*(z) = FASTSVD_PICK(z, xor_lanes)(*(a), (d)))

#endif
