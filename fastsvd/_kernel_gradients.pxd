"""Derivatives of the SVD family and of the symmetric eigen decomposition:
vector–Jacobian products (reverse mode) and Jacobian–vector products (forward
mode), one matrix at a time, from the forward call's own factors.

Everything is said in the basis of those factors.  For A = U·S·Vᵀ (M ≥ N,
thin) a perturbation dA is G = Uᵀ·dA·V in it, and the pair (i, j) of the
rotations of U and V splits into a part over σᵢ + σⱼ and a part over σⱼ − σᵢ:

    (Ω_U − Ω_V)ᵢⱼ = (Gᵢⱼ − Gⱼᵢ) / (σᵢ + σⱼ)
    (Ω_U + Ω_V)ᵢⱼ = (Gᵢⱼ + Gⱼᵢ) / (σⱼ − σᵢ)

The rotation and polar factors need the first only, so they stay finite
unless two σ are zero (with the signed SVD's σ, unless σₙ₋₁ = −σₙ); U and V
alone need the second, which blows up as σ repeat.  A denominator at or
under tol = eps·max|σ| (or max|λ|) is treated as making its term zero.  That
is exact where U and V enter the loss with equal weights across the
repeated σ (U·Vᵀ, U·Uᵀ) and not otherwise (U·S·Vᵀ: the term has a limit that
the cotangents of U and V alone do not tell), so the flag output says where
it was done to a pair that carried a cotangent.

All routines take row-major contiguous operands (the gufunc loop copies them
in and out) and a scratch of SCRATCH_MATRICES matrices; Vh is Vᵀ as numpy
returns it.  NaN in gives NaN out, in that matrix only.
"""
from fastsvd._kernel_scalar cimport real, r_abs, MAX_KERNEL_DIM


cdef enum:
    SCRATCH_MATRICES = 5
    MATRIX = MAX_KERNEL_DIM * MAX_KERNEL_DIM


cdef enum Gradient:
    # Reverse mode: the cotangent of A from the cotangents of the outputs.
    SVD_VJP, SVDVALS_VJP, POLAR_VJP, ROTATION_VJP, PINV_VJP, LOW_RANK_VJP, EIGH_VJP
    EIGVALSH_VJP
    # Forward mode: the outputs' tangents from the tangent dA.
    # (low_rank's is LOW_RANK_VJP's map: it is self-adjoint.)
    SVD_JVP, SVDVALS_JVP, POLAR_JVP, ROTATION_JVP, PINV_JVP, EIGH_JVP, EIGVALSH_JVP


cdef inline void mul_nn(const real* a, const real* b, real* out, Py_ssize_t rows,
                        Py_ssize_t inner, Py_ssize_t cols) noexcept nogil:
    """out (rows×cols) = a (rows×inner) · b (inner×cols)."""
    cdef Py_ssize_t i, j, k
    cdef real x
    for i in range(rows):
        for j in range(cols):
            out[i * cols + j] = 0
        for k in range(inner):
            x = a[i * inner + k]
            for j in range(cols):
                out[i * cols + j] += x * b[k * cols + j]


cdef inline void mul_tn(const real* a, const real* b, real* out, Py_ssize_t rows,
                        Py_ssize_t inner, Py_ssize_t cols) noexcept nogil:
    """out (inner×cols) = aᵀ · b, a rows×inner, b rows×cols."""
    cdef Py_ssize_t i, j, k
    cdef real x
    for i in range(inner * cols):
        out[i] = 0
    for k in range(rows):
        for i in range(inner):
            x = a[k * inner + i]
            for j in range(cols):
                out[i * cols + j] += x * b[k * cols + j]


cdef inline void mul_nt(const real* a, const real* b, real* out, Py_ssize_t rows,
                        Py_ssize_t inner, Py_ssize_t cols) noexcept nogil:
    """out (rows×cols) = a · bᵀ, a rows×inner, b cols×inner."""
    cdef Py_ssize_t i, j, k
    cdef real acc
    for i in range(rows):
        for j in range(cols):
            acc = 0
            for k in range(inner):
                acc += a[i * inner + k] * b[j * inner + k]
            out[i * cols + j] = acc


