"""Refinement of the columns the Jacobi sweeps leave alone as negligible, one
matrix at a time (rare): their singular values deserve full relative accuracy."""
from fastsvd._kernel_scalar cimport (real, MAX_KERNEL_DIM, WIDE_BLOCK_LANES, r_abs, r_eps,
                                     r_max, r_negligible_square, power_of_two_scale)
from fastsvd._kernel_lanes cimport column_dot, column_norms, swap_where
from fastsvd._kernel_jacobi cimport jacobi_sweeps

cdef enum:
    # Rescaling levels for singular values below √N·‖A‖ (N = r_negligible_square) never
    # exceed this, each taking this many rounds of sweeps and re-orthogonalisation.
    MAX_LEVELS = 64
    REFINE_ROUNDS = 3


cdef inline void find_small_columns(const real* a, Py_ssize_t m, Py_ssize_t n,
                                    unsigned char* flag, Py_ssize_t lanes,
                                    Py_ssize_t stride) noexcept nogil:
    """flag[l]: matrix l has a nonzero column the sweeps left alone as negligible."""
    cdef real negligible = r_negligible_square(<real>0)
    cdef real alpha[WIDE_BLOCK_LANES]
    cdef real big[WIDE_BLOCK_LANES]
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
    ‖aⱼ‖² ≥ r_negligible_square come first; return where the others start."""
    cdef real negligible = r_negligible_square(<real>0)
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
    cdef real q[MAX_KERNEL_DIM]
    cdef real norm, proj
    cdef Py_ssize_t _repeat, c, j, k
    for _repeat in range(2):
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
    cdef real before[MAX_KERNEL_DIM]
    cdef real big, down, up1, up2, norm
    cdef Py_ssize_t done, finished, _level, _repeat, j, k
    done = move_large_columns_first(a, m, 0, n, v, n, want_uv, stride)
    for _level in range(MAX_LEVELS):
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
        for _repeat in range(REFINE_ROUNDS):
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
