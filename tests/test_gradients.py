"""The derivative kernels (fastsvd.gradients): every function's reverse mode
against its forward mode (the adjoint identity ⟨ḡ, J·dA⟩ = ⟨Jᵀ·ḡ, dA⟩,
exact up to rounding), its forward mode against central differences of the
forward function itself, and the degenerate inputs where formulas through
1/(σᵢ² − σⱼ²) give NaN: rotations and the identity, repeated σ,
rank-deficient and zero matrices, reflections.  Then the batch contract:
bits wherever a matrix sits, NaN confined, errors.
"""
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import fastsvd
from fastsvd import gradients as G
from accuracy import (
    FINITE_DIFFERENCE_RELATIVE,
    SQUARE_FAMILIES,
    adjoint_tolerance,
    family_stack,
    param_id,
    random_orthogonal,
    rng_for,
    separated,
    with_singular_values,
)


def _sym(a):
    return (a + a.mT) / 2


def _rank(a):
    return max(1, min(a.shape[-2:]) - 1)


@dataclass(frozen=True)
class Function:
    """A differentiable function: its forward results, the factors its
    derivatives take, and its vjp/jvp as (result(s), degenerate or None)."""
    forward: Callable
    factors: Callable
    vjp: Callable
    jvp: Callable
    shapes: str = "any"     # "square", "tall" (M ≥ N), "wide" (M ≤ N)
    gauge: bool = False     # outputs with a column sign to align for differences


def _thin(a):
    return tuple(fastsvd.svd(a, full_matrices=False))


def _signed(a):
    return tuple(fastsvd.svd(a, signed=True))


def _eigen(a):
    return tuple(fastsvd.eigh(_sym(a)))


FUNCTIONS = {
    "svd": Function(_thin, _thin, lambda f, g: G.svd_vjp(*f, *g),
                    lambda f, da: (G.svd_jvp(*f, da)[:3], G.svd_jvp(*f, da)[3]), gauge=True),
    "signed-svd": Function(_signed, _signed, lambda f, g: G.svd_vjp(*f, *g),
                           lambda f, da: (G.svd_jvp(*f, da)[:3], G.svd_jvp(*f, da)[3]),
                           shapes="square", gauge=True),
    "svdvals": Function(lambda a: (fastsvd.svdvals(a),), _thin,
                        lambda f, g: (G.svdvals_vjp(*f, *g), None),
                        lambda f, da: ((G.svdvals_jvp(*f, da),), None)),
    "nearest_rotation": Function(lambda a: (fastsvd.nearest_rotation(a),), _signed,
                                 lambda f, g: G.nearest_rotation_vjp(*f, *g),
                                 lambda f, da: _one(G.nearest_rotation_jvp(*f, da)),
                                 shapes="square"),
    "polar": Function(lambda a: tuple(fastsvd.polar(a)), _thin,
                      lambda f, g: G.polar_vjp(*f, *g),
                      lambda f, da: (G.polar_jvp(*f, da)[:2], G.polar_jvp(*f, da)[2]),
                      shapes="tall"),
    "polar-left": Function(lambda a: tuple(fastsvd.polar(a, side="left")), _thin,
                           lambda f, g: G.polar_vjp(*f, *g, side="left"),
                           lambda f, da: (G.polar_jvp(*f, da, side="left")[:2],
                                          G.polar_jvp(*f, da, side="left")[2]),
                           shapes="wide"),
    "pinv": Function(lambda a: (fastsvd.pinv(a),), _thin,
                     lambda f, g: (G.pinv_vjp(*f, *g), None),
                     lambda f, da: ((G.pinv_jvp(*f, da),), None)),
    "low_rank": Function(lambda a: (fastsvd.low_rank(a, _rank(a)),), _thin,
                         lambda f, g: G.low_rank_vjp(*f, _rank(f[0] @ f[2]), *g),
                         lambda f, da: _one(G.low_rank_jvp(*f, _rank(f[0] @ f[2]), da))),
    "eigh": Function(_eigen, _eigen, lambda f, g: G.eigh_vjp(*f, *g),
                     lambda f, da: (G.eigh_jvp(*f, da)[:2], G.eigh_jvp(*f, da)[2]),
                     shapes="square", gauge=True),
    "eigvalsh": Function(lambda a: (fastsvd.eigvalsh(_sym(a)),), _eigen,
                         lambda f, g: (G.eigvalsh_vjp(*f, *g), None),
                         lambda f, da: ((G.eigvalsh_jvp(*f, da),), None), shapes="square"),
}


