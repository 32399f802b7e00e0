"""The generic one-sided (Hestenes) Jacobi kernel for any M×N, M ≥ N: the
rotation, its stopping test, and the sweeps over `lanes` matrices at once."""
from fastsvd._kernel_scalar cimport (real, WIDE_BLOCK_LANES, r_abs, r_eps, r_sqrt, r_tiny,
                                     r_square_guard)
from fastsvd._kernel_lanes cimport pair_products, rotate_pair
from fastsvd._kernel_simd cimport (vreal, vdouble, vfloat, vdouble1, vfloat1, vector_lanes,
                                   v_set1, v_load, v_store, v_add, v_sub, v_mul, v_fmadd, v_abs,
                                   v_max, v_less, v_less_equal, v_select, v_sqrt, v_rsqrt)

cdef enum:
    # Jacobi sweeps never exceed this, so no input can make a call run unbounded.
    MAX_SWEEPS = 30


cdef inline bint rotation_needed(real alpha, real beta, real gamma, real tol) noexcept nogil:
    """Whether columns x, y with ‖x‖² = α, ‖y‖² = β, xᵀy = γ need a rotation
    (the test of jacobi_rotation_vector, which see)."""
    cdef real negligible = r_sqrt(r_tiny(<real>0))
    cdef real guard = r_square_guard(<real>0)
    cdef real scaled_gamma = gamma * guard
    cdef real scaled_tol = tol * guard
    return not ((alpha < negligible) | (beta < negligible)
                | (scaled_gamma * scaled_gamma <= ((scaled_tol * scaled_tol) * alpha) * beta))


cdef inline void rotation_needed_vector(const vreal* alpha, const vreal* beta,
                                        const vreal* gamma, double tol,
                                        vreal* needed) noexcept nogil:
    """rotation_needed for a vector of lanes, as an indicator: the same
    operations in the same order, so that it decides as rotation_needed does."""
    cdef vreal guard, negligible, scaled_gamma, scaled_tol, x, y, small
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&guard, r_square_guard(<double>0))
        v_set1(&negligible, r_sqrt(r_tiny(<double>0)))
        v_set1(&scaled_tol, <double>tol * r_square_guard(<double>0))
    else:
        v_set1(&guard, r_square_guard(<float>0))
        v_set1(&negligible, r_sqrt(r_tiny(<float>0)))
        v_set1(&scaled_tol, <float>tol * r_square_guard(<float>0))
    v_mul(&scaled_gamma, gamma, &guard)
    v_mul(&x, &scaled_gamma, &scaled_gamma)
    v_mul(&y, &scaled_tol, &scaled_tol)
    v_mul(&y, &y, alpha)
    v_mul(&y, &y, beta)
    v_less_equal(&small, &x, &y)
    v_less(&x, alpha, &negligible)
    v_max(&small, &small, &x)
    v_less(&x, beta, &negligible)
    v_max(&small, &small, &x)
    v_set1(&x, 1)
    v_sub(needed, &x, &small)


cdef inline void jacobi_rotation_vector(const vreal* alpha, const vreal* beta,
                                        const vreal* gamma, double tol, vreal* c, vreal* s,
                                        vreal* needed) noexcept nogil:
    """The rotation [[c, s], [−s, c]] that makes columns x, y with ‖x‖² = α,
    ‖y‖² = β, xᵀy = γ orthogonal, for a vector of lanes: tan θ = t, the
    smaller root of t² + 2ζt − 1 = 0, ζ = (β − α)/2γ.  needed: the indicator
    of the lanes that rotate; the others get c = 1, s = 0 exactly.

    None is needed when γ² ≤ tol²·αβ (LAPACK gesvj's test, with tol = √M·ε,
    which gives small singular values to high relative accuracy), nor for a
    column with a squared norm below √(smallest normal): with the input scaled
    to max |aᵢⱼ| ∈ [1, 2) such a column lies far below ε‖A‖ (refine_small_columns
    finishes it).  With d = β − α, r = √(d² + 4γ²) and w = |d| + r:
    t = 2γ·sign(d)/w, c = w/√(2rw), s = 2γ·sign(d)/√(2rw), which never
    cancels; 1/√(2rw) comes from v_rsqrt (without the divider on AVX-512).

    Every sweep starts from entries below 2 in magnitude
    (scale_lanes_zeroing_nonfinite, and refine_small_columns per level), so
    α, β, |γ|, |d| ≤ 4·32² and none of these squares overflows even times K²
    (K = r_square_guard: 2⁶⁴, or 2³² for float).  Times K² they cannot
    underflow either: both sides of the test are at least K²·tol²·negligible²
    ≥ the smallest normal where it can go either way, and so is 4γ²K² where a
    rotation is made.  K, a constant power of two, scales exactly and costs
    one multiplication.
    """
    cdef vreal one, zero, guard, d, g, r, w, q, x, y
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&guard, r_square_guard(<double>0))
    else:
        v_set1(&guard, r_square_guard(<float>0))
    v_set1(&one, 1)
    v_set1(&zero, 0)
    rotation_needed_vector(alpha, beta, gamma, tol, needed)
    # Lanes that do not rotate compute from d = 1, g = 0: no 0/0 anywhere.
    v_sub(&d, beta, alpha)
    v_mul(&d, &d, &guard)
    v_select(&d, needed, &d, &one)
    v_mul(&g, gamma, &guard)
    v_select(&g, needed, &g, &zero)
    v_add(&x, &g, &g)
    v_mul(&x, &x, &x)
    v_fmadd(&x, &d, &d, &x)
    v_sqrt(&r, &x)
    v_abs(&w, &d)
    v_add(&w, &w, &r)
    v_mul(&x, &r, &w)
    v_add(&x, &x, &x)
    v_rsqrt(&q, &x)
    v_mul(c, &w, &q)
    v_add(&x, &g, &g)
    v_mul(&x, &x, &q)
    v_sub(&y, &zero, &x)
    v_less(&w, &d, &zero)
    v_select(s, &w, &y, &x)
    v_select(c, needed, c, &one)
    v_select(s, needed, s, &zero)


