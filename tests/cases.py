"""The one table of the matrix shapes the tests run on, each tagged (as numpy's
linalg tests tag their cases), and what the tests vary around it: the dtypes,
the SVD flavours, and make_matrix, from which test_numpy_compat.py builds every
shape's single, stacked (2×3), strided (120 layouts) and dtype variants.

A test asks for the shapes it needs by tag, ``shapes("kernel", without="large")``,
instead of keeping a list of its own; a new shape, or a new kernel, is one line
here.  The tags:

* the kernel fastsvd must pick for the shape (fastsvd.kernel_name): ``gram-2x2``,
  ``gram-3x2``, ``jacobi-3x3``, ``jacobi``, ``jacobi-columns``; and ``kernel`` for
  all of them;
* ``closed-form``: the Gram kernels (2×2, 3×2 and its transpose 2×3);
* ``numpy-path``: no kernel (a side over 32, or 0), handed to numpy.linalg.svd;
  ``empty``: a side is 0;
* ``square``, ``tall`` (M > N), ``wide`` (M < N);
* the size of a kernel shape: ``small``, both sides ≤ 8 (the everyday set of the
  slower tests); ``large``, a side of 16 or more (where extended-precision and
  mpmath checks are slow, so that tests use fewer matrices or leave them out).

test_harness.py checks that kernel_name agrees with the table.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np


class Shape(NamedTuple):
    m: int
    n: int
    kernel: str | None
    tags: frozenset


_TABLE = [
    # M, N, the kernel fastsvd picks (None: numpy's), further tags
    (2, 2, "gram-2x2", "closed-form"),
    (3, 2, "gram-3x2", "closed-form"),
    (2, 3, "gram-3x2", "closed-form"),
    (3, 3, "jacobi-3x3", ""),
    (4, 4, "jacobi", ""),
    (5, 3, "jacobi", ""),
    (3, 5, "jacobi", ""),
    (6, 6, "jacobi", ""),
    (7, 5, "jacobi", ""),
    (4, 6, "jacobi", ""),
    (8, 8, "jacobi", ""),
    (11, 11, "jacobi", ""),
    (12, 12, "jacobi-columns", ""),
    (20, 13, "jacobi-columns", ""),
    (16, 16, "jacobi-columns", ""),
    (32, 32, "jacobi-columns", ""),
    (32, 4, "jacobi", ""),
    (33, 33, None, ""),
    (40, 40, None, ""),
    (0, 3, None, ""),
    (3, 0, None, ""),
    (0, 0, None, ""),
]


def _shape(m, n, kernel, extra):
    tags = set(extra.split())
    tags.add("square" if m == n else "tall" if m > n else "wide")
    if kernel is None:
        tags.add("numpy-path")
        if min(m, n) == 0:
            tags.add("empty")
    else:
        tags.update(("kernel", kernel))
        if max(m, n) >= 16:
            tags.add("large")
        elif max(m, n) <= 8:
            tags.add("small")
    return Shape(m, n, kernel, frozenset(tags))


TABLE = [_shape(*row) for row in _TABLE]
TAGS = frozenset(itertools.chain.from_iterable(s.tags for s in TABLE))


def _as_set(tags):
    return {tags} if isinstance(tags, str) else set(tags)


def shapes(*tags, without=()):
    """(M, N) of every table entry that has all `tags` and none of `without`, in table order."""
    want, unwanted = set(tags), _as_set(without)
    unknown = (want | unwanted) - TAGS
    assert not unknown, f"no such tag: {sorted(unknown)}"
    return [(s.m, s.n) for s in TABLE if want <= s.tags and not unwanted & s.tags]


def shape_id(shape):
    """pytest id of a shape: 3x2."""
    return "x".join(map(str, shape))


# ---------------------------------------------------------------- variants

# The real dtypes fastsvd's kernels compute in; with the input dtypes numpy's SVD
# (and fastsvd's) converts to float64.
KERNEL_DTYPES = [np.float64, np.float32]
REAL_DTYPES = [np.float32, np.float64, np.int64, np.bool_]
# The three distinct results: (full_matrices, compute_uv).
FLAVOURS = [(True, True), (False, True), (False, False)]
FLAVOUR_IDS = ["full", "thin", "values"]
# Every combination of the two options (values alone ignore full_matrices).
ALL_FLAVOURS = [(True, True), (False, True), (True, False), (False, False)]
ALL_FLAVOUR_IDS = ["full", "thin", "values-full", "values-thin"]


def dtype_id(dtype):
    return np.dtype(dtype).name


def make_matrix(shape, dtype, seed=0):
    """A reproducible matrix, or stack of matrices (shape (..., M, N)), of a dtype:
    Gaussian ×3 for floats, integers in [-9, 9], booleans half True, Gaussian real
    and imaginary parts for complex."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(-9, 10, size=shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)
