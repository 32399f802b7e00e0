"""The fused kernels against their slow twins: the same results composed in numpy
from fastsvd's plain SVD (signed SVD, canonical signs, nearest rotation, polar
factors, pseudo-inverse, low-rank approximation).

The signed SVD and canonical signs change signs only, by exact factors of ±1,
so they must be the plain SVD's bits with those signs changed.  The others
are products, made in the kernel's pass: they must agree
with the twin's products (in extended precision) within the accuracy bar, and
meet their own contract on the inputs that are hard for an SVD — R orthogonal,
det R = +1 for the nearest rotation, P symmetric to the bit and positive
semi-definite, a = R·P (P·R) to the SVD's backward error.  All of them give a
matrix the same bits wherever it sits in a stack, in any layout, with any
number of workers, and confine NaN to its matrix.
"""
import warnings

import numpy as np
import pytest

import fastsvd
from fastsvd._isa import compiled
from fastsvd._linalg import _make_canonical, _make_signed
from accuracy import (
    FAMILIES,
    SQUARE_FAMILIES,
    family_stack,
    orthogonality_error,
    rng_for,
    tolerance,
)
from cases import KERNEL_DTYPES, dtype_id, shape_id, shapes

SQUARE = shapes("kernel", "square")
KERNEL_SHAPES = shapes("kernel")


def with_families(shape_list, families):
    """(shape, family) pairs, without 32×32 graded matrices (well_conditioned
    would look for a 32×32 Gaussian with κ < 10 for ever)."""
    return [pytest.param(shape, family, id=f"{shape_id(shape)}-{family}")
            for shape in shape_list for family in families
            if not (family == "graded" and max(shape) == 32)]


def ld(x):
    return np.asarray(x, dtype=np.longdouble)


def fro(x):
    """Frobenius norm per matrix, in extended precision (no overflow near the max)."""
    x = ld(x)
    return np.sqrt((x * x).sum(axis=(-2, -1)))


def transpose(x):
    return np.swapaxes(x, -1, -2)


def same_bits(x, y):
    return (x.shape == y.shape and x.dtype == y.dtype
            and np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes())


def plain_svd(a, full_matrices=False):
    """The twin's decomposition: the plain kernel's (U, S, Vh), as fresh arrays."""
    return tuple(x.copy() for x in fastsvd.svd(a, full_matrices=full_matrices))


# ---------------------------------------------------------------- the sign changes

@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(SQUARE, SQUARE_FAMILIES))
def test_signed_svd_is_the_plain_svd_with_signs_changed(shape, dtype, family):
    a, _ = family_stack(family, *shape, dtype)
    got = fastsvd.svd(a, signed=True)
    want = _make_signed(*plain_svd(a))
    for g, w in zip(got, want):
        assert same_bits(g, w)
    n = shape[0]
    # The sign of det a where rounding cannot change it, on the last σ.
    plain_s = np.abs(got.S.astype(np.float64))
    decided = plain_s[:, -1] > n * tolerance(dtype, n, n) * plain_s[:, 0]
    # (Scaled, and by slogdet: no overflow or underflow at 1e±300.)
    biggest = np.abs(a.astype(np.float64)).max(axis=(-2, -1), keepdims=True)
    det = np.linalg.slogdet(a / np.where(biggest > 0, biggest, 1)).sign
    assert (np.sign(got.S[decided, -1]) == det[decided]).all()
    if family == "reflections":
        assert decided.sum() >= len(a) // 2 and (det[1::2] < 0).all()
    for q in (got.U, got.Vh):
        assert np.abs(np.linalg.det(q.astype(np.float64)) - 1).max() <= n * tolerance(dtype, n, n)


@pytest.mark.parametrize("full_matrices", [False, True], ids=["thin", "full"])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(
    KERNEL_SHAPES, ["gaussian", "rank-deficient", "zero", "graded"]))
def test_canonical_signs_are_the_plain_svd_with_signs_changed(shape, dtype, family,
                                                              full_matrices):
    m, n = shape
    a, _ = family_stack(family, max(m, n), min(m, n), dtype)
    a = np.ascontiguousarray(transpose(a)) if m < n else a
    u, s, vh = fastsvd.svd(a, full_matrices=full_matrices, signs="canonical")
    plain_u, plain_s, plain_vh = plain_svd(a, full_matrices)
    twin_u, twin_vh = _make_canonical(plain_u, plain_vh)
    assert same_bits(u, twin_u) and same_bits(s, plain_s) and same_bits(vh, twin_vh)
    # The convention itself: each column's largest-magnitude entry (the first of
    # equals) is positive.
    largest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-2)[..., None, :], axis=-2)
    assert (largest > 0).all()


