"""fastsvd's applications of the SVD: polar, nearest_rotation, signed SVD, pinv, low_rank.

Each is checked against its defining properties and against a reference built
from numpy.linalg.svd (scipy only as an extra reference, when installed).  The
bars are accuracy.py's ``tolerance``, scaled where perturbation theory says a
quantity is ill-conditioned (κ = σ₁/σ_r, or the gap that decides a subspace).
"""
import functools
import warnings

import numpy as np
import pytest

import fastsvd
from accuracy import (
    backward_error,
    orthogonality_error,
    param_id,
    random_orthogonal,
    reference_singular_values,
    rng_for,
    tolerance,
    with_singular_values,
)
from cases import KERNEL_DTYPES as DTYPES
from cases import shapes


def random_rotation(rng, n):
    q = random_orthogonal(rng, n)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def ld(x):
    return np.asarray(x, dtype=np.longdouble)


def fro(x):
    """Frobenius norm per matrix, in extended precision."""
    x = ld(x)
    return np.sqrt((x * x).sum(axis=(-2, -1))).astype(np.float64)


def sym_t(x):
    return np.swapaxes(x, -1, -2)


def numpy_svd64(a):
    """numpy's SVD of the exact input, in float64: the independent reference."""
    return np.linalg.svd(np.asarray(a, dtype=np.float64), full_matrices=False)


def det64(x):
    return np.linalg.det(np.asarray(x, dtype=np.float64))


# ================================================================ polar

POLAR_SHAPES = shapes("small")


