"""The Python surface of fastsvd: numpy.linalg-compatible SVD over fastsvd's gufuncs.

Modelled on ``numpy/linalg/_linalg.py``: a thin layer that validates, casts,
picks a gufunc and turns the floating-point "invalid" flag the loops raise for
NaN/Inf input into ``LinAlgError``.  Everything without a kernel (complex
input, sides over 32, empty matrices, ``hermitian=True``) goes to numpy, after
a finiteness check so that no input can hang LAPACK.
"""
from __future__ import annotations

import functools
import math
import operator
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.linalg import LinAlgError

from ._gufunc_table import GUFUNCS, flavour_of
from ._isa import compiled as _gufuncs

try:  # numpy's own result type, so results compare and unpack as numpy's do
    from numpy.linalg._linalg import SVDResult
except ImportError:  # pragma: no cover - numpy moved it
    from typing import NamedTuple

    class SVDResult(NamedTuple):  # type: ignore[no-redef]
        U: np.ndarray
        S: np.ndarray
        Vh: np.ndarray


__all__ = ["svd", "svdvals", "low_rank", "polar", "nearest_rotation", "pinv",
           "kernel_name", "SVDResult", "LinAlgError"]

NONFINITE_CHOICES = ("raise", "nan")

# (flavour, wide: M < N) -> gufunc, from the one gufunc table
_GUFUNCS = {(flavour, wide): getattr(_gufuncs, name)
            for name, flavour, wide, _signature, _doc in GUFUNCS}


def _gufunc_for(m, n, compute_uv, full_matrices):
    return _GUFUNCS[flavour_of(compute_uv, full_matrices), m < n]


@functools.lru_cache(maxsize=None)
def kernel_name(m: int, n: int) -> str | None:
    """Name of the fastsvd kernel that decomposes M×N matrices, or None for LAPACK."""
    return _gufuncs.kernel_name(m, n)


def _nonfinite_error():
    return LinAlgError("SVD did not converge: the input holds NaN or Inf")


def _raise_on_invalid_flag(kind, flag):
    """numpy's errstate callback: the loops raise "invalid" for NaN/Inf input only."""
    raise _nonfinite_error()


def _check_nonfinite_option(nonfinite):
    if nonfinite not in NONFINITE_CHOICES:
        raise ValueError(f"nonfinite must be one of {NONFINITE_CHOICES}, got {nonfinite!r}")


def _errstate(nonfinite):
    invalid = "call" if nonfinite == "raise" else "ignore"
    return np.errstate(invalid=invalid, call=_raise_on_invalid_flag, over="ignore",
                       divide="ignore", under="ignore")


def _makearray(a):
    if type(a) is np.ndarray:      # the common case, kept cheap for single matrices
        return a, _unwrapped
    new = np.asarray(a)
    wrap = getattr(a, "__array_wrap__", new.__array_wrap__)
    return new, wrap


def _unwrapped(x):
    return x


def _assert_stacked_2d(a):
    if a.ndim < 2:
        raise LinAlgError(f"{a.ndim}-dimensional array given. Array must be at "
                          "least two-dimensional")


_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)


def _kernel_dtype(a):
    """float32 or float64 when fastsvd's kernels take this input, else None."""
    char = a.dtype.char
    if char == "f":
        return _FLOAT32
    if char == "d" or a.dtype.kind in "biu":
        return _FLOAT64
    return None


# The dtypes LAPACK takes that can hold NaN or Inf (others numpy rejects itself).
_LAPACK_INEXACT = tuple(map(np.dtype, (np.float32, np.float64, np.complex64, np.complex128)))


def _nonfinite_matrices(a):
    """Boolean mask over the stack: which matrices hold NaN or Inf."""
    if a.dtype.newbyteorder("=") not in _LAPACK_INEXACT:
        return np.zeros(a.shape[:-2], dtype=bool)
    return ~np.isfinite(a).all(axis=(-2, -1))


