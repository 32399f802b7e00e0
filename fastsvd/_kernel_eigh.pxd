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
from fastsvd._kernel_jacobi_3x3 cimport (GROUPS_3X3, groups_3x3, into_own_block_3x3,
                                         out_of_own_block_3x3)


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


cdef inline void pair_block_update(vreal* alpha, vreal* beta, vreal* gamma,
                                   const vreal* needed, const vreal* c,
                                   const vreal* s) noexcept nogil:
    """The pair's 2×2 block after its rotation, exactly: aₚₚ − t·aₚq,
    a_qq + t·aₚq and 0, t = s/c (in α, β, γ), where the lane rotates; as it
    was elsewhere."""
    cdef vreal t, x, zero
    v_set1(&zero, 0)
    v_div(&t, s, c)
    v_mul(&x, &t, gamma)
    v_sub(&x, alpha, &x)
    v_select(alpha, needed, &x, alpha)
    v_fmadd(&x, &t, gamma, beta)
    v_select(beta, needed, &x, beta)
    v_select(gamma, needed, &zero, gamma)


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
    cdef vreal alpha, beta, gamma, c, s, needed
    cdef unsigned char first[MAX_PAIRS]
    cdef unsigned char second[MAX_PAIRS]
    cdef Py_ssize_t pairs = column_pairs(n, first, second)
    cdef Py_ssize_t width = vector_lanes(vector_type), _sweep, k, g, p, q
    cdef real* pp
    cdef real* qq
    cdef real* pq
    cdef real* qp
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
                pair_block_update(&alpha, &beta, &gamma, &needed, &c, &s)
                v_store(pp, &alpha)
                v_store(qq, &beta)
                v_store(pq, &gamma)
                v_store(qp, &gamma)
                if want_v:
                    rotate_columns(v + p * n * stride + g * width,
                                   v + q * n * stride + g * width, n, stride, &c, &s)


cdef inline void rotate_entries(vreal* x, vreal* y, const vreal* c,
                                const vreal* s) noexcept nogil:
    """(x, y) ← (c·x − s·y, s·x + c·y), in the order of rotate_columns."""
    cdef vreal p, minus_s, old_x
    v_set1(&p, 0)
    v_sub(&minus_s, &p, s)
    old_x = x[0]
    v_mul(&p, &minus_s, y)
    v_fmadd(x, c, &old_x, &p)
    v_mul(&p, c, y)
    v_fmadd(y, s, &old_x, &p)


cdef inline void rotate_groups_eigen_3x3(vreal* e, real* v, Py_ssize_t stride, int p, int q,
                                         bint want_v, double tol,
                                         vreal* rotated) noexcept nogil:
    """Pair (p, q) of groups_3x3 vectors of 3×3 lanes held in registers, six
    entries each (e: a₀₀, a₁₁, a₂₂, a₁₀, a₂₀, a₂₁), one step for every group at
    a time, and V's columns in memory; rotated gains the lanes that rotated."""
    cdef vreal c[GROUPS_3X3]
    cdef vreal s[GROUPS_3X3]
    cdef vreal needed[GROUPS_3X3]
    cdef Py_ssize_t width = vector_lanes(rotated), groups = groups_3x3(width), g
    cdef int r = 3 - p - q
    # Off-diagonal entries: (1, 0) at 3, (2, 0) at 4, (2, 1) at 5.
    cdef int pq = 2 + p + q, pr = 2 + p + r, qr = 2 + q + r
    for g in range(groups):
        eigen_rotation_needed(&e[6 * g + p], &e[6 * g + q], &e[6 * g + pq], tol, &needed[g])
        rotation_where_needed(&e[6 * g + p], &e[6 * g + q], &e[6 * g + pq], &needed[g], &c[g],
                              &s[g])
        v_max(rotated, rotated, &needed[g])
    for g in range(groups):
        pair_block_update(&e[6 * g + p], &e[6 * g + q], &e[6 * g + pq], &needed[g], &c[g],
                          &s[g])
        rotate_entries(&e[6 * g + pr], &e[6 * g + qr], &c[g], &s[g])
        if want_v:
            rotate_columns(v + 3 * p * stride + g * width, v + 3 * q * stride + g * width, 3,
                           stride, &c[g], &s[g])