cdef inline void in_basis(const real* u, const real* x, const real* vh, real* out, real* work,
                          Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """out (M×N) = U·X·Vh, X N×N."""
    mul_nn(u, x, work, m, n, n)
    mul_nn(work, vh, out, m, n, n)


cdef inline void to_basis(const real* u, const real* y, const real* vh, real* out, real* work,
                          Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """out (N×N) = Uᵀ·Y·V, Y M×N."""
    mul_tn(u, y, work, m, n, n)
    mul_nt(work, vh, out, n, n, n)


cdef inline real ratio(real numerator, real denominator, real tol, real* flag) noexcept nogil:
    """numerator / denominator, or 0 where |denominator| ≤ tol (flagged when
    that drops a non-zero numerator)."""
    if r_abs(denominator) <= tol:
        if numerator != 0:
            flag[0] = 1
        return 0
    return numerator / denominator


cdef inline real tolerance(const real* values, Py_ssize_t n, real eps) noexcept nogil:
    cdef real largest = 0
    cdef Py_ssize_t i
    for i in range(n):
        largest = max(largest, r_abs(values[i]))
    return eps * largest


cdef inline void add_complement(const real* u, const real* y, const real* basis,
                                const real* weights, const real* s, const real* vh,
                                real* out, real* work, real tol, real* flag, Py_ssize_t m,
                                Py_ssize_t n) noexcept nogil:
    """out += (Y − U·B)·W·Vh, the part of Y (M×N) outside U's columns, B = Uᵀ·Y
    given (N×N); W = diag(weights) or, weights NULL, S⁻¹ (dropped under tol)."""
    cdef Py_ssize_t i, j, k
    cdef real acc
    for i in range(m):
        for j in range(n):
            acc = y[i * n + j]
            for k in range(n):
                acc -= u[i * n + k] * basis[k * n + j]
            work[i * n + j] = acc * weights[j] if weights != NULL else ratio(acc, s[j], tol, flag)
    for i in range(m):
        for k in range(n):
            acc = work[i * n + k]
            for j in range(n):
                out[i * n + j] += acc * vh[k * n + j]


cdef inline void mirror_lower(real* a, Py_ssize_t n) noexcept nogil:
    """a's lower triangle onto its upper: symmetric to the bit."""
    cdef Py_ssize_t i, j
    for i in range(n):
        for j in range(i):
            a[j * n + i] = a[i * n + j]


cdef inline void svd_vjp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                         const real* vh, const real* gu, const real* gs, const real* gvh,
                         real eps, real* ga, real* flag, real* scratch) noexcept nogil:
    """ga = the cotangent of A from those of U, S, Vh (gu, gvh NULL: svdvals')."""
    cdef real* j_ = scratch
    cdef real* k_ = scratch + MATRIX
    cdef real* x = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real tol = tolerance(s, n, eps), jj, kk, p, q
    cdef Py_ssize_t i, j
    flag[0] = 0
    for i in range(n * n):
        x[i] = 0
    for i in range(n):
        x[i * n + i] = gs[i]
    if gu != NULL:
        mul_tn(u, gu, j_, m, n, n)
        mul_nt(vh, gvh, k_, n, n, n)
        for i in range(n):
            for j in range(i + 1, n):
                jj = j_[i * n + j] - j_[j * n + i]
                kk = k_[i * n + j] - k_[j * n + i]
                # Flagged whenever the pair carries a cotangent: (jj + kk)
                # may vanish at the repeated σ and still have a limit.
                if (r_abs(s[j] - s[i]) <= tol or r_abs(s[i] + s[j]) <= tol) and (
                        j_[i * n + j] != 0 or j_[j * n + i] != 0
                        or k_[i * n + j] != 0 or k_[j * n + i] != 0):
                    flag[0] = 1
                p = ratio((jj - kk) / 2, s[i] + s[j], tol, flag)
                q = ratio((jj + kk) / 2, s[j] - s[i], tol, flag)
                x[i * n + j] = p + q
                x[j * n + i] = q - p
    in_basis(u, x, vh, ga, work, m, n)
    if gu != NULL and m > n:
        add_complement(u, gu, j_, NULL, s, vh, ga, work, tol, flag, m, n)


cdef inline void svd_jvp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                         const real* vh, const real* da, real eps, real* du, real* ds,
                         real* dvh, real* flag, real* scratch) noexcept nogil:
    """The tangents of U, S, Vh from dA (du, dvh NULL: svdvals')."""
    cdef real* g = scratch
    cdef real* omega_u = scratch + MATRIX
    cdef real* omega_v = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real tol = tolerance(s, n, eps), p, q
    cdef Py_ssize_t i, j, k
    flag[0] = 0
    to_basis(u, da, vh, g, work, m, n)
    for i in range(n):
        ds[i] = g[i * n + i]
    if du == NULL:
        return
    for i in range(n):
        omega_u[i * n + i] = omega_v[i * n + i] = 0
        for j in range(i + 1, n):
            p = ratio(g[i * n + j] - g[j * n + i], s[i] + s[j], tol, flag)
            q = ratio(g[i * n + j] + g[j * n + i], s[j] - s[i], tol, flag)
            omega_u[i * n + j] = (p + q) / 2
            omega_u[j * n + i] = -(p + q) / 2
            # dVh = (V·Ω_V)ᵀ = −Ω_V·Vh: its transposed Ω here.
            omega_v[i * n + j] = (p - q) / 2
            omega_v[j * n + i] = (q - p) / 2
    mul_nn(u, omega_u, du, m, n, n)
    mul_nn(omega_v, vh, dvh, n, n, n)
    if m > n:   # dU's part outside U: (I − U·Uᵀ)·dA·V·S⁻¹
        mul_nt(da, vh, work, m, n, n)
        for i in range(m):
            for j in range(n):
                p = work[i * n + j]
                for k in range(n):
                    p -= u[i * n + k] * g[k * n + j]
                du[i * n + j] += ratio(p, s[j], tol, flag)


