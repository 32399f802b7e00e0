"""fastsvd.eigh and eigvalsh: the symmetric eigen kernel against mpmath and numpy,
numpy's contract (shapes, dtypes, UPLO, errors), NaN confined to its matrix, and
the same bits wherever a matrix sits.  The bars are accuracy.py's."""
import warnings

import numpy as np
import pytest

import fastsvd
from fastsvd import gufuncs
from accuracy import (
    assert_eigh_contract,
    assert_svd_contract,
    eigh_tolerance,
    eps,
    graded_relative_tolerance,
    random_orthogonal,
    reference_eigenvalues,
    rng_for,
    well_conditioned,
)
from cases import KERNEL_DTYPES, dtype_id

SIZES = [1, 2, 3, 4, 5, 8, 12, 16, 32]
COUNT = 40      # matrices per stack: more than a block of 32, and a partial one


def _symmetric(family, n, dtype, count=COUNT):
    """A stack of symmetric matrices of a family, float64 before rounding to dtype."""
    rng = rng_for("eigh", family, n, np.dtype(dtype).name)
    f32 = np.dtype(dtype) == np.float32
    g = rng.standard_normal((count, n, n))
    if family == "gaussian":
        a = g + np.swapaxes(g, 1, 2)
    elif family == "rank-deficient":
        r = max(n // 2, 1)
        b = g[:, :, :r]
        a = b @ np.swapaxes(b, 1, 2) - (b[:, :, :1] @ np.swapaxes(b[:, :, :1], 1, 2))
    elif family in ("repeated", "clustered"):
        step = 0 if family == "repeated" else (1e-4 if f32 else 1e-10)
        w = np.where(np.arange(n) < n // 2, 1.0, -2.0) + step * np.arange(n)
        q = np.stack([random_orthogonal(rng, n) for _ in range(count)])
        a = (q * w) @ np.swapaxes(q, 1, 2)
    elif family == "identity":
        a = np.broadcast_to(np.eye(n), (count, n, n)).copy()
    elif family == "zero":
        a = np.zeros((count, n, n))
    elif family == "tiny":
        a = (g + np.swapaxes(g, 1, 2)) * (1e-30 if f32 else 1e-300)
    elif family == "huge":
        a = (g + np.swapaxes(g, 1, 2)) * (1e30 if f32 else 1e300)
    else:
        raise AssertionError(family)
    return np.ascontiguousarray(a.astype(dtype))


FAMILIES = ["gaussian", "rank-deficient", "repeated", "clustered", "identity", "zero", "tiny",
            "huge"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_eigh_meets_the_contract_and_agrees_with_numpy(dtype, n, family):
    a = _symmetric(family, n, dtype)
    w, q = fastsvd.eigh(a)
    assert_eigh_contract(a, w, q)
    assert np.array_equal(fastsvd.eigvalsh(a), w)   # the same kernel, the same bits
    ref = np.linalg.eigvalsh(a.astype(np.float64))
    scale = np.abs(ref).max(axis=-1, keepdims=True)
    bar = eigh_tolerance(dtype, n) + 4 * eps(np.float64) * n
    assert (np.abs(w - ref) <= bar * scale).all()


@pytest.mark.parametrize("n", [2, 3, 4, 6, 8, 16])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_eigenvalues_against_mpmath(dtype, n):
    a = _symmetric("gaussian", n, dtype, count=4 if n > 8 else 8)
    w = fastsvd.eigvalsh(a)
    for i in range(len(a)):
        ref = reference_eigenvalues(a[i])
        assert np.abs(w[i] - ref).max() <= eigh_tolerance(dtype, n) * np.abs(ref).max()


def _graded_positive_definite(rng, n, dtype):
    """A = D·B·D, B = CᵀC (κ(C) < 10, so κ(B) < 100), D a permutation of
    logspace(0, -6, n) (float32: -3): its eigenvalues span 12 (6) decades."""
    c, kappa_c = well_conditioned(rng, n, n)
    d = rng.permutation(np.logspace(0, -3 if np.dtype(dtype) == np.float32 else -6, n))
    return ((d[:, None] * (c.T @ c) * d).astype(dtype)), kappa_c ** 2


@pytest.mark.parametrize("n", [2, 3, 4, 6, 10])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_graded_positive_definite_eigenvalues_relatively_accurate(dtype, n):
    """Every λ of D·B·D to 1000·ε·κ(B) relative (Demmel & Veselić)."""
    rng = rng_for("eigh-graded", n, np.dtype(dtype).name)
    for _ in range(6):
        a, kappa = _graded_positive_definite(rng, n, dtype)
        ref = reference_eigenvalues(a, digits=60)
        for w in (fastsvd.eigvalsh(a), fastsvd.eigh(a).eigenvalues):
            rel = np.abs(w.astype(np.float64) - ref) / ref
            assert rel.max() <= graded_relative_tolerance(dtype, kappa), (
                f"relative errors {rel / eps(dtype)} eps, kappa(B) = {kappa:.1f}")


@pytest.mark.parametrize("n", [4, 6, 10])
def test_numpy_misses_graded_eigenvalues(n):
    """What the kernel adds: LAPACK's eigh gets only ε‖A‖ absolute, so on some of
    these matrices it misses the small eigenvalues by more than the graded bar."""
    rng = rng_for("eigh-numpy-graded", n)
    worst = 0.0
    for _ in range(6):
        a, kappa = _graded_positive_definite(rng, n, np.float64)
        ref = reference_eigenvalues(a, digits=60)
        rel = np.abs(np.linalg.eigvalsh(a) - ref) / ref
        worst = max(worst, rel.max() / graded_relative_tolerance(np.float64, kappa))
    assert worst > 1, f"numpy within the graded bar for every {n}x{n} matrix"


@pytest.mark.parametrize("upper", [False, True], ids=["L", "U"])
@pytest.mark.parametrize("n", [2, 3, 8, 16])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_only_the_uplo_triangle_is_read(dtype, n, upper):
    a = _symmetric("gaussian", n, dtype)
    garbage = np.triu(np.ones((n, n), bool), 1)
    if not upper:
        a[:, garbage] = np.nan      # the triangle eigh does not read
    else:
        a[:, garbage.T] = np.nan
    uplo = "U" if upper else "L"
    w, q = fastsvd.eigh(a, UPLO=uplo.lower())
    assert np.isfinite(w).all() and np.isfinite(q).all()
    assert_eigh_contract(a, w, q, upper=upper)
    numpy_w = np.linalg.eigvalsh(a.astype(np.float64), UPLO=uplo)
    assert np.allclose(w, numpy_w, rtol=0, atol=eigh_tolerance(dtype, n) * np.abs(numpy_w).max())
    assert np.array_equal(fastsvd.eigvalsh(a, UPLO=uplo), w)


@pytest.mark.parametrize("n", [2, 3, 5, 16, 32])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_a_matrix_gets_the_same_bits_anywhere(dtype, n):
    a = _symmetric("gaussian", n, dtype, count=70)
    a[3] = 0
    w, q = fastsvd.eigh(a)
    for i in (0, 3, 33, 69):
        alone = fastsvd.eigh(a[i])
        assert alone.eigenvalues.tobytes() == w[i].tobytes()
        assert alone.eigenvectors.tobytes() == q[i].tobytes()
    strided = np.asfortranarray(a.transpose(1, 2, 0)).transpose(2, 0, 1)
    for got, want in zip(fastsvd.eigh(strided), (w, q)):
        assert got.tobytes() == want.tobytes()
    many = np.concatenate([a] * 80)     # enough for the workers to split it
    got_w, got_q = fastsvd.eigh(many, workers=2)
    assert got_w.tobytes() == np.concatenate([w] * 80).tobytes()
    assert got_q.tobytes() == np.concatenate([q] * 80).tobytes()


@pytest.mark.parametrize("n", [2, 3, 8, 33])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_nonfinite_matrices_are_confined(dtype, n):
    a = _symmetric("gaussian", n, dtype)
    bad = [3, 17, 38]
    for i, value in zip(bad, (np.nan, np.inf, -np.inf)):
        a[i, -1, 0] = value      # in the lower triangle
    good = np.setdiff1d(np.arange(COUNT), bad)
    with pytest.raises(np.linalg.LinAlgError):
        fastsvd.eigh(a)
    with pytest.raises(np.linalg.LinAlgError):
        fastsvd.eigvalsh(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w, q = fastsvd.eigh(a, nonfinite="nan")
        values = fastsvd.eigvalsh(a, nonfinite="nan")
    assert np.isnan(w[bad]).all() and np.isnan(q[bad]).all() and np.isnan(values[bad]).all()
    alone = fastsvd.eigh(np.ascontiguousarray(a[good]))
    assert w[good].tobytes() == alone.eigenvalues.tobytes()
    assert q[good].tobytes() == alone.eigenvectors.tobytes()
    # In the triangle that is not read, NaN changes nothing.
    assert np.isfinite(fastsvd.eigvalsh(a, UPLO="U")).all()
    # One matrix alone (the per-call path) likewise.
    with pytest.raises(np.linalg.LinAlgError):
        fastsvd.eigh(a[3])
    assert np.isnan(fastsvd.eigh(a[3], nonfinite="nan").eigenvectors).all()
    assert np.isfinite(fastsvd.eigvalsh(a[3], UPLO="U")).all()


@pytest.mark.parametrize("dtype,expected", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int64, np.float64), (np.bool_, np.float64)],
                         ids=["f32", "f64", "i8", "bool"])
def test_dtypes_and_result_types_follow_numpy(dtype, expected):
    a = np.array([[2, 1], [1, 2]]).astype(dtype)
    result = fastsvd.eigh(a)
    numpy_result = np.linalg.eigh(a)
    assert type(result) is type(numpy_result)
    assert result.eigenvalues.dtype == numpy_result.eigenvalues.dtype == expected
    assert result.eigenvectors.dtype == expected
    assert fastsvd.eigvalsh(a).dtype == expected


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 3, 3), (5, 0, 0), (0, 0), (2, 1, 1)])
def test_shapes_follow_numpy(shape):
    a = np.zeros(shape) + np.eye(shape[-1]) * 2
    w, q = fastsvd.eigh(a)
    ref_w, ref_q = np.linalg.eigh(a)
    assert w.shape == ref_w.shape and q.shape == ref_q.shape
    assert np.allclose(w, ref_w)
    assert fastsvd.eigvalsh(a).shape == ref_w.shape