def test_canonical_signs_agree_with_the_numpy_path_and_scikit_learns_rule():
    """Kernel, numpy fallback (33×33) and complex input follow one rule."""
    rng = rng_for("canonical-paths")
    for a in (rng.standard_normal((4, 5, 3)), rng.standard_normal((2, 33, 33)),
              rng.standard_normal((3, 4, 4)) + 1j * rng.standard_normal((3, 4, 4))):
        u, s, vh = fastsvd.svd(a, full_matrices=False, signs="canonical")
        largest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-2)[..., None, :], axis=-2)
        assert np.allclose(largest.imag, 0) and (largest.real > 0).all()
        recon = (u * s[..., None, :]) @ vh
        assert np.allclose(recon, a)
        # The same vectors as numpy's, up to the sign (phase) the rule fixes.
        ref_u, _, ref_vh = np.linalg.svd(a, full_matrices=False)
        ref_u, ref_vh = _make_canonical(ref_u, ref_vh)
        assert np.allclose(u, ref_u) and np.allclose(vh, ref_vh)


@pytest.mark.parametrize("kwargs", [dict(signs="sorted"), dict(signs="canonical", signed=True),
                                    dict(signs="canonical", compute_uv=False)])
def test_canonical_signs_reject_what_they_cannot_mean(kwargs):
    with pytest.raises(ValueError):
        fastsvd.svd(np.eye(3), **kwargs)


# ---------------------------------------------------------------- the products

@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(SQUARE, SQUARE_FAMILIES))
def test_nearest_rotation_is_its_twins_product_and_a_rotation(shape, dtype, family):
    n = shape[0]
    bar = tolerance(dtype, n, n)
    a, _ = family_stack(family, n, n, dtype)
    r = fastsvd.nearest_rotation(a)
    u, _, vh = _make_signed(*plain_svd(a))
    assert r.dtype == np.dtype(dtype) and r.shape == a.shape
    assert (fro(ld(r) - ld(u) @ ld(vh)) <= bar).all()
    assert orthogonality_error(r).max() <= bar
    assert np.abs(np.linalg.det(r.astype(np.float64)) - 1).max() <= n * bar


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(KERNEL_SHAPES, FAMILIES))
def test_polar_factors_are_their_twins_products_and_meet_the_contract(shape, dtype, family,
                                                                      side):
    m, n = shape
    bar = tolerance(dtype, m, n)
    a, _ = family_stack(family, max(m, n), min(m, n), dtype)
    a = np.ascontiguousarray(transpose(a)) if m < n else a
    r, p = fastsvd.polar(a, side=side)
    side_p = n if side == "right" else m
    assert r.shape == a.shape and p.shape == a.shape[:-2] + (side_p, side_p)
    assert r.dtype == p.dtype == np.dtype(dtype)
    u, s, vh = (ld(x) for x in plain_svd(a))
    norm = fro(a)
    assert (fro(ld(r) - u @ vh) <= bar * np.sqrt(min(m, n))).all()
    twin_p = ((transpose(vh) * s[..., None, :]) @ vh if side == "right"
              else (u * s[..., None, :]) @ transpose(u))
    assert (fro(ld(p) - twin_p) <= bar * norm).all()
    assert same_bits(p, transpose(p))
    assert orthogonality_error(r, rows=m < n).max() <= bar
    # P positive semi-definite, scaled to unit norm so that eigvalsh stays finite.
    unit = np.where(norm > 0, norm, 1)[:, None, None]
    lowest = np.linalg.eigvalsh((ld(p) / unit).astype(np.float64)).min(axis=-1)
    assert (lowest >= -bar).all()
    product = ld(r) @ ld(p) if side == "right" else ld(p) @ ld(r)
    assert (fro(ld(a) - product) <= bar * norm).all()


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("stack", [(), (4,)], ids=["single", "stack"])
@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0)], ids=shape_id)
def test_polar_of_empty_matrices_is_numpys(shape, stack, side):
    a = np.zeros(stack + shape)
    r, p = fastsvd.polar(a, side=side)
    side_p = shape[1] if side == "right" else shape[0]
    assert r.shape == a.shape and p.shape == stack + (side_p, side_p)
    assert not p.any()


@pytest.mark.parametrize("rcond", [1e-15, 1e-6, 0.3])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(
    KERNEL_SHAPES, ["gaussian", "rank-deficient", "small-sigma", "zero", "huge"]))
def test_pseudo_inverse_is_its_twins_product(shape, dtype, family, rcond):
    m, n = shape
    bar = tolerance(dtype, m, n)
    a, _ = family_stack(family, max(m, n), min(m, n), dtype)
    a = np.ascontiguousarray(transpose(a)) if m < n else a
    x = fastsvd.pinv(a, rcond=rcond)
    assert x.shape == a.shape[:-2] + (n, m) and x.dtype == np.dtype(dtype)
    u, s, vh = plain_svd(a)
    # numpy's rule, on the kernel's σ in their dtype: cut off σ ≤ rcond·σ₁.
    large = s > np.asarray(rcond, dtype) * s[:, :1]
    inverse = np.where(large, 1 / np.where(large, s, 1), 0)
    twin = (transpose(ld(vh)) * ld(inverse)[:, None, :]) @ transpose(ld(u))
    assert (fro(ld(x) - twin) <= bar * ld(inverse).sum(axis=-1)).all()


