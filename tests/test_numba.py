"""fastsvd.numba: the per-matrix kernels inside @njit code give the batched
calls' bits, in numba loops over stacks and from Python; bad input gets
fastsvd's errors."""
import doctest

import numpy as np
import pytest

import fastsvd

numba = pytest.importorskip("numba")
fastsvd_numba = pytest.importorskip("fastsvd.numba")


@numba.njit
def svd_loop(stack):
    count, m, n = stack.shape
    u_all = np.empty((count, m, m), stack.dtype)
    s_all = np.empty((count, min(m, n)), stack.dtype)
    vh_all = np.empty((count, n, n), stack.dtype)
    for k in range(count):
        u, s, vh = fastsvd_numba.svd(stack[k])
        u_all[k], s_all[k], vh_all[k] = u, s, vh
    return u_all, s_all, vh_all


@numba.njit
def rotation_loop(stack):
    out = np.empty_like(stack)
    for k in range(stack.shape[0]):
        out[k] = fastsvd_numba.nearest_rotation(stack[k])
    return out


@numba.njit
def polar_loop(stack):
    count, m, n = stack.shape
    r_all = np.empty_like(stack)
    p_all = np.empty((count, n, n), stack.dtype)
    for k in range(count):
        r, p = fastsvd_numba.polar(stack[k])
        r_all[k], p_all[k] = r, p
    return r_all, p_all


def same_bits(x, y):
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == np.ascontiguousarray(
        y).tobytes()


SHAPES = [(1, 1), (2, 2), (3, 2), (2, 3), (3, 3), (4, 4), (5, 3), (3, 5), (8, 8), (12, 12),
          (20, 13)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_numba_loop_gives_the_batched_calls_bits(shape, dtype):
    rng = np.random.default_rng(list(shape))
    stack = rng.standard_normal((70,) + shape).astype(dtype)
    stack[3] = 0
    stack[4, :, -1] = stack[4, :, 0]              # rank-deficient
    for got, want in zip(svd_loop(stack), fastsvd.svd(stack)):
        assert same_bits(got, want)
    for got, want in zip(polar_loop(stack), fastsvd.polar(stack)):
        assert same_bits(got, want)
    if shape[0] == shape[1]:
        assert same_bits(rotation_loop(stack), fastsvd.nearest_rotation(stack))


def test_python_callers_get_the_same_functions():
    a = np.random.default_rng(1).standard_normal((3, 3))
    for got, want in zip(fastsvd_numba.svd(a), fastsvd.svd(a)):
        assert same_bits(got, want)
    assert same_bits(fastsvd_numba.nearest_rotation(a), fastsvd.nearest_rotation(a))
    for got, want in zip(fastsvd_numba.polar(a), fastsvd.polar(a)):
        assert same_bits(got, want)


@pytest.mark.parametrize("call", ["svd", "nearest_rotation", "polar"])
def test_bad_matrices_raise_in_nopython_code_as_in_python(call):
    function = getattr(fastsvd_numba, call)

    @numba.njit
    def one(a):
        return function(a)

    bad = np.eye(3)
    bad[1, 1] = np.nan
    for caller in (one, function):
        with pytest.raises(np.linalg.LinAlgError):
            caller(bad)
        with pytest.raises(ValueError):
            caller(np.ones((33, 33)))
    with pytest.raises(numba.core.errors.TypingError):
        one(np.ones((3, 3), dtype=np.int64))
    if call == "nearest_rotation":
        for caller in (one, function):
            with pytest.raises(ValueError):
                caller(np.ones((3, 2)))


def test_the_module_example_runs():
    tests = doctest.DocTestFinder().find(fastsvd_numba, "fastsvd.numba", globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in tests:
        runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0 and failed == 0, "".join(report)