cdef inline real share(real s_i, real s_j, real carried, real tol,
                       real* flag) noexcept nogil:
    """σᵢ/(σᵢ + σⱼ), P's weight of the pair's entry (i, j) (so that σ·G, which
    overflows at 1e300, is never formed); ½, its limit at σᵢ = σⱼ, where both
    are under tol, flagged if the pair carried a cotangent (tangent)."""
    if r_abs(s_i + s_j) <= tol:
        if carried != 0:
            flag[0] = 1
        return <real>0.5
    return s_i / (s_i + s_j)


cdef inline void polar_vjp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                           const real* vh, const real* gr, const real* gp, real eps,
                           real* ga, real* flag, real* scratch) noexcept nogil:
    """ga from the cotangents of R = U·Vh and of P = V·S·Vh (gp NULL: the
    rotation's, with the signed SVD's factors)."""
    cdef real* mm = scratch
    cdef real* nn = scratch + MATRIX
    cdef real* x = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real tol = tolerance(s, n, eps), sym, anti
    cdef Py_ssize_t i, j
    flag[0] = 0
    to_basis(u, gr, vh, mm, work, m, n)
    if gp != NULL:
        mul_nn(vh, gp, work, n, n, n)
        mul_nt(work, vh, nn, n, n, n)
    for i in range(n):
        x[i * n + i] = nn[i * n + i] if gp != NULL else 0
        for j in range(i + 1, n):
            sym = nn[i * n + j] + nn[j * n + i] if gp != NULL else 0
            anti = mm[i * n + j] - mm[j * n + i]
            x[i * n + j] = (ratio(anti, s[i] + s[j], tol, flag)
                            + share(s[i], s[j], sym, tol, flag) * sym)
            x[j * n + i] = (ratio(-anti, s[i] + s[j], tol, flag)
                            + share(s[j], s[i], sym, tol, flag) * sym)
    in_basis(u, x, vh, ga, work, m, n)
    if m > n:   # (I − U·Uᵀ)·R̄·V·S⁻¹·Vh
        mul_nt(gr, vh, nn, m, n, n)
        add_complement(u, nn, mm, NULL, s, vh, ga, work, tol, flag, m, n)


cdef inline void polar_jvp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                           const real* vh, const real* da, real eps, real* dr, real* dp,
                           real* flag, real* scratch) noexcept nogil:
    """The tangents of R = U·Vh and P = V·S·Vh from dA."""
    cdef real* g = scratch
    cdef real* omega = scratch + MATRIX
    cdef real* k_ = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real tol = tolerance(s, n, eps)
    cdef Py_ssize_t i, j
    flag[0] = 0
    to_basis(u, da, vh, g, work, m, n)
    for i in range(n):
        omega[i * n + i] = 0
        k_[i * n + i] = g[i * n + i]
        for j in range(i + 1, n):
            omega[i * n + j] = ratio(g[i * n + j] - g[j * n + i], s[i] + s[j], tol, flag)
            omega[j * n + i] = -omega[i * n + j]
            k_[i * n + j] = k_[j * n + i] = (
                share(s[i], s[j], g[i * n + j] + g[j * n + i], tol, flag) * g[i * n + j]
                + share(s[j], s[i], g[i * n + j] + g[j * n + i], tol, flag) * g[j * n + i])
    in_basis(u, omega, vh, dr, work, m, n)
    if m > n:   # (I − U·Uᵀ)·dA·V·S⁻¹·Vh
        mul_nt(da, vh, omega, m, n, n)
        add_complement(u, omega, g, NULL, s, vh, dr, work, tol, flag, m, n)
    mul_nn(k_, vh, work, n, n, n)
    mul_tn(vh, work, dp, n, n, n)
    mirror_lower(dp, n)


