# cython: language_level=3
"""fastsvd's SVD kernels, ``noexcept nogil``, for its gufuncs and for other Cython code.

Every kernel decomposes ``lanes`` M×N matrices (M ≥ N) at once, stored
structure-of-arrays: entry (i, j) of matrix l is ``a[(j*M + i)*stride + l]``,
i.e. column-major with the lanes innermost.  With ``stride`` = ``lanes`` =
block_lanes(…) (a constant: BLOCK or WIDE_BLOCK) every step is a loop over
the lanes with no branch in it, which the compiler turns into SIMD code; with
``stride`` = ``lanes`` = 1 the same code is a plain per-matrix kernel on a
contiguous column-major matrix.

Outputs, in the same layout: ``u`` (M×ucols; ucols = N for the thin U, M for
the full one), ``s`` (N values, descending) and ``v`` (N×N, the right singular
vectors as columns), so that A = U·diag(s)·Vᵀ.  ``a`` is overwritten.
"""
from libc.math cimport sqrt, sqrtf, fabs, fabsf, fma, fmaf, copysign, copysignf, NAN
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
    MAX_DIM = 32
    # Jacobi sweeps never exceed this, so no input can make a call run unbounded.
    MAX_SWEEPS = 30
    # Nor rescaling levels for singular values below √(smallest normal)·‖A‖,
    # each taking this many rounds of sweeps and re-orthogonalisation.
    MAX_LEVELS = 64
    REFINE_ROUNDS = 3
    # The 3×3 sweeps test for convergence before this sweep and later ones
    # (counted from 0; see jacobi_sweeps_3x3).
    FIRST_CONVERGENCE_CHECK_3X3 = 2
    # Lanes per step of that check: one AVX-512 vector of float32, two of float64.
    CHECK_LANES = 16
    # Matrices per SIMD block: one AVX-512 vector of float32, two of float64.
    BLOCK = 32
    # Most shapes of the generic Jacobi kernel in double take twice as many:
    # its sweeps wait on chains of square roots and divisions, and more
    # independent chains in flight hide that latency (see block_lanes).
    WIDE_BLOCK = 64

cdef enum KernelId:
    KERNEL_NONE = 0
    KERNEL_GRAM_2X2 = 1
    KERNEL_GRAM_3X2 = 2
    KERNEL_JACOBI_3X3 = 3
    KERNEL_JACOBI = 4


