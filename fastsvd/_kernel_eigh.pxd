"""The symmetric eigen kernel: cyclic two-sided Jacobi on `lanes` symmetric
N×N matrices at once, in the layout of kernels.pxd, and its finish.

Each rotation is the one that diagonalises the pair's 2×2 [[aₚₚ, aₚq], [aₚq,
a_qq]] (rotation_where_needed, the generic kernel's rotation: no cancellation,
one square root and one reciprocal square root), applied to rows and columns
p, q of A and to columns p, q of V.  The new diagonal is aₚₚ − t·aₚq and
a_qq + t·aₚq with t = tan θ (Rutishauser), and aₚq becomes 0 exactly, so a
2×2 takes one rotation: that is its closed form.

A pair rotates while aₚq² > tol²·|aₚₚ·a_qq|, tol = √N·ε (Demmel and Veselić's
test, which gives the eigenvalues of a positive definite D·B·D to high
relative accuracy), in every lane that needs it; the others get the identity
exactly, so a matrix gets the same bits wherever it sits in a block.
"""
from libc.stdlib cimport malloc, free

from fastsvd._kernel_scalar cimport real, r_eps, r_sqrt, r_square_guard
from fastsvd._kernel_lanes cimport zero_lanes
from fastsvd._kernel_finish cimport sort_columns
from fastsvd._kernel_simd cimport (vreal, vdouble, vfloat, vdouble1, vfloat1, VD_LANES,
                                   VF_LANES, vector_lanes, v_set1, v_load, v_store, v_sub,
                                   v_mul, v_div, v_fmadd, v_abs, v_less, v_select, v_max,
                                   v_any)
from fastsvd._kernel_jacobi cimport (MAX_SWEEPS, MAX_PAIRS, column_pairs, rotate_columns,
                                     rotation_where_needed)


cdef inline void symmetrize_lanes(real* a, Py_ssize_t n, Py_ssize_t lanes,
                                  Py_ssize_t stride) noexcept nogil:
    """Entries above the diagonal ← their mirror below it: only the lower
    triangle is read (numpy's UPLO; the upper one is the lower one of Aᵀ)."""
    cdef Py_ssize_t i, j, l
    for j in range(1, n):
        for i in range(j):
            for l in range(lanes):
                a[(j * n + i) * stride + l] = a[(i * n + j) * stride + l]


cdef inline void eigen_rotation_needed(const vreal* alpha, const vreal* beta,
                                       const vreal* gamma, double tol,
                                       vreal* needed) noexcept nogil:
    """needed: the indicator of aₚq² > tol²·|aₚₚ·a_qq| (α = aₚₚ, β = a_qq,
    γ = aₚq), each side times K² (r_square_guard).  With |aᵢⱼ| < 2 at the start
    (the input scaled) and ‖A‖_F unchanged by rotations, nothing overflows; a
    γ so small that γ²K² underflows lies far below ε‖A‖ and stays."""
    cdef vreal guard, scaled_tol, x, y
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&guard, r_square_guard(<double>0))
        v_set1(&scaled_tol, <double>tol * r_square_guard(<double>0))
    else:
        v_set1(&guard, r_square_guard(<float>0))
        v_set1(&scaled_tol, <float>tol * r_square_guard(<float>0))
    v_mul(&x, gamma, &guard)
    v_mul(&x, &x, &x)
    v_mul(&y, alpha, beta)
    v_abs(&y, &y)
    v_mul(&y, &y, &scaled_tol)
    v_mul(&y, &y, &scaled_tol)
    v_less(needed, &y, &x)


cdef inline bint any_eigen_pair_needs_rotation(const real* a, Py_ssize_t n, Py_ssize_t cstep,
                                               double tol,
                                               const unsigned char* first,
                                               const unsigned char* second,
                                               Py_ssize_t pairs, Py_ssize_t groups,
                                               Py_ssize_t stride,
                                               vreal* vector_type) noexcept nogil:
    """Whether a sweep would rotate any pair of any lane: the sweep's own test."""
    cdef vreal alpha, beta, gamma, needed
    cdef Py_ssize_t width = vector_lanes(vector_type), k, g, p, q
    for k in range(pairs):
        p = first[k]
        q = second[k]
        for g in range(groups):
            v_load(&alpha, a + (p * cstep + p) * stride + g * width)
            v_load(&beta, a + (q * cstep + q) * stride + g * width)
            v_load(&gamma, a + (q * cstep + p) * stride + g * width)
            eigen_rotation_needed(&alpha, &beta, &gamma, tol, &needed)
            if v_any(&needed):
                return True
    return False