cdef inline void inverted(const real* s, real rcond, real* inverse, real* cut,
                          Py_ssize_t n) noexcept nogil:
    """S⁺ as the pinv kernel makes it (σ > rcond·σ₁ inverted) and which σ it cut."""
    cdef Py_ssize_t i
    cdef real cutoff = rcond * s[0] if n else 0
    for i in range(n):
        cut[i] = 0 if s[i] > cutoff else 1
        inverse[i] = 0 if cut[i] else 1 / s[i]


cdef inline real cut_coupling(const real* inverse, const real* cut, Py_ssize_t i,
                              Py_ssize_t j) noexcept nogil:
    """How a kept σ couples to a cut one in the pseudo-inverse's derivative:
    1/σ² of the kept one of the pair (i, j), 0 unless exactly one is cut.
    (Selected, not multiplied by 0 or 1: 1/σ² may be Inf.)"""
    if cut[i] and not cut[j]:
        return inverse[j] * inverse[j]
    if cut[j] and not cut[i]:
        return inverse[i] * inverse[i]
    return 0


cdef inline void pinv_vjp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                          const real* vh, real rcond, const real* gx, real* ga,
                          real* scratch) noexcept nogil:
    """ga from the cotangent gx (N×M) of X = V·S⁺·Uᵀ, at a fixed rank."""
    cdef real* t = scratch
    cdef real* nt = scratch + MATRIX
    cdef real* x = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real inverse[MAX_KERNEL_DIM]
    cdef real cut[MAX_KERNEL_DIM]
    cdef real unused_flag
    cdef Py_ssize_t i, j, k
    inverted(s, rcond, inverse, cut, n)
    mul_nn(gx, u, t, n, m, n)       # X̄·U
    mul_nn(vh, t, nt, n, n, n)      # Nᵀ = Vᵀ·X̄·U, N = Uᵀ·X̄ᵀ·V
    for i in range(n):
        for j in range(n):
            x[i * n + j] = (-inverse[i] * nt[i * n + j] * inverse[j]
                            + cut_coupling(inverse, cut, i, j) * nt[j * n + i])
    in_basis(u, x, vh, ga, work, m, n)
    if m > n:   # (I − U·Uᵀ)·X̄ᵀ·V·S⁺²·Vh
        for i in range(m):
            for j in range(n):
                t[i * n + j] = 0
                for k in range(n):
                    t[i * n + j] += gx[k * m + i] * vh[j * n + k]
        for i in range(n):
            cut[i] = inverse[i] * inverse[i]
            for j in range(n):
                x[i * n + j] = nt[j * n + i]
        add_complement(u, t, x, cut, s, vh, ga, work, 0, &unused_flag, m, n)


cdef inline void pinv_jvp(Py_ssize_t m, Py_ssize_t n, const real* u, const real* s,
                          const real* vh, real rcond, const real* da, real* dx,
                          real* scratch) noexcept nogil:
    """The tangent of X = V·S⁺·Uᵀ (N×M) from dA, at a fixed rank."""
    cdef real* g = scratch
    cdef real* y = scratch + MATRIX
    cdef real* z = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real inverse[MAX_KERNEL_DIM]
    cdef real cut[MAX_KERNEL_DIM]
    cdef Py_ssize_t i, j, k
    cdef real acc
    inverted(s, rcond, inverse, cut, n)
    to_basis(u, da, vh, g, work, m, n)
    for i in range(n):
        for j in range(n):
            y[i * n + j] = (-inverse[i] * g[i * n + j] * inverse[j]
                            + cut_coupling(inverse, cut, i, j) * g[j * n + i])
    if m > n:
        mul_nt(da, vh, work, m, n, n)   # dA·V
    for i in range(n):      # Z = Y·Uᵀ + S⁺²·((I − U·Uᵀ)·dA·V)ᵀ, N×M
        for k in range(m):
            acc = 0
            for j in range(n):
                acc += y[i * n + j] * u[k * n + j]
            if m > n:
                for j in range(n):
                    acc -= inverse[i] * inverse[i] * u[k * n + j] * g[j * n + i]
                acc += inverse[i] * inverse[i] * work[k * n + i]
            z[i * m + k] = acc
    mul_tn(vh, z, dx, n, n, m)


