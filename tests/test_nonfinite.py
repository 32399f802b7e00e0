"""NaN and Inf input: LinAlgError by default, NaN outputs on request, always in bounded time.

numpy.linalg.svd can loop forever on some non-finite input (a 3×3 float64
matrix holding one Inf), so this file never hands non-finite data to numpy: every
expectation is built from fastsvd on finite matrices, or from numpy on finite ones.
"""
import ctypes
import ctypes.util
import os
import platform
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from numpy.linalg import LinAlgError

import fastsvd
from fastsvd import gufuncs as _gufuncs
from accuracy import assert_singular_values_near, assert_svd_contract, tolerance
from cases import FLAVOUR_IDS, FLAVOURS, dtype_id, shape_id, shapes

# The kernels' everyday shapes, and numpy's path (sides over 32).
SHAPES = shapes("small") + shapes("numpy-path", without="empty")
BAD_VALUES = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}
FLAVOUR = pytest.mark.parametrize("full_matrices,compute_uv", FLAVOURS, ids=FLAVOUR_IDS)

CASES = [(shape, np.float64) for shape in SHAPES] + \
    [((3, 3), np.float32), ((5, 3), np.float32), ((3, 3), np.complex128)]
CASE_IDS = [f"{shape_id(shape)}-{dtype_id(d)}" for shape, d in CASES]