cdef inline void jacobi_rotations_of_vectors(real* alpha, real* beta, real* gamma, real tol,
                                             real* c, real* s, Py_ssize_t lanes,
                                             vreal* vector_type) noexcept nogil:
    cdef Py_ssize_t width = vector_lanes(vector_type)
    cdef Py_ssize_t vectors = (lanes + width - 1) // width, k, l
    cdef vreal va, vb, vg, vc, vs, needed
    for l in range(lanes, vectors * width):
        alpha[l] = 0
        beta[l] = 0
        gamma[l] = 0
    for k in range(vectors):
        l = k * width
        v_load(&va, alpha + l)
        v_load(&vb, beta + l)
        v_load(&vg, gamma + l)
        jacobi_rotation_vector(&va, &vb, &vg, tol, &vc, &vs, &needed)
        v_store(c + l, &vc)
        v_store(s + l, &vs)


cdef inline void jacobi_rotations(real* alpha, real* beta, real* gamma, real tol, real* c,
                                  real* s, Py_ssize_t lanes) noexcept nogil:
    """c, s of jacobi_rotation_vector for each of `lanes` lanes, from arrays of
    WIDE_BLOCK_LANES (a multiple of every vector width) whose entries past
    `lanes`, up to a whole vector, this zeroes (they rotate nothing)."""
    # A lone matrix with the latency of scalar code (and the same bits).
    if real is double:
        if lanes == 1:
            jacobi_rotations_of_vectors(alpha, beta, gamma, tol, c, s, lanes, <vdouble1*>NULL)
        else:
            jacobi_rotations_of_vectors(alpha, beta, gamma, tol, c, s, lanes, <vdouble*>NULL)
    else:
        if lanes == 1:
            jacobi_rotations_of_vectors(alpha, beta, gamma, tol, c, s, lanes, <vfloat1*>NULL)
        else:
            jacobi_rotations_of_vectors(alpha, beta, gamma, tol, c, s, lanes, <vfloat*>NULL)


cdef inline bint any_pair_needs_rotation(const real* a, Py_ssize_t m, Py_ssize_t n, real tol,
                                         Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Whether a sweep would rotate any column pair of any lane: a pass without
    square roots or divisions that spares the last sweep, whose rotations would
    all be 1."""
    cdef real alpha[WIDE_BLOCK_LANES]
    cdef real beta[WIDE_BLOCK_LANES]
    cdef real gamma[WIDE_BLOCK_LANES]
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
    pairs until no pair of any lane needs it (jacobi_rotation_vector), at most
    MAX_SWEEPS sweeps; converged lanes get identity rotations meanwhile.  The
    columns of v (of length vlen) are rotated alongside."""
    cdef real tol = r_sqrt(<real>m) * r_eps(<real>0)
    cdef real small_sine = worth_checking(<real>0)
    cdef real alpha[WIDE_BLOCK_LANES]
    cdef real beta[WIDE_BLOCK_LANES]
    cdef real gamma[WIDE_BLOCK_LANES]
    cdef real cosine[WIDE_BLOCK_LANES]
    cdef real sine[WIDE_BLOCK_LANES]
    cdef int rotations, large_rotations = 1
    cdef real* ai
    cdef real* aj
    cdef Py_ssize_t _sweep, i, j, l
    for _sweep in range(MAX_SWEEPS):
        if large_rotations == 0 and not any_pair_needs_rotation(a, m, n, tol, lanes, stride):
            break
        rotations = 0
        large_rotations = 0
        for i in range(n - 1):
            ai = a + i * m * stride
            for j in range(i + 1, n):
                aj = a + j * m * stride
                pair_products(ai, aj, m, alpha, beta, gamma, lanes, stride)
                jacobi_rotations(alpha, beta, gamma, tol, cosine, sine, lanes)
                for l in range(lanes):
                    rotations += sine[l] != 0
                    large_rotations += r_abs(sine[l]) >= small_sine
                rotate_pair(ai, aj, m, cosine, sine, lanes, stride)
                if want_uv:
                    rotate_pair(v + i * vlen * stride, v + j * vlen * stride, vlen, cosine,
                                sine, lanes, stride)
        if rotations == 0:
            break
