"""The one place that defines fastsvd's accuracy bars, the tools to measure them,
and assert_svd_contract (assert_eigh_contract), the one check of an SVD (a
symmetric eigen decomposition) result that every test file uses.

Errors are measured in extended precision (numpy's longdouble for residuals,
mpmath at 40 digits for reference singular values), so that the measurement
itself does not add the ε it is trying to see.
"""
import mpmath
import numpy as np

EPS = {np.dtype(np.float32): float(np.finfo(np.float32).eps),
       np.dtype(np.float64): float(np.finfo(np.float64).eps)}

# Closed-form 2×2 and 3×2 kernels: backward error, orthogonality (in units of ε).
CLOSED_FORM_FACTOR = 20
# Jacobi kernels: 10·max(M, N)·ε for backward error, orthogonality and σ/σ₁.
JACOBI_FACTOR_PER_DIM = 10
# The smallest singular value, relative to itself (LAPACK only gets ε·σ₁ absolute).
SMALLEST_SIGMA_RELATIVE_FACTOR = 1000
# Graded matrices A = B·D (B well conditioned, D diagonal, any grading): one-sided
# Jacobi gets every σ to relative accuracy ~ε·κ(B) (Demmel & Veselić 1992); the
# bar is this factor times ε·κ(B), see graded_relative_tolerance.
GRADED_RELATIVE_FACTOR = 1000
# Symmetric eigen kernel: ‖A − QΛQᵀ‖/‖A‖, ‖QᵀQ − I‖ and |λ − λ_ref|/‖A‖₂ within
# this factor times N·ε; a positive definite A = D·B·D gets every λ relative to
# graded_relative_tolerance(dtype, κ(B)) (Demmel & Veselić 1992).
EIGH_FACTOR_PER_DIM = 10
# Derivatives (tests/test_gradients.py): ⟨ḡ, J·dA⟩ = ⟨Jᵀ·ḡ, dA⟩ to this factor
# times max(M, N)·ε of the sum of the products' sizes; and forward mode
# against central differences (step 1e-6·‖A‖, float64, σ gaps ≥ 5 %) to
# this relative error: the differences' own truncation and rounding.
ADJOINT_FACTOR_PER_DIM = 100
FINITE_DIFFERENCE_RELATIVE = 1e-6


def eps(dtype):
    return EPS[np.dtype(dtype)]


def tolerance(dtype, m, n):
    """Bar for backward error and orthogonality of an M×N decomposition, in absolute units."""
    if (max(m, n), min(m, n)) in ((2, 2), (3, 2)):
        return CLOSED_FORM_FACTOR * eps(dtype)
    return JACOBI_FACTOR_PER_DIM * max(m, n) * eps(dtype)


def adjoint_tolerance(dtype, m, n):
    """Bar for |⟨ḡ, J·dA⟩ − ⟨Jᵀ·ḡ, dA⟩| relative to the sizes of its terms."""
    return ADJOINT_FACTOR_PER_DIM * max(m, n) * eps(dtype)


def graded_relative_tolerance(dtype, kappa_b):
    """Relative bar |σ̂ − σ|/σ for every σ of A = B·D, with κ(B) the 2-norm condition of B."""
    return GRADED_RELATIVE_FACTOR * kappa_b * eps(dtype)


def kernel_tolerance(dtype, m, n, kernel):
    """The bar of a named kernel (fastsvd.kernel_name's names) on an M×N matrix: the
    closed-form bar for the Gram kernels, the Jacobi bar for every Jacobi kernel,
    whatever shape it is forced onto (the slow twins of test_kernel_twins.py)."""
    if kernel.startswith("gram-"):
        return CLOSED_FORM_FACTOR * eps(dtype)
    return JACOBI_FACTOR_PER_DIM * max(m, n) * eps(dtype)


