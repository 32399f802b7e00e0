"""fastsvd.svd against numpy.linalg.svd: the drop-in contract.

Modelled on numpy's own SVD tests (numpy/linalg/tests/test_linalg.py:
SVDBaseTests, SVDCases, TestSVD): result types, shapes and dtypes, the
reconstruction A = U·diag(S)·Vh, orthonormal U and Vh, empty inputs, stacks,
subclasses and errors -- plus what a gufunc-based drop-in must also get right
(any strides, broadcast inputs, ``out=``).
"""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.linalg import LinAlgError

import fastsvd
from fastsvd import gufuncs as _gufuncs
from accuracy import assert_singular_values_near, assert_svd_contract, result_dtype, tolerance
from cases import (
    ALL_FLAVOUR_IDS,
    ALL_FLAVOURS,
    FLAVOUR_IDS,
    FLAVOURS,
    KERNEL_DTYPES,
    REAL_DTYPES,
    dtype_id,
    make_matrix,
    shape_id,
    shapes,
)

try:
    from numpy.linalg._linalg import SVDResult as NumpySVDResult
except ImportError:  # pragma: no cover - older numpy layout
    from numpy.linalg.linalg import SVDResult as NumpySVDResult


SHAPES = shapes()
SHAPE_IDS = [shape_id(s) for s in SHAPES]
KERNEL_SHAPES = shapes("kernel")
NUMPY_PATH_SHAPES = shapes("numpy-path")
FLAVOUR = pytest.mark.parametrize("full_matrices,compute_uv", ALL_FLAVOURS, ids=ALL_FLAVOUR_IDS)


def _cases():
    for shape in SHAPES:
        for dtype in REAL_DTYPES:
            yield shape, dtype
    for shape in NUMPY_PATH_SHAPES:
        yield shape, np.complex128


CASES = list(_cases())
CASE_IDS = [f"{shape_id(shape)}-{dtype_id(d)}" for shape, d in CASES]


def assert_same_structure(res, ref):
    """Same result type, and each array the same type, shape and dtype as numpy's."""
    assert type(res) is type(ref)
    res_parts = res if isinstance(res, tuple) else (res,)
    ref_parts = ref if isinstance(ref, tuple) else (ref,)
    assert len(res_parts) == len(ref_parts)
    for got, want in zip(res_parts, ref_parts):
        assert type(got) is type(want)
        assert got.shape == want.shape
        assert got.dtype == want.dtype


def assert_singular_values_match_numpy(s, s_np, dtype, m, n):
    """|σᵢ − σᵢ(numpy)| ≤ bar·σ_max.

    float64 (and ints/bools, computed in float64): the bar is tolerance() itself.
    float32 against numpy's float32 LAPACK: |σ − σ_np| ≤ |σ − σ_exact| +
    |σ_np − σ_exact|, and each of the two computations may use up to the project's
    bar (LAPACK's sgesdd is backward stable with a small p(m, n)·ε constant of the
    same order), so the comparison gets 2·tolerance().  The strict 1·tolerance()
    bar for float32 is checked separately against a float64 reference
    (test_float32_singular_values_against_float64_reference).
    """
    real = result_dtype(dtype)
    multiple = 2 if real == np.float32 else 1
    if s.size == 0:
        assert s_np.size == 0
        return
    assert_singular_values_near(s, s_np, multiple * tolerance(real, m, n))


# ------------------------------------------------------------ results vs numpy

@pytest.mark.parametrize("compute_uv", [True, False])
@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("shape,dtype", CASES, ids=CASE_IDS)
def test_matches_numpy(shape, dtype, full_matrices, compute_uv):
    a = make_matrix(shape, dtype, seed=hash(shape) % 1000)
    ref = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    res = fastsvd.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    assert_same_structure(res, ref)
    if compute_uv:
        assert isinstance(res, NumpySVDResult)
        assert isinstance(res, fastsvd.SVDResult)
        assert res.U is res[0] and res.S is res[1] and res.Vh is res[2]
        s, s_np = res.S, ref.S
        assert_svd_contract(a, res, full_matrices=full_matrices)
    else:
        assert type(res) is np.ndarray
        s, s_np = res, ref
    assert_singular_values_match_numpy(s, s_np, dtype, *shape)


