"""The generic one-sided (Hestenes) Jacobi kernel for any M×N, M ≥ N: the
rotation, its stopping test, and the sweeps over `lanes` matrices at once."""
from fastsvd._kernel_scalar cimport real, r_eps, r_sqrt, r_square_guard, r_negligible_square
from fastsvd._kernel_lanes cimport zero_lanes
from fastsvd._kernel_simd cimport (vreal, vdouble, vfloat, vdouble1, vfloat1, VD_LANES, VF_LANES,
                                   vector_lanes,
                                   v_set1, v_load, v_store, v_add, v_sub, v_mul, v_fmadd, v_abs,
                                   v_max, v_less, v_less_equal, v_select, v_any, v_sqrt,
                                   v_rsqrt)

cdef enum:
    # Jacobi sweeps never exceed this, so no input can make a call run unbounded.
    MAX_SWEEPS = 30
    # Column pairs of the widest matrix, MAX_KERNEL_DIM·(MAX_KERNEL_DIM − 1)/2.
    MAX_PAIRS = 496
    # Matrices up to this many columns take their pairs in round-robin order
    # (see column_pairs).
    ROUND_ROBIN_COLUMNS = 8


cdef inline void rotation_needed_vector(const vreal* alpha, const vreal* beta,
                                        const vreal* gamma, double tol,
                                        vreal* needed) noexcept nogil:
    """Whether columns x, y with ‖x‖² = α, ‖y‖² = β, xᵀy = γ need a rotation
    (the test of jacobi_rotation_vector, which see), as an indicator."""
    cdef vreal guard, negligible, scaled_gamma, scaled_tol, x, y, small
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&guard, r_square_guard(<double>0))
        v_set1(&negligible, r_negligible_square(<double>0))
        v_set1(&scaled_tol, <double>tol * r_square_guard(<double>0))
    else:
        v_set1(&guard, r_square_guard(<float>0))
        v_set1(&negligible, r_negligible_square(<float>0))
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
    column with a squared norm below N = r_negligible_square: with the input
    scaled to max |aᵢⱼ| ∈ [1, 2) such a column lies far below ε‖A‖
    (refine_small_columns finishes it).  With d = β − α, r = √(d² + 4γ²) and w = |d| + r:
    t = 2γ·sign(d)/w, c = w/√(2rw), s = 2γ·sign(d)/√(2rw), which never
    cancels; 1/√(2rw) comes from v_rsqrt (without the divider on AVX-512).

    Every sweep starts from entries below 2 in magnitude
    (scale_lanes_zeroing_nonfinite, and refine_small_columns per level), so
    α, β, |γ|, |d| ≤ 4·32² and none of these squares overflows even times K²
    (K = r_square_guard: 2⁶⁴, or 2⁴⁶ for float).  Times K² they cannot
    underflow either: both sides of the test are at least K²·tol²·N²
    ≥ the smallest normal where it can go either way, and so is 4γ²K² where a
    rotation is made.  K, a constant power of two, scales exactly and costs
    one multiplication.
    """
    rotation_needed_vector(alpha, beta, gamma, tol, needed)
    rotation_where_needed(alpha, beta, gamma, needed, c, s)


cdef inline void rotation_where_needed(const vreal* alpha, const vreal* beta,
                                       const vreal* gamma, const vreal* needed, vreal* c,
                                       vreal* s) noexcept nogil:
    """jacobi_rotation_vector's rotation in the lanes that `needed` marks, c = 1
    and s = 0 exactly in the others: also the rotation [[c, s], [−s, c]] that
    diagonalises the symmetric [[α, γ], [γ, β]] (by JᵀMJ), for the symmetric
    eigen kernel."""
    cdef vreal one, zero, guard, d, g, r, w, q, x, y
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&guard, r_square_guard(<double>0))
    else:
        v_set1(&guard, r_square_guard(<float>0))
    v_set1(&one, 1)
    v_set1(&zero, 0)
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


cdef inline real worth_checking(real value_type) noexcept nogil:
    """ε^¼.  Jacobi converges quadratically: after a sweep whose largest |sin θ|
    was δ, the next would rotate by about δ², so a convergence check (a
    fraction of a sweep) can succeed only after a sweep with δ about √ε or
    less: run it after those with δ below ε^¼, a wide margin."""
    return r_sqrt(r_sqrt(r_eps(value_type)))


cdef inline void column_pair_products(const real* x, const real* y, Py_ssize_t m,
                                      Py_ssize_t stride, vreal* alpha, vreal* beta,
                                      vreal* gamma) noexcept nogil:
    """α = ‖x‖², β = ‖y‖², γ = xᵀy of columns x, y of length m, a vector of lanes."""
    cdef vreal xk, yk
    cdef Py_ssize_t k
    v_set1(alpha, 0)
    v_set1(beta, 0)
    v_set1(gamma, 0)
    for k in range(m):
        v_load(&xk, x + k * stride)
        v_load(&yk, y + k * stride)
        v_fmadd(alpha, &xk, &xk, alpha)
        v_fmadd(beta, &yk, &yk, beta)
        v_fmadd(gamma, &xk, &yk, gamma)


cdef inline void rotate_columns(real* x, real* y, Py_ssize_t length, Py_ssize_t stride,
                                const vreal* c, const vreal* s) noexcept nogil:
    """[x y] ← [x y]·[[c, s], [−s, c]] for columns of `length`, a vector of lanes."""
    cdef vreal xk, yk, p, minus_s
    cdef Py_ssize_t k
    v_set1(&p, 0)
    v_sub(&minus_s, &p, s)
    for k in range(length):
        v_load(&xk, x + k * stride)
        v_load(&yk, y + k * stride)
        v_mul(&p, &minus_s, &yk)
        v_fmadd(&p, c, &xk, &p)
        v_store(x + k * stride, &p)
        v_mul(&p, c, &yk)
        v_fmadd(&p, s, &xk, &p)
        v_store(y + k * stride, &p)


cdef inline Py_ssize_t column_pairs(Py_ssize_t n, unsigned char* first,
                                    unsigned char* second) noexcept nogil:
    """Every pair of n columns once, as (smaller, larger), in the order a sweep
    takes them; returns their number.  Up to ROUND_ROBIN_COLUMNS columns, in
    steps of disjoint pairs (the circle method): the pairs of a step are
    independent, so their chains overlap.  Wider, row by row (cyclic), which
    reuses column i while it is in L1: there the round-robin order ran 16×16
    and 32×32 blocks 15–30% slower, against 5–10% faster from 4×4 to 8×8."""
    cdef Py_ssize_t players = n + (n & 1), count = 0, step, k, p, q
    if n > ROUND_ROBIN_COLUMNS:
        for p in range(n - 1):
            for q in range(p + 1, n):
                first[count] = <unsigned char>p
                second[count] = <unsigned char>q
                count += 1
        return count
    for step in range(players - 1):
        for k in range(players // 2):
            p = 0 if k == 0 else (k - 1 + step) % (players - 1) + 1
            q = (players - 2 - k + step) % (players - 1) + 1
            if p < n and q < n:     # (for odd n, player n sits out)
                first[count] = <unsigned char>min(p, q)
                second[count] = <unsigned char>max(p, q)
                count += 1
    return count


cdef inline bint any_pair_needs_rotation(const real* a, Py_ssize_t m, Py_ssize_t n,
                                         double tol, Py_ssize_t groups, Py_ssize_t stride,
                                         vreal* vector_type) noexcept nogil:
    """Whether a sweep would rotate any column pair of any lane (`groups`
    vectors of lanes): a pass without square roots or divisions that spares the
    last sweep, whose rotations would all be 1.  The same products and test as
    the sweep's, so that the two never disagree on a lane."""
    cdef vreal alpha, beta, gamma, needed
    cdef Py_ssize_t width = vector_lanes(vector_type), i, j, g
    for i in range(n - 1):
        for j in range(i + 1, n):
            for g in range(groups):
                column_pair_products(a + i * m * stride + g * width,
                                     a + j * m * stride + g * width, m, stride, &alpha,
                                     &beta, &gamma)
                rotation_needed_vector(&alpha, &beta, &gamma, tol, &needed)
                if v_any(&needed):
                    return True
    return False


