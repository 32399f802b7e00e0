"""The project's two worked examples, computed by hand, and low_rank's contract.

Every expected value below is derived from the exact closed forms (eigenvalues
of AᵀA), never copied from fastsvd's output.
"""
import math

import numpy as np
import pytest

import fastsvd
from accuracy import assert_svd_contract, reference_singular_values, tolerance

W = np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]])
A = np.array([[-4.0, -7.0], [1.0, 4.0]])


# ------------------------------------------------------------ W (3×2)

def exact_w():
    """σ, v of W from WᵀW = [[25, −15], [−15, 29]]: λ = 27 ± √229, σ = √λ."""
    gram = W.T @ W
    assert gram.tolist() == [[25.0, -15.0], [-15.0, 29.0]]   # the hand computation
    lambdas = [27 + math.sqrt(229), 27 - math.sqrt(229)]
    sigmas = np.array([math.sqrt(lam) for lam in lambdas])
    # (WᵀW − λI)v = 0: (25 − λ)x − 15y = 0  →  v ∝ (15, 25 − λ)
    vs = [np.array([15.0, 25.0 - lam]) for lam in lambdas]
    vs = [v / np.linalg.norm(v) for v in vs]
    return sigmas, vs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_w_singular_values(dtype):
    sigmas, _ = exact_w()
    assert abs(sigmas[0] - 6.4910) < 1e-4 and abs(sigmas[1] - 3.4449) < 1e-4
    # σ₁² + σ₂² = ‖W‖_F² = 54 and σ₁σ₂ = |det WᵀW|^½ = √500
    assert math.isclose(sigmas[0] ** 2 + sigmas[1] ** 2, 54.0)
    assert math.isclose(sigmas[0] * sigmas[1], math.sqrt(500.0))
    np.testing.assert_allclose(reference_singular_values(W), sigmas, rtol=1e-15)
    tol = tolerance(dtype, 3, 2)
    u, s, vh = fastsvd.svd(W.astype(dtype))
    assert s.dtype == dtype
    assert np.all(np.abs(s - sigmas) <= tol * sigmas[0])
    assert np.all(np.abs(fastsvd.svdvals(W.astype(dtype)) - sigmas) <= tol * sigmas[0])
    assert_svd_contract(W.astype(dtype), (u, s, vh), full_matrices=True)


def test_w_singular_vectors_up_to_sign():
    sigmas, vs = exact_w()
    u, s, vh = fastsvd.svd(W, full_matrices=False)
    tol = tolerance(np.float64, 3, 2)
    for i in range(2):
        exact_u = W @ vs[i] / sigmas[i]
        sign = np.sign(vh[i] @ vs[i])
        assert sign != 0
        assert np.abs(vh[i] - sign * vs[i]).max() <= tol
        assert np.abs(u[:, i] - sign * exact_u).max() <= tol


def test_w_low_rank():
    sigmas, vs = exact_w()
    tol = tolerance(np.float64, 3, 2)
    u1 = W @ vs[0] / sigmas[0]
    rank1 = sigmas[0] * np.outer(u1, vs[0])   # σ₁u₁v₁ᵀ, the sign of (u₁, v₁) cancels
    np.testing.assert_allclose(rank1, W @ np.outer(vs[0], vs[0]), atol=1e-13)
    approx1 = fastsvd.low_rank(W, 1)
    assert approx1.shape == W.shape and approx1.dtype == np.float64
    assert np.abs(approx1 - rank1).max() <= tol * sigmas[0]
    assert np.linalg.matrix_rank(approx1) == 1
    # Eckart–Young: the error of the best rank-1 approximation is σ₂ (2-norm).
    assert abs(np.linalg.norm(W - approx1, 2) - sigmas[1]) <= tol * sigmas[0]
    approx2 = fastsvd.low_rank(W, 2)
    assert np.abs(approx2 - W).max() <= tol * sigmas[0]
    approx0 = fastsvd.low_rank(W, 0)
    assert approx0.shape == W.shape and np.all(approx0 == 0)
    # Same answers for the transpose (a 2×3 matrix).
    assert np.abs(fastsvd.low_rank(W.T, 1) - rank1.T).max() <= tol * sigmas[0]
    assert np.abs(fastsvd.low_rank(W.T, 2) - W.T).max() <= tol * sigmas[0]


# ------------------------------------------------------------ A (2×2)

