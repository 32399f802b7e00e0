"""The one place that defines fastsvd's accuracy bars, and the tools to measure them.

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


def eps(dtype):
    return EPS[np.dtype(dtype)]


def tolerance(dtype, m, n):
    """Bar for backward error and orthogonality of an M×N decomposition, in absolute units."""
    if (max(m, n), min(m, n)) in ((2, 2), (3, 2)):
        return CLOSED_FORM_FACTOR * eps(dtype)
    return JACOBI_FACTOR_PER_DIM * max(m, n) * eps(dtype)


def graded_relative_tolerance(dtype, kappa_b):
    """Relative bar |σ̂ − σ|/σ for every σ of A = B·D, with κ(B) the 2-norm condition of B."""
    return GRADED_RELATIVE_FACTOR * kappa_b * eps(dtype)


def _ld(x):
    return np.asarray(x, dtype=np.longdouble)


def backward_error(a, u, s, vh):
    """‖A − U·diag(S)·Vh‖_F / ‖A‖_F per matrix (0/0 counts as 0), thin or full U/Vh."""
    k = s.shape[-1]
    a = _ld(a)
    recon = (_ld(u)[..., :, :k] * _ld(s)[..., None, :]) @ _ld(vh)[..., :k, :]
    num = np.sqrt(((a - recon) ** 2).sum(axis=(-2, -1)))
    den = np.sqrt((a ** 2).sum(axis=(-2, -1)))
    return np.where(den > 0, num / np.where(den > 0, den, 1), num).astype(np.float64)


def orthogonality_error(q, rows=False):
    """max |QᵀQ − I| (or |QQᵀ − I| with rows=True) per matrix."""
    q = _ld(q)
    if rows:
        q = np.swapaxes(q, -1, -2)
    gram = np.swapaxes(q, -1, -2) @ q
    eye = np.eye(gram.shape[-1], dtype=np.longdouble)
    return np.abs(gram - eye).max(axis=(-2, -1), initial=0).astype(np.float64)


def reference_singular_values(a, digits=40):
    """Singular values of one real matrix to `digits` digits (mpmath), descending."""
    a = np.asarray(a, dtype=np.float64)
    with mpmath.workdps(digits):
        m = mpmath.matrix(a.tolist())
        values = mpmath.svd_r(m, compute_uv=False)
        return np.array(sorted((float(v) for v in values), reverse=True))


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