cdef inline void sweeps_of_vectors(real* a, Py_ssize_t m, Py_ssize_t n, real* v,
                                   Py_ssize_t vlen, bint want_uv, Py_ssize_t groups,
                                   Py_ssize_t stride, vreal* vector_type) noexcept nogil:
    """jacobi_sweeps on `groups` whole vectors of lanes: each column pair (in
    the order of column_pairs) of every group in turn, the groups' work
    overlapping."""
    cdef double tol = r_sqrt(<real>m) * r_eps(<real>0)
    cdef vreal small_sine, alpha, beta, gamma, c, s, needed, rotated, large, x
    cdef unsigned char first[MAX_PAIRS]
    cdef unsigned char second[MAX_PAIRS]
    cdef Py_ssize_t pairs = column_pairs(n, first, second)
    cdef Py_ssize_t width = vector_lanes(vector_type), _sweep, i, j, g, k
    cdef real* ai
    cdef real* aj
    cdef bint any_large = True
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&small_sine, worth_checking(<double>0))
    else:
        v_set1(&small_sine, worth_checking(<float>0))
    for _sweep in range(MAX_SWEEPS):
        if not any_large and not any_pair_needs_rotation(a, m, n, tol, groups, stride,
                                                         vector_type):
            break
        v_set1(&rotated, 0)
        v_set1(&large, 0)
        for k in range(pairs):
            i = first[k]
            j = second[k]
            for g in range(groups):
                ai = a + i * m * stride + g * width
                aj = a + j * m * stride + g * width
                column_pair_products(ai, aj, m, stride, &alpha, &beta, &gamma)
                jacobi_rotation_vector(&alpha, &beta, &gamma, tol, &c, &s, &needed)
                v_max(&rotated, &rotated, &needed)
                v_abs(&x, &s)
                v_less_equal(&x, &small_sine, &x)
                v_max(&large, &large, &x)
                rotate_columns(ai, aj, m, stride, &c, &s)
                if want_uv:
                    rotate_columns(v + i * vlen * stride + g * width,
                                   v + j * vlen * stride + g * width, vlen, stride, &c, &s)
        if not v_any(&rotated):
            break
        any_large = v_any(&large)