def _numpy_svd(arr, full_matrices, compute_uv, hermitian, nonfinite):
    """numpy.linalg.svd, but NaN/Inf handled first: LAPACK may never return on them.
    With hermitian=True numpy reads only the lower triangle, and so does the check."""
    bad = _nonfinite_matrices(np.tril(arr) if hermitian else arr)
    if bad.any():
        if nonfinite == "raise":
            raise _nonfinite_error()
        arr = arr.copy()
        arr[bad] = 0
    result = np.linalg.svd(arr, full_matrices=full_matrices, compute_uv=compute_uv,
                           hermitian=hermitian)
    for part in (result if compute_uv else (result,)):
        part[bad] = np.nan
    return result


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, *,
        signed=False, nonfinite="raise", workers=1):
    """Singular value decomposition, a drop-in for :func:`numpy.linalg.svd`.

    Same arguments, results (``SVDResult(U, S, Vh)``, or ``S`` alone), shapes,
    dtypes and errors as numpy, over any ``(..., M, N)`` stack.  Real matrices
    with M, N ≤ 32 use fastsvd's kernels; others go to numpy.

    signed : bool
        The *signed* ("rotation-variant") SVD of square matrices used in
        graphics and invertible finite elements (McAdams et al. 2011): U and Vh
        are proper rotations (det = +1) and the sign of det(a) is carried by
        the last singular value, which is then negative for a reflection.
        Requires square matrices and ``compute_uv``.
    nonfinite : {"raise", "nan"}
        What a matrix holding NaN or Inf gets: "raise" raises ``LinAlgError``
        (numpy's behaviour, but in bounded time); "nan" gives that matrix NaN
        outputs and leaves every other matrix of the stack untouched.  A dask
        array stays lazy: its non-finite matrices get NaN outputs (and numpy's
        "invalid value" RuntimeWarning) when it is computed.
    workers : int
        Threads that share the stack (default 1; -1: one per CPU).  The results
        are identical whatever the number.
    """
    # (The checks are inlined where they pass, for the cost of a single-matrix
    # call: each Python call is a tenth of a 3×3 kernel.)
    if nonfinite not in NONFINITE_CHOICES:
        _check_nonfinite_option(nonfinite)
    if type(workers) is not int or workers != 1:
        workers = _worker_count(workers)
    if type(a) is not np.ndarray and _is_dask(a):
        return _lazy_svd(a, full_matrices, compute_uv, hermitian, signed)
    arr, wrap = _makearray(a)
    if arr.ndim < 2:
        _assert_stacked_2d(arr)
    m, n = arr.shape[-2:]
    if signed and (m != n or not compute_uv or np.iscomplexobj(arr)):
        raise ValueError("signed=True needs real square matrices and compute_uv=True")
    dtype = arr.dtype
    if dtype is not _FLOAT64 and dtype is not _FLOAT32:
        dtype = _kernel_dtype(arr)
    if hermitian or dtype is None or kernel_name(m, n) is None:
        result = _numpy_svd(arr, full_matrices, compute_uv, hermitian, nonfinite)
    else:
        # Builtin dtypes are singletons: `is` spares astype's cost on single matrices.
        arr = arr if arr.dtype is dtype else arr.astype(dtype)
        if arr.ndim == 2:
            result, finite = _gufuncs.decompose_one(arr, compute_uv,
                                                    bool(full_matrices) and compute_uv)
            if not finite and nonfinite == "raise":
                raise _nonfinite_error()
        else:
            result = _run_batched(_gufunc_for(m, n, compute_uv, full_matrices), arr,
                                  nonfinite, workers)
    if not compute_uv:
        return result
    u, s, vh = result
    if signed:
        u, s, vh = _make_signed(u, s, vh)
    if wrap is not _unwrapped:
        u, vh = wrap(u), wrap(vh)
    return tuple.__new__(SVDResult, (u, s, vh))  # (cheaper than SVDResult())


