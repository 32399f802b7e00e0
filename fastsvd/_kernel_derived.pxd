"""What a block's SVD becomes before it leaves the lanes: the signed SVD, canonical
signs, the rotation U·Vᵀ and the polar factors (layout: kernels.pxd).

Physics and graphics code wants these rather than U, S and Vh; made here, in
the same pass over the block, they cost a few products per entry instead of
a round trip through memory and numpy.  Every loop runs over the lanes with
no branch in it, so that blocks vectorise and a lone matrix (lanes = 1) gets
the same bits.
"""
from fastsvd._kernel_scalar cimport real, MAX_KERNEL_DIM, WIDE_BLOCK_LANES, r_abs


cdef enum Derived:
    # U, S and V as the kernel left them.
    AS_IS = 0
    # det U = det V = +1, the sign of det A on the last σ (square matrices).
    SIGNED = 1
    # Each column of U (the left singular vectors) with its largest-magnitude
    # entry positive, its singular pair's column of V flipped with it.
    CANONICAL = 2
    # The same with the left singular vectors in V (the kernel decomposed Aᵀ).
    CANONICAL_FROM_V = 3
    # Only R = U·Vᵀ of the signed SVD: the nearest rotation (square).
    ROTATION = 4
    # R = U·Vᵀ and P = V·S·Vᵀ: the polar factors of A = R·P.
    POLAR_FROM_V = 5
    # R = U·Vᵀ and P = U·S·Uᵀ: those of A = P·R.
    POLAR_FROM_U = 6
    # Only X = V·S⁺·Uᵀ (N×M), S⁺ inverting the σ above param·σ₁ and zeroing
    # the others (numpy's pinv, param its rcond).
    PSEUDO_INVERSE = 7
    # Only U·Sₖ·Vᵀ (M×N), Sₖ keeping the param largest σ (param ≥ 0).
    LOW_RANK = 8


cdef enum:
    # Lanes whose determinants are eliminated together (the scratch holds N²
    # entries of each: 32 KB in double at 32×32).
    DETERMINANT_CHUNK = 4


cdef inline void eliminated_signs(const real* q, Py_ssize_t n, real* sign, Py_ssize_t lanes,
                                  Py_ssize_t stride) noexcept nogil:
    """sign[l] = ±1, the sign of det q of lane l's n×n matrix q (columns), by
    Gaussian elimination with partial pivoting, stable on the orthogonal
    matrices it gets.  Branch-free across DETERMINANT_CHUNK lanes at a time:
    the largest entry of a column reaches the pivot by conditional row
    swaps, each flipping the sign.  Bounded time on NaN, whose sign is
    meaningless (the outputs it signs are NaN)."""
    cdef real w[MAX_KERNEL_DIM * MAX_KERNEL_DIM * DETERMINANT_CHUNK]
    cdef real sgn[DETERMINANT_CHUNK]
    cdef real inverse[DETERMINANT_CHUNK]
    cdef real factor[DETERMINANT_CHUNK]
    cdef unsigned char swap[DETERMINANT_CHUNK]
    cdef real x, y
    cdef Py_ssize_t first, count, i, j, k, c
    first = 0
    while first < lanes:
        count = min(<Py_ssize_t>DETERMINANT_CHUNK, lanes - first)
        for i in range(n * n):
            for c in range(DETERMINANT_CHUNK):    # (lanes past `lanes`: the identity)
                w[i * DETERMINANT_CHUNK + c] = (q[i * stride + first + c] if c < count
                                                else (1 if i % (n + 1) == 0 else 0))
        for c in range(DETERMINANT_CHUNK):
            sgn[c] = 1
        for k in range(n):
            for i in range(k + 1, n):
                for c in range(DETERMINANT_CHUNK):
                    swap[c] = (r_abs(w[(k * n + i) * DETERMINANT_CHUNK + c])
                               > r_abs(w[(k * n + k) * DETERMINANT_CHUNK + c]))
                    sgn[c] = -sgn[c] if swap[c] else sgn[c]
                for j in range(k, n):
                    for c in range(DETERMINANT_CHUNK):
                        x = w[(j * n + k) * DETERMINANT_CHUNK + c]
                        y = w[(j * n + i) * DETERMINANT_CHUNK + c]
                        w[(j * n + k) * DETERMINANT_CHUNK + c] = y if swap[c] else x
                        w[(j * n + i) * DETERMINANT_CHUNK + c] = x if swap[c] else y
            for c in range(DETERMINANT_CHUNK):
                x = w[(k * n + k) * DETERMINANT_CHUNK + c]
                sgn[c] = -sgn[c] if x < 0 else sgn[c]
                inverse[c] = <real>1 / x
            for i in range(k + 1, n):
                for c in range(DETERMINANT_CHUNK):
                    factor[c] = w[(k * n + i) * DETERMINANT_CHUNK + c] * inverse[c]
                for j in range(k + 1, n):
                    for c in range(DETERMINANT_CHUNK):
                        w[(j * n + i) * DETERMINANT_CHUNK + c] -= (
                            factor[c] * w[(j * n + k) * DETERMINANT_CHUNK + c])
        for c in range(count):
            sign[first + c] = sgn[c]
        first += DETERMINANT_CHUNK


