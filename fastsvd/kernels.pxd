# cython: language_level=3
"""Per-matrix SVD kernels, ``noexcept nogil``, for fastsvd's gufuncs and for other
Cython extensions (``from fastsvd.kernels cimport svd_small``).

Layout: every matrix is column-major and contiguous.  The kernels decompose an
M×N matrix with M ≥ N: ``a`` (M×N, overwritten), ``u`` (M×ucols, ucols = N for
the thin U or M for the full U), ``s`` (N values, descending) and ``v`` (N×N,
the right singular vectors as its columns, so that A = U·diag(s)·Vᵀ).
"""
from libc.math cimport (sqrt, sqrtf, fabs, fabsf, fma, fmaf, frexp, frexpf,
                        ldexp, ldexpf, isfinite, NAN)
from libc.float cimport DBL_EPSILON, FLT_EPSILON, DBL_MIN, FLT_MIN

ctypedef fused real:
    float
    double

cdef enum:
    # Largest M or N the kernels take; bigger matrices go to LAPACK.
    MAX_DIM = 32
    # Jacobi sweeps never exceed this, so no input can make a call run unbounded.
    MAX_SWEEPS = 30
    # What scale_to_unit returns for a matrix holding NaN or Inf.
    NONFINITE = -100000

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


# ---------------------------------------------------------------- helpers

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


cdef inline real r_fma(real a, real b, real c) noexcept nogil:
    if real is float:
        return fmaf(a, b, c)
    else:
        return fma(a, b, c)


cdef inline int r_exponent(real x) noexcept nogil:
    """The e with x = f·2^e, 0.5 ≤ f < 1."""
    cdef int e
    if real is float:
        frexpf(x, &e)
    else:
        frexp(x, &e)
    return e


cdef inline real r_ldexp(real x, int e) noexcept nogil:
    if real is float:
        return ldexpf(x, e)
    else:
        return ldexp(x, e)


cdef inline real det2(real a, real b, real c, real d) noexcept nogil:
    """a·d − b·c to about one ulp even when a·d ≈ b·c (Kahan, with FMA)."""
    cdef real w = b * c
    cdef real e = r_fma(-b, c, w)
    cdef real f = r_fma(a, d, -w)
    return f + e


cdef inline real dot(const real* x, const real* y, Py_ssize_t k) noexcept nogil:
    cdef real acc = 0
    cdef Py_ssize_t i
    for i in range(k):
        acc = acc + x[i] * y[i]
    return acc


cdef inline real largest_magnitude(const real* a, Py_ssize_t count) noexcept nogil:
    """max |aᵢ|, or NaN when a holds NaN or Inf."""
    cdef real big = 0
    cdef real x
    cdef Py_ssize_t i
    for i in range(count):
        x = a[i]
        if not isfinite(x):
            return NAN
        x = r_abs(x)
        if x > big:
            big = x
    return big