cdef inline void eigen_sweeps_of_vectors(real* a, Py_ssize_t n, Py_ssize_t cstep, real* v,
                                         bint want_v, Py_ssize_t groups, Py_ssize_t stride,
                                         vreal* vector_type) noexcept nogil:
    """jacobi_eigen on `groups` whole vectors of lanes, A's columns `cstep`
    entries apart: each pair (in the order of column_pairs) of every group in
    turn, until a check finds none to rotate, at most MAX_SWEEPS sweeps."""
    cdef double tol = r_sqrt(<real>n) * r_eps(<real>0)
    cdef vreal alpha, beta, gamma, c, s, t, needed, x, zero
    cdef unsigned char first[MAX_PAIRS]
    cdef unsigned char second[MAX_PAIRS]
    cdef Py_ssize_t pairs = column_pairs(n, first, second)
    cdef Py_ssize_t width = vector_lanes(vector_type), _sweep, k, g, p, q
    cdef real* pp
    cdef real* qq
    cdef real* pq
    cdef real* qp
    v_set1(&zero, 0)
    for _sweep in range(MAX_SWEEPS):
        if not any_eigen_pair_needs_rotation(a, n, cstep, tol, first, second, pairs, groups,
                                             stride, vector_type):
            return
        for k in range(pairs):
            p = first[k]
            q = second[k]
            for g in range(groups):
                pp = a + (p * cstep + p) * stride + g * width
                qq = a + (q * cstep + q) * stride + g * width
                pq = a + (q * cstep + p) * stride + g * width
                qp = a + (p * cstep + q) * stride + g * width
                v_load(&alpha, pp)
                v_load(&beta, qq)
                v_load(&gamma, pq)
                eigen_rotation_needed(&alpha, &beta, &gamma, tol, &needed)
                rotation_where_needed(&alpha, &beta, &gamma, &needed, &c, &s)
                # Columns p, q (A·J), then rows p, q (Jᵀ·A).
                rotate_columns(a + p * cstep * stride + g * width,
                               a + q * cstep * stride + g * width, n, stride, &c, &s)
                rotate_columns(a + p * stride + g * width, a + q * stride + g * width, n,
                               cstep * stride, &c, &s)
                # The 2×2 block exactly: aₚₚ − t·aₚq, a_qq + t·aₚq, 0 (only
                # where the lane rotates: elsewhere the identity left it as it was).
                v_div(&t, &s, &c)
                v_mul(&x, &t, &gamma)
                v_sub(&x, &alpha, &x)
                v_select(&x, &needed, &x, &alpha)
                v_store(pp, &x)
                v_fmadd(&x, &t, &gamma, &beta)
                v_select(&x, &needed, &x, &beta)
                v_store(qq, &x)
                v_select(&x, &needed, &zero, &gamma)
                v_store(pq, &x)
                v_store(qp, &x)
                if want_v:
                    rotate_columns(v + p * n * stride + g * width,
                                   v + q * n * stride + g * width, n, stride, &c, &s)


cdef inline void eigen_sweeps(real* a, Py_ssize_t n, Py_ssize_t cstep, real* v, bint want_v,
                              Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """jacobi_eigen's sweeps with A's columns `cstep` entries apart."""
    cdef Py_ssize_t width = VD_LANES if real is double else VF_LANES
    cdef Py_ssize_t padded = (lanes + width - 1) // width * width, j
    if lanes == 1 or padded > stride:
        # A lone matrix (or lanes that whole vectors would overrun): one-lane
        # vectors, which compute what a lane of a block does.
        if real is double:
            eigen_sweeps_of_vectors(a, n, cstep, v, want_v, lanes, stride, <vdouble1*>NULL)
        else:
            eigen_sweeps_of_vectors(a, n, cstep, v, want_v, lanes, stride, <vfloat1*>NULL)
        return
    # Whole vectors: the padding lanes become zero matrices, which rotate nothing.
    for j in range(n):
        zero_lanes(a + j * cstep * stride, n, lanes, padded, stride)
    if want_v:
        zero_lanes(v, n * n, lanes, padded, stride)
    if real is double:
        eigen_sweeps_of_vectors(a, n, cstep, v, want_v, padded // width, stride,
                                <vdouble*>NULL)
    else:
        eigen_sweeps_of_vectors(a, n, cstep, v, want_v, padded // width, stride,
                                <vfloat*>NULL)


cdef inline void jacobi_eigen(real* a, Py_ssize_t n, real* v, bint want_v, Py_ssize_t lanes,
                              Py_ssize_t stride) noexcept nogil:
    """Cyclic Jacobi on `lanes` scaled symmetric N×N matrices (both triangles
    filled): A's diagonal is left holding the eigenvalues (within the test),
    and V (identity on entry, when want_v) the rotations' product.

    Each rotation also walks rows p, q, whose entries lie N·stride apart; at
    16 or 32 columns of 32 lanes that is a multiple of 4 KB, so all of a row
    falls into the same few L1 sets and evicts itself (16×16 ran at 0.86×
    numpy, against 2× at 14×14).  Blocks of more than one lane sweep a copy
    whose columns are N + 1 entries apart instead, with the same arithmetic.
    """
    cdef real* padded = NULL
    cdef Py_ssize_t cstep = n + 1, i, j, l
    if lanes > 1:
        padded = <real*>malloc(n * cstep * stride * sizeof(real))
    if padded == NULL:
        eigen_sweeps(a, n, n, v, want_v, lanes, stride)
        return
    for j in range(n):
        for i in range(n):
            for l in range(lanes):
                padded[(j * cstep + i) * stride + l] = a[(j * n + i) * stride + l]
    eigen_sweeps(padded, n, cstep, v, want_v, lanes, stride)
    for j in range(n):
        for l in range(lanes):
            a[(j * n + j) * stride + l] = padded[(j * cstep + j) * stride + l]
    free(padded)


cdef inline void finish_eigen(const real* a, Py_ssize_t n, real* w, real* v, bint want_v,
                              Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """w ← the diagonal of A (jacobi_eigen's), ascending, with the columns of V
    alongside."""
    cdef Py_ssize_t j, l
    for j in range(n):
        for l in range(lanes):
            w[j * stride + l] = a[(j * n + j) * stride + l]
    sort_columns(<real*>NULL, w, v, 0, n, want_v, True, lanes, stride)
