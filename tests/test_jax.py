"""fastsvd.jax: jax.test_util.check_grads on each function, agreement with
JAX's own gradients where those are finite, finite where JAX's give NaN, and
jit, vmap and grad together."""
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import fastsvd  # noqa: E402
import fastsvd.jax as fj  # noqa: E402
from accuracy import eps, rng_for, separated  # noqa: E402

AGREEMENT_FACTOR = 100     # ε, relative to the gradient's size, as for PyTorch


def _separated(key, m, n, count=3):
    return separated(rng_for("jax", key, m, n), m, n, count, decay=0.8)


def _jax_rotation(a):
    u, s, vh = jnp.linalg.svd(a)
    d = jnp.linalg.det(u @ vh)
    return jnp.concatenate([u[..., :-1], u[..., -1:] * d[..., None, None]], -1) @ vh


def _jax_polar(a):
    u, s, vh = jnp.linalg.svd(a, full_matrices=False)
    return u @ vh, jnp.swapaxes(vh, -1, -2) @ (s[..., :, None] * vh)


def _weighted(function):
    def loss(a):
        out = function(a)
        out = out if isinstance(out, tuple) else (out,)
        return sum((o * jnp.linspace(0.5, 1.5, o.size).reshape(o.shape)).sum() for o in out)
    return loss


def _gauge_free_svd(svd):
    def loss(a):
        u, s, vh = svd(a)
        return (s * jnp.arange(1, s.shape[-1] + 1)).sum() + ((u @ vh) ** 2 * a).sum()
    return loss


def _gauge_free_eigh(eigh):
    def loss(a):
        w, q = eigh(a)
        return (w ** 2).sum() + ((q[..., :1] @ jnp.swapaxes(q[..., :1], -1, -2)) * a).sum()
    return loss


LOSSES = {
    "svd": (_gauge_free_svd(fj.svd),
            _gauge_free_svd(lambda a: jnp.linalg.svd(a, full_matrices=False)),
            [(3, 3), (4, 2), (2, 5)]),
    "svdvals": (_weighted(fj.svdvals), _weighted(lambda a: jnp.linalg.svd(a, compute_uv=False)),
                [(3, 3)]),
    "nearest_rotation": (_weighted(fj.nearest_rotation), _weighted(_jax_rotation),
                         [(2, 2), (3, 3)]),
    "polar": (_weighted(fj.polar), _weighted(_jax_polar), [(3, 3), (4, 3)]),
    "pinv": (_weighted(fj.pinv), _weighted(jnp.linalg.pinv), [(3, 3), (2, 4)]),
    "eigh": (_gauge_free_eigh(fj.eigh),
             _gauge_free_eigh(lambda a: jnp.linalg.eigh((a + jnp.swapaxes(a, -1, -2)) / 2)),
             [(3, 3)]),
    "eigvalsh": (_weighted(fj.eigvalsh),
                 _weighted(lambda a: jnp.linalg.eigvalsh((a + jnp.swapaxes(a, -1, -2)) / 2)),
                 [(4, 4)]),
}
CASES = [(name, shape) for name, (_, _, shapes) in LOSSES.items() for shape in shapes]
IDS = [f"{name}-{m}x{n}" for name, (m, n) in CASES]


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_check_grads(name, shape):
    check_grads(LOSSES[name][0], (_separated(name, *shape, count=2),), order=1,
                modes=["rev"])


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_agrees_with_jaxs_own_gradient(name, shape):
    ours, theirs, _ = LOSSES[name]
    a = _separated(name, *shape)
    mine, reference = jax.grad(ours)(a), jax.grad(theirs)(a)
    assert bool(jnp.isfinite(reference).all())
    scale = float(jnp.abs(reference).max())
    assert float(jnp.abs(mine - reference).max()) <= AGREEMENT_FACTOR * eps(np.float64) * scale


def test_low_rank_gradient_matches_differences():
    a = _separated("low-rank", 4, 3)
    loss = _weighted(lambda x: fj.low_rank(x, 2))
    check_grads(loss, (a,), order=1, modes=["rev"])


def test_finite_where_jax_gives_nan():
    c = jnp.asarray(rng_for("jax-nan").standard_normal((3, 3)))
    theirs = jax.grad(lambda a: (_jax_rotation(a) * c).sum())(jnp.eye(3))
    ours = jax.grad(lambda a: (fj.nearest_rotation(a) * c).sum())(jnp.eye(3))
    assert not bool(jnp.isfinite(theirs).all())
    assert bool(jnp.isfinite(ours).all())
    # At the identity, dR = the antisymmetric part of dA (R turns by it).
    np.testing.assert_allclose(ours, (c - c.T) / 2, atol=1e-15)


def test_jit_vmap_and_grad_together():
    a = _separated("vmap", 3, 3, count=4)
    loss = _weighted(fj.nearest_rotation)
    batched = jax.jit(jax.vmap(jax.grad(loss)))(a)
    one_by_one = jnp.stack([jax.grad(loss)(x) for x in a])
    np.testing.assert_array_equal(batched, one_by_one)
    assert np.array_equal(np.asarray(jax.jit(fj.nearest_rotation)(a)),
                          fastsvd.nearest_rotation(np.asarray(a)))


def test_float32():
    a = jnp.asarray(_separated("float32", 3, 3), dtype=jnp.float32)
    g = jax.grad(_weighted(fj.nearest_rotation))(a)
    assert g.dtype == jnp.float32 and bool(jnp.isfinite(g).all())


def test_bad_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="float32 or float64"):
        fj.svd(jnp.zeros((3, 3), dtype=jnp.int32))
    with pytest.raises(ValueError, match="M, N <= 32"):
        fj.svd(jnp.zeros((33, 33)))
    with pytest.raises(ValueError, match="square"):
        fj.nearest_rotation(jnp.zeros((3, 2)))
    with pytest.raises(NotImplementedError, match="smaller side"):
        fj.polar(jnp.zeros((2, 3)))


def test_examples_run():
    import doctest
    failed, attempted = doctest.testmod(fj, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0


def test_kabsch_rotation_check_grads_and_fit():
    rng = rng_for("jax-kabsch")
    q = rng.standard_normal((3, 10, 3))
    p = q @ np.linalg.qr(rng.standard_normal((3, 3)))[0].T + 0.1 * rng.standard_normal(q.shape)
    w = rng.uniform(0.5, 2.0, (3, 10))
    weights = jnp.linspace(0.5, 1.5, 9).reshape(3, 3)
    check_grads(lambda *x: (fj.kabsch_rotation(*x) * weights).sum(),
                tuple(jnp.asarray(x) for x in (p, q, w)), order=1, modes=["rev"])
    np.testing.assert_array_equal(fj.kabsch_rotation(jnp.asarray(p), jnp.asarray(q)),
                                  fastsvd.kabsch(p, q).rotation)