def numpy_polar(a, side):
    u, s, vh = numpy_svd64(a)
    r = u @ vh
    if side == "right":
        p = (sym_t(vh) * s[..., None, :]) @ vh
    else:
        p = (u * s[..., None, :]) @ sym_t(u)
    return r, p


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("shape", POLAR_SHAPES, ids=param_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_polar(dtype, shape, side):
    m, n = shape
    rng = rng_for("polar", m, n, side)
    a = rng.standard_normal((50, m, n)).astype(dtype)
    bar = tolerance(dtype, m, n)
    r, p = fastsvd.polar(a, side=side)
    assert r.dtype == p.dtype == np.dtype(dtype)
    assert r.shape == a.shape
    size = n if side == "right" else m
    assert p.shape == (50, size, size)
    # R has orthonormal columns (rows for a wide matrix).
    assert orthogonality_error(r, rows=m < n).max() <= bar
    # P symmetric positive semi-definite.
    sigma1 = np.linalg.norm(np.asarray(a, np.float64), ord=2, axis=(-2, -1))
    asym = np.abs(ld(p) - ld(sym_t(p))).max(axis=(-2, -1)).astype(np.float64)
    assert (asym <= bar * sigma1).all()
    p_sym = (np.asarray(p, np.float64) + sym_t(np.asarray(p, np.float64))) / 2
    assert (np.linalg.eigvalsh(p_sym).min(axis=-1) >= -bar * sigma1).all()
    # a = R P (right) or P R (left).
    product = ld(r) @ ld(p) if side == "right" else ld(p) @ ld(r)
    assert (fro(ld(a) - product) <= bar * fro(a)).all()
    # Agreement with numpy's SVD: P is well-conditioned (‖ΔP‖ ≤ √2‖ΔA‖); R
    # amplifies ‖ΔA‖ by up to ~1/σ_min, hence κ.  Two backward-stable
    # computations, each within the bar: factor 2.
    r_ref, p_ref = numpy_polar(a, side)
    s_ref = numpy_svd64(a)[1]
    kappa = s_ref[:, 0] / s_ref[:, -1]
    assert (fro(ld(p) - ld(p_ref)) <= 2 * bar * fro(a)).all()
    assert (fro(ld(r) - ld(r_ref)) <= 2 * bar * kappa * fro(r_ref)).all()


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("shape", POLAR_SHAPES, ids=param_id)
def test_polar_matches_scipy(shape, side):
    linalg = pytest.importorskip("scipy.linalg")
    m, n = shape
    rng = rng_for("polar-scipy", m, n, side)
    bar = tolerance(np.float64, m, n)
    a = rng.standard_normal((5, m, n))
    r, p = fastsvd.polar(a, side=side)
    for i in range(5):
        r_sp, p_sp = linalg.polar(a[i], side=side)
        s = np.linalg.svd(a[i], compute_uv=False)
        assert fro(ld(p[i]) - ld(p_sp)) <= 2 * bar * fro(a[i])
        assert fro(ld(r[i]) - ld(r_sp)) <= 2 * bar * (s[0] / s[-1]) * fro(r_sp)


def test_polar_single_matrix_and_errors():
    a = np.array([[2.0, 1.0], [-1.0, 3.0]])
    r, p = fastsvd.polar(a)
    assert r.shape == p.shape == (2, 2)
    assert fro(ld(r) @ ld(p) - ld(a)) <= tolerance(np.float64, 2, 2) * fro(a)
    # P = (aᵀa)^½: P² = aᵀa.
    assert fro(ld(p) @ ld(p) - ld(a.T) @ ld(a)) <= 2 * tolerance(np.float64, 2, 2) * fro(a) ** 2
    with pytest.raises(ValueError):
        fastsvd.polar(a, side="up")


# ================================================================ nearest_rotation

ROTATION_SIZES = [m for m, _ in shapes("small", "square")]


@pytest.mark.parametrize("n", ROTATION_SIZES)
def test_polar_of_rotation_times_spd(n):
    """a = Q·S with Q a rotation and S SPD: polar recovers exactly those factors."""
    rng = rng_for("polar-known", n)
    bar = tolerance(np.float64, n, n)
    q = np.stack([random_rotation(rng, n) for _ in range(20)])
    w = np.stack([random_orthogonal(rng, n) for _ in range(20)])
    lam = rng.uniform(0.5, 2.0, (20, n))
    spd = (w * lam[:, None, :]) @ sym_t(w)
    a = q @ spd
    r, p = fastsvd.polar(a)
    # κ(a) ≤ 4 by construction.
    assert (fro(ld(r) - ld(q)) <= 2 * bar * 4 * np.sqrt(n)).all()
    assert (fro(ld(p) - ld(spd)) <= 2 * bar * fro(a)).all()


def kabsch(a):
    """The nearest proper rotation from numpy.linalg.svd: U·diag(1, …, 1, d)·Vh."""
    u, s, vh = np.linalg.svd(np.asarray(a, np.float64))
    d = np.sign(np.linalg.det(u @ vh))
    u = u.copy()
    u[..., :, -1] *= d[..., None]
    return u @ vh


def signed_values(a):
    """σ with the sign of det a on the last one (numpy, float64)."""
    s = np.linalg.svd(np.asarray(a, np.float64), compute_uv=False)
    s[..., -1] *= np.sign(np.linalg.det(np.asarray(a, np.float64)))
    return s


def rotation_sensitivity(a):
    """‖A‖_F · 2/min(sᵢ + sⱼ): how much the nearest rotation moves per relative ‖ΔA‖."""
    s = signed_values(a)
    pair = s[..., :-1, None] + s[..., None, 1:]
    i, j = np.triu_indices(s.shape[-1] - 1)
    smallest = pair[..., i, j].min(axis=-1)
    return fro(a) * 2 / smallest


def mixed_batch(rng, n, count, dtype):
    """Gaussian matrices, half of them turned into reflections (det < 0)."""
    a = rng.standard_normal((count, n, n))
    flip = np.linalg.det(a) > 0
    flip[: count // 2] = ~flip[: count // 2]  # half proper, half reflections
    a[flip, 0, :] *= -1
    a = a.astype(dtype)
    dets = det64(a)
    assert (dets < 0).sum() >= count // 4 and (dets > 0).sum() >= count // 4
    return a


@pytest.mark.parametrize("n", ROTATION_SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_nearest_rotation_is_a_rotation(dtype, n):
    rng = rng_for("rot", n)
    a = mixed_batch(rng, n, 100, dtype)
    bar = tolerance(dtype, n, n)
    r = fastsvd.nearest_rotation(a)
    assert r.dtype == np.dtype(dtype) and r.shape == a.shape
    assert orthogonality_error(r).max() <= bar
    # det(RᵀR) = ∏(1 + λᵢ(E)), |E| ≤ bar: |det R − 1| ≤ n·bar.
    assert np.abs(det64(r) - 1).max() <= n * bar
    reflections = det64(a) < 0
    assert reflections.any() and (det64(r[reflections]) > 0).all()


@pytest.mark.parametrize("n", ROTATION_SIZES)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_nearest_rotation_equals_kabsch(dtype, n):
    rng = rng_for("kabsch", n)
    a = mixed_batch(rng, n, 100, dtype)
    bar = tolerance(dtype, n, n)
    r = fastsvd.nearest_rotation(a)
    ref = kabsch(a)
    # Two backward-stable computations: 2·bar·sensitivity.
    err = fro(ld(r) - ld(ref))
    assert (err <= 2 * bar * rotation_sensitivity(a)).all(), err.max()


@pytest.mark.parametrize("n", ROTATION_SIZES)
def test_nearest_rotation_is_nearest(n):
    rng = rng_for("nearest", n)
    a = mixed_batch(rng, n, 30, np.float64)
    r = fastsvd.nearest_rotation(a)
    best = fro(ld(a) - ld(r))
    # Never beaten by a random rotation ...
    for _ in range(50):
        q = random_rotation(rng, n)
        assert (best <= fro(ld(a) - ld(q))).all()
    # ... nor by a rotation close to R: Q = R·cay(δK), K skew, cay the Cayley map.
    eye = np.eye(n)
    for _ in range(20):
        k = rng.standard_normal((30, n, n))
        k = (k - sym_t(k)) / 2
        k /= fro(k)[:, None, None]
        delta = 1e-3
        cay = np.linalg.solve(eye - delta / 2 * k, eye + delta / 2 * k)
        q = r @ cay
        assert (det64(q) > 0).all()
        assert (best <= fro(ld(a) - ld(q))).all()


@pytest.mark.parametrize("scale", [1.0, 3.5])
@pytest.mark.parametrize("n", ROTATION_SIZES)
def test_nearest_rotation_of_a_rotation_is_itself(n, scale):
    """A rotation is its own nearest rotation; a positive multiple too."""
    rng = rng_for("rot-known", n)
    bar = tolerance(np.float64, n, n)
    q = np.stack([random_rotation(rng, n) for _ in range(10)])
    scaled = scale * q
    err = fro(ld(fastsvd.nearest_rotation(scaled)) - ld(q))
    assert (err <= 2 * bar * rotation_sensitivity(scaled)).all()


def test_nearest_rotation_known_cases():
    # diag(1, …, 1, −1) (a mirror) with distinct σ: nearest rotation of diag(3, 2, −1)
    # is the identity.
    a = np.diag([3.0, 2.0, -1.0])
    r = fastsvd.nearest_rotation(a)
    assert np.abs(r - np.eye(3)).max() <= tolerance(np.float64, 3, 3)
    # diag(−3, 2, 1): flips the smallest σ, not the one carrying the minus: diag(−1, 1, −1)
    r = fastsvd.nearest_rotation(np.diag([-3.0, 2.0, 1.0]))
    assert np.abs(r - np.diag([-1.0, 1.0, -1.0])).max() <= tolerance(np.float64, 3, 3)
    with pytest.raises(ValueError):
        fastsvd.nearest_rotation(np.ones((3, 2)))


# ================================================================ signed SVD

@pytest.mark.parametrize("n", [m for m, _ in shapes("kernel", "square")])
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_signed_svd(dtype, n):
    rng = rng_for("signed", n)
    a = mixed_batch(rng, n, 100, dtype)
    bar = tolerance(dtype, n, n)
    u, s, vh = fastsvd.svd(a, signed=True)
    assert u.shape == vh.shape == a.shape and s.shape == (100, n)
    assert u.dtype == s.dtype == vh.dtype == np.dtype(dtype)
    assert np.abs(det64(u) - 1).max() <= n * bar
    assert np.abs(det64(vh) - 1).max() <= n * bar
    # |S| is the ordinary S; the sign of det a sits on the last value only.
    s_plain = fastsvd.svd(a, compute_uv=False)
    sigma1 = s_plain[:, :1].astype(np.float64)
    assert (np.abs(np.abs(s).astype(np.float64) - s_plain) <= bar * sigma1).all()
    assert (s[:, :-1] >= 0).all()
    assert (np.sign(s[:, -1]) == np.sign(det64(a))).all()
    # Independent check of |S| through mpmath on a few.
    for i in range(3):
        ref = reference_singular_values(a[i])
        assert np.abs(np.abs(s[i]).astype(np.float64) - ref).max() <= bar * ref[0]
    assert backward_error(a, u, s, vh).max() <= bar
    assert orthogonality_error(u).max() <= bar
    assert orthogonality_error(vh, rows=True).max() <= bar


def test_signed_svd_single_matrix_and_singular():
    bar = tolerance(np.float64, 3, 3)
    # A reflection: det = −6.
    a = np.diag([1.0, -2.0, 3.0])
    u, s, vh = fastsvd.svd(a, signed=True)
    assert np.abs(s - [3.0, 2.0, -1.0]).max() <= bar * 3
    assert abs(det64(u) - 1) <= 3 * bar and abs(det64(vh) - 1) <= 3 * bar
    assert backward_error(a, u, s, vh) <= bar
    # Singular (rank two): still proper rotations, S[-1] = 0.
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    u, s, vh = fastsvd.svd(a, signed=True)
    assert abs(det64(u) - 1) <= 3 * bar and abs(det64(vh) - 1) <= 3 * bar
    assert abs(s[-1]) <= bar * s[0]
    assert backward_error(a, u, s, vh) <= bar


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (5, 3), (4, 6), (1, 2)], ids=param_id)
def test_signed_svd_needs_square(shape):
    with pytest.raises(ValueError):
        fastsvd.svd(np.ones(shape), signed=True)
    with pytest.raises(ValueError):
        fastsvd.svd(np.ones((4,) + shape), signed=True)


def test_signed_svd_needs_compute_uv():
    with pytest.raises(ValueError):
        fastsvd.svd(np.eye(3), signed=True, compute_uv=False)


def test_signed_svd_needs_real_matrices():
    with pytest.raises(ValueError, match="real square"):
        fastsvd.svd(np.eye(2) * 1j, signed=True)


@pytest.mark.parametrize("stack", [(), (3,)])
def test_signed_svd_of_empty_matrices(stack):
    u, s, vh = fastsvd.svd(np.zeros(stack + (0, 0)), signed=True)
    assert u.shape == vh.shape == stack + (0, 0) and s.shape == stack + (0,)
    assert fastsvd.nearest_rotation(np.zeros(stack + (0, 0))).shape == stack + (0, 0)


def test_signed_svd_leaves_nonfinite_matrices_nan_without_warning():
    a = np.random.default_rng(8).standard_normal((4, 3, 3))
    a[1, 2, 0] = np.nan
    a[2, 0, 1] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u, s, vh = fastsvd.svd(a, signed=True, nonfinite="nan")
        rotation = fastsvd.nearest_rotation(a, nonfinite="nan")
    bad = np.array([False, True, True, False])
    for x in (u, s, vh, rotation):
        assert np.isnan(x[bad]).all() and np.isfinite(x[~bad]).all()
    assert (det64(rotation[~bad]) > 0).all()


# ================================================================ pinv

# The small kernel shapes and one of numpy's path.  (Not 33×33: the rank check of
# test_pinv_rank_deficient needs κ(A) below 1/rtol, and float32 33×33 Gaussians
# with a zero row and column exceed 1e3 now and then.)
PINV_SHAPES = shapes("small") + [(40, 40)]


def effective_condition(a, rtol):
    """σ₁/σ_r over the singular values pinv keeps (numpy's cutoff, float64)."""
    s = np.linalg.svd(np.asarray(a, np.float64), compute_uv=False)
    cutoff = np.asarray(rtol)[..., None] * s[..., :1]
    kept = np.where(s > cutoff, s, np.inf).min(axis=-1)
    return s[..., 0] / kept


def assert_penrose(a, x, bar, kappa, first=True):
    """The four Penrose conditions, each to bar·κ in its natural scale."""
    a, x = ld(a), ld(x)
    ax, xa = a @ x, x @ a
    if first:  # A X A = A (only for an exactly kept rank)
        assert (fro(ax @ a - a) <= bar * kappa * fro(a)).all()
    assert (fro(xa @ x - x) <= bar * kappa * fro(x)).all()
    assert (fro(ax - sym_t(ax)) <= bar * kappa * fro(ax)).all()
    assert (fro(xa - sym_t(xa)) <= bar * kappa * fro(xa)).all()


def assert_matches_numpy(a, x, rtol, bar, kappa):
    """Agreement with numpy.linalg.pinv; Wedin: ‖ΔX‖/‖X‖ ≲ 2κ‖ΔA‖/‖A‖ for each."""
    if rtol is None:
        ref = np.linalg.pinv(np.asarray(a, np.float64), rtol=None) if a.dtype == np.float64 \
            else np.linalg.pinv(a, rtol=None).astype(np.float64)
    else:
        ref = np.linalg.pinv(np.asarray(a, np.float64), rtol=rtol)
    assert (fro(ld(x) - ld(ref)) <= 2 * 2 * bar * kappa * fro(ref)).all()
    return ref


@pytest.mark.parametrize("shape", PINV_SHAPES, ids=param_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_full_rank(dtype, shape):
    m, n = shape
    rng = rng_for("pinv", m, n)
    count = 5 if max(m, n) > 32 else 30
    a = rng.standard_normal((count, m, n)).astype(dtype)
    bar = tolerance(dtype, m, n)
    x = fastsvd.pinv(a)
    assert x.dtype == np.dtype(dtype) and x.shape == (count, n, m)
    default_rtol = max(m, n) * np.finfo(dtype).eps
    kappa = effective_condition(a, default_rtol)
    assert_penrose(a, x, bar, kappa)
    assert_matches_numpy(a, x, None, bar, kappa)
    # Same as numpy's own default-rtol semantics on the same dtype.
    assert np.linalg.pinv(a, rtol=None).dtype == x.dtype


def _exactly_rank_deficient(rng, m, n, count, kind):
    if kind == "zero_rows_cols":
        a = rng.standard_normal((count, m, n))
        a[:, :, 0] = 0
        a[:, -1, :] = 0
        return a
    if kind == "integer_rank1":
        x = rng.integers(-9, 10, (count, m, 1)).astype(np.float64)
        y = rng.integers(-9, 10, (count, 1, n)).astype(np.float64)
        x[:, 0, 0] = 1
        y[:, 0, 0] = 1
        return x * y
    if kind == "integer_low_rank":
        r = max(1, min(m, n) - 1)
        b = rng.integers(-5, 6, (count, m, r)).astype(np.float64)
        c = rng.integers(-5, 6, (count, r, n)).astype(np.float64)
        return b @ c   # exact: small integers
    if kind == "zero":
        return np.zeros((count, m, n))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["zero_rows_cols", "integer_rank1", "integer_low_rank",
                                  "zero"])
@pytest.mark.parametrize("shape", PINV_SHAPES, ids=param_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_rank_deficient(dtype, shape, kind):
    m, n = shape
    rng = rng_for("pinv-deficient", m, n, kind)
    count = 5 if max(m, n) > 32 else 20
    exact = _exactly_rank_deficient(rng, m, n, count, kind)
    a = exact.astype(dtype)
    if kind.startswith("integer"):  # the rank deficiency survives the rounding
        assert np.array_equal(a.astype(np.float64), exact)
    bar = tolerance(dtype, m, n)
    # Exact zeros keep numpy's default cutoff far from the computed σ; the integer
    # products' rounding-level σ need an explicit rtol well above ε.
    rtol = None if kind in ("zero_rows_cols", "zero") else (1e-8 if dtype == np.float64
                                                            else 1e-3)
    x = fastsvd.pinv(a) if rtol is None else fastsvd.pinv(a, rtol=rtol)
    assert x.shape == (count, n, m) and np.isfinite(x).all()
    if kind == "zero":
        assert (x == 0).all()
        return
    kappa = effective_condition(a, max(m, n) * np.finfo(dtype).eps if rtol is None else rtol)
    assert_penrose(a, x, bar, kappa)
    assert_matches_numpy(a, x, rtol, bar, kappa)
    # The rank is preserved: X has as many nonzero σ as A (cutoff by κ).
    rank_a = np.linalg.matrix_rank(np.asarray(a, np.float64),
                                   rtol=1e-6 if dtype == np.float64 else 1e-3)
    rank_x = np.linalg.matrix_rank(np.asarray(x, np.float64),
                                   rtol=1e-6 if dtype == np.float64 else 1e-3)
    assert (rank_a == rank_x).all()
    assert (rank_a < min(m, n)).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_rtol_scalar_and_per_matrix(dtype):
    """σ = 1, 1e-2, 1e-4, 1e-6 and rtols between them: rank 1, 2, 3, 4 kept."""
    rng = rng_for("pinv-rtol")
    sigma = np.array([1.0, 1e-2, 1e-4, 1e-6])
    a = np.stack([with_singular_values(rng, 4, 4, sigma) for _ in range(8)]).astype(dtype)
    bar = tolerance(dtype, 4, 4)
    rtols = np.array([0.1, 1e-3, 1e-5, 1e-7, 0.1, 1e-3, 1e-5, 1e-7])
    if dtype == np.float32:
        rtols[rtols < 1e-5] = 1e-5  # σ = 1e-6 is below float32's resolution of A
    x = fastsvd.pinv(a, rtol=rtols)
    kappa = effective_condition(a, rtols)
    ref = assert_matches_numpy(a, x, rtols, bar, kappa)
    # Kept rank = number of σ above rtol·σ₁ (σ(X) = 1/σ over the kept ones).
    expected = (sigma[None, :] > rtols[:, None]).sum(axis=1)
    s_x = np.linalg.svd(np.asarray(x, np.float64), compute_uv=False)
    # X's discarded directions are rounding-level: ε-relative to σ₁(X) = 1/σ_r.
    resolution = 1e-6 if dtype == np.float32 else 1e-9
    kept = (s_x > resolution * s_x[:, :1]).sum(axis=1)
    assert (kept == expected).all(), (kept, expected)
    assert_penrose(a, x, bar, kappa, first=False)
    # A scalar rtol applies to every matrix.
    for rtol in (0.1, 1e-3):
        xs = fastsvd.pinv(a, rtol=rtol)
        k = effective_condition(a, rtol)
        assert_matches_numpy(a, xs, rtol, bar, k)
        s_x = np.linalg.svd(np.asarray(xs, np.float64), compute_uv=False)
        assert ((s_x > resolution * s_x[:, :1]).sum(axis=1) == (sigma > rtol).sum()).all()
    assert ref.shape == x.shape


@pytest.mark.parametrize("factor,kept", [(4.0, True), (2.0, True), (1.0, False), (0.5, False)],
                         ids=["4x-kept", "2x-kept", "1x-cut", "0.5x-cut"])
@pytest.mark.parametrize("shape", PINV_SHAPES, ids=param_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_rtol_none_cuts_at_max_m_n_eps(dtype, shape, factor, kept):
    """Cutoff max(M, N)·ε·σ₁ for rtol=None, strict ">", as numpy.linalg.pinv.

    Diagonal matrices have exactly known σ, so values just above, at and below the
    cutoff decide the kept rank without any rounding doubt.
    """
    m, n = shape
    p = min(m, n)
    cutoff = max(m, n) * float(np.finfo(dtype).eps)
    bar = tolerance(dtype, m, n)
    d = np.ones(p)
    d[-1] = factor * cutoff
    a = np.zeros((m, n))
    a[np.arange(p), np.arange(p)] = d
    a = a.astype(dtype)
    assert a[p - 1, p - 1] == factor * cutoff  # exact
    expected = np.zeros((n, m))
    expected[np.arange(p), np.arange(p)] = np.where(d > cutoff, 1 / d, 0)
    assert (expected[p - 1, p - 1] != 0) == kept
    x = fastsvd.pinv(a, rtol=None)
    assert fro(ld(x) - ld(expected)) <= bar * fro(expected), (factor, x)
    ref = np.linalg.pinv(a, rtol=None)
    assert fro(ld(ref) - ld(expected)) <= bar * fro(expected)  # numpy agrees
    # The same with the diagonal scrambled by exact permutations and signs.
    rng = rng_for("pinv-boundary", m, n, factor)
    rows, cols = rng.permutation(m), rng.permutation(n)
    signs = rng.choice([-1.0, 1.0], m)
    b = (a * signs[:, None].astype(dtype))[rows][:, cols]
    expected_b = (expected * signs[None, :])[cols][:, rows]
    xb = fastsvd.pinv(b, rtol=None)
    assert fro(ld(xb) - ld(expected_b)) <= bar * fro(expected_b), (factor, xb)


@pytest.mark.parametrize("args,kwargs", [((), {}), ((1e-16,), {}), ((), {"rtol": 1e-16}),
                                         ((), {"rtol": None}), ((None, True), {})],
                         ids=["defaults", "rcond", "rtol", "rtol-none", "hermitian"])
@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_arguments_are_numpys(dtype, args, kwargs):
    a = np.diag([1.0, 8e-16, 2e-15, 0.5]).astype(dtype)
    got = fastsvd.pinv(a, *args, **kwargs)
    want = np.linalg.pinv(a, *args, **kwargs)
    assert got.dtype == want.dtype
    assert fro(ld(got) - ld(want)) <= tolerance(dtype, 4, 4) * fro(want), (args, kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=param_id)
def test_pinv_defaults_and_arguments_are_numpys(dtype):
    """No cutoff given: numpy's rcond = 1e-15 (so 8e-16·σ₁ goes, 2e-15·σ₁ stays);
    rcond positional; hermitian (test_pinv_arguments_are_numpys); rcond and rtol
    together refused."""
    a = np.diag([1.0, 8e-16, 2e-15, 0.5]).astype(dtype)
    if dtype == np.float64:
        np.testing.assert_array_equal(np.diag(fastsvd.pinv(a)) == 0, [False, True, False, False])
    with pytest.raises(ValueError, match="can't be both set"):
        fastsvd.pinv(a, 1e-3, rtol=1e-3)


def test_pinv_single_matrix():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = fastsvd.pinv(a)
    assert x.shape == (2, 3)
    # Full column rank: X = (AᵀA)⁻¹Aᵀ, computed exactly enough in float64 here.
    ref = np.linalg.solve(a.T @ a, a.T)
    kappa = effective_condition(a, 3 * np.finfo(np.float64).eps)
    assert fro(ld(x) - ld(ref)) <= 2 * 2 * tolerance(np.float64, 3, 2) * kappa ** 2 * fro(ref)
    assert_penrose(a, x, tolerance(np.float64, 3, 2), kappa)


# ================================================================ low_rank

LOW_RANK_SHAPES = shapes("small")


def numpy_truncation(a, k):
    u, s, vh = numpy_svd64(a)
    return (u[..., :, :k] * s[..., None, :k]) @ vh[..., :k, :]


def _ranks(shapes_, dtypes=DTYPES):
    """(dtype, shape, k) for every k from 0 to min(M, N), with pytest ids."""
    cases = [(dtype, shape, k) for dtype in dtypes for shape in shapes_
             for k in range(min(shape) + 1)]
    ids = [f"{param_id(d)}-{param_id(s)}-k{k}" for d, s, k in cases]
    return pytest.mark.parametrize("dtype,shape,k", cases, ids=ids)


@functools.cache
def _truncation_batch(dtype, shape):
    m, n = shape
    a = rng_for("low-rank", m, n).standard_normal((30, m, n)).astype(dtype)
    return a, numpy_svd64(a)[1]


@_ranks(LOW_RANK_SHAPES)
def test_low_rank_matches_numpy_truncation(dtype, shape, k):
    m, n = shape
    p = min(m, n)
    a, s = _truncation_batch(dtype, shape)
    bar = tolerance(dtype, m, n)
    norm_a = fro(a)
    lk = fastsvd.low_rank(a, k)
    assert lk.shape == a.shape and lk.dtype == np.dtype(dtype)
    ref = numpy_truncation(a, k)
    if k == 0:
        assert (lk == 0).all()
        return
    if k == p:
        assert (fro(ld(lk) - ld(a)) <= bar * norm_a).all()
    # The truncation moves with its subspace: sensitivity 1 + 2σ₁/(σ_k − σ_{k+1}).
    gap = s[:, k - 1] - (s[:, k] if k < p else 0)
    sensitivity = 1 + 2 * s[:, 0] / gap
    assert (fro(ld(lk) - ld(ref)) <= 2 * bar * sensitivity * norm_a).all()
    # Rank at most k.
    s_l = np.linalg.svd(np.asarray(lk, np.float64), compute_uv=False)
    assert (s_l[:, k:] <= bar * s[:, :1]).all()


@functools.cache
def _eckart_young_batch(dtype, shape):
    """Four matrices and their mpmath singular values, drawn once for all k."""
    m, n = shape
    a = rng_for("eckart-young", m, n).standard_normal((4, m, n)).astype(dtype)
    return a, np.stack([reference_singular_values(x) for x in a])


@_ranks(shapes("kernel"))
def test_low_rank_eckart_young(dtype, shape, k):
    """‖A − A_k‖_F = √(σ_{k+1}² + … + σ_p²), and no random rank-k projection does better."""
    m, n = shape
    p = min(m, n)
    a, refs = _eckart_young_batch(dtype, shape)
    bar = tolerance(dtype, m, n)
    norm_a = fro(a)
    residual = fro(ld(a) - ld(fastsvd.low_rank(a, k)))
    dropped = np.sqrt((refs[:, k:] ** 2).sum(axis=1))
    # Backward error E of the SVD: |residual − dropped| ≤ 2‖E‖ (Mirsky).
    assert (np.abs(residual - dropped) <= 2 * bar * norm_a).all(), (k, residual, dropped)
    if 0 < k < p:
        rng = rng_for("eckart-young-projections", m, n, k)
        for _ in range(5):
            q = np.linalg.qr(rng.standard_normal((m, k)))[0]
            other = q @ (q.T @ np.asarray(a, np.float64))
            assert (residual <= fro(ld(a) - ld(other)) + 2 * bar * norm_a).all()


def test_low_rank_rejects_bad_k():
    a = np.ones((4, 3, 2))
    for k in (-1, 3):
        with pytest.raises(ValueError):
            fastsvd.low_rank(a, k)
    with pytest.raises(TypeError):
        fastsvd.low_rank(a, 1.5)
    assert fastsvd.low_rank(a, np.int64(1)).shape == a.shape
