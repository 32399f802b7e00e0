"""Kabsch and Umeyama: the rigid (or similarity) transform p ≈ s·R·q + t that
best maps each set of points q onto the set p, in the weighted least-squares
sense, for d = 2 or 3.

Each set is read where numpy's strides put it, without temporaries: the
weighted centroids, then the cross-covariance C = Σ wᵢ (pᵢ − p̄)(qᵢ − q̄)ᵀ, of
a block of sets into the kernels' structure-of-arrays layout, whose nearest
rotation (or, with reflections allowed, orthogonal polar factor) the SVD
kernels and _kernel_derived give; then scale, translation and the weighted
RMSD, the last from the residuals themselves so that a near-perfect fit keeps
its digits.  Every set is first scaled by a power of two (exact), so that no
sum of squares overflows or underflows.
"""
from numpy cimport npy_intp
from libc.math cimport NAN

from libc.math cimport fabs, sqrt

from fastsvd._kernel_scalar cimport real, BLOCK_LANES, r_max, power_of_two_scale
from fastsvd._kernel_derived cimport derive_lanes, ROTATION, POLAR_FROM_V
from fastsvd.kernels cimport svd_lanes, kernel_for_shape, KernelId


cdef struct PointSets:
    # One gufunc call of (k,d),(k,d),(k)->(d,d),(d),(),(): `count` pairs of
    # sets of k points in d dimensions, their weights and the outputs.
    npy_intp count
    Py_ssize_t k, d
    char* p
    npy_intp p_outer, p_point, p_coord
    char* q
    npy_intp q_outer, q_point, q_coord
    char* w
    npy_intp w_outer, w_point
    char* rotation
    npy_intp rotation_outer, rotation_row, rotation_col
    char* translation
    npy_intp translation_outer, translation_step
    char* scale
    npy_intp scale_outer
    char* rmsd
    npy_intp rmsd_outer


cdef inline PointSets unpack_point_sets(char** args, npy_intp* dimensions,
                                        npy_intp* steps) noexcept nogil:
    cdef PointSets sets
    cdef npy_intp* core = steps + 7
    sets.count, sets.k, sets.d = dimensions[0], dimensions[1], dimensions[2]
    sets.p, sets.p_outer, sets.p_point, sets.p_coord = args[0], steps[0], core[0], core[1]
    sets.q, sets.q_outer, sets.q_point, sets.q_coord = args[1], steps[1], core[2], core[3]
    sets.w, sets.w_outer, sets.w_point = args[2], steps[2], core[4]
    sets.rotation, sets.rotation_outer = args[3], steps[3]
    sets.rotation_row, sets.rotation_col = core[5], core[6]
    sets.translation, sets.translation_outer, sets.translation_step = args[4], steps[4], core[7]
    sets.scale, sets.scale_outer = args[5], steps[5]
    sets.rmsd, sets.rmsd_outer = args[6], steps[6]
    return sets


cdef inline double coordinate(const char* points, npy_intp point_step, npy_intp coord_step,
                              Py_ssize_t i, Py_ssize_t c, real value_type) noexcept nogil:
    return (<const real*>(points + i * point_step + c * coord_step))[0]


cdef inline double weight_of(const char* weights, npy_intp point_step, Py_ssize_t i,
                             real value_type) noexcept nogil:
    return (<const real*>(weights + i * point_step))[0]


cdef struct SetMoments:
    # Of one pair of sets, in units of 2^e (down = 2^−e, up1·up2 = 2^e):
    # weighted centroids, Σw, Σw|q − q̄|² and whether every point was finite
    # and the weights valid.
    # (In double for float32 sets too: the sums over the points gain digits.)
    double p_centre[3]
    double q_centre[3]
    double weight, q_spread, down, up1, up2
    bint finite


cdef inline SetMoments covariance_of_set(const PointSets* sets, npy_intp index, real* a,
                                         Py_ssize_t stride, real value_type) noexcept nogil:
    """The moments of set `index`, and its cross-covariance C (scaled) into a
    (d×d, column-major, entries `stride` apart; zero for a non-finite set)."""
    cdef SetMoments mo
    cdef Py_ssize_t k = sets.k, d = sets.d, i, c, r
    cdef const char* p = sets.p + index * sets.p_outer
    cdef const char* q = sets.q + index * sets.q_outer
    cdef const char* w = sets.w + index * sets.w_outer
    cdef double big = 0, x, y, wi
    cdef double dp[3]
    cdef double dq[3]
    cdef double cov[9]
    mo.finite = True
    for i in range(k):
        for c in range(d):
            x = coordinate(p, sets.p_point, sets.p_coord, i, c, value_type)
            y = coordinate(q, sets.q_point, sets.q_coord, i, c, value_type)
            mo.finite &= (x - x == 0) & (y - y == 0)
            big = r_max(big, r_max(fabs(x), fabs(y)))
    power_of_two_scale(big, &mo.down, &mo.up1, &mo.up2)
    mo.weight = 0
    for c in range(d):
        mo.p_centre[c] = mo.q_centre[c] = 0
    for i in range(k):
        wi = weight_of(w, sets.w_point, i, value_type)
        mo.finite &= (wi >= 0) & (wi - wi == 0)
        mo.weight += wi
        for c in range(d):
            mo.p_centre[c] += wi * (coordinate(p, sets.p_point, sets.p_coord, i, c, value_type)
                                    * mo.down)
            mo.q_centre[c] += wi * (coordinate(q, sets.q_point, sets.q_coord, i, c, value_type)
                                    * mo.down)
    # (Weights negative, not finite or all zero make the set's results NaN, as
    # NaN in its points does: fastsvd.kabsch rejects them before.)
    mo.finite &= mo.weight > 0
    for c in range(d):
        mo.p_centre[c] /= mo.weight
        mo.q_centre[c] /= mo.weight
    mo.q_spread = 0
    for r in range(d * d):
        cov[r] = 0
    for i in range(k):
        wi = weight_of(w, sets.w_point, i, value_type)
        for c in range(d):
            dp[c] = coordinate(p, sets.p_point, sets.p_coord, i, c, value_type) * mo.down \
                - mo.p_centre[c]
            dq[c] = coordinate(q, sets.q_point, sets.q_coord, i, c, value_type) * mo.down \
                - mo.q_centre[c]
            mo.q_spread += wi * (dq[c] * dq[c])
        for c in range(d):          # C[r, c] = Σ w·dp[r]·dq[c], column-major
            for r in range(d):
                cov[c * d + r] += wi * (dp[r] * dq[c])
    for r in range(d * d):
        a[r * stride] = <real>cov[r] if mo.finite else <real>0
    return mo