def _one(result):
    """(tangent, degenerate) as (tangents, degenerate)."""
    tangent, degenerate = result
    return (tangent,), degenerate


SHAPES = [(2, 2), (3, 3), (3, 2), (2, 3), (4, 4), (5, 3), (3, 5), (8, 8), (16, 16),
          (32, 32), (32, 7)]


def _cases():
    for name, function in FUNCTIONS.items():
        for m, n in SHAPES:
            if (function.shapes == "square" and m != n or function.shapes == "tall" and m < n
                    or function.shapes == "wide" and m > n):
                continue
            yield name, (m, n)


CASES = list(_cases())


def _inner(xs, ys):
    return sum(float(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)))
               for x, y in zip(xs, ys))


def _norm(xs):
    """The 2-norm of the arrays together, scaled so that 1e±300 entries neither
    overflow nor underflow."""
    flat = np.concatenate([np.ravel(np.asarray(x, np.float64)) for x in xs])
    largest = np.abs(flat).max() if flat.size else 0.0
    return float(largest * np.sqrt(np.sum((flat / largest) ** 2))) if largest else 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=param_id)
@pytest.mark.parametrize(("name", "shape"), CASES, ids=[f"{n}-{m}x{k}" for n, (m, k) in CASES])
def test_reverse_mode_is_the_adjoint_of_forward_mode(name, shape, dtype):
    function = FUNCTIONS[name]
    rng = rng_for("adjoint", name, shape, dtype.__name__)
    a = separated(rng, *shape, 6).astype(dtype)
    factors = function.factors(a)
    outputs = function.forward(a)
    cotangents = [rng.standard_normal(np.shape(x)).astype(dtype) for x in outputs]
    da = rng.standard_normal(a.shape).astype(dtype)
    ga, degenerate = function.vjp(factors, cotangents)
    tangents, _ = function.jvp(factors, da)
    assert ga.shape == a.shape and ga.dtype == dtype
    assert all(t.shape == np.shape(x) and t.dtype == dtype for t, x in zip(tangents, outputs))
    assert degenerate is None or not degenerate.any()
    for i in range(len(a)):    # per matrix: one product cannot hide another's error
        forward = _inner([c[i] for c in cotangents], [t[i] for t in tangents])
        reverse = _inner([ga[i]], [da[i]])
        scale = (_norm([c[i] for c in cotangents]) * _norm([t[i] for t in tangents])
                 + _norm([ga[i]]) * _norm([da[i]]))
        assert abs(forward - reverse) <= adjoint_tolerance(dtype, *shape) * scale


def _aligned(outputs, reference, name):
    """outputs with each singular (eigen) vector's sign made that of reference's."""
    if name == "eigh":
        w, q = outputs
        sign = np.sign(np.einsum("...ij,...ij->...j", q, reference[1]))
        return w, q * sign[..., None, :]
    u, s, vh = outputs
    sign = np.sign(np.einsum("...ij,...ij->...j", u, reference[0]))
    return u * sign[..., None, :], s, vh * sign[..., :, None]


@pytest.mark.parametrize(("name", "shape"), CASES, ids=[f"{n}-{m}x{k}" for n, (m, k) in CASES])
def test_forward_mode_matches_central_differences(name, shape):
    function = FUNCTIONS[name]
    rng = rng_for("differences", name, shape)
    a = separated(rng, *shape, 6)
    da = rng.standard_normal(a.shape)
    h = 1e-6 * float(np.linalg.norm(a[0], 2))
    tangents, degenerate = function.jvp(function.factors(a), da)
    base = function.forward(a)
    plus, minus = function.forward(a + h * da), function.forward(a - h * da)
    if function.gauge:
        plus, minus = _aligned(plus, base, name), _aligned(minus, base, name)
    for tangent, p, q in zip(tangents, plus, minus):
        difference = (p - q) / (2 * h)
        error = np.abs(tangent - difference).max()
        assert error <= FINITE_DIFFERENCE_RELATIVE * max(1.0, np.abs(difference).max())
    assert degenerate is None or not degenerate.any()


# --- Degenerate inputs: where the function is differentiable, finite and right.