cdef inline void determinant_signs(const real* q, Py_ssize_t n, real* sign,
                                   Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """sign[l] = ±1, the sign of det q of lane l's n×n orthogonal matrix q:
    in closed form up to 3×3, by elimination above."""
    cdef Py_ssize_t l
    cdef real det
    if n == 1:
        for l in range(lanes):
            sign[l] = -1 if q[l] < 0 else 1
    elif n == 2:
        for l in range(lanes):
            det = q[l] * q[3 * stride + l] - q[stride + l] * q[2 * stride + l]
            sign[l] = -1 if det < 0 else 1
    elif n == 3:
        # Along the third column: its cofactors are the cross product of the
        # first two.
        for l in range(lanes):
            det = (q[6 * stride + l] * (q[stride + l] * q[5 * stride + l]
                                        - q[2 * stride + l] * q[4 * stride + l])
                   + q[7 * stride + l] * (q[2 * stride + l] * q[3 * stride + l]
                                          - q[l] * q[5 * stride + l])
                   + q[8 * stride + l] * (q[l] * q[4 * stride + l]
                                          - q[stride + l] * q[3 * stride + l]))
            sign[l] = -1 if det < 0 else 1
    else:
        eliminated_signs(q, n, sign, lanes, stride)


cdef inline void scale_column(real* x, Py_ssize_t length, const real* factor,
                              Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """x (one column of `length` entries per lane) *= factor[l]: exact for ±1."""
    cdef Py_ssize_t i, l
    for i in range(length):
        for l in range(lanes):
            x[i * stride + l] *= factor[l]


cdef inline void make_signed(real* u, real* s, real* v, Py_ssize_t n,
                             Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """The signed SVD of square matrices: flipping the last singular pair's
    vectors together keeps A = U·S·Vᵀ; a remaining det U = −1 moves onto the
    last singular value."""
    cdef real sign_u[WIDE_BLOCK_LANES]
    cdef real sign_v[WIDE_BLOCK_LANES]
    cdef Py_ssize_t l
    determinant_signs(u, n, sign_u, lanes, stride)
    determinant_signs(v, n, sign_v, lanes, stride)
    scale_column(u + (n - 1) * n * stride, n, sign_u, lanes, stride)
    scale_column(v + (n - 1) * n * stride, n, sign_v, lanes, stride)
    for l in range(lanes):
        s[(n - 1) * stride + l] *= sign_u[l] * sign_v[l]


cdef inline void make_canonical(real* x, Py_ssize_t length, Py_ssize_t count, real* y,
                                Py_ssize_t y_length, Py_ssize_t paired, Py_ssize_t lanes,
                                Py_ssize_t stride) noexcept nogil:
    """Each of the `count` columns of x (`length` entries) times the sign of
    its largest-magnitude entry (the first of equals, as scikit-learn's
    svd_flip takes it), and the first `paired` columns of y (`y_length`
    entries: the partners in the SVD) times the same."""
    cdef real best[WIDE_BLOCK_LANES]
    cdef real sign[WIDE_BLOCK_LANES]
    cdef real entry
    cdef Py_ssize_t i, j, l
    for j in range(count):
        for l in range(lanes):
            best[l] = x[j * length * stride + l]
        for i in range(1, length):
            for l in range(lanes):
                entry = x[(j * length + i) * stride + l]
                best[l] = entry if r_abs(entry) > r_abs(best[l]) else best[l]
        for l in range(lanes):
            sign[l] = -1 if best[l] < 0 else 1
        scale_column(x + j * length * stride, length, sign, lanes, stride)
        if j < paired:
            scale_column(y + j * y_length * stride, y_length, sign, lanes, stride)


cdef inline void weighted_outer_sum(const real* x, Py_ssize_t x_rows, const real* y,
                                    Py_ssize_t y_rows, Py_ssize_t count, const real* weight,
                                    bint symmetric, real* out, Py_ssize_t lanes,
                                    Py_ssize_t stride) noexcept nogil:
    """out (x_rows × y_rows, columns) = X·diag(w)·Yᵀ over the first `count`
    columns of X and Y; w = 1 where `weight` is NULL.  `symmetric` (X = Y):
    the lower triangle is computed and mirrored, so that out is symmetric to
    the bit."""
    cdef real acc[WIDE_BLOCK_LANES]
    cdef Py_ssize_t i, j, k, l
    for j in range(y_rows):
        for i in range(j if symmetric else 0, x_rows):
            for l in range(lanes):
                acc[l] = 0
            for k in range(count):
                if weight == NULL:
                    for l in range(lanes):
                        acc[l] += (x[(k * x_rows + i) * stride + l]
                                   * y[(k * y_rows + j) * stride + l])
                else:
                    for l in range(lanes):
                        acc[l] += ((x[(k * x_rows + i) * stride + l] * weight[k * stride + l])
                                   * y[(k * y_rows + j) * stride + l])
            for l in range(lanes):
                out[(j * x_rows + i) * stride + l] = acc[l]
                if symmetric:
                    out[(i * x_rows + j) * stride + l] = acc[l]


cdef inline void weigh_singular_values(Derived derived, real* s, Py_ssize_t n,
                                       const real* param, Py_ssize_t lanes,
                                       Py_ssize_t stride) noexcept nogil:
    """s, in place, becomes S⁺ (PSEUDO_INVERSE) or Sₖ (LOW_RANK) per lane."""
    cdef real cutoff[WIDE_BLOCK_LANES]
    cdef bint large
    cdef Py_ssize_t k, l
    if derived == PSEUDO_INVERSE:
        for l in range(lanes):
            cutoff[l] = param[l] * s[l]
        for k in range(n):
            for l in range(lanes):
                large = s[k * stride + l] > cutoff[l]
                # (No division by a σ that is cut off, zero or not.)
                s[k * stride + l] = (<real>1 / (s[k * stride + l] if large else <real>1)
                                     if large else <real>0)
    else:
        for k in range(n):
            for l in range(lanes):
                s[k * stride + l] = s[k * stride + l] if k < param[l] else <real>0


cdef inline void derive_lanes(Derived derived, Py_ssize_t m, Py_ssize_t n, real* u, real* s,
                              real* v, Py_ssize_t ucols, const real* param, real* r, real* p,
                              Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Turn the SVD of `lanes` M×N matrices (M ≥ N; u M×ucols, s, v as
    svd_lanes leaves them) into `derived`: in place for SIGNED (M = N) and
    the CANONICAL ones, into r (M×N) for ROTATION (M = N) and LOW_RANK, r
    (N×M) for PSEUDO_INVERSE, r and p (N×N from V, M×M from U) for the polar
    factors.  param: one per lane, for PSEUDO_INVERSE and LOW_RANK (s is
    overwritten then)."""
    if derived == SIGNED or derived == ROTATION:
        make_signed(u, s, v, n, lanes, stride)
    elif derived == CANONICAL:
        make_canonical(u, m, ucols, v, n, n, lanes, stride)
    elif derived == CANONICAL_FROM_V:
        make_canonical(v, n, n, u, m, n, lanes, stride)
    if derived == ROTATION or derived == POLAR_FROM_V or derived == POLAR_FROM_U:
        weighted_outer_sum(u, m, v, n, n, NULL, False, r, lanes, stride)
    if derived == POLAR_FROM_V:
        weighted_outer_sum(v, n, v, n, n, s, True, p, lanes, stride)
    elif derived == POLAR_FROM_U:
        weighted_outer_sum(u, m, u, m, n, s, True, p, lanes, stride)
    elif derived == PSEUDO_INVERSE or derived == LOW_RANK:
        weigh_singular_values(derived, s, n, param, lanes, stride)
        if derived == PSEUDO_INVERSE:
            weighted_outer_sum(v, n, u, m, n, s, False, r, lanes, stride)
        else:
            weighted_outer_sum(u, m, v, n, n, s, False, r, lanes, stride)