def _is_dask(a):
    return type(a).__module__.startswith("dask.") and hasattr(a, "__array_ufunc__")


def _lazy_svd(a, full_matrices, compute_uv, hermitian, signed):
    """svd of a dask array, lazily: the gufunc goes through dask's apply_gufunc,
    chunk by chunk (the last two axes must each be a single chunk)."""
    _assert_stacked_2d(a)
    m, n = a.shape[-2:]
    dtype = _kernel_dtype(a)
    if hermitian or signed or dtype is None or kernel_name(m, n) is None:
        raise NotImplementedError(
            "fastsvd.svd on a dask array takes real matrices with 1 <= M, N <= "
            f"{_gufuncs.MAX_KERNEL_DIM}, without hermitian or signed; got "
            f"{m}x{n} {a.dtype}")
    result = _gufunc_for(m, n, compute_uv, full_matrices)(a.astype(dtype))
    return SVDResult(*result) if compute_uv else result


def _worker_count(workers):
    if workers == -1:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = operator.index(workers)
    if workers < 1:
        raise ValueError(f"workers must be a positive integer or -1, got {workers}")
    return workers


def _split_axis(stack_shape, workers):
    """The stack axis to share out between threads, or None to stay on one."""
    if workers == 1 or math.prod(stack_shape) < _MIN_MATRICES_PER_THREAD * workers:
        return None
    for axis, extent in enumerate(stack_shape):
        if extent >= workers:
            return axis
    return int(np.argmax(stack_shape))


# Below this many matrices per thread, starting threads costs more than it saves.
_MIN_MATRICES_PER_THREAD = 4096