def _check_vjp_against_differences(forward, vjp_result, a, cotangent, rng):
    """⟨ḡ, dF⟩ along random directions dA, by central differences, against
    ⟨Jᵀ·ḡ, dA⟩."""
    for _ in range(3):
        da = rng.standard_normal(a.shape)
        h = 1e-6
        difference = np.vdot(cotangent, forward(a + h * da) - forward(a - h * da)) / (2 * h)
        assert abs(difference - np.vdot(vjp_result, da)) <= 1e-6 * max(
            1.0, np.abs(vjp_result).sum() * np.abs(da).max())


@pytest.mark.parametrize("n", [2, 3, 4, 8])
@pytest.mark.parametrize("kind", ["identity", "rotations", "scaled-rotations", "reflections"])
def test_rotation_derivative_is_finite_and_right_where_all_sigma_repeat(n, kind):
    rng = rng_for("repeated", kind, n)
    if kind == "identity":
        a = np.stack([np.eye(n)] * 4)
    else:
        a = np.stack([random_orthogonal(rng, n) for _ in range(4)])
        a[:, 0] *= np.sign(np.linalg.det(a))[:, None]      # rotations: det = +1
        if kind == "scaled-rotations":
            a *= np.array([0.5, 1, 3, 1e3])[:, None, None]
        elif kind == "reflections":     # det = −1: R is the reflection's nearest rotation
            a[:, 0] *= -np.sign(np.linalg.det(a))[:, None]
    factors = fastsvd.svd(a, signed=True)
    gr = rng.standard_normal(a.shape)
    ga, degenerate = G.nearest_rotation_vjp(*factors, gr)
    assert np.isfinite(ga).all()
    dr, jvp_degenerate = G.nearest_rotation_jvp(*factors, gr)
    assert np.isfinite(dr).all()
    if kind == "reflections":
        # σ = 1, …, 1, −1: σₙ₋₁ + σₙ = 0, where the nearest rotation jumps.
        assert degenerate.all() and jvp_degenerate.all()
        return
    assert not degenerate.any() and not jvp_degenerate.any()
    for i in range(len(a)):
        _check_vjp_against_differences(fastsvd.nearest_rotation, ga[i], a[i], gr[i], rng)


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (4, 4), (5, 3), (8, 8)], ids=param_id)
def test_polar_derivative_is_finite_and_right_at_repeated_sigma(shape):
    rng = rng_for("polar-repeated", shape)
    m, n = shape
    a = np.stack([with_singular_values(rng, m, n, sigma) for sigma in (
        np.ones(n), np.r_[2.0, np.ones(n - 1)], np.r_[np.full(n - 1, 3.0), 1.0])])
    factors = fastsvd.svd(a, full_matrices=False)
    gr, gp = rng.standard_normal(a.shape), rng.standard_normal((len(a), n, n))
    ga, degenerate = G.polar_vjp(*factors, gr, gp)
    assert np.isfinite(ga).all() and not degenerate.any()
    for i in range(len(a)):
        _check_vjp_against_differences(
            lambda x: np.concatenate([f.ravel() for f in fastsvd.polar(x)]), ga[i], a[i],
            np.concatenate([gr[i].ravel(), gp[i].ravel()]), rng)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_rotation_of_a_rank_deficient_matrix_is_differentiable(n):
    rng = rng_for("rotation-rank", n)
    a = np.stack([with_singular_values(rng, n, n, np.r_[np.linspace(2, 1, n - 1), 0.0])
                  for _ in range(3)])
    factors = fastsvd.svd(a, signed=True)
    gr = rng.standard_normal(a.shape)
    ga, degenerate = G.nearest_rotation_vjp(*factors, gr)
    assert np.isfinite(ga).all() and not degenerate.any()
    for i in range(len(a)):
        _check_vjp_against_differences(fastsvd.nearest_rotation, ga[i], a[i], gr[i], rng)


def test_svd_through_u_vt_at_the_identity_matches_the_rotation_and_says_so():
    # A loss of U·Vᵀ only: gauge-invariant, so the dropped pairs were exact.
    rng = rng_for("svd-identity")
    a = np.stack([np.eye(3)] * 2)
    u, s, vh = fastsvd.svd(a, signed=True)
    c = rng.standard_normal(a.shape)
    ga, degenerate = G.svd_vjp(u, s, vh, gu=c @ vh.mT, gvh=u.mT @ c)
    expected, _ = G.nearest_rotation_vjp(u, s, vh, c)
    assert np.isfinite(ga).all() and degenerate.all()
    np.testing.assert_allclose(ga, expected, atol=1e-14)