cdef inline KernelId kernel_for_shape(Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """The dispatch table: the kernel for an M×N matrix with M ≥ N (NONE: use LAPACK)."""
    if n < 1 or m < n or m > MAX_DIM:
        return KERNEL_NONE
    if m == 2 and n == 2:
        return KERNEL_GRAM_2X2
    if m == 3 and n == 2:
        return KERNEL_GRAM_3X2
    if m == 3 and n == 3:
        return KERNEL_JACOBI_3X3
    return KERNEL_JACOBI


cdef inline Py_ssize_t block_lanes(KernelId kernel, Py_ssize_t m, Py_ssize_t n,
                                   real value_type) noexcept nogil:
    """Matrices per SIMD block for a kernel, shape and dtype (value_type only
    selects the dtype).  Measured on AVX-512: the generic Jacobi kernel in
    double ran 1.1–1.5× faster with WIDE_BLOCK up to 16×16 and no faster at
    32×32; the other kernels and float gained nothing, and 2×2 lost."""
    if real is double and kernel == KERNEL_JACOBI and m * n <= 256:
        return WIDE_BLOCK
    return BLOCK


# ---------------------------------------------------------------- scalar helpers
# Branch-free and call-free, so that loops over the lanes vectorise.

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
    it suffices): 2³² for float, 2⁶⁴ for double."""
    if real is float:
        return <float>4294967296.0
    else:
        return 18446744073709551616.0


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


cdef inline void gram_rotation(real p, real q, real r, real* c, real* s) noexcept nogil:
    """(c, s): the unit eigenvector of [[p, q], [q, r]] for its larger eigenvalue.

    Formed from whichever of (λ₁ − r, q) and (q, λ₁ − p) has no cancellation,
    rescaled before normalising so that tiny components do not underflow; a
    multiple of the identity (every direction an eigenvector) gives (1, 0).
    """
    cdef real half = (p - r) * <real>0.5
    cdef real h = r_sqrt(half * half + q * q)
    cdef bint upper = half >= 0
    cdef real x = half + h if upper else q
    cdef real y = q if upper else h - half
    cdef real big = r_max(r_abs(x), r_abs(y))
    cdef bint degenerate = big == 0
    cdef real down, up1, up2, inv_norm
    power_of_two_scale(big, &down, &up1, &up2)     # 1/big overflows for a subnormal big
    x = 1 if degenerate else x * down
    y = y * down
    inv_norm = <real>1 / r_sqrt(x * x + y * y)
    c[0] = x * inv_norm
    s[0] = y * inv_norm


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


cdef inline bint scale_lanes(real* a, Py_ssize_t entries, Py_ssize_t lanes, Py_ssize_t stride,
                             real* up1, real* up2) noexcept nogil:
    """Scale each matrix by a power of two (exactly) so its largest |entry| is in [1, 2).

    Squares and products of the scaled entries neither overflow nor lose the
    small ones, whatever the input's magnitude.  up1·up2 = the factor back;
    up1 is NaN for a matrix holding NaN or Inf, whose entries are zeroed so
    that the kernel stays finite.  Returns whether every matrix was finite.
    """
    cdef real big[WIDE_BLOCK]
    cdef real down[WIDE_BLOCK]
    cdef real bad[WIDE_BLOCK]
    cdef real x, huge = r_huge(<real>0)
    cdef Py_ssize_t i, l
    cdef int any_bad = 0
    for l in range(lanes):
        big[l] = 0
        bad[l] = 0
    for i in range(entries):
        for l in range(lanes):
            x = r_abs(a[i * stride + l])
            big[l] = r_max(x, big[l])
            bad[l] += 0 if x <= huge else 1      # NaN compares false
    for l in range(lanes):
        power_of_two_scale(big[l], &down[l], &up1[l], &up2[l])
        up1[l] = up1[l] if bad[l] == 0 else NAN
        any_bad += bad[l] != 0
    for i in range(entries):
        for l in range(lanes):
            a[i * stride + l] = a[i * stride + l] * down[l] if bad[l] == 0 else 0
    return any_bad == 0


# ---------------------------------------------------------------- closed forms

cdef inline void store_rotation(real* v, real c, real s, Py_ssize_t l,
                                Py_ssize_t stride) noexcept nogil:
    """V = [[c, −s], [s, c]] (column-major): v₁ = (c, s) and its 90° turn v₂."""
    v[l] = c
    v[stride + l] = s
    v[2 * stride + l] = -s
    v[3 * stride + l] = c


cdef inline void svd_gram_2x2(real* a, real* u, real* s, real* v, Py_ssize_t lanes,
                              Py_ssize_t stride) noexcept nogil:
    """2×2 SVD from the eigen solution of AᵀA, on scaled matrices.

    σ₁ = ‖A v₁‖ and σ₂ = |det A|/σ₁ keep full relative accuracy (the Gram
    eigenvalue λ₂ is only accurate to ε‖A‖²); v₂ and u₂ are 90° turns of v₁
    and u₁, so U and V are orthonormal whatever the rank.
    """
    cdef real a00, a10, a01, a11, c, sn, w0, w1, sigma1, inv, det, sign
    cdef bint zero
    cdef Py_ssize_t l
    for l in range(lanes):
        a00 = a[l]
        a10 = a[stride + l]
        a01 = a[2 * stride + l]
        a11 = a[3 * stride + l]
        gram_rotation(a00 * a00 + a10 * a10, a00 * a01 + a10 * a11,
                      a01 * a01 + a11 * a11, &c, &sn)
        w0 = a00 * c + a01 * sn
        w1 = a10 * c + a11 * sn
        sigma1 = r_sqrt(w0 * w0 + w1 * w1)
        zero = sigma1 == 0
        inv = <real>1 / (1 if zero else sigma1)
        det = det2(a00, a01, a10, a11)
        sign = -1 if det < 0 else 1
        s[l] = sigma1
        s[stride + l] = min(r_abs(det) * inv, sigma1)
        store_rotation(v, c, sn, l, stride)
        w0 = 1 if zero else w0 * inv
        w1 = w1 * inv
        u[l] = w0
        u[stride + l] = w1
        u[2 * stride + l] = -sign * w1
        u[3 * stride + l] = sign * w0


cdef inline void svd_gram_3x2(real* a, real* u, real* s, real* v, Py_ssize_t ucols,
                              Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """3×2 SVD from the eigen solution of AᵀA, on scaled matrices.

    σ₂ = ‖a₁ × a₂‖/σ₁; u₂ = n̂ × u₁ and u₃ = n̂ with n̂ the unit normal of the
    column plane (any unit vector orthogonal to u₁ for rank one), so nothing
    is ever divided by a small σ₂.
    """
    cdef real x0, x1, x2, y0, y1, y2, c, sn, w0, w1, w2, sigma1, inv
    cdef real n0, n1, n2, nbig, nnorm, inv_nnorm, down, up1, up2
    cdef real p0, p1, p2
    cdef real alt[3]
    cdef bint zero, rank_one
    cdef Py_ssize_t l
    for l in range(lanes):
        x0 = a[l]
        x1 = a[stride + l]
        x2 = a[2 * stride + l]
        y0 = a[3 * stride + l]
        y1 = a[4 * stride + l]
        y2 = a[5 * stride + l]
        gram_rotation(x0 * x0 + x1 * x1 + x2 * x2, x0 * y0 + x1 * y1 + x2 * y2,
                      y0 * y0 + y1 * y1 + y2 * y2, &c, &sn)
        w0 = x0 * c + y0 * sn
        w1 = x1 * c + y1 * sn
        w2 = x2 * c + y2 * sn
        sigma1 = r_sqrt(w0 * w0 + w1 * w1 + w2 * w2)
        zero = sigma1 == 0
        inv = <real>1 / (1 if zero else sigma1)
        w0 = 1 if zero else w0 * inv
        w1 = w1 * inv
        w2 = w2 * inv
        # The column plane's normal a₁ × a₂, each component an accurate determinant.
        n0 = det2(x1, x2, y1, y2)
        n1 = det2(x2, x0, y2, y0)
        n2 = det2(x0, x1, y0, y1)
        nbig = r_max(r_abs(n0), r_max(r_abs(n1), r_abs(n2)))
        rank_one = nbig == 0
        power_of_two_scale(nbig, &down, &up1, &up2)   # 1/nbig overflows for a subnormal nbig
        n0 = n0 * down
        n1 = n1 * down
        n2 = n2 * down
        nnorm = r_sqrt(n0 * n0 + n1 * n1 + n2 * n2)
        inv_nnorm = <real>1 / (1 if rank_one else nnorm)
        unit_normal_to(w0, w1, w2, alt)
        n0 = alt[0] if rank_one else n0 * inv_nnorm
        n1 = alt[1] if rank_one else n1 * inv_nnorm
        n2 = alt[2] if rank_one else n2 * inv_nnorm
        # Rank one: u₂ = alt and u₃ = u₁ × alt; otherwise u₂ = n̂ × u₁, u₃ = n̂.
        p0 = n1 * w2 - n2 * w1
        p1 = n2 * w0 - n0 * w2
        p2 = n0 * w1 - n1 * w0
        s[l] = sigma1
        s[stride + l] = 0 if rank_one else min(((nnorm * up1) * up2) * inv, sigma1)
        store_rotation(v, c, sn, l, stride)
        u[l] = w0
        u[stride + l] = w1
        u[2 * stride + l] = w2
        u[3 * stride + l] = n0 if rank_one else p0
        u[4 * stride + l] = n1 if rank_one else p1
        u[5 * stride + l] = n2 if rank_one else p2
        # u₃ goes where a was (no longer needed): a branch on ucols here would
        # keep the loop from vectorising.
        a[l] = -p0 if rank_one else n0
        a[stride + l] = -p1 if rank_one else n1
        a[2 * stride + l] = -p2 if rank_one else n2
    if ucols == 3:
        for l in range(lanes):
            u[6 * stride + l] = a[l]
            u[7 * stride + l] = a[stride + l]
            u[8 * stride + l] = a[2 * stride + l]


# ---------------------------------------------------------------- Jacobi

cdef inline void rotate_pair(real* x, real* y, Py_ssize_t length, const real* c,
                             const real* s, Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """[x y] ← [x y]·[[c, s], [−s, c]], per lane."""
    cdef real xi, yi
    cdef Py_ssize_t k, l
    for k in range(length):
        for l in range(lanes):
            xi = x[k * stride + l]
            yi = y[k * stride + l]
            x[k * stride + l] = c[l] * xi - s[l] * yi
            y[k * stride + l] = s[l] * xi + c[l] * yi


cdef inline void swap_where(real* x, real* y, Py_ssize_t length, const unsigned char* flag,
                            Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Exchange x and y in the lanes where flag is set."""
    cdef real xi, yi
    cdef Py_ssize_t k, l
    for k in range(length):
        for l in range(lanes):
            xi = x[k * stride + l]
            yi = y[k * stride + l]
            x[k * stride + l] = yi if flag[l] else xi
            y[k * stride + l] = xi if flag[l] else yi