@pytest.mark.parametrize("shape", [s for s in KERNEL_SHAPES])
def test_float32_singular_values_against_float64_reference(shape):
    """float32 kernels: σ within 1·tolerance(float32)·σ_max of the exact σ of the same data."""
    a = make_matrix((6,) + shape, np.float32, seed=7)
    exact = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    s = fastsvd.svd(a, compute_uv=False)
    assert s.dtype == np.float32
    bar = tolerance(np.float32, *shape) * exact[..., :1]
    assert np.all(np.abs(s - exact) <= bar)


@pytest.mark.parametrize("full_matrices", [True, False], ids=["full", "thin"])
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_empty_and_numpy_path_results_identical(shape, full_matrices):
    """Shapes fastsvd hands to numpy (side > 32 or zero) give numpy's exact output;
    the kernels' shapes give numpy's types, shapes and dtypes, a decomposition within
    the bar, and numpy's singular values within the bar."""
    a = make_matrix(shape, np.float64, seed=3)
    res = fastsvd.svd(a, full_matrices=full_matrices)
    ref = np.linalg.svd(a, full_matrices=full_matrices)
    assert_same_structure(res, ref)
    if fastsvd.kernel_name(*shape) is None:
        assert max(shape) > 32 or min(shape) == 0
        for got, want in zip(res, ref):
            np.testing.assert_array_equal(got, want)
    else:
        assert max(shape) <= 32 and min(shape) >= 1
        assert_svd_contract(a, res, full_matrices=full_matrices)
        assert_singular_values_match_numpy(res.S, ref.S, np.float64, *shape)


@pytest.mark.parametrize("shape", [(4, 0), (0, 4)], ids=shape_id)
def test_empty_identity(shape):
    """numpy's test_empty_identity: empty input puts an identity in U or Vh."""
    m, n = shape
    u, s, vh = fastsvd.svd(np.empty(shape), compute_uv=True)
    assert u.shape == (m, m) and vh.shape == (n, n) and s.shape == (0,)
    np.testing.assert_array_equal(u, np.eye(m))
    np.testing.assert_array_equal(vh, np.eye(n))


@pytest.mark.parametrize("shape,name", [((3, 0), "svd_full_m_ge_n"), ((0, 3), "svd_full_m_lt_n")],
                         ids=["3x0", "0x3"])
@pytest.mark.parametrize("stack", [(), (2,), (2, 3)], ids=["single", "stack2", "stack2x3"])
@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
def test_gufuncs_put_an_identity_in_empty_matrices_full_factor(dtype, stack, shape, name):
    """The gufuncs themselves (as dask and out= users call them), not only svd,
    which hands empty matrices to numpy."""
    gufunc = getattr(fastsvd.gufuncs, name)
    a = np.empty(stack + shape, dtype)
    for got, want in zip(gufunc(a), np.linalg.svd(a)):
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_types(dtype):
    """numpy's SVDBaseTests.test_types."""
    x = np.array([[1, 0.5], [0.5, 1]], dtype=dtype)
    res = fastsvd.svd(x)
    assert res.U.dtype == dtype
    assert res.S.dtype == np.finfo(dtype).dtype
    assert res.Vh.dtype == dtype
    assert fastsvd.svd(x, compute_uv=False).dtype == np.finfo(dtype).dtype


@pytest.mark.parametrize("shape,has_kernel", [
    ((33, 33), False), ((0, 3), False), ((3, 0), False), ((2, 2), True), ((3, 2), True),
    ((2, 3), True), ((3, 3), True), ((32, 4), True), ((4, 32), True), ((32, 32), True)],
    ids=lambda v: shape_id(v) if isinstance(v, tuple) else None)
def test_kernel_name_dispatch(shape, has_kernel):
    """The shapes the brief calls the numpy path really are, and the others are not."""
    name = fastsvd.kernel_name(*shape)
    assert isinstance(name, str) if has_kernel else name is None
    assert fastsvd.kernel_name(*shape[::-1]) == name     # M×N and N×M: one kernel


# ------------------------------------------------------------ stacks and broadcasting

