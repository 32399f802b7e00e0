"""The 3×3 Jacobi kernel: the generic kernel's rotations with each lane's
matrix held in registers for a whole sweep, and its finish (σ, U, sorting)."""
from fastsvd._kernel_scalar cimport (real, BLOCK_LANES, r_abs, r_eps, r_max, r_sqrt, r_tiny,
                                     unit_normal_to, power_of_two_scale)
from fastsvd._kernel_lanes cimport zero_lanes, copy_lanes
from fastsvd._kernel_simd cimport (vreal, vdouble, vfloat, vdouble1, vfloat1, VD_LANES, VF_LANES,
                                   vector_lanes, v_set1, v_load, v_store, v_sub, v_mul, v_fmadd,
                                   v_max, v_any)
from fastsvd._kernel_jacobi cimport (MAX_SWEEPS, jacobi_rotation_vector,
                                     rotation_needed_vector, rotate_columns)

cdef enum:
    # The 3×3 sweeps test for convergence before this sweep and later ones
    # (counted from 0; see jacobi_sweeps_3x3).
    FIRST_CONVERGENCE_CHECK_3X3 = 2
    # At most this many vectors of lanes are swept together, step by step, so
    # that their chains of dependent square roots and products overlap in the
    # instruction stream (see groups_3x3).
    GROUPS_3X3 = 4