cdef inline void unit_vector_orthogonal_to(const real* q, Py_ssize_t m, Py_ssize_t cols,
                                           Py_ssize_t lanes, Py_ssize_t stride,
                                           real* x) noexcept nogil:
    """x: per lane, a unit m-vector orthogonal to the orthonormal columns 0 … cols−1 of q.

    Starts from the unit vector eᵢ those columns cover least (its remainder has
    squared norm ≥ (m − cols)/m, so nothing cancels badly), then Gram–Schmidt
    twice, which is enough.
    """
    cdef real weight[WIDE_BLOCK]
    cdef real best_weight[WIDE_BLOCK]
    cdef real best[WIDE_BLOCK]
    cdef real proj[WIDE_BLOCK]
    cdef real y
    cdef bint better
    cdef Py_ssize_t i, c, k, l, repeat
    for l in range(lanes):
        best_weight[l] = -1
        best[l] = 0
    for i in range(m):
        for l in range(lanes):
            weight[l] = 1
        for c in range(cols):
            for l in range(lanes):
                y = q[(c * m + i) * stride + l]
                weight[l] -= y * y
        for l in range(lanes):
            better = weight[l] > best_weight[l]
            best_weight[l] = weight[l] if better else best_weight[l]
            best[l] = <real>i if better else best[l]
    for i in range(m):
        for l in range(lanes):
            x[i * stride + l] = 1 if best[l] == i else 0
    for repeat in range(2):
        for c in range(cols):
            for l in range(lanes):
                proj[l] = 0
            for k in range(m):
                for l in range(lanes):
                    proj[l] += q[(c * m + k) * stride + l] * x[k * stride + l]
            for k in range(m):
                for l in range(lanes):
                    x[k * stride + l] -= proj[l] * q[(c * m + k) * stride + l]
    for l in range(lanes):
        proj[l] = 0
    for k in range(m):
        for l in range(lanes):
            proj[l] += x[k * stride + l] * x[k * stride + l]
    for l in range(lanes):
        proj[l] = <real>1 / r_sqrt(r_max(proj[l], r_tiny(<real>0)))
    for k in range(m):
        for l in range(lanes):
            x[k * stride + l] *= proj[l]


cdef inline bint rotation_needed(real alpha, real beta, real gamma, real tol) noexcept nogil:
    """Whether columns x, y with ‖x‖² = α, ‖y‖² = β, xᵀy = γ need a rotation
    (the test of jacobi_rotation, which see)."""
    cdef real negligible = r_sqrt(r_tiny(<real>0))
    cdef real guard = r_square_guard(<real>0)
    cdef real scaled_gamma = gamma * guard
    cdef real scaled_tol = tol * guard
    return not ((alpha < negligible) | (beta < negligible)
                | (scaled_gamma * scaled_gamma <= ((scaled_tol * scaled_tol) * alpha) * beta))