def test_singular_values_at_repeated_sigma_are_finite_and_unflagged():
    a = np.stack([np.eye(4), np.diag([2.0, 2, 1, 1]), np.zeros((4, 4))])
    u, s, vh = fastsvd.svd(a)
    ga, degenerate = G.svd_vjp(u, s, vh, gs=np.ones((3, 4)))
    assert np.isfinite(ga).all() and not degenerate.any()
    np.testing.assert_allclose(ga, u @ vh, atol=1e-15)   # the nuclear norm's gradient


@pytest.mark.parametrize("name", ["svd", "nearest_rotation", "polar", "low_rank", "eigh"])
def test_zero_matrix_gets_a_finite_flagged_derivative(name):
    function = FUNCTIONS[name]
    a = np.zeros((2, 3, 3))
    factors = function.factors(a)
    rng = rng_for("zero", name)
    cotangents = [rng.standard_normal(np.shape(x)) for x in function.forward(a)]
    ga, degenerate = function.vjp(factors, cotangents)
    tangents, jvp_degenerate = function.jvp(factors, rng.standard_normal(a.shape))
    assert np.isfinite(ga).all() and all(np.isfinite(t).all() for t in tangents)
    assert degenerate.all() and jvp_degenerate.all()


def test_eigh_at_repeated_eigenvalues_is_finite_and_flagged_when_q_is_used():
    a = np.stack([np.eye(3), np.diag([1.0, 1, 2])])
    w, q = fastsvd.eigh(a)
    rng = rng_for("eigh-repeated")
    ga, degenerate = G.eigh_vjp(w, q, rng.standard_normal(w.shape), rng.standard_normal(q.shape))
    assert np.isfinite(ga).all() and degenerate.all()
    ga, degenerate = G.eigh_vjp(w, q, np.ones(w.shape))
    assert not degenerate.any()
    np.testing.assert_allclose(ga, np.stack([np.eye(3)] * 2), atol=1e-15)   # d trace


def test_low_rank_is_flagged_where_the_kept_and_cut_sigma_meet():
    u, s, vh = fastsvd.svd(np.stack([np.diag([3.0, 1, 1]), np.diag([3.0, 2, 1])]))
    ga, degenerate = G.low_rank_vjp(u, s, vh, 2, np.ones((2, 3, 3)))
    assert np.isfinite(ga).all() and degenerate.tolist() == [True, False]


def test_pinv_derivative_at_a_rank_deficient_matrix_keeps_the_rank():
    rng = rng_for("pinv-rank")
    a = with_singular_values(rng, 4, 3, [2.0, 1.0, 0.0])[None]
    u, s, vh = fastsvd.svd(a, full_matrices=False)
    gx = rng.standard_normal((1, 3, 4))
    ga = G.pinv_vjp(u, s, vh, gx)
    assert np.isfinite(ga).all()
    # Along directions that keep the rank, pinv is differentiable: U·X·Vᵀ
    # with X on the kept 2×2 block only.
    da = u[..., :, :2] @ rng.standard_normal((1, 2, 2)) @ vh[..., :2, :]
    h = 1e-6
    difference = np.vdot(gx, fastsvd.pinv(a + h * da) - fastsvd.pinv(a - h * da)) / (2 * h)
    assert abs(difference - np.vdot(ga, da)) <= 1e-6 * max(1.0, abs(difference))


# --- The batch contract.

@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_a_matrix_gets_the_same_bits_alone_in_a_stack_strided_and_threaded(name):
    function = FUNCTIONS[name]
    shape = {"tall": (5, 3), "wide": (3, 5)}.get(function.shapes, (4, 4))
    rng = rng_for("bits", name)
    a = separated(rng, *shape, count=9000)     # enough for workers=2 to split
    factors = function.factors(a)
    cotangents = [rng.standard_normal(np.shape(x)) for x in function.forward(a)]
    ga, _ = function.vjp(factors, cotangents)
    strided = [np.asfortranarray(x) for x in factors]
    strided_cotangents = [np.asfortranarray(x) for x in cotangents]
    ga_strided, _ = function.vjp(strided, strided_cotangents)
    assert np.array_equal(ga, ga_strided)
    for i in (0, 7, 8999):
        alone, _ = function.vjp([x[i] for x in factors], [c[i] for c in cotangents])
        assert np.array_equal(alone, ga[i])
    da = rng.standard_normal(a.shape)
    tangents, _ = function.jvp(factors, da)
    tangents_alone, _ = function.jvp([x[5] for x in factors], da[5])
    assert all(np.array_equal(t[5], t_alone) for t, t_alone in zip(tangents, tangents_alone))