def result_dtype(dtype):
    """The real dtype numpy's SVD computes in for input of this dtype (native byte
    order; float64 for integers and booleans)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    return np.dtype(np.finfo(dtype).dtype).newbyteorder("=")


def _ld(x):
    x = np.asarray(x)
    return x.astype(np.clongdouble if x.dtype.kind == "c" else np.longdouble)


def _residual_and_norm(a, u, s, vh):
    """(‖A − U·diag(S)·Vh‖_F, ‖A‖_F) per matrix in extended precision, thin or full U/Vh."""
    k = s.shape[-1]
    a = _ld(a)
    recon = (_ld(u)[..., :, :k] * _ld(s)[..., None, :]) @ _ld(vh)[..., :k, :]
    num = np.sqrt((np.abs(a - recon) ** 2).sum(axis=(-2, -1)))
    den = np.sqrt((np.abs(a) ** 2).sum(axis=(-2, -1)))
    return num, den


def backward_error(a, u, s, vh):
    """‖A − U·diag(S)·Vh‖_F / ‖A‖_F per matrix (0/0 counts as 0), thin or full U/Vh,
    real or complex."""
    num, den = _residual_and_norm(a, u, s, vh)
    return np.where(den > 0, num / np.where(den > 0, den, 1), num).astype(np.float64)


def orthogonality_error(q, rows=False):
    """max |QᴴQ − I| (or |QQᴴ − I| with rows=True) per matrix, real or complex."""
    q = _ld(q)
    if rows:
        q = np.swapaxes(q, -1, -2)
    gram = np.conj(np.swapaxes(q, -1, -2)) @ q
    eye = np.eye(gram.shape[-1], dtype=np.longdouble)
    return np.abs(gram - eye).max(axis=(-2, -1), initial=0).astype(np.float64)


def assert_svd_contract(a, result, *, full_matrices=None, bar=None, slack=0.0,
                        overflow_ok=False):
    """Assert the contract every SVD of a finite input meets (README, Accuracy).

    `result` is (U, S, Vh) for `a`, a stack (..., M, N) of any real or complex dtype
    (integers and booleans count as float64), `full_matrices` its flavour; or S
    alone (compute_uv=False), of which only the first three points are checked.

    * dtypes: S the real dtype numpy computes in (result_dtype), U and Vh that
      dtype too (its complex counterpart for complex input);
    * shapes: S (..., K), U (..., M, M) or (..., M, K), Vh (..., N, N) or
      (..., K, N), with K = min(M, N);
    * S finite, ≥ 0 and descending;
    * U and Vh finite, ‖A − U·diag(S)·Vh‖_F ≤ bar·‖A‖_F + slack, max |UᴴU − I| ≤ bar
      and max |Vh·Vhᴴ − I| ≤ bar, measured in extended precision.

    bar: tolerance(dtype, M, N) unless given (kernel_tolerance for a named kernel).
    slack: an absolute allowance on the residual, for σ stored on the subnormal grid.
    overflow_ok: σ may be +inf where ‖A‖_F itself is out of the dtype's range
    (≥ max·(1 − bar)); those matrices' U and Vh must still be finite and orthonormal.

    Returns the per-matrix backward error, U and Vh orthogonality errors (float64),
    or None for S alone.
    """
    a = np.asarray(a)
    values_only = isinstance(result, np.ndarray)
    u, s, vh = (None, result, None) if values_only else result
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    real = result_dtype(a.dtype)
    if bar is None:
        bar = tolerance(real, m, n)
    unit = eps(real)

    assert s.dtype == real, (s.dtype, real)
    assert s.shape == batch + (k,), s.shape
    overflow = ~np.isfinite(s).all(axis=-1)
    if np.any(overflow):
        assert overflow_ok, "non-finite S"
        assert not np.isnan(s).any(), "NaN in S"
    assert (s >= 0).all(), "negative singular value"
    assert (s[..., 1:] <= s[..., :-1]).all(), "singular values not descending"
    factor = np.result_type(real, np.complex64) if a.dtype.kind == "c" else real
    a = a.astype(factor)
    den = np.sqrt((np.abs(_ld(a)) ** 2).sum(axis=(-2, -1)))
    # σ₁ ≤ ‖A‖_F: an infinite σ is only allowed when ‖A‖_F is out of range.
    huge = float(np.finfo(real).max)
    assert np.all(den[overflow] >= huge * (1 - bar)), "σ overflowed for a representable ‖A‖"
    if values_only:
        return None

    assert full_matrices is not None, "full_matrices: which flavour U and Vh are"
    assert u.dtype == vh.dtype == factor, (u.dtype, vh.dtype, factor)
    assert u.shape == batch + ((m, m) if full_matrices else (m, k)), u.shape
    assert vh.shape == batch + ((n, n) if full_matrices else (k, n)), vh.shape
    assert np.isfinite(u).all() and np.isfinite(vh).all(), "non-finite U or Vh"
    num, _ = _residual_and_norm(a, u, np.where(overflow[..., None], 0, s), vh)
    within = (num <= bar * den + slack) | overflow
    back = np.where(den > 0, num / np.where(den > 0, den, 1), num).astype(np.float64)
    assert within.all(), (f"backward error {back[~within].max() / unit:.1f} eps "
                          f"> {bar / unit:.1f} eps"
                          + (f" (+ {slack:.3g} absolute)" if slack else ""))
    ou = orthogonality_error(u)
    ov = orthogonality_error(vh, rows=True)
    assert np.all(ou <= bar), f"U orthogonality {ou.max() / unit:.1f} eps > {bar / unit:.1f} eps"
    assert np.all(ov <= bar), f"Vh orthogonality {ov.max() / unit:.1f} eps > {bar / unit:.1f} eps"
    return back, ou, ov


def assert_singular_values_near(s, ref, bar, *, sigma1=None, slack=0.0):
    """|S − S_ref| ≤ bar·σ₁ + slack for each matrix of a stack (σ₁: the reference's
    largest singular value unless given), compared in extended precision."""
    s, ref = _ld(s), _ld(ref)
    assert s.shape == ref.shape, (s.shape, ref.shape)
    if s.size == 0:
        return
    if sigma1 is None:
        sigma1 = ref.max(axis=-1, keepdims=True)
    err = np.abs(s - ref)
    within = err <= bar * _ld(sigma1) + slack
    off = ~within.all(axis=-1)
    assert within.all(), (f"|S - S_ref| up to {float(err.max()):.3e} > {bar:.3e}·σ₁; "
                          f"S {s[off][:2]}, S_ref {ref[off][:2]}")


def reference_singular_values(a, digits=40):
    """Singular values of one real matrix to `digits` digits (mpmath), descending."""
    a = np.asarray(a, dtype=np.float64)
    with mpmath.workdps(digits):
        m = mpmath.matrix(a.tolist())
        values = mpmath.svd_r(m, compute_uv=False)
        return np.array(sorted((float(v) for v in values), reverse=True))


def eigh_tolerance(dtype, n):
    """Bar for the eigen decomposition of an N×N symmetric matrix, relative to ‖A‖."""
    return EIGH_FACTOR_PER_DIM * max(n, 1) * eps(dtype)


def reference_eigenvalues(a, digits=40):
    """Eigenvalues of one real symmetric matrix (its lower triangle) to `digits`
    digits (mpmath), ascending."""
    a = np.tril(np.asarray(a, dtype=np.float64))
    a = a + np.tril(a, -1).T
    with mpmath.workdps(digits):
        values = mpmath.eigsy(mpmath.matrix(a.tolist()), eigvals_only=True)
        return np.array(sorted(float(v) for v in values))


def assert_eigh_contract(a, w, q=None, *, upper=False, bar=None):
    """An eigen decomposition (w ascending, q's columns the eigenvectors) of each
    symmetric matrix of a stack, from the triangle numpy's UPLO reads: real
    outputs of the kernel dtype, ascending, A = QΛQᵀ and QᵀQ = I to the bar
    (eigh_tolerance unless given), in extended precision."""
    a = np.asarray(a)
    n = a.shape[-1]
    dtype = result_dtype(a.dtype)
    bar = eigh_tolerance(dtype, n) if bar is None else bar
    tri = np.triu(a) if upper else np.tril(a)
    sym = _ld(tri) + np.swapaxes(_ld(np.triu(a, 1) if upper else np.tril(a, -1)), -1, -2)
    assert w.dtype == dtype and w.shape == a.shape[:-1], (w.dtype, w.shape)
    assert (np.diff(w, axis=-1) >= 0).all(), "eigenvalues not ascending"
    norm = np.sqrt((sym ** 2).sum(axis=(-2, -1)))
    scale = np.where(norm > 0, norm, 1)
    if q is None:
        return
    assert q.dtype == dtype and q.shape == a.shape, (q.dtype, q.shape)
    recon = (_ld(q) * _ld(w)[..., None, :]) @ np.swapaxes(_ld(q), -1, -2)
    residual = np.sqrt(((sym - recon) ** 2).sum(axis=(-2, -1))) / scale
    assert residual.max() <= bar, f"‖A − QΛQᵀ‖/‖A‖ up to {float(residual.max()):.3e} > {bar:.3e}"
    orth = np.abs(np.swapaxes(_ld(q), -1, -2) @ _ld(q) - np.eye(n)).max() if n else 0
    assert orth <= bar, f"‖QᵀQ − I‖ = {float(orth):.3e} > {bar:.3e}"


def random_orthogonal(rng, n):
    """Haar-distributed n×n orthogonal matrix (float64)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def with_singular_values(rng, m, n, sigma):
    """U·diag(sigma)·Vᵀ with random orthogonal U, V (float64, before any rounding)."""
    p = min(m, n)
    return (random_orthogonal(rng, m)[:, :p] * np.asarray(sigma, dtype=np.float64)) \
        @ random_orthogonal(rng, n)[:, :p].T


def separated(rng, m, n, count, decay=0.95):
    """count M×N matrices (float64) whose σ fall from 2 by the factor decay
    each, well apart for derivatives; the odd square ones with det < 0."""
    k = min(m, n)
    sigma = np.geomspace(2, 2 * decay ** (k - 1), k)
    a = np.stack([with_singular_values(rng, m, n, sigma) for _ in range(count)])
    if m == n:
        a[1::2, 0] *= -1
    return a


def well_conditioned(rng, m, n):
    """A random M×N matrix with 2-norm condition number κ < 10, and its κ."""
    while True:
        b = rng.standard_normal((m, n))
        kappa = np.linalg.cond(b)
        if kappa < 10:
            return b, kappa


# Matrices per family_stack (more than one block, and a partial one).
FAMILY_COUNT = 40


def family_stack(family, m, n, dtype):
    """(stack, κ(B) per matrix or None): FAMILY_COUNT float64 matrices of one of
    FAMILIES, the inputs that are hard for an SVD, rounded to dtype."""
    rng = rng_for("twins", family, m, n, np.dtype(dtype).name)
    f32 = np.dtype(dtype) == np.float32
    g = rng.standard_normal((FAMILY_COUNT, m, n))
    kappa = None
    if family == "gaussian":
        a = g
    elif family == "rank-deficient":
        a = g.copy()
        a[0::3] = g[0::3, :, :1] * rng.standard_normal((len(a[0::3]), 1, n))   # rank one
        a[1::3, :, -1] = a[1::3, :, 0]                                         # repeated column
        a[2::3, :, 0] = 0                                                      # zero column
    elif family == "graded":
        # A = B·D, κ(B) < 10, D a permutation of logspace(0, -12, N): Jacobi's relative accuracy.
        pairs = [well_conditioned(rng, m, n) for _ in range(FAMILY_COUNT)]
        d = np.stack([rng.permutation(np.logspace(0, -12, n)) for _ in range(FAMILY_COUNT)])
        a = np.stack([b for b, _ in pairs]) * d[:, None, :]
        kappa = np.array([k for _, k in pairs])
    elif family == "small-sigma":
        ratios = np.logspace(-1 if f32 else -3, -6 if f32 else -15, FAMILY_COUNT)
        a = np.stack([with_singular_values(rng, m, n, np.geomspace(1, r, n)) for r in ratios])
    elif family == "zero":
        a = np.zeros_like(g)
    elif family == "tiny":
        a = g * (1e-30 if f32 else 1e-300)
    elif family == "huge":
        a = g * (1e30 if f32 else 1e300)
    elif family == "reflections":
        # Square only: det > 0 for the even matrices, det < 0 for the odd
        # ones (the signed SVD's and the rotation's two cases).
        assert m == n
        sign = np.sign(np.linalg.det(g))
        sign[1::2] *= -1
        a = g.copy()
        a[:, 0, :] *= sign[:, None]
    elif family == "near-max":
        # σ₁ = 0.9·max: as large as entries can be while σ₁ stays finite.
        a = g / np.linalg.norm(g, ord=2, axis=(-2, -1))[:, None, None] * (
            0.9 * float(np.finfo(dtype).max))
    else:
        raise AssertionError(family)
    a = np.ascontiguousarray(a.astype(dtype))
    assert np.isfinite(a).all()
    return a, kappa


FAMILIES = ["gaussian", "rank-deficient", "graded", "small-sigma", "zero", "tiny", "huge",
            "near-max"]
# And for square matrices, with half of them reflections.
SQUARE_FAMILIES = FAMILIES + ["reflections"]


def param_id(value):
    """pytest ids for shapes (3x2) and dtypes (float32)."""
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, type):
        return value.__name__
    return None


def rng_for(*key):
    """A generator seeded from the test's parameters: reproducible, independent cases."""
    return np.random.default_rng(list(repr(key).encode()))
