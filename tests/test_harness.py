"""The test tools themselves: the shape table (cases.py) says what fastsvd does,
and assert_svd_contract (accuracy.py) fails on every kind of broken SVD."""
import numpy as np
import pytest

import fastsvd
from accuracy import assert_svd_contract, eps, tolerance
from cases import TABLE, TAGS, shape_id, shapes


@pytest.mark.parametrize("entry", TABLE, ids=[shape_id(e[:2]) for e in TABLE])
def test_table_names_the_kernel_fastsvd_picks(entry):
    assert fastsvd.kernel_name(entry.m, entry.n) == entry.kernel


def test_shapes_selects_by_tags_and_refuses_unknown_ones():
    assert shapes("closed-form") == [(2, 2), (3, 2), (2, 3)]
    assert (3, 3) in shapes("kernel", "square") and (2, 3) not in shapes("kernel", "square")
    assert all(min(s) == 0 for s in shapes("empty"))
    assert not set(shapes("large")) & set(shapes("kernel", without="large"))
    assert set(shapes()) == {(e.m, e.n) for e in TABLE}
    assert {"kernel", "numpy-path", "small", "large", "wide", "tall"} <= TAGS
    with pytest.raises(AssertionError, match="no such tag"):
        shapes("kernels")


# ---------------------------------------------------------------- the checker fails

def _good(dtype=np.float64, shape=(4, 5, 3), full_matrices=False):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    return a, [x.copy() for x in np.linalg.svd(a, full_matrices=full_matrices)]


def _break(what, a, parts):
    u, s, vh = parts
    e = eps(a.dtype)
    if what == "residual":           # orthonormal factors, but not of a
        s[..., 0] *= 1 + 1000 * e
    elif what == "u-orthogonality":
        u[..., 0, 0] += 1000 * e
    elif what == "vh-orthogonality":
        vh[..., -1, 0] += 1000 * e
    elif what == "order":
        s[0, :] = s[0, ::-1]
    elif what == "negative":
        s[1, -1] = -s[1, -1] - e
    elif what == "nan":
        u[2, 1, 1] = np.nan
    elif what == "nan-s":
        s[2, 1] = np.nan
    elif what == "inf-s":
        s[3, 0] = np.inf
    elif what == "dtype":
        parts[1] = s.astype(np.float32)
    elif what == "shape":
        parts[0] = np.concatenate([u, u[..., :1]], axis=-1)
    else:
        raise AssertionError(what)
    return parts


BREAKAGES = ["residual", "u-orthogonality", "vh-orthogonality", "order", "negative", "nan",
             "nan-s", "inf-s", "dtype", "shape"]


@pytest.mark.parametrize("full_matrices", [True, False], ids=["full", "thin"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_contract_accepts_numpys_svd(dtype, full_matrices):
    a, parts = _good(dtype, full_matrices=full_matrices)
    back, ou, ov = assert_svd_contract(a, parts, full_matrices=full_matrices)
    assert back.shape == ou.shape == ov.shape == (4,)
    assert (back <= tolerance(np.finfo(dtype).dtype, 5, 3)).all()


@pytest.mark.parametrize("what", BREAKAGES)
def test_contract_rejects_a_broken_svd(what):
    a, parts = _good()
    with pytest.raises(AssertionError):
        assert_svd_contract(a, _break(what, a, parts), full_matrices=False)


@pytest.mark.parametrize("what", ["order", "negative", "nan-s", "inf-s", "dtype"])
def test_contract_on_values_alone(what):
    a, (u, s, vh) = _good()
    assert assert_svd_contract(a, s) is None
    broken = _break(what, a, [u, s.copy(), vh])[1]
    with pytest.raises(AssertionError):
        assert_svd_contract(a, broken)


def test_contract_rejects_the_wrong_flavour_and_bar():
    a, parts = _good(full_matrices=True)
    with pytest.raises(AssertionError):
        assert_svd_contract(a, parts, full_matrices=False)
    with pytest.raises(AssertionError):
        assert_svd_contract(a, parts, full_matrices=True, bar=0.0)


def test_contract_allows_overflow_only_where_the_norm_overflows():
    big = np.finfo(np.float64).max
    a = np.array([[big, big], [big, big]])
    u = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2)
    parts = (u, np.array([np.inf, 0.0]), u.T.copy())
    assert_svd_contract(a, parts, full_matrices=True, overflow_ok=True)
    with pytest.raises(AssertionError):
        assert_svd_contract(a, parts, full_matrices=True)
    with pytest.raises(AssertionError, match="overflowed"):
        assert_svd_contract(a / 4, parts, full_matrices=True, overflow_ok=True)