cdef inline void jacobi_sweeps(real* a, Py_ssize_t m, Py_ssize_t n, real* v, Py_ssize_t vlen,
                               bint want_uv, Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """One-sided (Hestenes) Jacobi on scaled M×N matrices, M ≥ N: rotate column
    pairs until no pair of any lane needs it (jacobi_rotation_vector), at most
    MAX_SWEEPS sweeps; converged lanes get identity rotations meanwhile.  The
    columns of v (of length vlen) are rotated alongside."""
    cdef Py_ssize_t width = VD_LANES if real is double else VF_LANES
    cdef Py_ssize_t padded = (lanes + width - 1) // width * width
    if lanes == 1 or padded > stride:
        # A lone matrix (or lanes that whole vectors would overrun): one-lane
        # vectors, with the latency of scalar code and the bits of a block.
        if real is double:
            sweeps_of_vectors(a, m, n, v, vlen, want_uv, lanes, stride, <vdouble1*>NULL)
        else:
            sweeps_of_vectors(a, m, n, v, vlen, want_uv, lanes, stride, <vfloat1*>NULL)
        return
    # Whole vectors: the padding lanes become zero matrices, which rotate nothing.
    zero_lanes(a, m * n, lanes, padded, stride)
    if want_uv:
        zero_lanes(v, vlen * n, lanes, padded, stride)
    if real is double:
        sweeps_of_vectors(a, m, n, v, vlen, want_uv, padded // width, stride, <vdouble*>NULL)
    else:
        sweeps_of_vectors(a, m, n, v, vlen, want_uv, padded // width, stride, <vfloat*>NULL)
