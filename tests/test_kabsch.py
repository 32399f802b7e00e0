"""fastsvd.kabsch against its slow twin, the batched numpy implementation (and
scipy's Rotation.align_vectors where scipy is installed), on known transforms,
reflections, weights, degenerate sets, extreme scales and bad input."""
import warnings

import numpy as np
import pytest

import fastsvd
from accuracy import eps, rng_for
from cases import KERNEL_DTYPES, dtype_id


def random_rotation(rng, d, count=()):
    q = fastsvd.nearest_rotation(rng.standard_normal(tuple(np.atleast_1d(count)) + (d, d)))
    return q


def numpy_kabsch(p, q, w=None, scale=False, reflection=False):
    """The twin: weighted centroids, einsum cross-covariance, numpy's SVD and the
    reflection fixed per set, in float64."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    w = np.ones(p.shape[:-1]) if w is None else np.broadcast_to(w, p.shape[:-1])
    total = w.sum(-1)[..., None]
    pc = (w[..., None] * p).sum(-2) / total
    qc = (w[..., None] * q).sum(-2) / total
    dp, dq = p - pc[..., None, :], q - qc[..., None, :]
    c = np.einsum("...k,...ki,...kj->...ij", w, dp, dq)
    u, s, vh = np.linalg.svd(c)
    sign = np.ones_like(s)
    if not reflection:
        sign[..., -1] = np.sign(np.linalg.det(u @ vh))
    r = (u * sign[..., None, :]) @ vh
    spread = np.einsum("...k,...ki,...ki->...", w, dq, dq)
    s_fit = (s * sign).sum(-1) / spread if scale else np.ones(p.shape[:-2])
    t = pc - s_fit[..., None] * np.einsum("...ij,...j->...i", r, qc)
    res = dp - s_fit[..., None, None] * np.einsum("...ij,...kj->...ki", r, dq)
    rmsd = np.sqrt(np.einsum("...k,...ki,...ki->...", w, res, res) / total[..., 0])
    return r, t, s_fit, rmsd, s


def sensitivity(sigma):
    """How much R moves per relative change of C: σ₁ / (σ_{d−1} + σ_d)."""
    return sigma[..., 0] / (sigma[..., -2] + sigma[..., -1])


@pytest.mark.parametrize("reflection", [False, True])
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_kabsch_agrees_with_its_numpy_twin(dtype, d, scale, reflection):
    rng = rng_for("kabsch-twin", d, scale, reflection, np.dtype(dtype).name)
    q = rng.standard_normal((300, 40, d))
    turn = random_rotation(rng, d, 300)
    p = 1.5 * np.einsum("nij,nkj->nki", turn, q) + rng.standard_normal((300, 1, d))
    p += 0.1 * rng.standard_normal(p.shape)            # noise: a real fit
    w = rng.uniform(0.5, 2.0, (300, 40))
    p, q, w = (x.astype(dtype) for x in (p, q, w))
    fit = fastsvd.kabsch(p, q, w, scale=scale, reflection=reflection)
    assert fit.rotation.dtype == np.dtype(dtype) and fit.rotation.shape == (300, d, d)
    assert fit.translation.shape == (300, d) and fit.scale.shape == fit.rmsd.shape == (300,)
    r, t, s_fit, rmsd, sigma = numpy_kabsch(p, q, w, scale, reflection)
    bar = 10 * eps(dtype) * np.sqrt(40)                  # sums over 40 points
    kappa = sensitivity(sigma)
    assert (np.abs(fit.rotation - r).max(axis=(-2, -1)) <= bar * kappa).all()
    size = np.abs(p).max(axis=(-2, -1))
    assert (np.abs(fit.translation - t).max(axis=-1) <= bar * kappa * size).all()
    assert (np.abs(fit.scale - s_fit) <= bar * kappa * s_fit).all()
    assert (np.abs(fit.rmsd - rmsd) <= bar * kappa * size).all()
    det = np.linalg.det(fit.rotation.astype(np.float64))
    assert np.allclose(np.abs(det), 1) and (reflection or (det > 0).all())


def test_kabsch_agrees_with_scipy():
    transform = pytest.importorskip("scipy.spatial.transform")
    rng = rng_for("kabsch-scipy")
    q = rng.standard_normal((20, 30, 3))
    p = np.einsum("nij,nkj->nki", random_rotation(rng, 3, 20), q)
    p += 0.05 * rng.standard_normal(p.shape)
    w = rng.uniform(0.1, 1.0, (20, 30))
    fit = fastsvd.kabsch(p, q, w)
    for i in range(20):
        # scipy aligns q's vectors onto p's about the origin: centre them first.
        pc = p[i] - np.average(p[i], axis=0, weights=w[i])
        qc = q[i] - np.average(q[i], axis=0, weights=w[i])
        rotation, _ = transform.Rotation.align_vectors(pc, qc, weights=w[i])
        assert np.abs(rotation.as_matrix() - fit.rotation[i]).max() <= 1e-13


@pytest.mark.parametrize("d", [2, 3])
def test_exact_transforms_come_back_exactly(d):
    rng = rng_for("kabsch-exact", d)
    q = rng.standard_normal((100, 25, d))
    turn = random_rotation(rng, d, 100)
    shift = rng.standard_normal((100, d))
    p = 3.0 * np.einsum("nij,nkj->nki", turn, q) + shift[:, None, :]
    fit = fastsvd.kabsch(p, q, scale=True)
    bar = 100 * eps(np.float64)
    assert np.abs(fit.rotation - turn).max() <= bar
    assert np.abs(fit.translation - shift).max() <= 10 * bar
    assert np.abs(fit.scale - 3.0).max() <= bar
    # The RMSD of a perfect fit keeps its digits: residuals, not a difference of sums.
    assert fit.rmsd.max() <= 10 * bar


def test_reflections_are_decided_per_set():
    rng = rng_for("kabsch-mirror")
    q = rng.standard_normal((10, 20, 3))
    turn = random_rotation(rng, 3, 10)
    turn[1::2, :, 0] *= -1                        # every other set a mirror image
    p = np.einsum("nij,nkj->nki", turn, q)
    allowed = fastsvd.kabsch(p, q, reflection=True)
    assert np.abs(allowed.rotation - turn).max() <= 1e-14 and allowed.rmsd.max() <= 1e-14
    proper = fastsvd.kabsch(p, q)
    det = np.linalg.det(proper.rotation)
    assert np.allclose(det, 1)
    assert (proper.rmsd[1::2] > 0.1).all() and proper.rmsd[0::2].max() <= 1e-14


def test_weights_are_pair_weights():
    rng = rng_for("kabsch-weights")
    q = rng.standard_normal((5, 12, 3))
    p = np.einsum("nij,nkj->nki", random_rotation(rng, 3, 5), q) + 1.0
    p[:, -3:] += 10 * rng.standard_normal((5, 3, 3))          # three outliers
    w = np.ones((5, 12))
    w[:, -3:] = 0
    dropped = fastsvd.kabsch(p[:, :-3], q[:, :-3])
    weighted = fastsvd.kabsch(p, q, w)
    for got, want in zip(weighted, dropped):
        assert np.allclose(got, want, rtol=0, atol=1e-13)
    # Integer weights, broadcast over the stack, scale freely.
    for got, want in zip(fastsvd.kabsch(p, q, 3 * w[0].astype(int)), weighted):
        assert np.allclose(got, want, rtol=0, atol=1e-13)


def test_degenerate_sets_get_a_defined_rotation():
    one = fastsvd.kabsch(np.ones((1, 3)), np.zeros((1, 3)), scale=True)
    assert np.array_equal(one.rotation, np.eye(3)) and np.allclose(one.translation, 1)
    assert one.scale == 1 and one.rmsd == 0
    same = fastsvd.kabsch(np.full((4, 2), 5.0), np.zeros((4, 2)))
    assert np.array_equal(same.rotation, np.eye(2)) and np.allclose(same.translation, 5)
    line = np.outer(np.arange(6.0), [1.0, 2.0, 2.0]) / 3
    fit = fastsvd.kabsch(line, line)
    assert np.isfinite(fit.rotation).all() and np.allclose(np.linalg.det(fit.rotation), 1)
    assert fit.rmsd <= 1e-14
    again = fastsvd.kabsch(np.stack([line] * 3), np.stack([line] * 3))
    assert all(np.array_equal(r, fit.rotation) for r in again.rotation)


@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_extreme_scales_neither_overflow_nor_underflow(factor):
    rng = rng_for("kabsch-scale", factor)
    q = rng.standard_normal((8, 10, 3))
    p = np.einsum("nij,nkj->nki", random_rotation(rng, 3, 8), q) + 0.1 * q
    unit = fastsvd.kabsch(p, q, scale=True)
    scaled = fastsvd.kabsch(p * factor, q * factor, scale=True)
    assert np.abs(scaled.rotation - unit.rotation).max() <= 1e-14
    assert np.allclose(scaled.scale, unit.scale, rtol=1e-14)
    assert np.allclose(scaled.rmsd / factor, unit.rmsd, rtol=1e-13)
    assert np.allclose(scaled.translation / factor, unit.translation, rtol=0, atol=1e-13)


def test_nan_and_inf_stay_in_their_set():
    rng = rng_for("kabsch-nan")
    q = rng.standard_normal((40, 10, 3))
    p = q + 1.0
    clean = fastsvd.kabsch(p, q)
    bad = p.copy()
    bad[3, 4, 1] = np.nan
    bad[20, 0, 0] = np.inf
    with pytest.raises(np.linalg.LinAlgError):
        fastsvd.kabsch(bad, q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fastsvd.kabsch(bad, q, nonfinite="nan")
    keep = np.setdiff1d(np.arange(40), [3, 20])
    for g, c in zip(got, clean):
        assert np.isnan(g[[3, 20]]).all()
        assert np.array_equal(g[keep], c[keep])


def test_same_results_alone_in_a_stack_and_with_threads():
    rng = rng_for("kabsch-bits")
    q = rng.standard_normal((9000, 6, 3))
    p = rng.standard_normal((9000, 6, 3))
    whole = fastsvd.kabsch(p, q, scale=True)
    threaded = fastsvd.kabsch(p, q, scale=True, workers=2)
    for a, b in zip(whole, threaded):
        assert np.array_equal(a, b)
    for k in (0, 31, 32, 8999):
        alone = fastsvd.kabsch(p[k], q[k], scale=True)
        for a, b in zip(whole, alone):
            assert np.array_equal(a[k], b)


@pytest.mark.parametrize("p,q,w,error", [
    (np.ones((5, 4)), np.ones((5, 4)), None, ValueError),            # d = 4
    (np.ones((5, 3)), np.ones((6, 3)), None, ValueError),            # K differs
    (np.ones((0, 3)), np.ones((0, 3)), None, ValueError),            # no points
    (np.ones(3), np.ones(3), None, ValueError),                      # not a set
    (np.ones((5, 3)) * 1j, np.ones((5, 3)), None, TypeError),        # complex
    (np.ones((5, 3)), np.ones((5, 3)), -np.ones(5), ValueError),     # negative weights
    (np.ones((5, 3)), np.ones((5, 3)), np.zeros(5), ValueError),     # all zero
    (np.ones((5, 3)), np.ones((5, 3)), np.full(5, np.nan), ValueError),
    (np.ones((5, 3)), np.ones((5, 3)), np.ones(4), ValueError),      # wrong length
])
def test_bad_input_gets_a_clear_error(p, q, w, error):
    with pytest.raises(error):
        fastsvd.kabsch(p, q, w)


def test_the_gufunc_takes_out():
    rng = rng_for("kabsch-gufunc")
    q = rng.standard_normal((7, 5, 2))
    p = rng.standard_normal((7, 5, 2))
    outs = (np.empty((7, 2, 2)), np.empty((7, 2)), np.empty(7), np.empty(7))
    fastsvd.gufuncs.umeyama(p, q, np.ones(5), out=outs)
    for got, want in zip(outs, fastsvd.kabsch(p, q, scale=True)):
        assert np.array_equal(got, want)


def test_the_gufunc_gives_nan_for_weights_it_cannot_use():
    rng = rng_for("kabsch-gufunc-weights")
    q = rng.standard_normal((4, 5, 3))
    p = q + 1.0
    w = np.ones((4, 5))
    w[1, 2] = -1.0
    w[2] = 0.0
    w[3, 0] = np.inf
    with np.errstate(invalid="ignore"):
        outs = fastsvd.gufuncs.kabsch(p, q, w)
    with pytest.warns(RuntimeWarning):
        fastsvd.gufuncs.kabsch(p, q, w)
    clean = fastsvd.kabsch(p[0], q[0])
    for out, want in zip(outs, clean):
        assert np.isnan(out[1:]).all()
        assert np.array_equal(out[0], want)