def test_workers_give_the_same_bits():
    rng = rng_for("workers")
    a = separated(rng, 3, 3, count=10000)
    u, s, vh = fastsvd.svd(a, signed=True)
    gr = rng.standard_normal(a.shape)
    one, _ = G.nearest_rotation_vjp(u, s, vh, gr)
    two, _ = G.nearest_rotation_vjp(u, s, vh, gr, workers=2)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_nan_stays_in_its_matrix(name):
    function = FUNCTIONS[name]
    shape = {"tall": (5, 3), "wide": (3, 5)}.get(function.shapes, (3, 3))
    rng = rng_for("nan", name)
    a = separated(rng, *shape, count=5)
    factors = [np.array(x) for x in function.factors(a)]
    cotangents = [rng.standard_normal(np.shape(x)) for x in function.forward(a)]
    clean, _ = function.vjp(factors, cotangents)
    vectors = next(x for x in factors if x.ndim == 3)    # (w does not reach eigvalsh's)
    vectors[2] = np.nan
    ga, _ = function.vjp(factors, cotangents)
    assert np.isnan(ga[2]).all()
    keep = [0, 1, 3, 4]
    assert np.array_equal(ga[keep], clean[keep])


def test_broadcast_cotangent_and_per_matrix_parameters():
    rng = rng_for("broadcast")
    a = separated(rng, 4, 3, count=3)
    u, s, vh = fastsvd.svd(a, full_matrices=False)
    gl = rng.standard_normal((4, 3))
    ga, _ = G.low_rank_vjp(u, s, vh, np.array([1, 2, 3]), gl)
    for i, k in enumerate([1, 2, 3]):
        alone, _ = G.low_rank_vjp(u[i], s[i], vh[i], k, gl)
        assert np.array_equal(ga[i], alone)


def test_full_matrices_factors_are_narrowed():
    rng = rng_for("full")
    a = separated(rng, 5, 3, count=2)
    full = fastsvd.svd(a)
    thin = fastsvd.svd(a, full_matrices=False)
    gu = rng.standard_normal(full[0].shape)
    ga_full, _ = G.svd_vjp(*full, gu=gu)
    ga_thin, _ = G.svd_vjp(*thin, gu=gu[..., :3])
    np.testing.assert_array_equal(ga_full, ga_thin)


def test_bad_input_is_refused_clearly():
    u, s, vh = fastsvd.svd(np.eye(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        G.svd_vjp(u.astype(complex), s, vh, gs=s)
    big = np.eye(33)
    with pytest.raises(ValueError, match="N <= M <= 32"):
        G.svd_vjp(big, np.ones(33), big, gs=np.ones(33))
    wide = fastsvd.svd(np.ones((2, 3)), full_matrices=False)
    with pytest.raises(NotImplementedError, match="smaller side"):
        G.polar_vjp(*wide, np.ones((2, 3)))
    with pytest.raises(ValueError, match="side must be"):
        G.polar_vjp(u, s, vh, np.ones((3, 3)), side="up")
    with pytest.raises(ValueError):
        G.svd_vjp(u, s, vh, gs=np.ones(4))


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (4, 4), (5, 3), (3, 5), (9, 9), (32, 32)],
                         ids=param_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=param_id)
def test_results_with_factors_are_the_plain_gufuncs_bits(shape, dtype):
    # What fastsvd.torch and fastsvd.jax run forward: one kernel pass for the
    # result and the factors its derivative takes.
    m, n = shape
    a = separated(rng_for("with-factors", shape), m, n, count=70).astype(dtype)
    gufuncs = fastsvd.gufuncs
    if m == n:
        r, *factors = gufuncs.nearest_rotation_with_factors(a)
        assert np.array_equal(r, gufuncs.nearest_rotation(a))
        assert all(np.array_equal(x, y) for x, y in zip(factors, gufuncs.svd_signed(a)))
    side, thin = (("right", gufuncs.svd_thin_m_ge_n) if m >= n
                  else ("left", gufuncs.svd_thin_m_lt_n))
    with_factors = getattr(gufuncs, f"polar_{side}_with_factors")
    r, p, *factors = with_factors(a)
    assert all(np.array_equal(x, y) for x, y in zip((r, p), fastsvd.polar(a, side=side)))
    assert all(np.array_equal(x, y) for x, y in zip(factors, thin(a)))


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("reflection", [False, True])
def test_kabsch_rotation_derivative_matches_differences(d, reflection):
    rng = rng_for("kabsch", d, reflection)
    q = rng.standard_normal((3, 12, d))
    p = q @ random_orthogonal(rng, d).T + 0.1 * rng.standard_normal(q.shape)
    w = rng.uniform(0.5, 2.0, (3, 12))
    gr = rng.standard_normal((3, d, d))
    gp, gq, gw, degenerate = G.kabsch_rotation_vjp(p, q, gr, w, reflection=reflection)
    assert not degenerate.any()

    def rotation(p_, q_, w_):
        return fastsvd.kabsch(p_, q_, w_, reflection=reflection).rotation

    h = 1e-6
    for (x, g), which in zip([(p, gp), (q, gq), (w, gw)], range(3)):
        dx = rng.standard_normal(x.shape)
        args_plus = [p, q, w]
        args_minus = [p, q, w]
        args_plus[which], args_minus[which] = x + h * dx, x - h * dx
        difference = np.vdot(gr, rotation(*args_plus) - rotation(*args_minus)) / (2 * h)
        assert abs(difference - np.vdot(g, dx)) <= 1e-6 * max(1.0, abs(difference))