@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape,family", with_families(
    KERNEL_SHAPES, ["gaussian", "rank-deficient", "graded", "huge"]))
def test_low_rank_is_its_twins_product(shape, dtype, family):
    m, n = shape
    bar = tolerance(dtype, m, n)
    a, _ = family_stack(family, max(m, n), min(m, n), dtype)
    a = np.ascontiguousarray(transpose(a)) if m < n else a
    u, s, vh = (ld(x) for x in plain_svd(a))
    for k in range(min(m, n) + 1):
        approximation = fastsvd.low_rank(a, k)
        assert approximation.shape == a.shape and approximation.dtype == np.dtype(dtype)
        twin = (u[..., :k] * s[:, None, :k]) @ vh[:, :k]
        assert (fro(ld(approximation) - twin) <= bar * fro(a)).all()


# ---------------------------------------------------------------- the contract

FUSED = {
    "signed": lambda a, **kw: fastsvd.svd(a, signed=True, **kw),
    "canonical": lambda a, **kw: fastsvd.svd(a, signs="canonical", **kw),
    "nearest_rotation": fastsvd.nearest_rotation,
    "polar-right": lambda a, **kw: fastsvd.polar(a, "right", **kw),
    "polar-left": lambda a, **kw: fastsvd.polar(a, "left", **kw),
    "pinv": fastsvd.pinv,
    "low_rank": lambda a, **kw: fastsvd.low_rank(a, 1, **kw),
}


def _outputs(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


# (The signed SVD and the rotation take square matrices only.)
PLACES = [pytest.param(function, shape, id=f"{function}-{shape_id(shape)}")
          for function in FUSED for shape in [(2, 2), (3, 3), (4, 4), (12, 12), (3, 2), (2, 5)]
          if shape[0] == shape[1] or function not in ("signed", "nearest_rotation")]


@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("function,shape", PLACES)
def test_a_matrix_gets_the_same_bits_wherever_it_sits(function, shape, dtype):
    m, n = shape
    call = FUSED[function]
    count = 9000 if max(m, n) <= 4 else 300   # enough for workers=2 to split it
    a = rng_for("fused-bits", function, m, n).standard_normal((count, m, n)).astype(dtype)
    stack = _outputs(call(a))
    alone = [_outputs(call(a[k])) for k in (0, 1, count // 2, count - 1)]
    for k, outs in zip((0, 1, count // 2, count - 1), alone):
        for whole, one in zip(stack, outs):
            assert same_bits(whole[k], one)
    padded = np.zeros((count, m, 2 * n), dtype)
    padded[..., ::2] = a
    for layout in (np.asfortranarray(a), np.ascontiguousarray(a[:, ::-1])[:, ::-1],
                   padded[..., ::2]):
        assert layout.shape == a.shape
        for whole, other in zip(stack, _outputs(call(layout))):
            assert same_bits(whole, other)
    for whole, threaded in zip(stack, _outputs(call(a, workers=2))):
        assert same_bits(whole, threaded)


@pytest.mark.parametrize("function", list(FUSED))
def test_nan_and_inf_stay_in_their_matrix(function):
    call = FUSED[function]
    n = 3
    a = rng_for("fused-nan", function).standard_normal((70, n, n))
    clean = _outputs(call(a))
    bad = a.copy()
    bad[5, 1, 2] = np.nan
    bad[40, 0, 0] = np.inf
    with pytest.raises(np.linalg.LinAlgError):
        call(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = _outputs(call(bad, nonfinite="nan"))
    keep = np.setdiff1d(np.arange(70), [5, 40])
    for out, ref in zip(outs, clean):
        assert np.isnan(out[[5, 40]]).all()
        assert same_bits(out[keep], ref[keep])


def test_the_fused_gufuncs_take_out_and_reject_what_they_cannot_take():
    a = rng_for("fused-gufuncs").standard_normal((10, 3, 3))
    r = np.empty_like(a)
    assert compiled.nearest_rotation(a, out=r) is r
    assert same_bits(r, fastsvd.nearest_rotation(a))
    r, p = np.empty((10, 3, 5)), np.empty((10, 5, 5))
    wide = rng_for("fused-gufuncs-wide").standard_normal((10, 3, 5))
    compiled.polar_right_m_lt_n(wide, out=(r, p))
    want = fastsvd.polar(wide)
    assert same_bits(r, want[0]) and same_bits(p, want[1])
    with pytest.raises(ValueError):
        compiled.nearest_rotation(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        compiled.polar_left_m_ge_n(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        compiled.svd_signed(np.ones((33, 33)))