def _run_batched(gufunc, arr, nonfinite, workers):
    """gufunc(arr) under the nonfinite policy, its stack shared among `workers` threads.

    Each thread writes its own slice of preallocated outputs (the loops release
    the GIL), so no part of the batch is copied.
    """
    axis = _split_axis(arr.shape[:-2], workers)
    if axis is None:
        with _errstate(nonfinite):
            return gufunc(arr)

    def part(lo, hi):
        return (slice(None),) * axis + (slice(lo, hi),)

    # Outputs' shapes from an empty slice; then full-size, uninitialised.
    empty = gufunc(arr[part(0, 0)])
    empty = empty if isinstance(empty, tuple) else (empty,)
    length = arr.shape[axis]
    outs = tuple(np.empty(e.shape[:axis] + (length,) + e.shape[axis + 1:], e.dtype)
                 for e in empty)

    def run(lo, hi):
        with _errstate(nonfinite):  # numpy's error state is per thread
            gufunc(arr[part(lo, hi)], out=tuple(o[part(lo, hi)] for o in outs))

    bounds = np.linspace(0, length, min(workers, length) + 1).astype(int)
    with ThreadPoolExecutor(len(bounds) - 1) as pool:
        futures = [pool.submit(run, lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
        for future in futures:
            future.result()
    return outs if len(outs) > 1 else outs[0]


def _make_signed(u, s, vh):
    """Turn a square SVD into the signed one: det U = det Vh = +1."""
    if s.shape[-1] == 0:
        return u, s, vh          # 0×0: U and Vh are empty, there is nothing to sign
    # (A matrix with NaN or Inf, left in under nonfinite="nan", has NaN outputs
    # and determinant, which must not warn: the NaN is its documented result.)
    with np.errstate(invalid="ignore"):
        det_u = np.sign(np.linalg.det(u))
        det_vh = np.sign(np.linalg.det(vh))
    # Flipping the last singular pair's vectors together keeps A = U S Vh; a
    # remaining det U = −1 moves onto the last singular value.
    u[..., :, -1] *= det_u[..., None]
    vh[..., -1, :] *= det_vh[..., None]
    s[..., -1] *= det_u * det_vh
    return u, s, vh


def svdvals(x, /, *, nonfinite="raise", workers=1):
    """Singular values of each matrix, descending: :func:`numpy.linalg.svdvals`."""
    return svd(x, compute_uv=False, hermitian=False, nonfinite=nonfinite, workers=workers)


def _validated_rank(k, p):
    k = operator.index(k)
    if not 0 <= k <= p:
        raise ValueError(f"k must satisfy 0 <= k <= min(M, N) = {p}, got {k}")
    return k


def low_rank(a, k, *, nonfinite="raise", workers=1):
    """The best rank-k approximation σ₁u₁v₁ᵀ + … + σₖuₖvₖᵀ of every matrix in the stack."""
    arr, wrap = _makearray(a)
    u, s, vh = svd(arr, full_matrices=False, nonfinite=nonfinite, workers=workers)
    k = _validated_rank(k, s.shape[-1])
    return wrap((u[..., :, :k] * s[..., None, :k]) @ vh[..., :k, :])


def polar(a, side="right", *, nonfinite="raise", workers=1):
    """Polar decomposition of every matrix: ``(R, P)`` with a = R P ("right") or P R ("left").

    R has orthonormal columns (rows for wide matrices), P is symmetric (Hermitian)
    positive semi-definite; the contract of :func:`scipy.linalg.polar`, batched.
    """
    if side not in ("right", "left"):
        raise ValueError("side must be 'right' or 'left'")
    arr, wrap = _makearray(a)
    u, s, vh = svd(arr, full_matrices=False, nonfinite=nonfinite, workers=workers)
    r = u @ vh
    if side == "right":
        p = (_conj_t(vh) * s[..., None, :]) @ vh
    else:
        p = (u * s[..., None, :]) @ _conj_t(u)
    return wrap(r), wrap(p)


def nearest_rotation(a, *, nonfinite="raise", workers=1):
    """The proper rotation (det = +1) nearest each square matrix in Frobenius norm.

    Kabsch / orthogonal Procrustes: U Vh of the signed SVD, so a reflection
    is resolved by flipping the singular pair of the smallest σ.
    """
    arr, wrap = _makearray(a)
    u, _, vh = svd(arr, signed=True, nonfinite=nonfinite, workers=workers)
    return wrap(u @ vh)


# Marks an argument the caller did not pass (pinv's rtol, as in numpy).
_NOT_GIVEN = object()


def pinv(a, rcond=None, hermitian=False, *, rtol=_NOT_GIVEN, nonfinite="raise", workers=1):
    """Moore–Penrose pseudo-inverse of every matrix, a drop-in for :func:`numpy.linalg.pinv`.

    Singular values at or below ``rcond · σ_max`` are treated as zero, with
    numpy's defaults: rcond = 1e-15 when neither rcond nor rtol is given, and
    max(M, N)·ε of the input's dtype for ``rtol=None`` (the Array API's
    choice, better suited to float32).  ``rtol`` is rcond's other name; give
    one of them.
    """
    if rcond is None:
        rcond = 1e-15 if rtol is _NOT_GIVEN else rtol
    elif rtol is not _NOT_GIVEN:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    arr, wrap = _makearray(a)
    _assert_stacked_2d(arr)
    if arr.size == 0:
        return np.linalg.pinv(a, rcond, hermitian)
    if rcond is None:
        rcond = max(arr.shape[-2:]) * np.finfo(arr.dtype).eps
    u, s, vh = svd(arr, full_matrices=False, hermitian=hermitian, nonfinite=nonfinite,
                   workers=workers)
    cutoff = np.asarray(rcond)[..., None] * s.max(axis=-1, keepdims=True)
    large = s > cutoff
    s_inv = np.divide(1, s, out=np.zeros_like(s), where=large)
    return wrap(_conj_t(vh) @ (s_inv[..., :, None] * _conj_t(u)))


def _conj_t(x):
    return np.conj(np.swapaxes(x, -1, -2))