def exact_a():
    """AᵀA = [[17, 32], [32, 65]]: λ = 81, 1, so σ = 9, 1; V = (1/√5)[[1, −2], [2, 1]]."""
    gram = A.T @ A
    assert gram.tolist() == [[17.0, 32.0], [32.0, 65.0]]
    sigmas = np.array([9.0, 1.0])
    for lam in sigmas ** 2:   # characteristic polynomial λ² − 82λ + 81
        assert lam * lam - 82 * lam + 81 == 0
    v = np.array([[1.0, -2.0], [2.0, 1.0]]) / math.sqrt(5)   # columns v₁, v₂
    np.testing.assert_allclose(gram @ v, v * sigmas ** 2, atol=1e-12)
    u = (A @ v) / sigmas   # uᵢ = A vᵢ / σᵢ
    return sigmas, u, v


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_singular_values(dtype):
    sigmas, _, _ = exact_a()
    tol = tolerance(dtype, 2, 2)
    s = fastsvd.svd(A.astype(dtype), compute_uv=False)
    assert s.dtype == dtype
    assert np.all(np.abs(s - sigmas) <= tol * sigmas[0])
    np.testing.assert_allclose(reference_singular_values(A), sigmas, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_a_singular_vectors_up_to_pair_sign(dtype, full_matrices):
    sigmas, u_exact, v_exact = exact_a()
    np.testing.assert_allclose(u_exact, np.array([[-2.0, 1.0], [1.0, 2.0]]) / math.sqrt(5),
                               atol=1e-15)
    tol = tolerance(dtype, 2, 2)
    u, s, vh = fastsvd.svd(A.astype(dtype), full_matrices=full_matrices)
    assert u.dtype == vh.dtype == dtype
    for i in range(2):
        sign = np.sign(vh[i].astype(np.float64) @ v_exact[:, i])
        assert sign != 0
        # the pair (uᵢ, vᵢ) flips together: the same sign on both
        assert np.abs(vh[i] - sign * v_exact[:, i]).max() <= tol
        assert np.abs(u[:, i] - sign * u_exact[:, i]).max() <= tol
    # A = U S Vh, and the exact factors reproduce A too
    np.testing.assert_allclose(u_exact @ np.diag(sigmas) @ v_exact.T, A, atol=1e-13)
    assert_svd_contract(A.astype(dtype), (u, s, vh), full_matrices=full_matrices)
    recon = (u.astype(np.float64) * s) @ vh
    assert np.abs(recon - A).max() <= tol * sigmas[0]


def test_a_low_rank():
    sigmas, u_exact, v_exact = exact_a()
    tol = tolerance(np.float64, 2, 2)
    rank1 = sigmas[0] * np.outer(u_exact[:, 0], v_exact[:, 0])
    assert np.abs(fastsvd.low_rank(A, 1) - rank1).max() <= tol * sigmas[0]
    assert np.abs(fastsvd.low_rank(A, 2) - A).max() <= tol * sigmas[0]


# ------------------------------------------------------------ low_rank's contract

@pytest.mark.parametrize("k", [-1, 3, 10])
def test_low_rank_k_out_of_range(k):
    with pytest.raises(ValueError):
        fastsvd.low_rank(W, k)
    with pytest.raises(ValueError):
        fastsvd.low_rank(np.stack([W, 2 * W]), k)


@pytest.mark.parametrize("k", [1.0, 1.5, "1", None, np.float64(1.0)])
def test_low_rank_k_not_an_integer(k):
    with pytest.raises(TypeError):
        fastsvd.low_rank(W, k)


def test_low_rank_accepts_integer_like_k():
    expected = fastsvd.low_rank(W, 1)
    for k in (np.int64(1), np.int8(1), np.uint16(1)):
        np.testing.assert_array_equal(fastsvd.low_rank(W, k), expected)


def test_low_rank_float32_stays_float32():
    sigmas, vs = exact_w()
    w32 = W.astype(np.float32)
    approx = fastsvd.low_rank(w32, 1)
    assert approx.dtype == np.float32
    rank1 = W @ np.outer(vs[0], vs[0])
    assert np.abs(approx - rank1).max() <= tolerance(np.float32, 3, 2) * sigmas[0]
    approx2 = fastsvd.low_rank(w32, 2)
    assert approx2.dtype == np.float32
    assert np.abs(approx2 - W).max() <= tolerance(np.float32, 3, 2) * sigmas[0]
    assert fastsvd.low_rank(A.astype(np.float32), 1).dtype == np.float32


def test_low_rank_int_input_gives_float64():
    approx = fastsvd.low_rank(W.astype(np.int64), 2)
    assert approx.dtype == np.float64
    sigmas, _ = exact_w()
    assert np.abs(approx - W).max() <= tolerance(np.float64, 3, 2) * sigmas[0]


def test_low_rank_stack():
    """A (2, 3, 3, 2) stack of ±c·W: each the scaled rank-k answer of W."""
    sigmas, vs = exact_w()
    scales = np.array([[1.0, -2.0, 0.5], [3.0, 1e-3, -1e3]])
    stack = scales[..., None, None] * W
    tol = tolerance(np.float64, 3, 2)
    rank1 = W @ np.outer(vs[0], vs[0])
    approx1 = fastsvd.low_rank(stack, 1)
    approx2 = fastsvd.low_rank(stack, 2)
    assert approx1.shape == stack.shape
    for idx in np.ndindex(scales.shape):
        c = abs(scales[idx])
        assert np.abs(approx1[idx] - scales[idx] * rank1).max() <= tol * c * sigmas[0]
        assert np.abs(approx2[idx] - stack[idx]).max() <= tol * c * sigmas[0]
        np.testing.assert_array_equal(approx1[idx], fastsvd.low_rank(stack[idx], 1))


def test_low_rank_stack_of_mixed_examples():
    """W and Wᵀ-shaped stacks, and A with its own σ, in one call each."""
    sigmas_a, u_a, v_a = exact_a()
    stack = np.stack([A, -A, A.T, 2 * A])
    approx = fastsvd.low_rank(stack, 1)
    tol = tolerance(np.float64, 2, 2)
    expected = [sigmas_a[0] * np.outer(u_a[:, 0], v_a[:, 0])]
    expected += [-expected[0], expected[0].T, 2 * expected[0]]
    for got, want in zip(approx, expected):
        assert np.abs(got - want).max() <= tol * 2 * sigmas_a[0]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.parametrize("k", [0, 1, 2])
def test_low_rank_np_matrix(k):
    """np.matrix input (whose * is a matrix product) gets the same answer as the array."""
    expected = fastsvd.low_rank(W, k)
    got = fastsvd.low_rank(np.matrix(W), k)
    sigmas, _ = exact_w()
    np.testing.assert_allclose(np.asarray(got), expected, rtol=0,
                               atol=tolerance(np.float64, 3, 2) * sigmas[0])