def test_what_has_no_kernel_goes_to_numpy():
    rng = rng_for("eigh-numpy-path")
    big = rng.standard_normal((2, 40, 40))
    big = big + np.swapaxes(big, 1, 2)
    assert np.allclose(fastsvd.eigvalsh(big), np.linalg.eigvalsh(big))
    h = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    h = h + h.conj().T
    w, q = fastsvd.eigh(h)
    assert q.dtype == np.complex128 and np.allclose(w, np.linalg.eigvalsh(h))
    big[1, 5, 2] = np.nan
    with pytest.raises(np.linalg.LinAlgError):
        fastsvd.eigh(big)
    w = fastsvd.eigvalsh(big, nonfinite="nan")
    assert np.isnan(w[1]).all() and np.isfinite(w[0]).all()


@pytest.mark.parametrize("bad,error", [
    (np.ones(3), np.linalg.LinAlgError),
    (np.ones((2, 3)), np.linalg.LinAlgError),
    (np.ones((4, 2, 3)), np.linalg.LinAlgError),
])
def test_bad_shapes_fail_as_numpy_fails(bad, error):
    for function in (fastsvd.eigh, fastsvd.eigvalsh):
        with pytest.raises(error):
            function(bad)
    with pytest.raises(error):
        np.linalg.eigh(bad)


