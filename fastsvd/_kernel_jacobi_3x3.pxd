"""The 3×3 Jacobi kernel: the generic kernel's rotations with each lane's
matrix held in registers for a whole sweep, and its finish (σ, U, sorting)."""
from fastsvd._kernel_scalar cimport (real, r_abs, r_eps, r_max, r_sqrt, r_tiny,
                                     unit_normal_to, power_of_two_scale)
from fastsvd._kernel_jacobi cimport MAX_SWEEPS, jacobi_rotation, rotation_needed

cdef enum:
    # The 3×3 sweeps test for convergence before this sweep and later ones
    # (counted from 0; see jacobi_sweeps_3x3).
    FIRST_CONVERGENCE_CHECK_3X3 = 2
    # Lanes per step of that check: one AVX-512 vector of float32, two of float64.
    CHECK_LANES = 16


cdef inline int rotate_in_registers_3(real* x, real* y, real* vx, real* vy, bint want_uv,
                                      real tol) noexcept nogil:
    """One Jacobi rotation of the 3-vectors x, y (and vx, vy); 1 if it rotated."""
    cdef real c = 1, s = 0, xi, yi     # (c, s set by jacobi_rotation)
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