def test_kabsch_rotation_of_collinear_points_is_flagged():
    q = np.outer(np.arange(5.0), [1.0, 2.0, 3.0])[None]
    _, _, _, degenerate = G.kabsch_rotation_vjp(q, q, np.ones((1, 3, 3)))
    assert degenerate.all()


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300], ids=lambda s: f"{s:.0e}")
@pytest.mark.parametrize("name", [name for name in FUNCTIONS if name != "pinv"])
def test_extreme_scales_stay_finite_and_adjoint(name, scale):
    # The derivatives scale as 1/|A| at most (the pseudo-inverse's as 1/|A|²,
    # which 1e±300 cannot hold: checked at 1e±150 below): no σ² is formed
    # that would overflow or underflow.
    _check_scaled(name, scale)


@pytest.mark.parametrize("scale", [1e-150, 1e150], ids=lambda s: f"{s:.0e}")
def test_pinv_derivative_at_extreme_scales(scale):
    _check_scaled("pinv", scale)


def _check_scaled(name, scale):
    function = FUNCTIONS[name]
    shape = {"tall": (4, 3), "wide": (3, 4)}.get(function.shapes, (3, 3))
    rng = rng_for("scaled", name, scale)
    _check_finite_and_adjoint(function, separated(rng, *shape, 6) * scale, rng)


def _check_finite_and_adjoint(function, a, rng):
    """Finite derivatives of the stack a, and reverse mode the adjoint of
    forward mode per matrix (dA of a's own size)."""
    factors = function.factors(a)
    outputs = function.forward(a)
    cotangents = [rng.standard_normal(np.shape(x)) for x in outputs]
    da = rng.standard_normal(a.shape) * max(float(np.abs(a).max()), 1e-300)
    ga, _ = function.vjp(factors, cotangents)
    tangents, _ = function.jvp(factors, da)
    assert np.isfinite(ga).all() and all(np.isfinite(t).all() for t in tangents)
    m, n = a.shape[-2:]
    for i in range(len(a)):
        forward = _inner([c[i] for c in cotangents], [t[i] for t in tangents])
        reverse = _inner([ga[i]], [da[i]])
        size = (_norm([c[i] for c in cotangents]) * _norm([t[i] for t in tangents])
                + _norm([ga[i]]) * _norm([da[i]]))
        assert abs(forward - reverse) <= adjoint_tolerance(np.float64, m, n) * size


@pytest.mark.parametrize("family", [f for f in SQUARE_FAMILIES if f != "near-max"])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_hard_families_give_finite_adjoint_derivatives(name, family):
    # The accuracy suite's inputs (rank-deficient, graded, small σ, zero,
    # 1e±300, reflections).  (pinv's derivative, 1/|A|², cannot be held at
    # 1e±300 nor near a cut-off σ; near the float maximum σᵢ + σⱼ overflows.)
    function = FUNCTIONS[name]
    shape = (4, 3) if function.shapes in ("tall", "any") and family != "reflections" \
        else (3, 3)
    if name == "pinv" and family in ("tiny", "huge", "small-sigma", "graded"):
        pytest.skip("the pseudo-inverse's derivative overflows there")
    a, _ = family_stack(family, *shape, np.float64)
    _check_finite_and_adjoint(function, a[:12], rng_for("families", name, family))