cdef inline void set_identity(real* q, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(rows * cols):
        q[i] = 0
    for i in range(min(rows, cols)):
        q[i * rows + i] = 1


cdef inline void gram_rotation(real p, real q, real r, real* c, real* s) noexcept nogil:
    """(c, s): the unit eigenvector of [[p, q], [q, r]] for its larger eigenvalue.

    Formed from whichever of (λ₁ − r, q) and (q, λ₁ − p) has no cancellation,
    rescaled before normalising so that tiny components do not underflow.
    """
    cdef real half = (p - r) * <real>0.5
    cdef real h = r_sqrt(half * half + q * q)
    cdef real x, y, big, norm
    if half >= 0:
        x = half + h
        y = q
    else:
        x = q
        y = h - half
    big = max(r_abs(x), r_abs(y))
    if big == 0:  # a multiple of the identity: every direction is singular
        c[0] = 1
        s[0] = 0
        return
    x = x / big
    y = y / big
    norm = r_sqrt(x * x + y * y)
    c[0] = x / norm
    s[0] = y / norm


cdef inline void unit_normal_to(const real* u, real* w) noexcept nogil:
    """w: a unit 3-vector orthogonal to the unit 3-vector u."""
    # Cross u with the axis it is least aligned with: no cancellation.
    cdef real ax = r_abs(u[0]), ay = r_abs(u[1]), az = r_abs(u[2]), norm
    if ax <= ay and ax <= az:      # u × e_x
        w[0] = 0
        w[1] = u[2]
        w[2] = -u[1]
    elif ay <= az:                 # u × e_y
        w[0] = -u[2]
        w[1] = 0
        w[2] = u[0]
    else:                          # u × e_z
        w[0] = u[1]
        w[1] = -u[0]
        w[2] = 0
    norm = r_sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
    w[0] /= norm
    w[1] /= norm
    w[2] /= norm


cdef inline void cross(const real* x, const real* y, real* out) noexcept nogil:
    """x × y, each component an accurate 2×2 determinant."""
    out[0] = det2(x[1], x[2], y[1], y[2])
    out[1] = det2(x[2], x[0], y[2], y[0])
    out[2] = det2(x[0], x[1], y[0], y[1])


# ---------------------------------------------------------------- closed forms

cdef inline void svd_gram_2x2(real* a, real* u, real* s, real* v) noexcept nogil:
    """2×2 SVD from the eigen solution of AᵀA; ``a`` is already scaled.

    σ₁ = ‖A v₁‖ and σ₂ = |det A|/σ₁ keep full relative accuracy (the Gram
    eigenvalue λ₂ would only be accurate to ε‖A‖²); v₂, u₂ are 90° turns of
    v₁, u₁, so U and V are orthonormal whatever the rank.
    """
    cdef real c, sn, w0, w1, sigma1, det, sign
    gram_rotation(a[0] * a[0] + a[1] * a[1], a[0] * a[2] + a[1] * a[3],
                  a[2] * a[2] + a[3] * a[3], &c, &sn)
    w0 = a[0] * c + a[2] * sn
    w1 = a[1] * c + a[3] * sn
    sigma1 = r_sqrt(w0 * w0 + w1 * w1)   # > 0: a is scaled and nonzero
    det = det2(a[0], a[2], a[1], a[3])
    sign = -1 if det < 0 else 1
    s[0] = sigma1
    s[1] = min(r_abs(det) / sigma1, sigma1)
    v[0] = c
    v[1] = sn
    v[2] = -sn
    v[3] = c
    u[0] = w0 / sigma1
    u[1] = w1 / sigma1
    u[2] = -sign * u[1]
    u[3] = sign * u[0]


cdef inline void svd_gram_3x2(real* a, real* u, real* s, real* v,
                              Py_ssize_t ucols) noexcept nogil:
    """3×2 SVD from the eigen solution of AᵀA; ``a`` is already scaled.

    σ₂ = ‖a₁ × a₂‖/σ₁; u₂ = n̂ × u₁ and u₃ = n̂ with n̂ the unit normal of the
    column plane, so no division by a small σ₂ ever happens.
    """
    cdef real c, sn, sigma1, big, norm
    cdef real normal[3]
    cdef real* a1 = a
    cdef real* a2 = a + 3
    cdef Py_ssize_t i
    gram_rotation(dot(a1, a1, 3), dot(a1, a2, 3), dot(a2, a2, 3), &c, &sn)
    for i in range(3):
        u[i] = a1[i] * c + a2[i] * sn
    sigma1 = r_sqrt(dot(u, u, 3))       # > 0: a is scaled and nonzero
    for i in range(3):
        u[i] /= sigma1
    v[0] = c
    v[1] = sn
    v[2] = -sn
    v[3] = c
    s[0] = sigma1
    cross(a1, a2, normal)
    big = max(r_abs(normal[0]), max(r_abs(normal[1]), r_abs(normal[2])))
    if big == 0:     # rank one: any unit vector orthogonal to u₁ completes U
        s[1] = 0
        unit_normal_to(u, u + 3)
        cross(u, u + 3, normal)
    else:
        for i in range(3):
            normal[i] /= big
        norm = r_sqrt(dot(normal, normal, 3))
        for i in range(3):
            normal[i] /= norm
        s[1] = min(big * norm / sigma1, sigma1)
        cross(normal, u, u + 3)
    if ucols == 3:
        for i in range(3):
            u[6 + i] = normal[i]


# ---------------------------------------------------------------- Jacobi

cdef inline void rotate_columns(real* x, real* y, Py_ssize_t k, real c, real s) noexcept nogil:
    """[x y] ← [x y]·[[c, s], [−s, c]]."""
    cdef real xi, yi
    cdef Py_ssize_t i
    for i in range(k):
        xi = x[i]
        yi = y[i]
        x[i] = c * xi - s * yi
        y[i] = s * xi + c * yi


cdef inline void complete_orthonormal(real* q, Py_ssize_t m, Py_ssize_t have,
                                      Py_ssize_t want) noexcept nogil:
    """Fill columns have … want−1 of q (m rows) so that all want are orthonormal."""
    cdef Py_ssize_t col, i, c, best, repeat
    cdef real weight, best_weight, proj, norm
    cdef real* x
    for col in range(have, want):
        # Start from the unit vector the columns so far cover least: its
        # remainder has squared norm ≥ (m − col)/m, so nothing cancels badly.
        best = 0
        best_weight = -1
        for i in range(m):
            weight = 1
            for c in range(col):
                weight -= q[c * m + i] * q[c * m + i]
            if weight > best_weight:
                best_weight = weight
                best = i
        x = q + col * m
        for i in range(m):
            x[i] = 0
        x[best] = 1
        for repeat in range(2):  # Gram–Schmidt twice is enough
            for c in range(col):
                proj = dot(q + c * m, x, m)
                for i in range(m):
                    x[i] -= proj * q[c * m + i]
        norm = r_sqrt(dot(x, x, m))
        for i in range(m):
            x[i] /= norm


cdef inline void svd_jacobi(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s,
                            real* v, Py_ssize_t ucols, bint want_uv) noexcept nogil:
    """One-sided (Hestenes) Jacobi SVD of the scaled M×N matrix a, M ≥ N.

    Rotates column pairs until |aᵢᵀaⱼ| ≤ √M·ε·‖aᵢ‖‖aⱼ‖ for all of them (the
    stopping rule of LAPACK's gesvj, which gives small singular values to
    high relative accuracy); at most MAX_SWEEPS sweeps.
    """
    cdef real eps = r_eps(<real>0)
    cdef real tol = r_sqrt(<real>m) * eps
    # Columns with a squared norm below this are below ε‖A‖ by far; their
    # products underflow, so they are left alone and their U columns completed.
    cdef real negligible = r_tiny(<real>0) / eps
    # Beyond this |ζ|, √(1 + ζ²) = |ζ| to working precision (and ζ² may overflow).
    cdef real big_zeta = 1 / r_sqrt(eps)
    cdef real alpha, beta, gamma, zeta, t, c, sn, tmp
    cdef real* ai
    cdef real* aj
    cdef Py_ssize_t sweep, i, j, k, best, have
    cdef bint rotated
    if want_uv:
        set_identity(v, n, n)
    for sweep in range(MAX_SWEEPS):
        rotated = False
        for i in range(n - 1):
            ai = a + i * m
            for j in range(i + 1, n):
                aj = a + j * m
                alpha = dot(ai, ai, m)
                beta = dot(aj, aj, m)
                if alpha < negligible or beta < negligible:
                    continue
                gamma = dot(ai, aj, m)
                if r_abs(gamma) <= tol * r_sqrt(alpha) * r_sqrt(beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2 * gamma)
                if r_abs(zeta) < big_zeta:
                    t = 1 / (r_abs(zeta) + r_sqrt(1 + zeta * zeta))
                    if zeta < 0:
                        t = -t
                else:
                    t = <real>0.5 / zeta
                c = 1 / r_sqrt(1 + t * t)
                sn = c * t
                rotate_columns(ai, aj, m, c, sn)
                if want_uv:
                    rotate_columns(v + i * n, v + j * n, n, c, sn)
        if not rotated:
            break
    for j in range(n):
        s[j] = r_sqrt(dot(a + j * m, a + j * m, m))
    for j in range(n - 1):     # selection sort, descending, moving the vectors along
        best = j
        for k in range(j + 1, n):
            if s[k] > s[best]:
                best = k
        if best != j:
            s[j], s[best] = s[best], s[j]
            if want_uv:
                for k in range(m):
                    tmp = a[j * m + k]
                    a[j * m + k] = a[best * m + k]
                    a[best * m + k] = tmp
                for k in range(n):
                    tmp = v[j * n + k]
                    v[j * n + k] = v[best * n + k]
                    v[best * n + k] = tmp
    if not want_uv:
        return
    have = 0
    for j in range(n):
        if s[j] * s[j] < negligible:
            break
        for k in range(m):
            u[j * m + k] = a[j * m + k] / s[j]
        have = j + 1
    complete_orthonormal(u, m, have, ucols)


cdef inline void svd_jacobi_3x3(real* a, real* u, real* s, real* v, Py_ssize_t ucols,
                                bint want_uv) noexcept nogil:
    # The fixed size lets the compiler unroll every loop of the general kernel.
    svd_jacobi(a, 3, 3, u, s, v, ucols, want_uv)


# ---------------------------------------------------------------- entry point

cdef inline bint svd_small(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s,
                           real* v, Py_ssize_t ucols, bint want_uv) noexcept nogil:
    """SVD of the column-major M×N matrix a (M ≥ N, overwritten); see the module doc.

    Returns False, with every output NaN, when a holds NaN or Inf or when no
    kernel takes the shape (kernel_for_shape); True otherwise.  u and v are
    only written when want_uv (the closed forms write them regardless).
    """
    cdef KernelId kernel = kernel_for_shape(m, n)
    cdef real big = largest_magnitude(a, m * n)
    cdef Py_ssize_t i
    cdef int e
    if kernel == KERNEL_NONE or not isfinite(big):
        for i in range(n):
            s[i] = NAN
        if want_uv:
            for i in range(m * ucols):
                u[i] = NAN
            for i in range(n * n):
                v[i] = NAN
        return False
    if big == 0:
        for i in range(n):
            s[i] = 0
        if want_uv:
            set_identity(u, m, ucols)
            set_identity(v, n, n)
        return True
    # Power-of-two scaling is exact: no overflow or underflow in the squares
    # and products below, whatever the magnitude of the input.
    e = r_exponent(big)
    for i in range(m * n):
        a[i] = r_ldexp(a[i], -e)
    if kernel == KERNEL_GRAM_2X2:
        svd_gram_2x2(a, u, s, v)
    elif kernel == KERNEL_GRAM_3X2:
        svd_gram_3x2(a, u, s, v, ucols)
    elif kernel == KERNEL_JACOBI_3X3:
        svd_jacobi_3x3(a, u, s, v, ucols, want_uv)
    else:
        svd_jacobi(a, m, n, u, s, v, ucols, want_uv)
    for i in range(n):
        s[i] = r_ldexp(s[i], e)
    return True