cdef inline real jacobi_rotation(real alpha, real beta, real gamma, real tol,
                                 real* c, real* s) noexcept nogil:
    """The rotation [[c, s], [−s, c]] that makes columns x, y with ‖x‖² = α,
    ‖y‖² = β, xᵀy = γ orthogonal: tan θ = t, the smaller root of
    t² + 2ζt − 1 = 0, ζ = (β − α)/2γ.  Returns s, 0 where no rotation is needed.

    None is needed when γ² ≤ tol²·αβ (LAPACK gesvj's test, with tol = √M·ε,
    which gives small singular values to high relative accuracy), nor for a
    column with a squared norm below √(smallest normal): with the input scaled
    to max |aᵢⱼ| ∈ [1, 2) such a column lies far below ε‖A‖ (refine_small_columns
    finishes it).  With d = β − α, r = √(d² + 4γ²) and w = |d| + r:
    t = 2γ·sign(d)/w, c = w/√(2rw), s = 2γ·sign(d)/√(2rw), which takes two
    square roots and one division (the slow instructions) and never cancels.

    Every sweep starts from entries below 2 in magnitude (scale_lanes, and
    refine_small_columns per level), so α, β, |γ|, |d| ≤ 4·32² and none of
    these squares overflows even times K² (K = r_square_guard: 2⁶⁴, or 2³² for
    float).  Times K² they cannot underflow either: both sides of the test are
    at least K²·tol²·negligible² ≥ the smallest normal where it can go either
    way, and so is 4γ²K² where a rotation is made.  K, a constant power of
    two, scales exactly and costs one multiplication.
    """
    cdef real guard = r_square_guard(<real>0)
    cdef real d, g, r, w, q
    cdef bint skip = not rotation_needed(alpha, beta, gamma, tol)
    d = 1 if skip else (beta - alpha) * guard     # skip: c = 1, s = 0 exactly
    g = 0 if skip else gamma * guard
    r = r_sqrt(d * d + <real>4 * g * g)
    w = r_abs(d) + r
    q = <real>1 / r_sqrt(<real>2 * r * w)
    c[0] = w * q
    s[0] = <real>2 * g * q if d >= 0 else <real>-2 * g * q
    return s[0]


cdef inline void set_identity_lanes(real* v, Py_ssize_t n, Py_ssize_t lanes,
                                    Py_ssize_t stride) noexcept nogil:
    cdef Py_ssize_t i, l
    for i in range(n * n):
        for l in range(lanes):
            v[i * stride + l] = 1 if i % (n + 1) == 0 else 0


cdef inline void pair_products(const real* x, const real* y, Py_ssize_t m, real* alpha,
                               real* beta, real* gamma, Py_ssize_t lanes,
                               Py_ssize_t stride) noexcept nogil:
    """Per lane: α = ‖x‖², β = ‖y‖², γ = xᵀy of two columns of length m."""
    cdef real xk, yk
    cdef Py_ssize_t k, l
    for l in range(lanes):
        alpha[l] = 0
        beta[l] = 0
        gamma[l] = 0
    for k in range(m):
        for l in range(lanes):
            xk = x[k * stride + l]
            yk = y[k * stride + l]
            alpha[l] += xk * xk
            beta[l] += yk * yk
            gamma[l] += xk * yk


