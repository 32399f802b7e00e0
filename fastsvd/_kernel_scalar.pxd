"""Scalar helpers of fastsvd's kernels: the fused real type, the sizes every
kernel shares, and branch-free, call-free arithmetic, so that loops over the
lanes vectorise (see kernels.pxd for the layout)."""
from libc.math cimport sqrt, sqrtf, fabs, fabsf, fma, fmaf, copysign, copysignf
from libc.float cimport DBL_EPSILON, FLT_EPSILON, DBL_MIN, FLT_MIN, DBL_MAX, FLT_MAX
from libc.stdint cimport int32_t, int64_t

cdef extern from "_bits.h" nogil:
    int64_t fastsvd_biased_exponent(double x)
    double fastsvd_pow2(int64_t k)
    int32_t fastsvd_biased_exponentf(float x)
    float fastsvd_pow2f(int32_t k)

ctypedef fused real:
    float
    double

cdef enum:
    # Largest M or N the kernels take; bigger matrices go to LAPACK.
    MAX_KERNEL_DIM = 32
    # Matrices per SIMD block: one AVX-512 vector of float32, two of float64.
    BLOCK_LANES = 32
    # Most shapes of the generic Jacobi kernel in double take twice as many:
    # its sweeps wait on chains of square roots and divisions, and more
    # independent chains in flight hide that latency (see block_lanes).
    WIDE_BLOCK_LANES = 64


cdef inline real r_sqrt(real x) noexcept nogil:
    if real is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline real r_abs(real x) noexcept nogil:
    if real is float:
        return fabsf(x)
    else:
        return fabs(x)


# In the float kernels every literal in arithmetic is cast to real: C would
# otherwise compute in double (1.0 / x), which costs time and vectorisation.

cdef inline real r_eps(real x) noexcept nogil:
    if real is float:
        return FLT_EPSILON
    else:
        return DBL_EPSILON


cdef inline real r_tiny(real x) noexcept nogil:
    if real is float:
        return FLT_MIN
    else:
        return DBL_MIN


cdef inline real r_huge(real x) noexcept nogil:
    if real is float:
        return FLT_MAX
    else:
        return DBL_MAX


cdef inline real r_square_guard(real x) noexcept nogil:
    """A power of two K for the Jacobi rotation's squares (its docstring says why
    it suffices): 2⁴⁶ for float, 2⁶⁴ for double."""
    if real is float:
        return <float>70368744177664.0
    else:
        return 18446744073709551616.0


cdef inline real r_negligible_square(real x) noexcept nogil:
    """The squared column norm below which the Jacobi sweeps leave a column alone
    (refine_small_columns finishes it): as small as K (r_square_guard) lets the
    rotation's test go, K²·tol²·N² ≥ the smallest normal.  2⁻⁸⁶ for float, so
    that float32 columns down to 2⁻⁴³·max |aᵢⱼ| (graded matrices spanning 13
    decades) rotate with the others; 2⁻⁵¹¹ = √(smallest normal) for double."""
    if real is float:
        return <float>1.2924697071141057e-26
    else:
        return 1.4916681462400413e-154


cdef inline real r_fma(real a, real b, real c) noexcept nogil:
    if real is float:
        return fmaf(a, b, c)
    else:
        return fma(a, b, c)


cdef inline real r_copysign(real x, real y) noexcept nogil:
    if real is float:
        return copysignf(x, y)
    else:
        return copysign(x, y)


cdef inline real r_max(real x, real y) noexcept nogil:
    return x if x > y else y


cdef inline real det2(real a, real b, real c, real d) noexcept nogil:
    """a·d − b·c to about one ulp even when a·d ≈ b·c (Kahan, with FMA)."""
    cdef real w = b * c
    cdef real e = r_fma(-b, c, w)
    cdef real f = r_fma(a, d, -w)
    return f + e


cdef inline void unit_normal_to(real x, real y, real z, real* w) noexcept nogil:
    """w: a unit 3-vector orthogonal to the unit 3-vector (x, y, z).

    Duff et al. (2017), "Building an orthonormal basis, revisited": no
    branch (so loops vectorise) and no cancellation, as |σ + z| ≥ 1.
    """
    cdef real sign = r_copysign(1, z)
    cdef real a = <real>-1 / (sign + z)
    w[0] = <real>1 + sign * x * x * a
    w[1] = sign * x * y * a
    w[2] = -sign * x


cdef inline void power_of_two_scale(real big, real* down, real* up1, real* up2) noexcept nogil:
    """down = 2^−e and up1·up2 = 2^e, with e the exponent that puts big·down in
    [1, 2) (for a zero or subnormal big, the smallest normal exponent).  Powers
    of two scale exactly; the way back takes two factors since 2^e may overflow."""
    # Integers as wide as the real, so that lanes of both vectorise together.
    cdef int32_t e32, half32
    cdef int64_t e64, half64
    if real is float:
        e32 = min(max(fastsvd_biased_exponentf(big) - 127, -126), 127)
        half32 = e32 >> 1
        down[0] = fastsvd_pow2f(-half32) * fastsvd_pow2f(half32 - e32)
        up1[0] = fastsvd_pow2f(half32)
        up2[0] = fastsvd_pow2f(e32 - half32)
    else:
        e64 = min(max(fastsvd_biased_exponent(big) - 1023, -1022), 1023)
        half64 = e64 >> 1
        down[0] = fastsvd_pow2(-half64) * fastsvd_pow2(half64 - e64)
        up1[0] = fastsvd_pow2(half64)
        up2[0] = fastsvd_pow2(e64 - half64)
