"""The symmetric eigen decomposition, numpy.linalg-compatible, over fastsvd's
eigen gufuncs (the two-sided Jacobi kernel of ``_kernel_eigh.pxd``).

As ``_linalg.py`` does for the SVD: validate and cast as numpy does, pick the
gufunc for the triangle (UPLO), turn the "invalid" flag the loops raise for
NaN/Inf into ``LinAlgError``; complex input and matrices over 32×32 go to
numpy, after the same finiteness check.
"""
from __future__ import annotations

import functools

import numpy as np

from ._gufunc_table import EIGH, EIGVALS, GUFUNCS
from ._isa import compiled as _gufuncs
from ._linalg import (
    _FLOAT32,
    _FLOAT64,
    NONFINITE_CHOICES,
    LinAlgError,
    _assert_stacked_2d,
    _check_nonfinite_option,
    _is_dask,
    _kernel_dtype,
    _makearray,
    _nonfinite_error,
    _numpy_guarded,
    _run_batched,
    _unwrapped,
    _with_shared_parameters,
    _worker_count,
)

try:  # numpy's own result type, so results compare and unpack as numpy's do
    from numpy.linalg._linalg import EighResult
except ImportError:  # pragma: no cover - numpy moved it
    from typing import NamedTuple

    class EighResult(NamedTuple):  # type: ignore[no-redef]
        eigenvalues: np.ndarray
        eigenvectors: np.ndarray


__all__ = ["eigh", "eigvalsh", "EighResult", "hermitian_svd"]

_MAX_KERNEL_DIM = _gufuncs.MAX_KERNEL_DIM
# (flavour, upper: reads the upper triangle) -> gufunc, from the one gufunc table
_GUFUNCS = {(flavour, upper): getattr(_gufuncs, name)
            for name, flavour, upper, _signature, _doc in GUFUNCS
            if flavour in (EIGVALS, EIGH)}


def _upper(UPLO):
    """numpy's reading of UPLO: whether it asks for the upper triangle."""
    if UPLO == "L":     # (the default, checked first: a single call is a few µs)
        return False
    uplo = UPLO.upper() if isinstance(UPLO, str) else UPLO
    if uplo not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return uplo == "U"


def _eigen(a, UPLO, vectors, nonfinite, workers):
    """eigh (vectors) or eigvalsh: the work of both."""
    upper = _upper(UPLO)
    if nonfinite not in NONFINITE_CHOICES:
        _check_nonfinite_option(nonfinite)
    if type(workers) is not int or workers != 1:
        workers = _worker_count(workers)
    if type(a) is not np.ndarray and _is_dask(a):
        return _lazy_eigen(a, upper, EIGH if vectors else EIGVALS)
    arr, wrap = _makearray(a)
    if arr.ndim < 2:
        _assert_stacked_2d(arr)
    n = arr.shape[-1]
    if n != arr.shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")
    dtype = arr.dtype
    if dtype is not _FLOAT64 and dtype is not _FLOAT32:
        dtype = _kernel_dtype(arr)
    if dtype is None or n > _MAX_KERNEL_DIM:
        call = functools.partial(np.linalg.eigh if vectors else np.linalg.eigvalsh,
                                 UPLO="U" if upper else "L")
        result = _numpy_guarded(call, arr, np.triu(arr) if upper else np.tril(arr), nonfinite)
    else:
        arr = arr if arr.dtype is dtype else arr.astype(dtype)
        result = _kernel_eigen(arr, vectors, upper, nonfinite, workers)
    if not vectors:
        return result
    if wrap is not _unwrapped:
        result = (result[0], wrap(result[1]))
    return tuple.__new__(EighResult, result)    # (cheaper than EighResult())


def _kernel_eigen(arr, vectors, upper, nonfinite, workers):
    """(w, Q) or w of float32 or float64 matrices up to 32×32 by the kernel: one
    matrix straight to it, past numpy's gufunc machinery; a stack by the gufunc."""
    if arr.ndim == 2 and arr.shape[-1]:
        result, finite = _gufuncs.eigen_one(arr, vectors, upper)
        if not finite and nonfinite == "raise":
            raise _nonfinite_error()
        return result
    return _run_batched(_GUFUNCS[EIGH if vectors else EIGVALS, upper], arr, nonfinite,
                        workers)


def _lazy_eigen(a, upper, flavour):
    """eigh or eigvalsh of a dask array, lazily, through the gufunc (the last two
    axes must each be a single chunk)."""
    _assert_stacked_2d(a)
    dtype = _kernel_dtype(a)
    if dtype is None or a.shape[-1] != a.shape[-2] or a.shape[-1] > _gufuncs.MAX_KERNEL_DIM:
        raise NotImplementedError(
            "fastsvd's symmetric eigen functions on a dask array take real square "
            f"matrices up to {_gufuncs.MAX_KERNEL_DIM}x{_gufuncs.MAX_KERNEL_DIM}; got "
            f"{a.shape[-2]}x{a.shape[-1]} {a.dtype}")
    result = _GUFUNCS[flavour, upper](a.astype(dtype))
    return EighResult(*result) if flavour == EIGH else result