def test_bad_options_fail():
    a = np.eye(2)
    with pytest.raises(ValueError, match="UPLO"):
        fastsvd.eigh(a, UPLO="X")
    with pytest.raises(ValueError, match="UPLO"):
        np.linalg.eigh(a, UPLO="X")
    with pytest.raises(ValueError):
        fastsvd.eigvalsh(a, nonfinite="ignore")
    with pytest.raises(ValueError):
        fastsvd.eigh(a, workers=0)
    with pytest.raises(TypeError):
        fastsvd.eigh(np.eye(2, dtype=np.float16))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_subclasses_are_wrapped_as_numpy_wraps_them():
    m = np.matrix([[2.0, 1.0], [1.0, 2.0]])
    got, want = fastsvd.eigh(m), np.linalg.eigh(m)
    assert type(got.eigenvectors) is type(want.eigenvectors)
    assert type(got.eigenvalues) is type(want.eigenvalues)


def test_the_gufuncs_take_out_and_refuse_large_matrices():
    a = _symmetric("gaussian", 4, np.float64)
    w = np.empty((COUNT, 4))
    q = np.empty((COUNT, 4, 4))
    gufuncs.eigh_upper(a, out=(w, q))
    want = fastsvd.eigh(a, UPLO="U")
    assert w.tobytes() == want.eigenvalues.tobytes()
    assert q.tobytes() == want.eigenvectors.tobytes()
    assert gufuncs.eigvalsh_lower(a).tobytes() == fastsvd.eigvalsh(a).tobytes()
    with pytest.raises(ValueError, match="32"):
        gufuncs.eigh_lower(np.eye(33))


