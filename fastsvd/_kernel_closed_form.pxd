"""The closed-form 2×2 and 3×2 kernels: the SVD from the eigen solution of the
2×2 Gram matrix AᵀA (the method of the worked examples), repaired so that
every singular value keeps its relative accuracy and U, V stay orthonormal."""
from fastsvd._kernel_scalar cimport (real, r_abs, r_max, r_sqrt, det2, unit_normal_to,
                                     power_of_two_scale)


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
    cdef real a00, a10, a01, a11, w0, w1, sigma1, inv, det, sign
    cdef real c = 0, sn = 0    # (set by gram_rotation: initialised for the compiler's sake)
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
    cdef real x0, x1, x2, y0, y1, y2, w0, w1, w2, sigma1, inv
    cdef real c = 0, sn = 0    # (set by gram_rotation, alt by unit_normal_to)
    cdef real n0, n1, n2, nbig, nnorm, inv_nnorm, down, up1, up2
    cdef real p0, p1, p2
    cdef real alt[3]
    alt[:] = [0, 0, 0]
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