@FLAVOUR
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=dtype_id)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_stack_2x3(shape, dtype, full_matrices, compute_uv):
    """(2, 3, M, N) stacks: numpy's shapes, and each matrix as if decomposed alone."""
    a = make_matrix((2, 3) + shape, dtype, seed=11)
    full, cuv = full_matrices, compute_uv
    res = fastsvd.svd(a, full_matrices=full, compute_uv=cuv)
    ref = np.linalg.svd(a, full_matrices=full, compute_uv=cuv)
    assert_same_structure(res, ref)
    parts = res if cuv else (res,)
    for idx in np.ndindex(2, 3):
        alone = fastsvd.svd(a[idx], full_matrices=full, compute_uv=cuv)
        alone = alone if cuv else (alone,)
        for got, want in zip(parts, alone):
            np.testing.assert_array_equal(got[idx], want, err_msg=f"matrix {idx}")
    if cuv:
        assert_svd_contract(a, res, full_matrices=full)
        assert_singular_values_match_numpy(res.S, ref.S, dtype, *shape)
    else:
        assert_singular_values_match_numpy(res, ref, dtype, *shape)


@FLAVOUR
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=dtype_id)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_empty_stack(shape, dtype, full_matrices, compute_uv):
    a = np.zeros((0,) + shape, dtype=dtype)
    res = fastsvd.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    ref = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    assert_same_structure(res, ref)


def _layout(x, order, flip_axes, step_axes, bcast_axis):
    """x's values (x broadcast along bcast_axis) in an array with the given strides."""
    if bcast_axis is not None:
        base = _layout(np.take(x, [0], axis=bcast_axis), order, flip_axes, step_axes, None)
        return np.broadcast_to(base, x.shape)
    shape = [d * 2 if ax in step_axes else d for ax, d in enumerate(x.shape)]
    big = np.full(shape, np.nan, dtype=x.dtype, order=order)
    view = big[tuple(slice(None, None, 2) if ax in step_axes else slice(None)
                     for ax in range(x.ndim))]
    view = view[tuple(slice(None, None, -1) if ax in flip_axes else slice(None)
                      for ax in range(x.ndim))]
    view[...] = x
    return view


LAYOUTS = list(itertools.product(
    ["C", "F"],                         # memory order
    [(), (0,), (1,), (2,), (1, 2)],     # negative strides: a[::-1], a[:, ::-1], a[..., ::-1]
    [(), (0,), (1, 2)],                 # sliced: a[::2] and a[:, ::2, ::2]
    [None, 0, 1, 2],                    # broadcast (zero stride) along this axis
))
LAYOUT_IDS = ["{}-flip{}-step{}-bcast{}".format(o, "".join(map(str, f)) or "none",
                                                "".join(map(str, s)) or "none", b)
              for o, f, s, b in LAYOUTS]
STRIDE_SHAPES = shapes(without=("large", "empty"))