@pytest.mark.parametrize("family", ["gaussian", "rank-deficient", "repeated", "zero", "huge"])
@pytest.mark.parametrize("n", [1, 2, 3, 8, 16])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_svd_hermitian_goes_through_the_eigen_kernel(dtype, n, family):
    """numpy's contract (A = U S Vh, S = |λ| descending), with Vh orthogonal even
    where λ = 0 (numpy's sign(0) would zero a row of it)."""
    a = _symmetric(family, n, dtype)
    a[:, np.triu(np.ones((n, n), bool), 1)] = np.nan    # only the lower triangle is read
    full = np.tril(a) + np.swapaxes(np.tril(a, -1), 1, 2)
    result = fastsvd.svd(a, hermitian=True)
    assert_svd_contract(full, result, full_matrices=True, bar=eigh_tolerance(dtype, n))
    w = fastsvd.eigvalsh(a)
    assert np.array_equal(result.S, np.sort(np.abs(w), axis=-1)[..., ::-1])
    assert np.array_equal(fastsvd.svd(a, hermitian=True, compute_uv=False), result.S)


@pytest.mark.parametrize("n", [2, 3, 8, 16])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_pinv_hermitian_takes_the_eigen_path(dtype, n):
    """On well-conditioned indefinite matrices (|λ| in [1, 2]), numpy's pinv to the
    SVD's bar, norm-wise."""
    rng = rng_for("eigh-pinv", n, np.dtype(dtype).name)
    w = rng.uniform(1, 2, (COUNT, n)) * rng.choice([-1, 1], (COUNT, n))
    q = np.stack([random_orthogonal(rng, n) for _ in range(COUNT)])
    a = ((q * w[:, None, :]) @ np.swapaxes(q, 1, 2)).astype(dtype)
    got = fastsvd.pinv(a, hermitian=True)
    want = np.linalg.pinv(a.astype(np.float64))
    error = np.linalg.norm(got - want, axis=(1, 2)) / np.linalg.norm(want, axis=(1, 2))
    assert got.dtype == dtype and error.max() <= 4 * eigh_tolerance(dtype, n)
