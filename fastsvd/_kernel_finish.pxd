"""The end of the generic Jacobi kernel: from orthogonal columns to σ sorted
descending (a sorting network) and U, completed where a column is unresolvable."""
from fastsvd._kernel_scalar cimport (real, MAX_KERNEL_DIM, WIDE_BLOCK_LANES, r_eps, r_max,
                                     r_sqrt, r_tiny)
from fastsvd._kernel_lanes cimport column_norms, scaled_column_norms, swap_where


cdef inline void unit_vector_orthogonal_to(const real* q, Py_ssize_t m, Py_ssize_t cols,
                                           Py_ssize_t lanes, Py_ssize_t stride,
                                           real* x) noexcept nogil:
    """x: per lane, a unit m-vector orthogonal to the orthonormal columns 0 … cols−1 of q.

    Starts from the unit vector eᵢ those columns cover least (its remainder has
    squared norm ≥ (m − cols)/m, so nothing cancels badly), then Gram–Schmidt
    twice, which is enough.
    """
    cdef real weight[WIDE_BLOCK_LANES]
    cdef real best_weight[WIDE_BLOCK_LANES]
    cdef real best[WIDE_BLOCK_LANES]
    cdef real proj[WIDE_BLOCK_LANES]
    cdef real y
    cdef bint better
    cdef Py_ssize_t i, c, k, l, _repeat
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
    for _repeat in range(2):
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


cdef inline void order_columns(real* a, real* s, real* v, Py_ssize_t i, Py_ssize_t j,
                               Py_ssize_t m, Py_ssize_t n, bint want_uv, bint ascending,
                               unsigned char* flag, Py_ssize_t lanes,
                               Py_ssize_t stride) noexcept nogil:
    """Per lane, put sᵢ, sⱼ (i < j) in order, the larger first (the smaller when
    ascending), with columns i, j of a (unless NULL) and of v."""
    cdef int count = 0
    cdef Py_ssize_t l
    for l in range(lanes):
        flag[l] = (s[i * stride + l] > s[j * stride + l] if ascending
                   else s[j * stride + l] > s[i * stride + l])
        count += flag[l]
    if count == 0:
        return
    swap_where(s + i * stride, s + j * stride, 1, flag, lanes, stride)
    if want_uv:
        if a != NULL:
            swap_where(a + i * m * stride, a + j * m * stride, m, flag, lanes, stride)
        swap_where(v + i * n * stride, v + j * n * stride, n, flag, lanes, stride)


cdef inline void sort_columns(real* a, real* s, real* v, Py_ssize_t m, Py_ssize_t n,
                              bint want_uv, bint ascending, Py_ssize_t lanes,
                              Py_ssize_t stride) noexcept nogil:
    """Sort s per lane (descending, or ascending), the columns of a (M long,
    unless NULL) and v (N long) alongside: Batcher's odd–even merge sort (for
    any n), about n·log²n/4 compare-exchanges, 191 for n = 32 where exchanging
    neighbours took 496, the same steps in every lane."""
    cdef unsigned char flag[WIDE_BLOCK_LANES]
    cdef Py_ssize_t i, j, span, gap
    span = 1
    while span < n:
        gap = span
        while gap >= 1:
            j = gap % span
            while j < n - gap:
                for i in range(j, min(j + gap, n - gap)):
                    if i // (2 * span) == (i + gap) // (2 * span):
                        order_columns(a, s, v, i, i + gap, m, n, want_uv, ascending, flag,
                                      lanes, stride)
                j += 2 * gap
            gap //= 2
        span *= 2


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
    cdef real norm[WIDE_BLOCK_LANES]
    cdef real down[WIDE_BLOCK_LANES]
    cdef real up1[WIDE_BLOCK_LANES]
    cdef real up2[WIDE_BLOCK_LANES]
    cdef unsigned char flag[WIDE_BLOCK_LANES]
    cdef real completion[MAX_KERNEL_DIM * WIDE_BLOCK_LANES]
    cdef real x = 1
    cdef int count
    cdef Py_ssize_t j, k, l
    for j in range(n):
        column_norms(a + j * m * stride, m, s + j * stride, lanes, stride)
    sort_columns(a, s, v, m, n, want_uv, False, lanes, stride)
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