cdef inline void kept_and_cut(real s_kept, real s_cut, real forward, real backward,
                              real tol, real* flag, real* to_forward,
                              real* to_backward) noexcept nogil:
    """The pair (kept σ, cut σ) of a low-rank derivative: with r = σ_cut/σ_kept,
    to_forward = (forward + r·backward)/(1 − r²) and to_backward =
    (r·forward + backward)/(1 − r²) (σ² never formed: no overflow at 1e±300);
    left as they are (0), and flagged, where the two σ are within tol."""
    cdef real r, w
    if r_abs(s_kept - s_cut) <= tol:
        flag[0] = 1
        return
    r = s_cut / s_kept
    w = 1 / ((1 - r) * (1 + r))
    to_forward[0] = (forward + r * backward) * w
    to_backward[0] = (r * forward + backward) * w


cdef inline void low_rank_derivative(Py_ssize_t m, Py_ssize_t n, const real* u,
                                     const real* s, const real* vh, Py_ssize_t rank,
                                     const real* y, real eps, real* out, real* flag,
                                     real* scratch) noexcept nogil:
    """The derivative of L = U·Sₖ·Vh (the `rank` largest σ kept) applied to Y:
    the tangent of L for Y = dA, and the cotangent of A for Y = L̄, the same
    map (it is self-adjoint: in the factors' basis it keeps the kept block,
    and weighs each kept and cut pair's two entries symmetrically)."""
    cdef real* g = scratch
    cdef real* h = scratch + MATRIX
    cdef real* t = scratch + 2 * MATRIX
    cdef real* work = scratch + 3 * MATRIX
    cdef real tol = tolerance(s, n, eps)
    cdef real keep[MAX_KERNEL_DIM]
    cdef Py_ssize_t a, b
    flag[0] = 0
    to_basis(u, y, vh, g, work, m, n)
    for a in range(n):
        keep[a] = 1 if a < rank else 0
        for b in range(n):
            h[a * n + b] = g[a * n + b] if a < rank and b < rank else 0
    for a in range(rank):
        for b in range(rank, n):
            if g[a * n + b] != 0 or g[b * n + a] != 0:
                kept_and_cut(s[a], s[b], g[a * n + b], g[b * n + a], tol, flag,
                             &h[a * n + b], &h[b * n + a])
    in_basis(u, h, vh, out, work, m, n)
    if m > n:   # (I − U·Uᵀ)·Y·Vₖ·Vₖᵀ
        mul_nt(y, vh, t, m, n, n)
        add_complement(u, t, g, keep, s, vh, out, work, 0, flag, m, n)


cdef inline void eigh_vjp(Py_ssize_t n, const real* w, const real* q, const real* gw,
                          const real* gq, real eps, real* ga, real* flag,
                          real* scratch) noexcept nogil:
    """ga (symmetric) from the cotangents of λ and Q (gq NULL: eigvalsh's)."""
    cdef real* j_ = scratch
    cdef real* x = scratch + MATRIX
    cdef real* work = scratch + 2 * MATRIX
    cdef real tol = tolerance(w, n, eps)
    cdef Py_ssize_t i, j
    flag[0] = 0
    if gq != NULL:
        mul_tn(q, gq, j_, n, n, n)
    for i in range(n):
        x[i * n + i] = gw[i]
        for j in range(i + 1, n):
            x[i * n + j] = x[j * n + i] = (
                ratio((j_[i * n + j] - j_[j * n + i]) / 2, w[j] - w[i], tol, flag)
                if gq != NULL else 0)
    mul_nn(q, x, work, n, n, n)
    mul_nt(work, q, ga, n, n, n)
    mirror_lower(ga, n)