def hermitian_svd(arr, compute_uv, nonfinite, workers):
    """svd(arr, hermitian=True) of real square matrices up to 32×32 (float32 or
    float64) from the eigen kernel, under numpy's contract: S = |λ| descending,
    U the eigenvectors in that order, Vh = (U·sign(λ))ᵀ, with sign(0) = +1
    where numpy's zero would leave Vh a zero row."""
    result = _kernel_eigen(arr, compute_uv, False, nonfinite, workers)
    if not compute_uv:
        return np.flip(np.sort(np.abs(result), axis=-1), axis=-1)
    w, q = result
    n = w.shape[-1]
    u, s, vh = _gufuncs.hermitian_svd_from_eigen(w.reshape(-1, n), q.reshape(-1, n, n))
    return u.reshape(q.shape), s.reshape(w.shape), vh.reshape(q.shape)


@_with_shared_parameters("NaN eigenvalues and eigenvectors")
def eigh(a, UPLO="L", *, nonfinite="raise", workers=1):
    """Eigenvalues and eigenvectors of symmetric matrices: a drop-in for
    :func:`numpy.linalg.eigh`.

    Real matrices up to 32×32 go through fastsvd's cyclic Jacobi kernel, vectorised
    across the matrices of a stack; complex ones and larger ones go to numpy.
    Only the `UPLO` triangle is read, as numpy reads it, NaN and Inf included.

    Parameters
    ----------
    a : (..., M, M) array_like
        Symmetric matrices (Hermitian for complex input, which numpy takes).
    UPLO : {"L", "U"}, optional
        The triangle to read: lower (default) or upper.
    %(nonfinite_and_workers)s

    Returns
    -------
    EighResult
        numpy's named tuple: ``eigenvalues`` (..., M), ascending, and
        ``eigenvectors`` (..., M, M), whose column ``v[:, i]`` belongs to
        ``eigenvalues[i]``: ``a = v @ diag(w) @ v.T``.

    Raises
    ------
    LinAlgError
        If `a` has fewer than two dimensions, if its last two are not equal, or,
        with ``nonfinite="raise"``, if a matrix holds NaN or Inf in its `UPLO`
        triangle.
    ValueError
        If `UPLO` is not "L" or "U", `nonfinite` not "raise" or "nan", or
        `workers` below 1 and not -1.

    See Also
    --------
    eigvalsh : The eigenvalues alone.
    numpy.linalg.eigh : The LAPACK routine this replaces.

    Notes
    -----
    Each rotation zeroes one off-diagonal pair exactly, so a 2×2 takes one;
    rotations stop when every |aᵢⱼ| ≤ √M·ε·√(|aᵢᵢ·aⱼⱼ|). That gives the
    eigenvalues of a positive definite A = D·B·D (D diagonal, B well
    conditioned) to high relative accuracy, which LAPACK's ε‖A‖ bound does not
    (Demmel and Veselić, 1992).

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> w, v = fastsvd.eigh(a)
    >>> w
    array([1., 3.])
    >>> bool(np.allclose(v @ np.diag(w) @ v.T, a))
    True

    Only the lower triangle is read, unless ``UPLO="U"``:

    >>> b = np.array([[1.0, np.nan], [2.0, 1.0]])
    >>> fastsvd.eigh(b).eigenvalues
    array([-1.,  3.])

    A stack, with NaN confined to its matrix:

    >>> stack = np.stack([a, np.full((2, 2), np.nan)])
    >>> fastsvd.eigh(stack, nonfinite="nan").eigenvalues
    array([[ 1.,  3.],
           [nan, nan]])
    """
    return _eigen(a, UPLO, True, nonfinite, workers)


@_with_shared_parameters("NaN eigenvalues")
def eigvalsh(a, UPLO="L", *, nonfinite="raise", workers=1):
    """Eigenvalues of symmetric matrices, ascending: a drop-in for
    :func:`numpy.linalg.eigvalsh`.

    The same kernel as :func:`eigh`, without the eigenvectors.

    Parameters
    ----------
    a : (..., M, M) array_like
        Symmetric matrices, as for :func:`eigh`.
    UPLO : {"L", "U"}, optional
        The triangle to read, as for :func:`eigh`.
    %(nonfinite_and_workers)s

    Returns
    -------
    ndarray
        (..., M), ascending, real.

    Raises
    ------
    LinAlgError
        As for :func:`eigh`.
    ValueError
        As for :func:`eigh`.

    See Also
    --------
    eigh : The eigenvectors too.
    numpy.linalg.eigvalsh : The LAPACK routine this replaces.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> fastsvd.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])

    The small eigenvalue of a graded positive definite matrix keeps its
    relative accuracy:

    >>> d = np.array([1.0, 1e-10])
    >>> a = d[:, None] * np.array([[2.0, 1.0], [1.0, 2.0]]) * d
    >>> w = fastsvd.eigvalsh(a)
    >>> bool(abs(w[0] - 1.5e-20) <= 1e-14 * 1.5e-20)
    True
    """
    return _eigen(a, UPLO, False, nonfinite, workers)