def finite_stack(shape, dtype, count=3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((count,) + shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((count,) + shape)
    return a.astype(dtype)


def as_parts(res, compute_uv):
    return tuple(res) if compute_uv else (res,)


def assert_bit_identical(x, y):
    """Same shape, dtype and bits (NaN payloads included)."""
    x = np.ascontiguousarray(x)
    y = np.ascontiguousarray(y)
    assert x.shape == y.shape and x.dtype == y.dtype
    assert x.tobytes() == y.tobytes()


# ------------------------------------------------------------ fastsvd.svd

_RAISING_CALLS = {
    "full": lambda a: fastsvd.svd(a),
    "thin": lambda a: fastsvd.svd(a, full_matrices=False),
    "values": lambda a: fastsvd.svd(a, compute_uv=False),
    "svdvals": lambda a: fastsvd.svdvals(a),
    "low_rank": lambda a: fastsvd.low_rank(a, 1),
}


@pytest.mark.parametrize("call", list(_RAISING_CALLS))
@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize("shape,dtype", CASES, ids=CASE_IDS)
def test_default_raises_linalgerror(shape, dtype, bad, position, call):
    """The stack holding one bad matrix, and that matrix alone, raise."""
    a = finite_stack(shape, dtype)
    a[position, shape[0] // 2, shape[1] - 1] = BAD_VALUES[bad]
    with pytest.raises(LinAlgError):
        _RAISING_CALLS[call](a)
    with pytest.raises(LinAlgError):
        _RAISING_CALLS[call](a[position])


@FLAVOUR
@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize("shape,dtype", CASES, ids=CASE_IDS)
def test_nan_mode_isolates_the_bad_matrix(shape, dtype, bad, position, full_matrices,
                                          compute_uv):
    full, cuv = full_matrices, compute_uv
    a = finite_stack(shape, dtype, seed=position)
    a[position, 0, 0] = BAD_VALUES[bad]
    good = [i for i in range(a.shape[0]) if i != position]
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no RuntimeWarning leaks out either
        res = as_parts(fastsvd.svd(a, full_matrices=full, compute_uv=cuv,
                                   nonfinite="nan"), cuv)
    for part in res:
        assert np.isnan(part[position]).all()
    for i in good:
        alone = as_parts(fastsvd.svd(a[i], full_matrices=full, compute_uv=cuv), cuv)
        for part, want in zip(res, alone):
            assert_bit_identical(part[i], want)
    if cuv:   # the good matrices are real decompositions, not just copies of something
        m, n = shape
        u, s, vh = res
        if np.dtype(dtype).kind != "c":
            assert_svd_contract(a[good], (u[good], s[good], vh[good]), full_matrices=full)
        ref = np.linalg.svd(a[good], compute_uv=False)   # finite matrices only
        real = np.finfo(dtype).dtype
        assert_singular_values_near(s[good], ref, tolerance(real, m, n))


@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_nan_mode_nested_stack_and_svdvals(bad):
    a = finite_stack((3, 3), np.float64, count=6, seed=3).reshape(2, 3, 3, 3)
    a[1, 2, 2, 1] = BAD_VALUES[bad]
    s = fastsvd.svdvals(a, nonfinite="nan")
    assert np.isnan(s[1, 2]).all()
    mask = np.ones((2, 3), bool)
    mask[1, 2] = False
    assert np.isfinite(s[mask]).all()
    assert_bit_identical(s[mask], fastsvd.svdvals(a[mask]))
    approx = fastsvd.low_rank(a, 3, nonfinite="nan")
    assert np.isnan(approx[1, 2]).all()
    assert np.abs(approx[mask] - a[mask]).max() <= \
        tolerance(np.float64, 3, 3) * np.abs(a[mask]).sum()


@pytest.mark.parametrize("shape", [(3, 3), (2, 2), (40, 40)])
def test_nan_in_imaginary_part_counts_as_nonfinite(shape):
    a = finite_stack(shape, np.complex128, count=2)
    a[1, 0, 0] = complex(1.0, np.nan)
    with pytest.raises(LinAlgError):
        fastsvd.svd(a)
    u, s, vh = fastsvd.svd(a, nonfinite="nan")
    assert np.isnan(s[1]).all() and np.isnan(u[1]).all() and np.isnan(vh[1]).all()
    assert_bit_identical(s[0], fastsvd.svd(a[0]).S)
    assert_bit_identical(u[0], fastsvd.svd(a[0]).U)


class MyArray(np.ndarray):
    pass


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.parametrize("kind", ["matrix", "subclass"])
@pytest.mark.parametrize("shape,dtype", [((3, 3), np.float64), ((40, 40), np.float64),
                                         ((3, 3), np.complex128)],
                         ids=["3x3-kernel", "40x40-numpy", "3x3-complex-numpy"])
def test_nan_mode_keeps_subclass_like_finite_input(shape, dtype, kind):
    """U and Vh are wrapped like the input's type (as numpy does), NaN or not."""
    data = finite_stack(shape, dtype, count=1)[0]
    wrap = np.matrix if kind == "matrix" else (lambda x: x.view(MyArray))
    finite = wrap(data)
    reference = fastsvd.svd(finite)   # the finite input sets the expected types
    assert type(reference.U) is type(finite)
    bad = wrap(data.copy())
    bad[0, 0] = np.nan
    u, s, vh = fastsvd.svd(bad, nonfinite="nan")
    assert np.isnan(np.asarray(u)).all() and np.isnan(s).all()
    assert type(u) is type(reference.U) and type(vh) is type(reference.Vh)
    assert type(s) is type(reference.S)


@pytest.mark.parametrize("bad", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_hermitian_reads_the_lower_triangle_only_as_numpy(bad):
    a = np.array([[[1.0, bad], [0.0, 2.0]], [[1.0, 0.0], [bad, 2.0]]])
    got = fastsvd.svd(a[:1], hermitian=True)
    for x, want in zip(got, np.linalg.svd(a[:1], hermitian=True)):
        np.testing.assert_array_equal(x, want)
    with pytest.raises(LinAlgError):
        fastsvd.svd(a[1:], hermitian=True)
    s = fastsvd.svd(a, hermitian=True, nonfinite="nan", compute_uv=False)
    assert np.isfinite(s[0]).all() and np.isnan(s[1]).all()


# <fenv.h> on x86-64 Linux, through ctypes: a single-matrix call runs no numpy
# ufunc (which would clear the flags), so the C flags can be watched around it.
_X86_64_FE = {"invalid": 0x01, "divbyzero": 0x04, "overflow": 0x08, "underflow": 0x10}


def _libm():
    if platform.machine() not in ("x86_64", "AMD64") or sys.platform != "linux":
        pytest.skip("flag values are those of x86-64 Linux")
    return ctypes.CDLL(ctypes.util.find_library("m"))


@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (3, 3), (6, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_single_call_keeps_the_callers_flags_and_adds_none(shape, dtype):
    libm = _libm()
    every = sum(_X86_64_FE.values())
    # Entries spread so that squares and products underflow inside the kernels.
    a = (np.random.default_rng(16).standard_normal(shape)
         * np.logspace(0, -30 if dtype == np.float32 else -250, shape[1])).astype(dtype)
    libm.feclearexcept(every)
    fastsvd.svd(a)
    fastsvd.svd(a, compute_uv=False)
    assert libm.fetestexcept(every) == 0
    libm.feraiseexcept(_X86_64_FE["underflow"] | _X86_64_FE["divbyzero"])
    fastsvd.svd(a)
    assert libm.fetestexcept(every) == _X86_64_FE["underflow"] | _X86_64_FE["divbyzero"]
    libm.feclearexcept(every)


def test_all_matrices_bad():
    a = np.full((4, 3, 2), np.inf)
    u, s, vh = fastsvd.svd(a, nonfinite="nan")
    assert u.shape == (4, 3, 3) and s.shape == (4, 2) and vh.shape == (4, 2, 2)
    assert np.isnan(u).all() and np.isnan(s).all() and np.isnan(vh).all()


def test_errstate_is_fastsvd_own_and_restored():
    """nonfinite decides, whatever the caller's errstate; the caller's errstate survives."""
    a = finite_stack((3, 3), np.float64)
    a[1, 1, 1] = np.nan
    before, before_call = np.geterr(), np.geterrcall()
    with np.errstate(invalid="ignore"):
        with pytest.raises(LinAlgError):
            fastsvd.svd(a)
    with np.errstate(invalid="raise"):
        s = fastsvd.svd(a, nonfinite="nan", compute_uv=False)
    assert np.isnan(s[1]).all() and np.isfinite(s[[0, 2]]).all()
    with pytest.raises(LinAlgError):
        fastsvd.svd(a)
    assert np.geterr() == before and np.geterrcall() is before_call


@pytest.mark.parametrize("shape", shapes("kernel"), ids=shape_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=dtype_id)
def test_finite_extremes_do_not_raise(shape, dtype):
    """The invalid flag means NaN/Inf input, never a finite matrix: no spurious LinAlgError."""
    fi = np.finfo(dtype)
    eye = np.eye(*shape, dtype=dtype)
    rank_one = np.ones(shape, dtype)
    zero_col = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    zero_col[:, 0] = 0
    huge = eye * fi.max
    tiny = np.full(shape, fi.smallest_subnormal, dtype)
    mixed = eye.copy()
    mixed[0, 0] = fi.max / 8
    mixed[-1, -1] = fi.smallest_subnormal
    a = np.stack([np.zeros(shape, dtype), eye, rank_one, zero_col, huge, tiny, mixed])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u, s, vh = fastsvd.svd(a)
        s_only = fastsvd.svd(a, compute_uv=False)
    assert np.isfinite(u).all() and np.isfinite(s).all() and np.isfinite(vh).all()
    assert_bit_identical(s_only, s)
    assert np.all(s[0] == 0)
    assert s[4, 0] == fi.max   # the exact answer, representable


# ------------------------------------------------------------ bounded time

HANG_SCRIPT = textwrap.dedent("""
    import numpy as np
    import fastsvd
    from fastsvd import gufuncs as _gufuncs
    from numpy.linalg import LinAlgError

    a = np.eye(3)
    a[1, 2] = np.inf
    # (hermitian=True reads the lower triangle only, as numpy does: a.T there.)
    for kwargs in ({}, {"full_matrices": False}, {"compute_uv": False},
                   {"hermitian": True}, {"signed": True}):
        try:
            fastsvd.svd(a.T if kwargs.get("hermitian") else a, **kwargs)
        except LinAlgError:
            pass
        else:
            raise SystemExit("no LinAlgError for %r" % (kwargs,))
    u, s, vh = fastsvd.svd(a, nonfinite="nan")
    assert np.isnan(u).all() and np.isnan(s).all() and np.isnan(vh).all()
    assert np.isnan(fastsvd.svdvals(a, nonfinite="nan")).all()
    assert np.isnan(fastsvd.svd(a.T, hermitian=True, nonfinite="nan")[1]).all()
    assert np.isnan(fastsvd.svd(a.astype(complex), nonfinite="nan")[1]).all()
    with np.errstate(invalid="ignore"):
        assert np.isnan(_gufuncs.svd_full_m_ge_n(a)[1]).all()
    stack = np.stack([np.eye(3), a, -a])
    assert np.isnan(fastsvd.svd(stack, nonfinite="nan")[1][1:]).all()
    print("finished")
""")


def test_three_by_three_with_inf_finishes_in_bounded_time(tmp_path):
    """numpy.linalg.svd hangs on this input; fastsvd must return (in a child process)."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(fastsvd.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    try:
        # cwd elsewhere: `python -c` puts cwd first on sys.path, and from a
        # checkout that is the uncompiled source tree.
        proc = subprocess.run([sys.executable, "-c", HANG_SCRIPT], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("fastsvd did not return within 60 s on a 3x3 matrix holding Inf")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "finished"


# ------------------------------------------------------------ the gufuncs directly

GUFUNCS_BY_ORIENTATION = {
    "ge": ["svd_values_m_ge_n", "svd_thin_m_ge_n", "svd_full_m_ge_n"],
    "lt": ["svd_values_m_lt_n", "svd_thin_m_lt_n", "svd_full_m_lt_n"],
}


def _gufunc_cases():
    for shape in shapes("small"):
        orientation = "ge" if shape[0] >= shape[1] else "lt"
        for name in GUFUNCS_BY_ORIENTATION[orientation]:
            yield name, shape


GUFUNC_CASES = list(_gufunc_cases())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
@pytest.mark.parametrize("name,shape", GUFUNC_CASES,
                         ids=[f"{n}-{s[0]}x{s[1]}" for n, s in GUFUNC_CASES])
def test_gufunc_bad_matrix_warns_and_gives_nan(name, shape, bad, dtype):
    gufunc = getattr(_gufuncs, name)
    a = finite_stack(shape, dtype, count=4, seed=1)
    a[2, -1, 0] = BAD_VALUES[bad]
    with np.errstate(all="ignore"):
        with np.errstate(invalid="warn"):
            with pytest.warns(RuntimeWarning):
                res = gufunc(a)
    res = res if isinstance(res, tuple) else (res,)
    for part in res:
        assert np.isnan(part[2]).all()
        assert np.isfinite(part[[0, 1, 3]]).all()
    good = gufunc(a[[0, 1, 3]])
    good = good if isinstance(good, tuple) else (good,)
    for part, want in zip(res, good):
        assert_bit_identical(part[[0, 1, 3]], want)
    # The same flag obeys the caller's errstate.
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            gufunc(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(invalid="ignore"):
            gufunc(a)
        gufunc(a[[0, 1, 3]])   # finite input: no flag, no warning


def test_gufunc_warns_under_default_errstate():
    a = finite_stack((3, 3), np.float64, count=2)
    a[0, 0, 0] = np.nan
    assert np.geterr()["invalid"] == "warn"
    with pytest.warns(RuntimeWarning):
        s = _gufuncs.svd_values_m_ge_n(a)
    assert np.isnan(s[0]).all() and np.isfinite(s[1]).all()