cdef inline bint any_lane_needs_rotation_eigen_3x3(const real* a, double tol, Py_ssize_t lanes,
                                                   Py_ssize_t stride,
                                                   vreal* vector_type) noexcept nogil:
    """Whether a sweep would rotate any pair of any 3×3 lane (the sweep's test)."""
    cdef vreal d[3]
    cdef vreal off, needed
    cdef Py_ssize_t width = vector_lanes(vector_type), k, j, p, q
    for k in range(lanes // width):
        for j in range(3):
            v_load(&d[j], a + 4 * j * stride + k * width)
        for j in range(3):      # pairs (0, 1), (0, 2), (1, 2): entries 1, 2, 5
            p = j // 2
            q = 1 + (j + 1) // 2
            v_load(&off, a + (3 * p + q) * stride + k * width)
            eigen_rotation_needed(&d[p], &d[q], &off, tol, &needed)
            if v_any(&needed):
                return True
    return False


cdef inline void eigen_sweeps_of_vectors_3x3(real* a, real* v, bint want_v, Py_ssize_t lanes,
                                             Py_ssize_t stride,
                                             vreal* vector_type) noexcept nogil:
    """The 3×3 eigen sweeps on `lanes`, a whole number of groups of vectors:
    the six entries of each group in registers for a whole sweep."""
    cdef double tol = r_sqrt(<real>3) * r_eps(<real>0)
    cdef vreal e[6 * GROUPS_3X3]
    cdef vreal rotated
    cdef Py_ssize_t width = vector_lanes(vector_type)
    cdef Py_ssize_t groups = groups_3x3(width), span = groups * width, sweep, k, g, i
    # Where the six entries lie among the nine (column-major): the diagonal,
    # then (1, 0), (2, 0), (2, 1).
    cdef int at[6]
    at[:] = [0, 4, 8, 1, 2, 5]
    for sweep in range(MAX_SWEEPS):
        if sweep and not any_lane_needs_rotation_eigen_3x3(a, tol, lanes, stride,
                                                           vector_type):
            break
        v_set1(&rotated, 0)
        for k in range(lanes // span):
            for g in range(groups):
                for i in range(6):
                    v_load(&e[6 * g + i], a + at[i] * stride + k * span + g * width)
            rotate_groups_eigen_3x3(e, v + k * span, stride, 0, 1, want_v, tol, &rotated)
            rotate_groups_eigen_3x3(e, v + k * span, stride, 0, 2, want_v, tol, &rotated)
            rotate_groups_eigen_3x3(e, v + k * span, stride, 1, 2, want_v, tol, &rotated)
            for g in range(groups):
                for i in range(6):
                    v_store(a + at[i] * stride + k * span + g * width, &e[6 * g + i])
        if not v_any(&rotated):
            break


cdef inline void jacobi_eigen_3x3(real* a, real* v, bint want_v, Py_ssize_t lanes,
                                  Py_ssize_t stride) noexcept nogil:
    """jacobi_eigen for 3×3: a block's groups of vectors in registers (a lone
    matrix in one-lane vectors, in a block of its own, with the same bits)."""
    cdef real own_a[9 * GROUPS_3X3]
    cdef real own_v[9 * GROUPS_3X3]
    cdef Py_ssize_t width = VD_LANES if real is double else VF_LANES
    cdef Py_ssize_t span = groups_3x3(width) * width
    cdef Py_ssize_t padded = (lanes + span - 1) // span * span, first, count, k
    if stride > 1 and padded <= stride:
        zero_lanes(a, 9, lanes, padded, stride)
        if want_v:
            zero_lanes(v, 9, lanes, padded, stride)
        if real is double:
            eigen_sweeps_of_vectors_3x3(a, v, want_v, padded, stride, <vdouble*>NULL)
        else:
            eigen_sweeps_of_vectors_3x3(a, v, want_v, padded, stride, <vfloat*>NULL)
        return
    for k in range((lanes + GROUPS_3X3 - 1) // GROUPS_3X3):
        first = k * GROUPS_3X3
        count = min(GROUPS_3X3, lanes - first)
        into_own_block_3x3(own_a, own_v, a + first, v + first, want_v, count, stride)
        if real is double:
            eigen_sweeps_of_vectors_3x3(own_a, own_v, want_v, GROUPS_3X3, GROUPS_3X3,
                                        <vdouble1*>NULL)
        else:
            eigen_sweeps_of_vectors_3x3(own_a, own_v, want_v, GROUPS_3X3, GROUPS_3X3,
                                        <vfloat1*>NULL)
        out_of_own_block_3x3(own_a, own_v, a + first, v + first, want_v, count, stride)


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
    if n == 3:
        jacobi_eigen_3x3(a, v, want_v, lanes, stride)
        return
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