@pytest.mark.parametrize("dtype", KERNEL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape", STRIDE_SHAPES, ids=shape_id)
@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_strides(layout, shape, dtype):
    """Any memory layout gives exactly the result of the C-contiguous copy."""
    order, flip_axes, step_axes, bcast_axis = layout
    x = make_matrix((3,) + shape, dtype, seed=5)
    a = _layout(x, order, flip_axes, step_axes, bcast_axis)
    if bcast_axis is not None:
        assert 0 in a.strides
    flipped = set(flip_axes) - {bcast_axis}
    if flipped:
        assert any(a.strides[ax] < 0 for ax in flipped)
    contiguous = np.ascontiguousarray(a)
    assert not np.isnan(contiguous).any()
    for (full, cuv), flavour in zip(FLAVOURS, FLAVOUR_IDS):
        res = fastsvd.svd(a, full_matrices=full, compute_uv=cuv)
        ref = fastsvd.svd(contiguous, full_matrices=full, compute_uv=cuv)
        assert_same_structure(res, ref)
        for got, want in zip(res if cuv else (res,), ref if cuv else (ref,)):
            np.testing.assert_array_equal(got, want, err_msg=flavour)
        if cuv:
            assert_svd_contract(contiguous, res, full_matrices=full)


def test_broadcast_stack_of_one_matrix():
    """np.broadcast_to of a single matrix: every copy gets that matrix's SVD."""
    a = make_matrix((4, 3), np.float64, seed=2)
    stack = np.broadcast_to(a, (2, 3, 4, 3))
    u, s, vh = fastsvd.svd(stack)
    u0, s0, vh0 = fastsvd.svd(a)
    np.testing.assert_array_equal(u, np.broadcast_to(u0, u.shape))
    np.testing.assert_array_equal(s, np.broadcast_to(s0, s.shape))
    np.testing.assert_array_equal(vh, np.broadcast_to(vh0, vh.shape))
    assert_singular_values_match_numpy(s0, np.linalg.svd(a, compute_uv=False),
                                       np.float64, 4, 3)


def test_input_not_modified():
    a = make_matrix((3, 5, 3), np.float64, seed=4)
    f = np.asfortranarray(a)
    before = a.copy()
    fastsvd.svd(a)
    fastsvd.svd(f, full_matrices=False)
    fastsvd.svd(a[..., ::-1, :], compute_uv=False)
    np.testing.assert_array_equal(a, before)
    np.testing.assert_array_equal(f, before)


# ------------------------------------------------------------ the gufuncs and out=

GUFUNC_CASES = [
    ("svd_values_m_ge_n", (5, 3), False, False),
    ("svd_values_m_lt_n", (3, 5), False, False),
    ("svd_thin_m_ge_n", (5, 3), True, False),
    ("svd_thin_m_lt_n", (3, 5), True, False),
    ("svd_full_m_ge_n", (5, 3), True, True),
    ("svd_full_m_lt_n", (3, 5), True, True),
    ("svd_values_m_ge_n", (2, 2), False, False),
    ("svd_thin_m_ge_n", (3, 2), True, False),
    ("svd_full_m_lt_n", (2, 3), True, True),
    ("svd_full_m_ge_n", (3, 3), True, True),
]


def _out_arrays(shapes, dtype, style):
    if style == "contiguous":
        return tuple(np.full(s, np.nan, dtype) for s in shapes)
    if style == "fortran":
        return tuple(np.asfortranarray(np.full(s, np.nan, dtype)) for s in shapes)
    # non-contiguous: every other element of a bigger array, reversed last axis
    outs = []
    for s in shapes:
        big = np.full(s[:-1] + (2 * s[-1],), np.nan, dtype)
        outs.append(big[..., ::-2])
    return tuple(outs)


@pytest.mark.parametrize("style", ["contiguous", "fortran", "strided"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,shape,cuv,full", GUFUNC_CASES,
                         ids=[f"{c[0]}-{c[1][0]}x{c[1][1]}" for c in GUFUNC_CASES])
def test_gufunc_out(name, shape, cuv, full, dtype, style):
    gufunc = getattr(_gufuncs, name)
    a = make_matrix((4,) + shape, dtype, seed=8)
    expected = gufunc(a)
    expected = expected if cuv else (expected,)
    for e in expected:
        assert e.dtype == dtype
    # The gufunc agrees with fastsvd.svd (same flavour) and numpy's shapes.
    via_svd = fastsvd.svd(a, full_matrices=full, compute_uv=cuv)
    for got, want in zip(expected, via_svd if cuv else (via_svd,)):
        np.testing.assert_array_equal(got, want)
    ref = np.linalg.svd(a, full_matrices=full, compute_uv=cuv)
    assert [e.shape for e in expected] == [r.shape for r in (ref if cuv else (ref,))]
    outs = _out_arrays([e.shape for e in expected], dtype, style)
    res = gufunc(a, out=outs if cuv else outs[0])
    res = res if cuv else (res,)
    for got, out, want in zip(res, outs, expected):
        assert got is out
        np.testing.assert_array_equal(out, want)


GUFUNC_SIGNATURES = {
    "svd_values_m_ge_n": "(m,n)->(n)",
    "svd_values_m_lt_n": "(m,n)->(m)",
    "svd_thin_m_ge_n": "(m,n)->(m,n),(n),(n,n)",
    "svd_thin_m_lt_n": "(m,n)->(m,m),(m),(m,n)",
    "svd_full_m_ge_n": "(m,n)->(m,m),(n),(n,n)",
    "svd_full_m_lt_n": "(m,n)->(m,m),(m),(n,n)",
}


@pytest.mark.parametrize("name", list(GUFUNC_SIGNATURES))
def test_gufunc_signatures(name):
    gufunc = getattr(_gufuncs, name)
    assert isinstance(gufunc, np.ufunc)
    assert gufunc.signature == GUFUNC_SIGNATURES[name]
    assert {t.split("->")[0] for t in gufunc.types} == {"f", "d"}


def test_gufunc_int_input_uses_float64_loop():
    a = make_matrix((3, 4, 3), np.int64, seed=1)
    s = _gufuncs.svd_values_m_ge_n(a)
    assert s.dtype == np.float64
    np.testing.assert_array_equal(s, _gufuncs.svd_values_m_ge_n(a.astype(np.float64)))


# ------------------------------------------------------------ subclasses

class MyArray(np.ndarray):
    pass


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (5, 3), (33, 33)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_matrix_subclass(shape, full_matrices):
    """np.matrix in, U and Vh np.matrix out, S a plain ndarray: as numpy does."""
    a = np.matrix(make_matrix(shape, np.float64, seed=6))
    ref = np.linalg.svd(a, full_matrices=full_matrices)
    res = fastsvd.svd(a, full_matrices=full_matrices)
    assert_same_structure(res, ref)
    assert type(res.U) is np.matrix and type(res.Vh) is np.matrix
    assert type(res.S) is np.ndarray
    recon = res.U[:, :res.S.shape[0]] @ np.diag(res.S) @ res.Vh[:res.S.shape[0], :]
    assert isinstance(recon, np.matrix)
    assert np.abs(np.asarray(recon) - np.asarray(a)).max() <= \
        tolerance(np.float64, *shape) * np.linalg.norm(a)
    s_only = fastsvd.svd(a, compute_uv=False)
    assert type(s_only) is type(np.linalg.svd(a, compute_uv=False))


@FLAVOUR
@pytest.mark.parametrize("shape", [(4, 3, 3), (2, 2, 5), (33, 33), (0, 3)], ids=shape_id)
def test_ndarray_subclass(shape, full_matrices, compute_uv):
    a = make_matrix(shape, np.float64, seed=9).view(MyArray)
    ref = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    res = fastsvd.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    assert_same_structure(res, ref)
    if compute_uv:
        assert type(res.U) is MyArray and type(res.Vh) is MyArray


def test_array_like_input():
    a = [[1, 2, 3], [4, 5, 6]]
    res = fastsvd.svd(a)
    ref = np.linalg.svd(a)
    assert_same_structure(res, ref)
    assert_singular_values_match_numpy(res.S, ref.S, np.float64, 2, 3)


def test_hermitian_matches_numpy():
    """Through the eigen kernel now (tests/test_eigh.py), not numpy: the same
    structure, and the same singular values to the bar."""
    rng = np.random.default_rng(12)
    b = rng.standard_normal((3, 4, 4))
    a = b + np.swapaxes(b, -1, -2)
    res = fastsvd.svd(a, hermitian=True)
    ref = np.linalg.svd(a, hermitian=True)
    assert_same_structure(res, ref)
    assert_singular_values_match_numpy(res.S, ref.S, np.float64, 4, 4)
    complex_a = a + 1j * (b - np.swapaxes(b, -1, -2))
    for got, want in zip(fastsvd.svd(complex_a, hermitian=True),
                         np.linalg.svd(complex_a, hermitian=True)):
        np.testing.assert_array_equal(got, want)     # complex: numpy's own


# ------------------------------------------------------------ errors

def _exception_of(fn, *args, **kwargs):
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    return info.value


@pytest.mark.parametrize("a", [np.ones(3), np.float64(2.0), np.ones(0)],
                         ids=["1d", "0d", "1d-empty"])
def test_less_than_2d_raises_linalgerror(a):
    err = _exception_of(fastsvd.svd, a)
    ref = _exception_of(np.linalg.svd, a)
    assert type(err) is LinAlgError and type(ref) is LinAlgError
    assert str(err) == str(ref)
    err_vals = _exception_of(fastsvd.svdvals, a)
    assert isinstance(err_vals, LinAlgError)


@pytest.mark.parametrize("compute_uv", [True, False], ids=["uv", "values"])
@pytest.mark.parametrize("dtype", [np.float16, np.longdouble], ids=dtype_id)
@pytest.mark.parametrize("fill", [1.0, np.nan, np.inf], ids=["finite", "nan", "inf"])
@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (40, 40), (0, 3)], ids=shape_id)
def test_unsupported_float_raises_typeerror_like_numpy(shape, fill, dtype, compute_uv):
    """float16 (and longdouble) are rejected by numpy for their dtype, whatever the values.

    numpy's exception is taken from the finite array (numpy rejects the dtype
    before looking at values; this file never hands NaN/Inf to numpy).
    """
    finite = np.ones(shape, dtype=dtype)
    a = finite.copy()
    if a.size:
        a[0, 0] = fill
    ref = _exception_of(np.linalg.svd, finite, compute_uv=compute_uv)
    assert isinstance(ref, TypeError)
    err = _exception_of(fastsvd.svd, a, compute_uv=compute_uv)
    assert type(err) is type(ref), err
    assert str(err) == str(ref)