cdef inline void finish_set(const PointSets* sets, npy_intp index, const SetMoments* mo,
                            const real* rotation, const real* s, bint similarity,
                            Py_ssize_t stride, real value_type) noexcept nogil:
    """Scale, translation and weighted RMSD of set `index` from its rotation
    (d×d, column-major, `stride` apart) and the signed σ of its C, written to
    the outputs with R (all NaN for a set that was not finite)."""
    cdef Py_ssize_t k = sets.k, d = sets.d, i, c, r
    cdef const char* p = sets.p + index * sets.p_outer
    cdef const char* q = sets.q + index * sets.q_outer
    cdef const char* w = sets.w + index * sets.w_outer
    cdef double trace = 0, scale = 1, residual = 0, wi, e, nan = NAN
    cdef double dq[3]
    cdef double turn[9]
    cdef bint coincident = not s[0] > 0     # C = 0: every rotation fits; the identity
    for c in range(d):
        trace += s[c * stride]
    for r in range(d * d):
        turn[r] = (1 if r % (d + 1) == 0 else 0) if coincident else rotation[r * stride]
    # (A set q of one point has no spread: every scale fits it; 1 is taken.)
    if similarity and mo.q_spread > 0:
        scale = trace / mo.q_spread
    for i in range(k):
        wi = weight_of(w, sets.w_point, i, value_type)
        for c in range(d):
            dq[c] = coordinate(q, sets.q_point, sets.q_coord, i, c, value_type) * mo.down \
                - mo.q_centre[c]
        for r in range(d):
            e = coordinate(p, sets.p_point, sets.p_coord, i, r, value_type) * mo.down \
                - mo.p_centre[r]
            for c in range(d):
                e -= scale * (turn[c * d + r] * dq[c])
            residual += wi * (e * e)
    for r in range(d):
        e = 0
        for c in range(d):
            e += turn[c * d + r] * mo.q_centre[c]
            (<real*>(sets.rotation + index * sets.rotation_outer + r * sets.rotation_row
                     + c * sets.rotation_col))[0] = turn[c * d + r] if mo.finite else nan
        (<real*>(sets.translation + index * sets.translation_outer
                 + r * sets.translation_step))[0] = (
            ((mo.p_centre[r] - scale * e) * mo.up1) * mo.up2 if mo.finite else nan)
    (<real*>(sets.scale + index * sets.scale_outer))[0] = scale if mo.finite else nan
    (<real*>(sets.rmsd + index * sets.rmsd_outer))[0] = (
        (sqrt(residual / mo.weight) * mo.up1) * mo.up2 if mo.finite else nan)


cdef inline bint kabsch_blocks(const PointSets* sets, bint similarity, bint reflection,
                               real value_type) noexcept nogil:
    """Every set of `sets`, a block of BLOCK_LANES at a time: returns whether
    every point was finite (the others' sets get NaN outputs)."""
    cdef Py_ssize_t d = sets.d, block = BLOCK_LANES, lanes, l
    cdef KernelId kernel = kernel_for_shape(d, d)
    cdef real a[9 * BLOCK_LANES]
    cdef real u[9 * BLOCK_LANES]
    cdef real v[9 * BLOCK_LANES]
    cdef real s[3 * BLOCK_LANES]
    cdef real r[9 * BLOCK_LANES]
    cdef real p[9 * BLOCK_LANES]
    cdef SetMoments moments[BLOCK_LANES]
    cdef npy_intp start = 0
    cdef bint finite = True
    while start < sets.count:
        lanes = min(block, sets.count - start)
        for l in range(lanes):
            moments[l] = covariance_of_set(sets, start + l, a + l, block, value_type)
            finite &= moments[l].finite
        if lanes == BLOCK_LANES:
            svd_lanes(kernel, a, d, d, u, s, v, d, True, BLOCK_LANES, BLOCK_LANES)
        else:
            svd_lanes(kernel, a, d, d, u, s, v, d, True, lanes, block)
        derive_lanes(POLAR_FROM_V if reflection else ROTATION, d, d, u, s, v, d, NULL, r, p,
                     lanes, block)
        for l in range(lanes):
            finish_set(sets, start + l, &moments[l], r + l, s + l, similarity, block,
                       value_type)
        start += block
    return finite