cdef inline void eigh_jvp(Py_ssize_t n, const real* w, const real* q, const real* da,
                          real eps, real* dw, real* dq, real* flag,
                          real* scratch) noexcept nogil:
    """The tangents of λ and Q (dq NULL: eigvalsh's) from dA, taken symmetric:
    (dA + dAᵀ)/2."""
    cdef real* sym = scratch
    cdef real* g = scratch + MATRIX
    cdef real* work = scratch + 2 * MATRIX
    cdef real tol = tolerance(w, n, eps), coupling
    cdef Py_ssize_t i, j
    flag[0] = 0
    for i in range(n):
        for j in range(n):
            sym[i * n + j] = (da[i * n + j] + da[j * n + i]) / 2
    mul_tn(q, sym, work, n, n, n)
    mul_nn(work, q, g, n, n, n)
    for i in range(n):
        dw[i] = g[i * n + i]
    if dq == NULL:
        return
    for i in range(n):
        g[i * n + i] = 0
        for j in range(i + 1, n):
            coupling = g[i * n + j]
            g[i * n + j] = ratio(coupling, w[j] - w[i], tol, flag)
            g[j * n + i] = -g[i * n + j]
    mul_nn(q, g, dq, n, n, n)


cdef inline void gradient_matrix(Gradient kind, Py_ssize_t m, Py_ssize_t n, real** slot,
                                 real* scratch) noexcept nogil:
    """One matrix of a derivative gufunc: slot holds its operands in the
    signature's order (_gufunc_table.GRADIENT_GUFUNCS: the eigen ones take Q
    before λ), inputs then outputs, flags and intp inputs as reals."""
    cdef real unused_flag
    if kind == SVD_VJP:
        svd_vjp(m, n, slot[0], slot[1], slot[2], slot[3], slot[4], slot[5], slot[6][0],
                slot[7], slot[8], scratch)
    elif kind == SVDVALS_VJP:
        svd_vjp(m, n, slot[0], slot[1], slot[2], NULL, slot[3], NULL, 0, slot[4],
                &unused_flag, scratch)
    elif kind == POLAR_VJP:
        polar_vjp(m, n, slot[0], slot[1], slot[2], slot[3], slot[4], slot[5][0], slot[6],
                  slot[7], scratch)
    elif kind == ROTATION_VJP:
        polar_vjp(m, n, slot[0], slot[1], slot[2], slot[3], NULL, slot[4][0], slot[5],
                  slot[6], scratch)
    elif kind == PINV_VJP:
        pinv_vjp(m, n, slot[0], slot[1], slot[2], slot[3][0], slot[4], slot[5], scratch)
    elif kind == LOW_RANK_VJP:     # (also the forward mode: the map is self-adjoint)
        low_rank_derivative(m, n, slot[0], slot[1], slot[2], <Py_ssize_t>slot[3][0],
                            slot[4], slot[5][0], slot[6], slot[7], scratch)
    elif kind == EIGH_VJP:
        eigh_vjp(n, slot[1], slot[0], slot[2], slot[3], slot[4][0], slot[5], slot[6],
                 scratch)
    elif kind == EIGVALSH_VJP:
        eigh_vjp(n, slot[1], slot[0], slot[2], NULL, 0, slot[3], &unused_flag, scratch)
    elif kind == SVD_JVP:
        svd_jvp(m, n, slot[0], slot[1], slot[2], slot[3], slot[4][0], slot[5], slot[6],
                slot[7], slot[8], scratch)
    elif kind == SVDVALS_JVP:
        svd_jvp(m, n, slot[0], slot[1], slot[2], slot[3], 0, NULL, slot[4], NULL,
                &unused_flag, scratch)
    elif kind == POLAR_JVP:
        polar_jvp(m, n, slot[0], slot[1], slot[2], slot[3], slot[4][0], slot[5], slot[6],
                  slot[7], scratch)
    elif kind == ROTATION_JVP:     # (P's tangent into the spare scratch matrix)
        polar_jvp(m, n, slot[0], slot[1], slot[2], slot[3], slot[4][0], slot[5],
                  scratch + 4 * MATRIX, slot[6], scratch)
    elif kind == PINV_JVP:
        pinv_jvp(m, n, slot[0], slot[1], slot[2], slot[3][0], slot[4], slot[5], scratch)
    elif kind == EIGH_JVP:
        eigh_jvp(n, slot[1], slot[0], slot[2], slot[3][0], slot[4], slot[5], slot[6],
                 scratch)
    elif kind == EIGVALSH_JVP:
        eigh_jvp(n, slot[1], slot[0], slot[2], 0, slot[3], NULL, &unused_flag, scratch)