cdef inline bint any_pair_needs_rotation(const real* a, Py_ssize_t m, Py_ssize_t n, real tol,
                                         Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Whether a sweep would rotate any column pair of any lane: a pass without
    square roots or divisions that spares the last sweep, whose rotations would
    all be 1."""
    cdef real alpha[WIDE_BLOCK]
    cdef real beta[WIDE_BLOCK]
    cdef real gamma[WIDE_BLOCK]
    cdef int needed
    cdef Py_ssize_t i, j, l
    for i in range(n - 1):
        for j in range(i + 1, n):
            pair_products(a + i * m * stride, a + j * m * stride, m, alpha, beta, gamma,
                          lanes, stride)
            needed = 0
            for l in range(lanes):
                needed += rotation_needed(alpha[l], beta[l], gamma[l], tol)
            if needed:
                return True
    return False


cdef inline real worth_checking(real value_type) noexcept nogil:
    """ε^¼.  Jacobi converges quadratically: after a sweep whose largest |sin θ|
    was δ, the next would rotate by about δ², so a convergence check (a
    fraction of a sweep) can succeed only after a sweep with δ about √ε or
    less: run it after those with δ below ε^¼, a wide margin."""
    return r_sqrt(r_sqrt(r_eps(value_type)))


cdef inline void jacobi_sweeps(real* a, Py_ssize_t m, Py_ssize_t n, real* v, Py_ssize_t vlen,
                               bint want_uv, Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """One-sided (Hestenes) Jacobi on scaled M×N matrices, M ≥ N: rotate column
    pairs until no pair of any lane needs it (jacobi_rotation), at most
    MAX_SWEEPS sweeps; converged lanes get identity rotations meanwhile.  The
    columns of v (of length vlen) are rotated alongside."""
    cdef real tol = r_sqrt(<real>m) * r_eps(<real>0)
    cdef real small_sine = worth_checking(<real>0)
    cdef real alpha[WIDE_BLOCK]
    cdef real beta[WIDE_BLOCK]
    cdef real gamma[WIDE_BLOCK]
    cdef real cosine[WIDE_BLOCK]
    cdef real sine[WIDE_BLOCK]
    cdef int rotations, large_rotations = 1
    cdef real* ai
    cdef real* aj
    cdef Py_ssize_t sweep, i, j, l
    for sweep in range(MAX_SWEEPS):
        if large_rotations == 0 and not any_pair_needs_rotation(a, m, n, tol, lanes, stride):
            break
        rotations = 0
        large_rotations = 0
        for i in range(n - 1):
            ai = a + i * m * stride
            for j in range(i + 1, n):
                aj = a + j * m * stride
                pair_products(ai, aj, m, alpha, beta, gamma, lanes, stride)
                for l in range(lanes):
                    jacobi_rotation(alpha[l], beta[l], gamma[l], tol, &cosine[l], &sine[l])
                for l in range(lanes):
                    rotations += sine[l] != 0
                    large_rotations += r_abs(sine[l]) >= small_sine
                rotate_pair(ai, aj, m, cosine, sine, lanes, stride)
                if want_uv:
                    rotate_pair(v + i * vlen * stride, v + j * vlen * stride, vlen, cosine,
                                sine, lanes, stride)
        if rotations == 0:
            break


cdef inline int rotate_in_registers_3(real* x, real* y, real* vx, real* vy, bint want_uv,
                                       real tol) noexcept nogil:
    """One Jacobi rotation of the 3-vectors x, y (and vx, vy); 1 if it rotated."""
    cdef real c, s, xi, yi
    cdef real t = jacobi_rotation(x[0] * x[0] + x[1] * x[1] + x[2] * x[2],
                                  y[0] * y[0] + y[1] * y[1] + y[2] * y[2],
                                  x[0] * y[0] + x[1] * y[1] + x[2] * y[2], tol, &c, &s)
    cdef Py_ssize_t k
    for k in range(3):
        xi = x[k]
        yi = y[k]
        x[k] = c * xi - s * yi
        y[k] = s * xi + c * yi
        if want_uv:
            xi = vx[k]
            yi = vy[k]
            vx[k] = c * xi - s * yi
            vy[k] = s * xi + c * yi
    return t != 0


cdef inline int pair_needs_rotation_3(const real* x, const real* y, real tol) noexcept nogil:
    return rotation_needed(x[0] * x[0] + x[1] * x[1] + x[2] * x[2],
                           y[0] * y[0] + y[1] * y[1] + y[2] * y[2],
                           x[0] * y[0] + x[1] * y[1] + x[2] * y[2], tol)


cdef inline bint any_lane_needs_rotation_3x3(const real* a, real tol, Py_ssize_t lanes,
                                             Py_ssize_t stride) noexcept nogil:
    """Whether a sweep would rotate any column pair of any 3×3 lane, a group of
    CHECK_LANES lanes at a time: unconverged blocks, most of those checked,
    stop at their first group."""
    cdef real col[9]
    cdef int needed
    cdef Py_ssize_t first = 0, i, l
    while first < lanes:
        needed = 0
        for l in range(first, min(first + CHECK_LANES, lanes)):
            for i in range(9):
                col[i] = a[i * stride + l]
            needed += (pair_needs_rotation_3(col, col + 3, tol)
                       + pair_needs_rotation_3(col, col + 6, tol)
                       + pair_needs_rotation_3(col + 3, col + 6, tol))
        if needed:
            return True
        first += CHECK_LANES
    return False


cdef inline void jacobi_sweeps_3x3(real* a, real* v, bint want_uv, Py_ssize_t lanes,
                                   Py_ssize_t stride) noexcept nogil:
    """jacobi_sweeps for 3×3: a whole sweep per lane in registers, one pass over memory."""
    cdef real tol = r_sqrt(<real>3) * r_eps(<real>0)
    cdef real col[9]
    cdef real vcol[9]
    cdef int rotations
    cdef Py_ssize_t sweep, i, l
    for sweep in range(MAX_SWEEPS):
        # A pass without square roots or divisions tells convergence: it spares
        # the last sweep, whose rotations would all be 1.  Not after the first
        # sweep: blocks of random matrices take four (a third of the matrices
        # need the fourth), and one that converges in one ends on a sweep
        # without rotations.  (jacobi_sweeps decides by the sizes of the last
        # sweep's rotations instead; counting them here kept GCC from
        # vectorising this loop, 3× slower.)
        if sweep >= FIRST_CONVERGENCE_CHECK_3X3 and not any_lane_needs_rotation_3x3(
                a, tol, lanes, stride):
            break
        rotations = 0
        for l in range(lanes):
            for i in range(9):
                col[i] = a[i * stride + l]
                vcol[i] = v[i * stride + l] if want_uv else 0
            rotations += (rotate_in_registers_3(col, col + 3, vcol, vcol + 3, want_uv, tol)
                          + rotate_in_registers_3(col, col + 6, vcol, vcol + 6, want_uv, tol)
                          + rotate_in_registers_3(col + 3, col + 6, vcol + 3, vcol + 6,
                                                  want_uv, tol))
            for i in range(9):
                a[i * stride + l] = col[i]
                if want_uv:
                    v[i * stride + l] = vcol[i]
        if rotations == 0:
            break


cdef inline void scaled_column_norms(const real* x, Py_ssize_t m, real* scaled, real* down,
                                     real* up1, real* up2, Py_ssize_t lanes,
                                     Py_ssize_t stride) noexcept nogil:
    """Per lane: ‖x‖ = scaled·up1·up2 with scaled = ‖x·down‖, down a power of two
    that puts max |xᵢ|·down in [1, 2): no square underflows, and scaled keeps
    full precision even where ‖x‖ itself is subnormal."""
    cdef real big[WIDE_BLOCK]
    cdef real y
    cdef Py_ssize_t k, l
    for l in range(lanes):
        big[l] = 0
        scaled[l] = 0
    for k in range(m):
        for l in range(lanes):
            big[l] = r_max(big[l], r_abs(x[k * stride + l]))
    for l in range(lanes):
        power_of_two_scale(big[l], &down[l], &up1[l], &up2[l])
    for k in range(m):
        for l in range(lanes):
            y = x[k * stride + l] * down[l]
            scaled[l] += y * y
    for l in range(lanes):
        scaled[l] = r_sqrt(scaled[l])


cdef inline void column_norms(const real* x, Py_ssize_t m, real* norm, Py_ssize_t lanes,
                              Py_ssize_t stride) noexcept nogil:
    """norm[l] = ‖x‖ per lane (see scaled_column_norms)."""
    cdef real down[WIDE_BLOCK]
    cdef real up1[WIDE_BLOCK]
    cdef real up2[WIDE_BLOCK]
    cdef Py_ssize_t l
    scaled_column_norms(x, m, norm, down, up1, up2, lanes, stride)
    for l in range(lanes):
        norm[l] = (norm[l] * up1[l]) * up2[l]


cdef inline real column_dot(const real* x, const real* y, Py_ssize_t m,
                            Py_ssize_t stride) noexcept nogil:
    cdef real acc = 0
    cdef Py_ssize_t k
    for k in range(m):
        acc += x[k * stride] * y[k * stride]
    return acc


cdef inline void find_small_columns(const real* a, Py_ssize_t m, Py_ssize_t n,
                                    unsigned char* flag, Py_ssize_t lanes,
                                    Py_ssize_t stride) noexcept nogil:
    """flag[l]: matrix l has a nonzero column the sweeps left alone as negligible."""
    cdef real negligible = r_sqrt(r_tiny(<real>0))
    cdef real alpha[WIDE_BLOCK]
    cdef real big[WIDE_BLOCK]
    cdef real x
    cdef Py_ssize_t j, k, l
    for l in range(lanes):
        flag[l] = 0
    for j in range(n):
        for l in range(lanes):
            alpha[l] = 0
            big[l] = 0
        for k in range(m):
            for l in range(lanes):
                x = a[(j * m + k) * stride + l]
                alpha[l] += x * x
                big[l] = r_max(big[l], r_abs(x))
        for l in range(lanes):
            flag[l] |= (alpha[l] < negligible) & (big[l] > 0)


cdef inline Py_ssize_t move_large_columns_first(real* a, Py_ssize_t m, Py_ssize_t first,
                                                Py_ssize_t n, real* v, Py_ssize_t vlen,
                                                bint want_uv, Py_ssize_t stride) noexcept nogil:
    """Reorder columns first … n−1 of one matrix (and of v) so those with
    ‖aⱼ‖² ≥ √(smallest normal) come first; return where the others start."""
    cdef real negligible = r_sqrt(r_tiny(<real>0))
    cdef unsigned char one = 1
    cdef Py_ssize_t j, end = first
    for j in range(first, n):
        if column_dot(a + j * m * stride, a + j * m * stride, m, stride) >= negligible:
            if j != end:
                swap_where(a + j * m * stride, a + end * m * stride, m, &one, 1, stride)
                if want_uv:
                    swap_where(v + j * vlen * stride, v + end * vlen * stride, vlen, &one, 1,
                               stride)
            end += 1
    return end


cdef inline void project_out_columns(real* a, Py_ssize_t m, Py_ssize_t done, Py_ssize_t n,
                                     Py_ssize_t stride) noexcept nogil:
    """Columns done … n−1 of one matrix ← their part orthogonal to columns 0 … done−1
    (which are orthogonal to each other): Gram–Schmidt twice, which is enough."""
    cdef real q[MAX_DIM]
    cdef real norm, proj
    cdef Py_ssize_t repeat, c, j, k
    for repeat in range(2):
        for c in range(done):
            column_norms(a + c * m * stride, m, &norm, 1, stride)
            for k in range(m):
                q[k] = a[(c * m + k) * stride] / norm
            for j in range(done, n):
                proj = 0
                for k in range(m):
                    proj += q[k] * a[(j * m + k) * stride]
                for k in range(m):
                    a[(j * m + k) * stride] -= proj * q[k]


cdef inline void refine_small_columns(real* a, Py_ssize_t m, Py_ssize_t n, real* v,
                                      bint want_uv, Py_ssize_t stride) noexcept nogil:
    """Finish, in one matrix, the columns the sweeps left alone as negligible.

    They lie far below ε‖A‖, but their singular values deserve full relative
    accuracy all the same.  Level by level: scale the unfinished columns up by
    a power of two, drop their components along the finished ones (a backward
    error smaller than themselves, and to first order no change to their
    singular values: those are the Schur complement's), sweep them among
    themselves, scale back.  A column that lay in the finished columns' span
    is zeroed, and so are columns still unfinished after MAX_LEVELS (a
    backward error below ε‖A‖ by far), so that U is completed there.
    """
    cdef real before[MAX_DIM]
    cdef real big, down, up1, up2, norm
    cdef Py_ssize_t done, finished, level, repeat, j, k
    done = move_large_columns_first(a, m, 0, n, v, n, want_uv, stride)
    for level in range(MAX_LEVELS):
        big = 0
        for j in range(done, n):
            for k in range(m):
                big = r_max(big, r_abs(a[(j * m + k) * stride]))
        if big == 0:
            return
        power_of_two_scale(big, &down, &up1, &up2)
        for j in range(done, n):
            for k in range(m):
                a[(j * m + k) * stride] *= down
        for j in range(done, n):
            column_norms(a + j * m * stride, m, &before[j], 1, stride)
        project_out_columns(a, m, done, n, stride)
        for j in range(done, n):
            # What is left of a column that lay in the finished columns' span
            # is rounding error (along them, even): it is zero.
            column_norms(a + j * m * stride, m, &norm, 1, stride)
            if norm <= m * r_eps(norm) * before[j]:
                for k in range(m):
                    a[(j * m + k) * stride] = 0
        # The sweeps leave their small results orthogonal to the finished
        # columns only up to ε times the largest of them, and projecting that
        # out disturbs their own orthogonality: alternate until both hold.
        for repeat in range(REFINE_ROUNDS):
            jacobi_sweeps(a + done * m * stride, m, n - done, v + done * n * stride, n,
                          want_uv, 1, stride)
            project_out_columns(a, m, done, n, stride)
        finished = move_large_columns_first(a, m, done, n, v, n, want_uv, stride)
        for j in range(done, n):
            for k in range(m):
                a[(j * m + k) * stride] = (a[(j * m + k) * stride] * up1) * up2
        done = finished
        if done == n:
            return
    for j in range(done, n):
        for k in range(m):
            a[(j * m + k) * stride] = 0


cdef inline void order_columns(real* a, real* s, real* v, Py_ssize_t i, Py_ssize_t j,
                               Py_ssize_t m, Py_ssize_t n, bint want_uv, unsigned char* flag,
                               Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Per lane, put the larger of σᵢ, σⱼ (i < j) first, with columns i, j of a and v."""
    cdef int count = 0
    cdef Py_ssize_t l
    for l in range(lanes):
        flag[l] = s[j * stride + l] > s[i * stride + l]
        count += flag[l]
    if count == 0:
        return
    swap_where(s + i * stride, s + j * stride, 1, flag, lanes, stride)
    if want_uv:
        swap_where(a + i * m * stride, a + j * m * stride, m, flag, lanes, stride)
        swap_where(v + i * n * stride, v + j * n * stride, n, flag, lanes, stride)


cdef inline void finish_jacobi(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s,
                               real* v, Py_ssize_t ucols, bint want_uv, Py_ssize_t lanes,
                               Py_ssize_t stride) noexcept nogil:
    """From orthogonal columns to the SVD: σⱼ = ‖aⱼ‖ sorted descending (a sorting
    network, the same steps in every lane), uⱼ = aⱼ/σⱼ, and U completed where a
    column is unresolvable or the full U wants more."""
    # A column below tiny/ε (the input is scaled to max |aᵢⱼ| ∈ [1, 2)) has
    # subnormal entries, rounded to a few bits: its direction is lost, and any
    # unit vector orthogonal to the others does (a backward error far below ε).
    cdef real resolvable = r_tiny(<real>0) / r_eps(<real>0)
    cdef real norm[WIDE_BLOCK]
    cdef real down[WIDE_BLOCK]
    cdef real up1[WIDE_BLOCK]
    cdef real up2[WIDE_BLOCK]
    cdef unsigned char flag[WIDE_BLOCK]
    cdef real completion[MAX_DIM * WIDE_BLOCK]
    cdef real x = 1
    cdef int count
    cdef Py_ssize_t i, j, k, l, span, gap
    for j in range(n):
        column_norms(a + j * m * stride, m, s + j * stride, lanes, stride)
    # Batcher's odd–even merge sort (for any n): about n·log²n/4 compare-exchanges,
    # 191 for n = 32 where exchanging neighbours took 496, each moving two
    # columns of a and of v in every lane.
    span = 1
    while span < n:
        gap = span
        while gap >= 1:
            j = gap % span
            while j < n - gap:
                for i in range(j, min(j + gap, n - gap)):
                    if i // (2 * span) == (i + gap) // (2 * span):
                        order_columns(a, s, v, i, i + gap, m, n, want_uv, flag, lanes, stride)
                j += 2 * gap
            gap //= 2
        span *= 2
    if not want_uv:
        return
    for j in range(ucols):
        count = lanes
        if j < n:
            count = 0
            # uⱼ = (aⱼ·2⁻ᵉ)/‖aⱼ·2⁻ᵉ‖, not aⱼ/σⱼ: σⱼ may be subnormal, hence
            # inexact, and 1/σⱼ may overflow.
            scaled_column_norms(a + j * m * stride, m, norm, down, up1, up2, lanes, stride)
            for l in range(lanes):
                x = norm[l]
                flag[l] = s[j * stride + l] > resolvable
                count += s[j * stride + l] <= resolvable
                norm[l] = <real>1 / (x if x > 0 else 1)
            for k in range(m):
                for l in range(lanes):
                    u[(j * m + k) * stride + l] = (a[(j * m + k) * stride + l] * down[l]) * norm[l]
        else:
            for l in range(lanes):
                flag[l] = 0
        if count:
            unit_vector_orthogonal_to(u, m, j, lanes, stride, completion)
            for k in range(m):
                for l in range(lanes):
                    u[(j * m + k) * stride + l] = (u[(j * m + k) * stride + l] if flag[l]
                                                   else completion[k * stride + l])


cdef inline void order_pair_3(real* sigma, real* col, real* vcol, Py_ssize_t i,
                              Py_ssize_t j) noexcept nogil:
    """Put the larger of σᵢ, σⱼ first, moving columns i, j of u and v along (selects)."""
    cdef bint swap = sigma[j] > sigma[i]
    cdef real x, y
    cdef Py_ssize_t k
    x = sigma[i]
    y = sigma[j]
    sigma[i] = y if swap else x
    sigma[j] = x if swap else y
    for k in range(3):
        x = col[3 * i + k]
        y = col[3 * j + k]
        col[3 * i + k] = y if swap else x
        col[3 * j + k] = x if swap else y
        x = vcol[3 * i + k]
        y = vcol[3 * j + k]
        vcol[3 * i + k] = y if swap else x
        vcol[3 * j + k] = x if swap else y


cdef inline void finish_jacobi_3x3(real* a, real* u, real* s, real* v, bint want_uv,
                                   Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """finish_jacobi for 3×3, each lane in registers: a zero σ₃ gets u₃ = u₁ × u₂,
    a zero σ₂ also u₂ = a unit normal of u₁, a zero matrix U = I (zero: below
    tiny/ε, see finish_jacobi)."""
    cdef real resolvable = r_tiny(<real>0) / r_eps(<real>0)
    cdef real col[9]
    cdef real vcol[9]
    cdef real sigma[3]
    cdef real w[3]
    cdef real down, up1, up2, inv, x, y, z
    cdef bint ok1, ok2, ok3
    cdef Py_ssize_t i, j, l
    for l in range(lanes):
        for i in range(9):
            col[i] = a[i * stride + l]
            vcol[i] = v[i * stride + l] if want_uv else 0
        for j in range(3):
            # σⱼ = ‖aⱼ‖ and uⱼ = (aⱼ·2⁻ᵉ)/‖aⱼ·2⁻ᵉ‖, not aⱼ/σⱼ: σⱼ may be
            # subnormal, hence inexact, and 1/σⱼ may overflow.
            x = r_max(r_abs(col[3 * j]), r_max(r_abs(col[3 * j + 1]), r_abs(col[3 * j + 2])))
            power_of_two_scale(x, &down, &up1, &up2)
            for i in range(3):
                col[3 * j + i] = col[3 * j + i] * down
            x = r_sqrt(col[3 * j] * col[3 * j] + col[3 * j + 1] * col[3 * j + 1]
                       + col[3 * j + 2] * col[3 * j + 2])
            sigma[j] = (x * up1) * up2
            inv = <real>1 / (x if x > 0 else 1)
            for i in range(3):
                col[3 * j + i] = col[3 * j + i] * inv
        order_pair_3(sigma, col, vcol, 0, 1)
        order_pair_3(sigma, col, vcol, 1, 2)
        order_pair_3(sigma, col, vcol, 0, 1)
        for j in range(3):
            s[j * stride + l] = sigma[j]
        # As in finish_jacobi, below tiny/ε a column's direction is lost.
        ok1 = sigma[0] > resolvable
        ok2 = sigma[1] > resolvable
        ok3 = sigma[2] > resolvable
        col[0] = col[0] if ok1 else 1
        col[1] = col[1] if ok1 else 0
        col[2] = col[2] if ok1 else 0
        unit_normal_to(col[0], col[1], col[2], w)
        for i in range(3):
            col[3 + i] = col[3 + i] if ok2 else w[i]
        x = col[1] * col[5] - col[2] * col[4]
        y = col[2] * col[3] - col[0] * col[5]
        z = col[0] * col[4] - col[1] * col[3]
        col[6] = col[6] if ok3 else x
        col[7] = col[7] if ok3 else y
        col[8] = col[8] if ok3 else z
        if want_uv:
            for i in range(9):
                u[i * stride + l] = col[i]
                v[i * stride + l] = vcol[i]


# ---------------------------------------------------------------- entry points

cdef inline bint svd_lanes(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s, real* v,
                           Py_ssize_t ucols, bint want_uv, Py_ssize_t lanes,
                           Py_ssize_t stride) noexcept nogil:
    """SVD of `lanes` ≤ block_lanes(…) matrices laid out as the module doc says.

    Needs kernel_for_shape(m, n) != KERNEL_NONE.  u and v are written only when
    want_uv.  Returns whether every matrix was finite; a matrix holding NaN or
    Inf gets NaN in all its outputs.
    """
    return svd_lanes_with(kernel_for_shape(m, n), a, m, n, u, s, v, ucols, want_uv, lanes,
                          stride)


cdef inline bint svd_lanes_jacobi(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s,
                                  real* v, Py_ssize_t ucols, bint want_uv, Py_ssize_t lanes,
                                  Py_ssize_t stride) noexcept nogil:
    """svd_lanes for the shapes of KERNEL_JACOBI only: a function of its own, so
    that the compiler specialises it for WIDE_BLOCK apart from svd_lanes."""
    return svd_lanes_with(KERNEL_JACOBI, a, m, n, u, s, v, ucols, want_uv, lanes, stride)


cdef inline bint svd_lanes_with(KernelId kernel, real* a, Py_ssize_t m, Py_ssize_t n, real* u,
                                real* s, real* v, Py_ssize_t ucols, bint want_uv,
                                Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    cdef real up1[WIDE_BLOCK]
    cdef real up2[WIDE_BLOCK]
    cdef unsigned char small[WIDE_BLOCK]
    cdef bint finite = scale_lanes(a, m * n, lanes, stride, up1, up2)
    cdef Py_ssize_t i, l
    if kernel == KERNEL_GRAM_2X2:
        svd_gram_2x2(a, u, s, v, lanes, stride)
    elif kernel == KERNEL_GRAM_3X2:
        svd_gram_3x2(a, u, s, v, ucols, lanes, stride)
    else:
        if want_uv:
            set_identity_lanes(v, n, lanes, stride)
        if kernel == KERNEL_JACOBI_3X3:
            jacobi_sweeps_3x3(a, v, want_uv, lanes, stride)
        else:
            jacobi_sweeps(a, m, n, v, n, want_uv, lanes, stride)
        find_small_columns(a, m, n, small, lanes, stride)
        for l in range(lanes):
            if small[l]:    # rare: one matrix at a time
                refine_small_columns(a + l, m, n, v + l, want_uv, stride)
        if kernel == KERNEL_JACOBI_3X3:
            finish_jacobi_3x3(a, u, s, v, want_uv, lanes, stride)
        else:
            finish_jacobi(a, m, n, u, s, v, ucols, want_uv, lanes, stride)
    for i in range(n):
        for l in range(lanes):
            s[i * stride + l] = (s[i * stride + l] * up1[l]) * up2[l]
    if want_uv and not finite:
        for i in range(m * ucols):
            for l in range(lanes):
                u[i * stride + l] = u[i * stride + l] if up1[l] == up1[l] else NAN
        for i in range(n * n):
            for l in range(lanes):
                v[i * stride + l] = v[i * stride + l] if up1[l] == up1[l] else NAN
    return finite


cdef inline bint svd_small(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s, real* v,
                           Py_ssize_t ucols, bint want_uv) noexcept nogil:
    """SVD of one contiguous column-major M×N matrix, for other Cython code.

    a (M×N, overwritten), u (M×ucols, ucols = N or M), s (N), v (N×N, the
    right singular vectors as columns): A = U·diag(s)·Vᵀ.  Returns False,
    with NaN in s (and u, v when want_uv), when a holds NaN or Inf or when
    no kernel takes the shape (M < N, N < 1 or M > MAX_DIM: decompose Aᵀ,
    or use LAPACK); True otherwise.
    """
    cdef Py_ssize_t i
    if kernel_for_shape(m, n) == KERNEL_NONE:
        for i in range(n):
            s[i] = NAN
        if want_uv:
            for i in range(m * ucols):
                u[i] = NAN
            for i in range(n * n):
                v[i] = NAN
        return False
    return svd_lanes(a, m, n, u, s, v, ucols, want_uv, 1, 1)