@pytest.mark.parametrize("a", [
    np.array([["a", "b"], ["c", "d"]]),
    np.array([[b"a", b"b"], [b"c", b"d"]]),
    np.array([[1, 2], [3, 4]], dtype=object),
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]], dtype=object),
], ids=["str", "bytes", "object-int", "object-float"])
@pytest.mark.parametrize("compute_uv", [True, False], ids=["uv", "values"])
def test_unsupported_dtypes_raise_like_numpy(compute_uv, a):
    err = _exception_of(fastsvd.svd, a, compute_uv=compute_uv)
    ref = _exception_of(np.linalg.svd, a, compute_uv=compute_uv)
    assert type(err) is type(ref), (err, ref)


@pytest.mark.parametrize("bad", ["ignore", "NaN", "", None, 1])
def test_invalid_nonfinite_raises_valueerror(bad):
    a = np.eye(3)
    with pytest.raises(ValueError):
        fastsvd.svd(a, nonfinite=bad)
    with pytest.raises(ValueError):
        fastsvd.svdvals(a, nonfinite=bad)
    with pytest.raises(ValueError):
        fastsvd.low_rank(a, 1, nonfinite=bad)


# ------------------------------------------------------------ svdvals

@pytest.mark.parametrize("dtype", REAL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_svdvals(shape, dtype):
    a = make_matrix((2,) + shape, dtype, seed=13)
    vals = fastsvd.svdvals(a)
    np.testing.assert_array_equal(vals, fastsvd.svd(a, compute_uv=False))
    ref = np.linalg.svdvals(a)
    assert_same_structure(vals, ref)
    assert_singular_values_match_numpy(vals, ref, dtype, *shape)


# ------------------------------------------------------------ property-based

def _element_strategy(dtype):
    width = 32 if dtype == np.float32 else 64
    finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False,
                       allow_infinity=False, allow_subnormal=False, width=width)
    return st.one_of(st.just(0.0), finite)