cdef inline Py_ssize_t groups_3x3(Py_ssize_t width) noexcept nogil:
    """Vectors of `width` lanes swept together: GROUPS_3X3, or as many as a
    block holds (two AVX-512 vectors of float)."""
    return min(<Py_ssize_t>GROUPS_3X3, BLOCK_LANES // width)


cdef inline void pair_products_3(const vreal* x, const vreal* y, vreal* alpha, vreal* beta,
                                 vreal* gamma) noexcept nogil:
    """α = ‖x‖², β = ‖y‖², γ = xᵀy of two 3-vectors, lane by lane."""
    v_mul(alpha, &x[0], &x[0])
    v_fmadd(alpha, &x[1], &x[1], alpha)
    v_fmadd(alpha, &x[2], &x[2], alpha)
    v_mul(beta, &y[0], &y[0])
    v_fmadd(beta, &y[1], &y[1], beta)
    v_fmadd(beta, &y[2], &y[2], beta)
    v_mul(gamma, &x[0], &y[0])
    v_fmadd(gamma, &x[1], &y[1], gamma)
    v_fmadd(gamma, &x[2], &y[2], gamma)


cdef inline void rotate_3(vreal* x, vreal* y, const vreal* c, const vreal* s) noexcept nogil:
    """[x y] ← [x y]·[[c, s], [−s, c]] for two 3-vectors, lane by lane."""
    cdef vreal minus_s, p, xk
    cdef Py_ssize_t k
    v_set1(&p, 0)
    v_sub(&minus_s, &p, s)
    for k in range(3):
        xk = x[k]
        v_mul(&p, &minus_s, &y[k])
        v_fmadd(&x[k], c, &xk, &p)
        v_mul(&p, c, &y[k])
        v_fmadd(&y[k], s, &xk, &p)


cdef inline void rotate_groups_3(vreal* cols, real* v, Py_ssize_t stride, Py_ssize_t x,
                                 Py_ssize_t y, bint want_uv, double tol,
                                 vreal* rotated) noexcept nogil:
    """The Jacobi rotation of columns x, y (entries x…x+2, y…y+2 of each 9) of
    groups_3x3 vectors of 3×3 lanes, one step for every group at a time, and
    of v's columns in memory (in registers too they left the sweep short of
    registers); rotated gains the lanes that rotated."""
    cdef vreal alpha[GROUPS_3X3]
    cdef vreal beta[GROUPS_3X3]
    cdef vreal gamma[GROUPS_3X3]
    cdef vreal c[GROUPS_3X3]
    cdef vreal s[GROUPS_3X3]
    cdef vreal needed[GROUPS_3X3]
    cdef Py_ssize_t width = vector_lanes(rotated), groups = groups_3x3(width), g
    for g in range(groups):
        pair_products_3(cols + 9 * g + x, cols + 9 * g + y, &alpha[g], &beta[g], &gamma[g])
    for g in range(groups):
        jacobi_rotation_vector(&alpha[g], &beta[g], &gamma[g], tol, &c[g], &s[g], &needed[g])
        v_max(rotated, rotated, &needed[g])
    for g in range(groups):
        rotate_3(cols + 9 * g + x, cols + 9 * g + y, &c[g], &s[g])
        if want_uv:
            rotate_columns(v + x * stride + g * width, v + y * stride + g * width, 3, stride,
                           &c[g], &s[g])


cdef inline void sweep_groups_3x3(real* a, real* v, bint want_uv, double tol,
                                  Py_ssize_t stride, vreal* rotated) noexcept nogil:
    """One sweep of the groups_3x3 vectors of lanes from a, in registers (and v)."""
    cdef vreal cols[9 * GROUPS_3X3]
    cdef Py_ssize_t width = vector_lanes(rotated), groups = groups_3x3(width), g, i
    for g in range(groups):
        for i in range(9):
            v_load(&cols[9 * g + i], a + i * stride + g * width)
    rotate_groups_3(cols, v, stride, 0, 3, want_uv, tol, rotated)
    rotate_groups_3(cols, v, stride, 0, 6, want_uv, tol, rotated)
    rotate_groups_3(cols, v, stride, 3, 6, want_uv, tol, rotated)
    for g in range(groups):
        for i in range(9):
            v_store(a + i * stride + g * width, &cols[9 * g + i])


cdef inline bint any_lane_needs_rotation_3x3(const real* a, double tol, Py_ssize_t lanes,
                                             Py_ssize_t stride, vreal* vector_type) noexcept nogil:
    """Whether a sweep would rotate any column pair of any 3×3 lane (lanes: a
    whole number of vectors), a vector at a time: unconverged blocks, most of
    those checked, stop at their first."""
    cdef vreal cols[9]
    cdef vreal alpha, beta, gamma, needed
    cdef Py_ssize_t width = vector_lanes(vector_type), first, i, k
    for k in range(lanes // width):
        first = k * width
        for i in range(9):
            v_load(&cols[i], a + i * stride + first)
        pair_products_3(cols, cols + 3, &alpha, &beta, &gamma)
        rotation_needed_vector(&alpha, &beta, &gamma, tol, &needed)
        if v_any(&needed):
            return True
        pair_products_3(cols, cols + 6, &alpha, &beta, &gamma)
        rotation_needed_vector(&alpha, &beta, &gamma, tol, &needed)
        if v_any(&needed):
            return True
        pair_products_3(cols + 3, cols + 6, &alpha, &beta, &gamma)
        rotation_needed_vector(&alpha, &beta, &gamma, tol, &needed)
        if v_any(&needed):
            return True
    return False


cdef inline void sweeps_of_vectors_3x3(real* a, real* v, bint want_uv, Py_ssize_t lanes,
                                       Py_ssize_t stride, vreal* vector_type) noexcept nogil:
    """jacobi_sweeps_3x3 on `lanes`, a whole number of groups of vectors."""
    cdef double tol = r_sqrt(<real>3) * r_eps(<real>0)
    cdef Py_ssize_t width = vector_lanes(vector_type)
    cdef Py_ssize_t span = groups_3x3(width) * width, sweep, k
    cdef vreal rotated
    for sweep in range(MAX_SWEEPS):
        # A pass without square roots tells convergence: it spares the last
        # sweep, whose rotations would all be 1.  Not after the first sweep:
        # blocks of random matrices take four (a third of the matrices need
        # the fourth), and one that converges in one ends on a sweep without
        # rotations.
        if sweep >= FIRST_CONVERGENCE_CHECK_3X3 and not any_lane_needs_rotation_3x3(
                a, tol, lanes, stride, vector_type):
            break
        v_set1(&rotated, 0)
        for k in range(lanes // span):
            sweep_groups_3x3(a + k * span, v + k * span, want_uv, tol, stride, &rotated)
        if not v_any(&rotated):
            break


cdef inline void into_own_block_3x3(real* own_a, real* own_v, const real* a, const real* v,
                                    bint want_v, Py_ssize_t count,
                                    Py_ssize_t stride) noexcept nogil:
    """`count` ≤ GROUPS_3X3 lanes of 3×3 a (and v) into a block of GROUPS_3X3
    lanes of their own, the others zero: how a lone matrix gets a block's bits."""
    zero_lanes(own_a, 9, 0, GROUPS_3X3, GROUPS_3X3)
    zero_lanes(own_v, 9, 0, GROUPS_3X3, GROUPS_3X3)
    copy_lanes(own_a, GROUPS_3X3, a, stride, 9, count)
    if want_v:
        copy_lanes(own_v, GROUPS_3X3, v, stride, 9, count)


cdef inline void out_of_own_block_3x3(const real* own_a, const real* own_v, real* a, real* v,
                                      bint want_v, Py_ssize_t count,
                                      Py_ssize_t stride) noexcept nogil:
    """into_own_block_3x3 undone."""
    copy_lanes(a, stride, own_a, GROUPS_3X3, 9, count)
    if want_v:
        copy_lanes(v, stride, own_v, GROUPS_3X3, 9, count)


cdef inline void lone_sweeps_3x3(real* a, real* v, bint want_uv, Py_ssize_t lanes,
                                 Py_ssize_t stride, vreal* one_lane) noexcept nogil:
    """jacobi_sweeps_3x3 with one-lane vectors, GROUPS_3X3 (= groups_3x3(1))
    lanes at a time in a block of their own."""
    cdef real own_a[9 * GROUPS_3X3]
    cdef real own_v[9 * GROUPS_3X3]
    cdef Py_ssize_t first, count, k
    for k in range((lanes + GROUPS_3X3 - 1) // GROUPS_3X3):
        first = k * GROUPS_3X3
        count = min(GROUPS_3X3, lanes - first)
        into_own_block_3x3(own_a, own_v, a + first, v + first, want_uv, count, stride)
        sweeps_of_vectors_3x3(own_a, own_v, want_uv, GROUPS_3X3, GROUPS_3X3, one_lane)
        out_of_own_block_3x3(own_a, own_v, a + first, v + first, want_uv, count, stride)


cdef inline void jacobi_sweeps_3x3(real* a, real* v, bint want_uv, Py_ssize_t lanes,
                                   Py_ssize_t stride) noexcept nogil:
    """jacobi_sweeps for 3×3, with explicit vectors: a whole sweep of each
    group of vectors in registers, one pass over memory."""
    cdef Py_ssize_t width = VD_LANES if real is double else VF_LANES
    cdef Py_ssize_t span = groups_3x3(width) * width
    cdef Py_ssize_t padded = (lanes + span - 1) // span * span
    if stride == 1 or padded > stride:
        # A lone matrix (or lanes that whole groups would overrun): one-lane
        # vectors, with the latency of scalar code and the bits of a block.
        if real is double:
            lone_sweeps_3x3(a, v, want_uv, lanes, stride, <vdouble1*>NULL)
        else:
            lone_sweeps_3x3(a, v, want_uv, lanes, stride, <vfloat1*>NULL)
        return
    # A block: the lanes past `lanes` become zero matrices, which rotate nothing.
    zero_lanes(a, 9, lanes, padded, stride)
    if want_uv:
        zero_lanes(v, 9, lanes, padded, stride)
    if real is double:
        sweeps_of_vectors_3x3(a, v, want_uv, padded, stride, <vdouble*>NULL)
    else:
        sweeps_of_vectors_3x3(a, v, want_uv, padded, stride, <vfloat*>NULL)


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
    w[:] = [0, 0, 0]     # (set by unit_normal_to)
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
