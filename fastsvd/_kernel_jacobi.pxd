"""The generic one-sided (Hestenes) Jacobi kernel for any M×N, M ≥ N: the
rotation, its stopping test, and the sweeps over `lanes` matrices at once."""
from fastsvd._kernel_scalar cimport (real, WIDE_BLOCK_LANES, r_abs, r_eps, r_sqrt, r_tiny,
                                     r_square_guard)
from fastsvd._kernel_lanes cimport pair_products, rotate_pair

cdef enum:
    # Jacobi sweeps never exceed this, so no input can make a call run unbounded.
    MAX_SWEEPS = 30


cdef inline bint rotation_needed(real alpha, real beta, real gamma, real tol) noexcept nogil:
    """Whether columns x, y with ‖x‖² = α, ‖y‖² = β, xᵀy = γ need a rotation
    (the test of jacobi_rotation, which see)."""
    cdef real negligible = r_sqrt(r_tiny(<real>0))
    cdef real guard = r_square_guard(<real>0)
    cdef real scaled_gamma = gamma * guard
    cdef real scaled_tol = tol * guard
    return not ((alpha < negligible) | (beta < negligible)
                | (scaled_gamma * scaled_gamma <= ((scaled_tol * scaled_tol) * alpha) * beta))


cdef inline real jacobi_rotation(real alpha, real beta, real gamma, real tol,
                                 real* c, real* s) noexcept nogil:
    """The rotation [[c, s], [−s, c]] that makes columns x, y with ‖x‖² = α,
    ‖y‖² = β, xᵀy = γ orthogonal: tan θ = t, the smaller root of
    t² + 2ζt − 1 = 0, ζ = (β − α)/2γ.  Returns s, 0 where no rotation is needed.

    None is needed when γ² ≤ tol²·αβ (LAPACK gesvj's test, with tol = √M·ε,
    which gives small singular values to high relative accuracy), nor for a
    column with a squared norm below √(smallest normal): with the input scaled
    to max |aᵢⱼ| ∈ [1, 2) such a column lies far below ε‖A‖ (refine_small_columns
    finishes it).  With d = β − α, r = √(d² + 4γ²) and w = |d| + r:
    t = 2γ·sign(d)/w, c = w/√(2rw), s = 2γ·sign(d)/√(2rw), which takes two
    square roots and one division (the slow instructions) and never cancels.

    Every sweep starts from entries below 2 in magnitude
    (scale_lanes_zeroing_nonfinite, and refine_small_columns per level), so
    α, β, |γ|, |d| ≤ 4·32² and none of these squares overflows even times K²
    (K = r_square_guard: 2⁶⁴, or 2³² for float).  Times K² they cannot
    underflow either: both sides of the test are at least K²·tol²·negligible²
    ≥ the smallest normal where it can go either way, and so is 4γ²K² where a
    rotation is made.  K, a constant power of two, scales exactly and costs
    one multiplication.
    """
    cdef real guard = r_square_guard(<real>0)
    cdef real d, g, r, w, q
    cdef bint skip = not rotation_needed(alpha, beta, gamma, tol)
    d = 1 if skip else (beta - alpha) * guard     # skip: c = 1, s = 0 exactly
    g = 0 if skip else gamma * guard
    r = r_sqrt(d * d + <real>4 * g * g)
    w = r_abs(d) + r
    q = <real>1 / r_sqrt(<real>2 * r * w)
    c[0] = w * q
    s[0] = <real>2 * g * q if d >= 0 else <real>-2 * g * q
    return s[0]


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
    pairs until no pair of any lane needs it (jacobi_rotation), at most
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
    # (Set by jacobi_rotation before any use; GCC cannot see that for one lane.)
    cosine[0] = 1
    sine[0] = 0
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
                for l in range(lanes):
                    jacobi_rotation(alpha[l], beta[l], gamma[l], tol, &cosine[l], &sine[l])
                for l in range(lanes):
                    rotations += sine[l] != 0
                    large_rotations += r_abs(sine[l]) >= small_sine
                rotate_pair(ai, aj, m, cosine, sine, lanes, stride)
                if want_uv:
                    rotate_pair(v + i * vlen * stride, v + j * vlen * stride, vlen, cosine,
                                sine, lanes, stride)
        if rotations == 0:
            break