@st.composite
def matrices(draw):
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64])))
    shape = draw(st.tuples(st.integers(1, 6), st.integers(1, 6)))
    a = draw(hnp.arrays(dtype, shape, elements=_element_strategy(dtype)))
    # A bar of tolerance·σ_max below the smallest normal number cannot be met by
    # any algorithm: σ itself is then rounded to the subnormal grid (for
    # [[5e-324, 5e-324]], σ = 7.1e-324 is stored as 5e-324 or 1e-323).
    big = np.abs(a).max()
    assume(big == 0 or big * tolerance(dtype, *shape) >= np.finfo(dtype).tiny)
    return a


@settings(max_examples=50, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(matrices(), st.booleans())
def test_hypothesis_random_finite(a, full_matrices):
    m, n = a.shape
    tol = tolerance(a.dtype, m, n)
    res = fastsvd.svd(a, full_matrices=full_matrices)
    # dtypes, shapes, finite, S descending, ‖A − U S Vh‖_F ≤ tol·‖A‖_F, orthonormality.
    assert_svd_contract(a, res, full_matrices=full_matrices)
    # S against numpy in float64 on the very same values (the exact σ to ~1e-16):
    # the project's bar, scaled by σ_max = ‖A‖₂.
    s_ref = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    assert_singular_values_near(res.S, s_ref, tol)
    np.testing.assert_array_equal(fastsvd.svd(a, compute_uv=False), res.S)
