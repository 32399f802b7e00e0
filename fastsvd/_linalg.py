"""The Python surface of fastsvd: numpy.linalg-compatible SVD over fastsvd's gufuncs.

Modelled on ``numpy/linalg/_linalg.py``: a thin layer that validates, casts,
picks a gufunc and turns the floating-point "invalid" flag the loops raise for
NaN/Inf input into ``LinAlgError``.  Everything without a kernel (complex
input, sides over 32, empty matrices) goes to numpy, after a finiteness check
so that no input can hang LAPACK; ``hermitian=True`` goes through the symmetric
eigen kernel of ``_eigh.py``.
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


def _gufunc_for(m, n, compute_uv, full_matrices, canonical=False):
    return _GUFUNCS[flavour_of(compute_uv, full_matrices, canonical), m < n]


@functools.cache
def kernel_name(m: int, n: int) -> str | None:
    """Name of the fastsvd kernel that decomposes M×N matrices, or None for LAPACK.

    The choice depends on the shape alone (float32 and float64 share it), and
    it is the one :func:`svd` and every other function of fastsvd make.

    Parameters
    ----------
    m : int
        Number of rows, M.
    n : int
        Number of columns, N.

    Returns
    -------
    str or None
        ``"gram-2x2"`` (the closed form for 2×2), ``"gram-3x2"`` (the closed
        form for 3×2, which 2×3 matrices take transposed), ``"jacobi-3x3"``
        (the one-sided Jacobi kernel specialised for 3×3),
        ``"jacobi-columns"`` (one-sided Jacobi on one matrix at a time, its
        columns across the SIMD lanes, where min(M, N) ≥ 12), ``"jacobi"``
        (the generic one-sided Jacobi kernel, vectorised across matrices, for
        every other shape with 1 ≤ M, N ≤ 32), or None where fastsvd hands the
        matrices to
        :func:`numpy.linalg.svd` (LAPACK): M or N is 0 or over 32.

    See Also
    --------
    svd : The decomposition these kernels compute.

    Examples
    --------
    >>> import fastsvd
    >>> fastsvd.kernel_name(2, 2)
    'gram-2x2'
    >>> fastsvd.kernel_name(3, 2), fastsvd.kernel_name(2, 3)
    ('gram-3x2', 'gram-3x2')
    >>> fastsvd.kernel_name(3, 3)
    'jacobi-3x3'
    >>> fastsvd.kernel_name(8, 5)
    'jacobi'
    >>> fastsvd.kernel_name(16, 16), fastsvd.kernel_name(12, 32)
    ('jacobi-columns', 'jacobi-columns')
    >>> print(fastsvd.kernel_name(33, 33))
    None
    """
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


def _numpy_guarded(call, arr, read, nonfinite):
    """call(arr), a numpy.linalg function, but NaN/Inf handled first: LAPACK may
    never return on them.  `read`: the entries numpy reads (a triangle of arr
    for the symmetric functions), which the check looks at; every part of the
    result gets NaN for a matrix it found them in."""
    bad = _nonfinite_matrices(read)
    if bad.any():
        if nonfinite == "raise":
            raise _nonfinite_error()
        arr = arr.copy()
        arr[bad] = 0
    result = call(arr)
    for part in (result if isinstance(result, tuple) else (result,)):
        part[bad] = np.nan
    return result


def _numpy_svd(arr, full_matrices, compute_uv, hermitian, nonfinite):
    """numpy.linalg.svd under _numpy_guarded.  With hermitian=True numpy reads
    only the lower triangle, and so does the check."""
    return _numpy_guarded(
        functools.partial(np.linalg.svd, full_matrices=full_matrices, compute_uv=compute_uv,
                          hermitian=hermitian),
        arr, np.tril(arr) if hermitian else arr, nonfinite)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, *,
        signed=False, signs=None, nonfinite="raise", workers=1):
    """Singular value decomposition, a drop-in for :func:`numpy.linalg.svd`.

    Factorises every matrix of an ``(..., M, N)`` stack as
    ``a = U @ diag(S) @ Vh``, with the same arguments, results
    (``SVDResult(U, S, Vh)``, or ``S`` alone), shapes, dtypes, broadcasting
    and errors as numpy.  Real matrices with 1 ≤ M, N ≤ 32 use fastsvd's
    kernels (``hermitian=True``: the symmetric eigen kernel); others (complex
    input, sides over 32, empty matrices) go to numpy, after a check for NaN
    and Inf so that no input can hang LAPACK.

    Parameters
    ----------
    a : (..., M, N) array_like
        A real or complex matrix, or a stack of them.  float32 stays float32;
        integers and booleans become float64.  U and Vh keep the array
        subclass of `a`, as in numpy.
    full_matrices : bool, optional
        If True (default), U is (..., M, M) and Vh is (..., N, N); otherwise
        they are (..., M, K) and (..., K, N), with K = min(M, N).
    compute_uv : bool, optional
        Whether to compute U and Vh besides S (default True).
    hermitian : bool, optional
        If True, `a` is taken to be Hermitian (symmetric if real) and only its
        lower triangle is read, as numpy reads it.  Real ones up to 32×32 go
        through :func:`eigh`'s kernel: S = |λ| descending, U the eigenvectors
        and Vh their rows times sign(λ) (+1 for λ = 0, so that Vh stays
        orthogonal); complex ones go to numpy.  Default False.
    signed : bool, optional
        The *signed* ("rotation-variant") SVD of square matrices used in
        graphics and invertible finite elements (McAdams et al. 2011): U and Vh
        are proper rotations (det = +1) and the sign of det(a) is carried by
        the last singular value, which is then negative for a reflection.
        Requires real square matrices and ``compute_uv``.  Default False.
    signs : {None, "canonical"}, optional
        None (default): the singular vectors' signs the kernel gives, which
        like LAPACK's are arbitrary but the same on every run of a build.
        "canonical": the largest-magnitude entry of each column of U (the
        first of equals) is made positive (real and positive for complex
        input), its row of Vh flipped with it, so that results compare
        across machines and libraries (scikit-learn's ``svd_flip``
        convention).  Extra columns of a full U follow the same rule.
        Requires ``compute_uv``; not with `signed`.
    nonfinite : {"raise", "nan"}, optional
        What a matrix holding NaN or Inf gets: "raise" (default) raises
        ``LinAlgError`` (numpy's behaviour, but in bounded time; see Notes);
        "nan" gives that matrix NaN outputs and leaves every other matrix of
        the stack untouched.  A dask array stays lazy: its non-finite
        matrices get NaN outputs (and numpy's "invalid value" RuntimeWarning)
        when it is computed, whichever value is given.
    workers : int, optional
        Threads that share the stack (default 1; -1: one per CPU this process
        may run on).  The results are identical whatever the number.  A stack
        too small to repay starting threads stays on one.

    Returns
    -------
    U : (..., M, M) or (..., M, K) ndarray
        Left singular vectors, as orthonormal columns; absent when
        `compute_uv` is False.  With it, ``U``, ``S`` and ``Vh`` come as
        numpy's ``SVDResult`` named tuple (lazy dask arrays for a dask input).
    S : (..., K) ndarray
        Singular values of each matrix in descending order, K = min(M, N);
        non-negative, except the last one under `signed`.  When `compute_uv`
        is False, this array alone is returned.
    Vh : (..., N, N) or (..., K, N) ndarray
        Right singular vectors, as orthonormal rows; absent when `compute_uv`
        is False.

    Raises
    ------
    LinAlgError
        If `a` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.
    ValueError
        If `nonfinite` is not "raise" or "nan", if `workers` is below 1 and
        not -1, if `signed` is asked for matrices that are not real and
        square, or without `compute_uv`, or if `signs` is not None or
        "canonical", or is "canonical" without `compute_uv` or with `signed`.
    TypeError
        If `workers` is not an integer.
    NotImplementedError
        For a dask array that fastsvd's kernels cannot take lazily: complex,
        a side of 0 or over 32, or `hermitian`.

    See Also
    --------
    svdvals : The singular values alone.
    numpy.linalg.svd : The function this replaces.
    fastsvd.gufuncs : The generalized ufuncs behind it, which also take ``out=``.

    Notes
    -----
    Small singular values keep their relative accuracy: the 2×2 and 3×2
    closed forms never divide by a small σ, and the one-sided Jacobi kernels
    use LAPACK gesvj's stopping rule, where LAPACK's gesdd (behind numpy)
    bounds a singular value's error only by ε‖a‖.  Every matrix is first
    scaled by a power of two, which is exact, so no square overflows or
    underflows; entries more than 2¹⁰²² (float32: 2¹²⁶) below the largest
    one then become subnormal and lose digits.

    On NaN and Inf, numpy's result depends on the shape and on the LAPACK
    build: it raises ``LinAlgError``, returns NaN (2×2 and 3×2 holding Inf),
    or with some builds never returns.  fastsvd, by default, raises for
    every matrix holding NaN or Inf, in bounded time.

    The kernels are vectorised across the matrices of a stack, so a lone
    matrix runs them in scalar code: batch large matrices (16×16 and more)
    rather than decomposing them one call at a time.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> a = np.array([[-4.0, -7.0], [1.0, 4.0]])
    >>> U, S, Vh = fastsvd.svd(a)
    >>> np.round(S, 6)
    array([9., 1.])
    >>> np.allclose(U @ np.diag(S) @ Vh, a)
    True
    >>> np.allclose(U.T @ U, np.eye(2)) and np.allclose(Vh @ Vh.T, np.eye(2))
    True

    A 3×2 integer matrix becomes float64; ``full_matrices=False`` gives the
    thin U.  Its σ² are the eigenvalues 27 ± √229 of aᵀa:

    >>> b = np.array([[4, 0], [3, -5], [0, 2]])
    >>> U, S, Vh = fastsvd.svd(b)
    >>> U.shape, S.shape, Vh.shape, S.dtype
    ((3, 3), (2,), (2, 2), dtype('float64'))
    >>> fastsvd.svd(b, full_matrices=False).U.shape
    (3, 2)
    >>> np.round(fastsvd.svd(b, compute_uv=False), 6)
    array([6.490974, 3.444888])

    A stack is decomposed matrix by matrix:

    >>> np.round(fastsvd.svd(np.stack([a, 2 * a, a.T])).S, 6)
    array([[ 9.,  1.],
           [18.,  2.],
           [ 9.,  1.]])

    det a = -9, so the signed SVD puts the reflection on the last σ:

    >>> U, S, Vh = fastsvd.svd(a, signed=True)
    >>> np.round(S, 6)
    array([ 9., -1.])
    >>> np.allclose([np.linalg.det(U), np.linalg.det(Vh)], 1)
    True

    Canonical signs: each column of U has its largest-magnitude entry
    positive, whatever library or machine computed it:

    >>> U, S, Vh = fastsvd.svd(a, signs="canonical")
    >>> np.round(U, 6)
    array([[ 0.894427,  0.447214],
           [-0.447214,  0.894427]])
    >>> np.allclose(U @ np.diag(S) @ Vh, a)
    True

    A matrix holding NaN raises, or with ``nonfinite="nan"`` gets NaN alone:

    >>> bad = np.stack([a, [[1.0, np.nan], [0.0, 1.0]]])
    >>> fastsvd.svd(bad)
    Traceback (most recent call last):
        ...
    numpy.linalg.LinAlgError: SVD did not converge: the input holds NaN or Inf
    >>> np.round(fastsvd.svd(bad, nonfinite="nan").S, 6)
    array([[ 9.,  1.],
           [nan, nan]])

    Threads share a large stack, with the same results bit for bit:

    >>> many = np.random.default_rng(0).standard_normal((20_000, 3, 3))
    >>> np.array_equal(fastsvd.svd(many, workers=2).S, fastsvd.svd(many).S)
    True
    """
    # (The checks are inlined where they pass, for the cost of a single-matrix
    # call: each Python call is a tenth of a 3×3 kernel.)
    if nonfinite not in NONFINITE_CHOICES:
        _check_nonfinite_option(nonfinite)
    if type(workers) is not int or workers != 1:
        workers = _worker_count(workers)
    canonical = signs is not None and _canonical_signs(signs, compute_uv, signed)
    if type(a) is not np.ndarray and _is_dask(a):
        return _lazy_svd(a, full_matrices, compute_uv, hermitian, signed, canonical)
    arr, wrap = _makearray(a)
    if arr.ndim < 2:
        _assert_stacked_2d(arr)
    m, n = arr.shape[-2:]
    if signed and (m != n or not compute_uv or np.iscomplexobj(arr)):
        raise ValueError("signed=True needs real square matrices and compute_uv=True")
    dtype = arr.dtype
    if dtype is not _FLOAT64 and dtype is not _FLOAT32:
        dtype = _kernel_dtype(arr)
    # The signs are fused into the kernels' pass where a kernel takes the
    # matrices, and made from the decomposition otherwise.
    fused = not hermitian and dtype is not None and kernel_name(m, n) is not None
    if hermitian and dtype is not None and m == n and 1 <= m <= _gufuncs.MAX_KERNEL_DIM:
        from ._eigh import hermitian_svd  # (_eigh builds on this module)
        result = hermitian_svd(arr.astype(dtype, copy=False), compute_uv, nonfinite, workers)
    elif not fused:
        result = _numpy_svd(arr, full_matrices, compute_uv, hermitian, nonfinite)
    else:
        # Builtin dtypes are singletons: `is` spares astype's cost on single matrices.
        arr = arr if arr.dtype is dtype else arr.astype(dtype)
        if arr.ndim == 2 and not (signed or canonical):
            result, finite = _gufuncs.decompose_one(arr, compute_uv,
                                                    bool(full_matrices) and compute_uv)
            if not finite and nonfinite == "raise":
                raise _nonfinite_error()
        else:
            gufunc = (_gufuncs.svd_signed if signed
                      else _gufunc_for(m, n, compute_uv, full_matrices, canonical))
            result = _run_batched(gufunc, arr, nonfinite, workers)
    if not compute_uv:
        return result
    u, s, vh = result
    if signed and not fused:
        u, s, vh = _make_signed(u, s, vh)
    elif canonical and not fused:
        u, vh = _make_canonical(u, vh)
    if wrap is not _unwrapped:
        u, vh = wrap(u), wrap(vh)
    return tuple.__new__(SVDResult, (u, s, vh))  # (cheaper than SVDResult())


def _canonical_signs(signs, compute_uv, signed):
    """Whether svd's `signs` asks for canonical signs, or ValueError."""
    if signs != "canonical":
        raise ValueError(f"signs must be None or 'canonical', got {signs!r}")
    if not compute_uv or signed:
        raise ValueError("signs='canonical' needs compute_uv=True and is not for signed=True")
    return True


def _is_dask(a):
    return type(a).__module__.startswith("dask.") and hasattr(a, "__array_ufunc__")


def _lazy_svd(a, full_matrices, compute_uv, hermitian, signed, canonical):
    """svd of a dask array, lazily: the gufunc goes through dask's apply_gufunc,
    chunk by chunk (the last two axes must each be a single chunk)."""
    _assert_stacked_2d(a)
    m, n = a.shape[-2:]
    dtype = _kernel_dtype(a)
    if hermitian or dtype is None or kernel_name(m, n) is None:
        raise NotImplementedError(
            "fastsvd.svd on a dask array takes real matrices with 1 <= M, N <= "
            f"{_gufuncs.MAX_KERNEL_DIM}, without hermitian; got {m}x{n} {a.dtype}")
    if signed and (m != n or not compute_uv):
        raise ValueError("signed=True needs real square matrices and compute_uv=True")
    gufunc = (_gufuncs.svd_signed if signed
              else _gufunc_for(m, n, compute_uv, full_matrices, canonical))
    result = gufunc(a.astype(dtype))
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


def _run_batched(gufunc, arr, nonfinite, workers, *params, param_cores=None):
    """gufunc(arr, *params) under the nonfinite policy, its stack shared among
    `workers` threads.  `params`: further inputs (pinv's rcond, low_rank's k,
    kabsch's q and weights), broadcast with the stack; `param_cores`, how
    many core dimensions each has (default none).

    Each thread writes its own slice of preallocated outputs (the loops release
    the GIL), so no part of the batch is copied.
    """
    if params:
        cores = param_cores or (0,) * len(params)
        shapes = [np.shape(p) for p in params]
        stack = np.broadcast_shapes(arr.shape[:-2],
                                    *(s[:len(s) - c] for s, c in zip(shapes, cores)))
        arr = np.broadcast_to(arr, stack + arr.shape[-2:])
        params = tuple(np.broadcast_to(p, stack + s[len(s) - c:])
                       for p, s, c in zip(params, shapes, cores))
    axis = _split_axis(arr.shape[:-2], workers)
    if axis is None:
        with _errstate(nonfinite):
            return gufunc(arr, *params)

    def part(lo, hi):
        return (slice(None),) * axis + (slice(lo, hi),)

    # Outputs' shapes from an empty slice; then full-size, uninitialised.
    empty = gufunc(arr[part(0, 0)], *(p[part(0, 0)] for p in params))
    empty = empty if isinstance(empty, tuple) else (empty,)
    length = arr.shape[axis]
    outs = tuple(np.empty(e.shape[:axis] + (length,) + e.shape[axis + 1:], e.dtype)
                 for e in empty)

    def run(lo, hi):
        with _errstate(nonfinite):  # numpy's error state is per thread
            gufunc(arr[part(lo, hi)], *(p[part(lo, hi)] for p in params),
                   out=tuple(o[part(lo, hi)] for o in outs))

    bounds = np.linspace(0, length, min(workers, length) + 1).astype(int)
    with ThreadPoolExecutor(len(bounds) - 1) as pool:
        futures = [pool.submit(run, lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
        for future in futures:
            future.result()
    return outs if len(outs) > 1 else outs[0]


# (side, wide: M < N) -> the polar gufunc
_POLAR_GUFUNCS = {("right", False): _gufuncs.polar_right_m_ge_n,
                  ("right", True): _gufuncs.polar_right_m_lt_n,
                  ("left", False): _gufuncs.polar_left_m_ge_n,
                  ("left", True): _gufuncs.polar_left_m_lt_n}


def _kernel_input(arr):
    """The ndarray `arr` as float32 or float64 if its matrices are ones a kernel
    takes (real, 1 ≤ M, N ≤ 32), or None for the functions to compose from svd."""
    if arr.ndim < 2:
        return None
    dtype = _kernel_dtype(arr)
    if dtype is None or kernel_name(*arr.shape[-2:]) is None:
        return None
    return arr.astype(dtype, copy=False)


def _run_fused(gufunc, arr, nonfinite, workers, *params, param_cores=None):
    """_run_batched for the functions that call a gufunc of their own."""
    _check_nonfinite_option(nonfinite)
    return _run_batched(gufunc, arr, nonfinite, _worker_count(workers), *params,
                        param_cores=param_cores)


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


def _make_canonical(u, vh):
    """svd's signs="canonical" for the decompositions no kernel made: each
    column of U divided by the phase (sign) of its largest-magnitude entry,
    the first of equals, and the partner row of Vh by its conjugate."""
    k = min(u.shape[-1], vh.shape[-2])
    if u.size == 0:
        return u, vh
    largest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-2)[..., None, :], axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        phase = largest / np.abs(largest)
    phase = np.where(np.abs(largest) > 0, phase, 1)   # (a NaN column stays NaN)
    u = u / phase
    vh = vh.copy()
    vh[..., :k, :] *= phase[..., 0, :k, None]
    return u, vh



# The parameters that the functions built on svd share, in their docstrings.
_NONFINITE_AND_WORKERS = """nonfinite : {{"raise", "nan"}}, optional
        What a matrix holding NaN or Inf gets: "raise" (default) raises
        ``LinAlgError``, in bounded time; "nan" gives that matrix {result}
        and leaves every other matrix of the stack untouched.
    workers : int, optional
        Threads that share the stack (default 1; -1: one per CPU this process
        may run on).  The results are identical whatever the number."""


def _with_shared_parameters(result):
    """Fill a docstring's %(nonfinite_and_workers)s, naming what a NaN matrix gets."""
    def decorate(func):
        if func.__doc__:    # (python -OO strips docstrings)
            func.__doc__ = func.__doc__.replace(
                "%(nonfinite_and_workers)s", _NONFINITE_AND_WORKERS.format(result=result))
        return func
    return decorate


@_with_shared_parameters("NaN singular values")
def svdvals(x, /, *, nonfinite="raise", workers=1):
    """Singular values of each matrix, descending: :func:`numpy.linalg.svdvals`.

    The same as ``svd(x, compute_uv=False)``: no singular vectors are
    computed.  A dask array stays lazy, as in :func:`svd`.

    Parameters
    ----------
    x : (..., M, N) array_like
        A real or complex matrix, or a stack of them.  float32 stays float32;
        integers and booleans become float64.
    %(nonfinite_and_workers)s

    Returns
    -------
    (..., K) ndarray
        Singular values of each matrix, non-negative and in descending
        order, K = min(M, N).

    Raises
    ------
    LinAlgError
        If `x` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.
    ValueError
        If `nonfinite` is not "raise" or "nan", or if `workers` is below 1
        and not -1.
    TypeError
        If `workers` is not an integer.

    See Also
    --------
    svd : The singular vectors too.
    numpy.linalg.svdvals : The function this replaces.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> np.round(fastsvd.svdvals([[-4, -7], [1, 4]]), 6)
    array([9., 1.])

    σ² are the eigenvalues of aᵀa, here 27 ± √229; float32 stays float32:

    >>> b = np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]])
    >>> np.allclose(fastsvd.svdvals(b) ** 2, [27 + np.sqrt(229), 27 - np.sqrt(229)])
    True
    >>> fastsvd.svdvals(b.astype(np.float32)).dtype
    dtype('float32')

    With ``nonfinite="nan"``, only the matrix holding NaN gets NaN:

    >>> stack = np.array([[[1.0, np.nan], [0.0, 1.0]], [[3.0, 0.0], [0.0, 4.0]]])
    >>> np.round(fastsvd.svdvals(stack, nonfinite="nan"), 6)
    array([[nan, nan],
           [ 4.,  3.]])
    """
    return svd(x, compute_uv=False, hermitian=False, nonfinite=nonfinite, workers=workers)


def _validated_rank(k, p):
    k = operator.index(k)
    if not 0 <= k <= p:
        raise ValueError(f"k must satisfy 0 <= k <= min(M, N) = {p}, got {k}")
    return k


@_with_shared_parameters("a NaN result")
def low_rank(a, k, *, nonfinite="raise", workers=1):
    """The best rank-k approximation σ₁u₁v₁ᵀ + … + σₖuₖvₖᵀ of every matrix in the stack.

    The SVD truncated after its k largest singular values is a matrix of
    rank at most k nearest `a`, both in the Frobenius and in the spectral
    norm (Eckart–Young–Mirsky): the error is σₖ₊₁ in the spectral norm.

    Parameters
    ----------
    a : (..., M, N) array_like
        A matrix, or a stack of them, as :func:`svd` takes it.
    k : int
        The rank, 0 ≤ k ≤ min(M, N).  k = 0 gives zeros, and k = min(M, N)
        gives back `a` up to rounding.
    %(nonfinite_and_workers)s

    Returns
    -------
    ndarray
        The rank-k approximations, of the shape of `a`, (..., M, N), and of
        its array subclass.

    Raises
    ------
    ValueError
        If `k` is outside 0 ≤ k ≤ min(M, N), if `nonfinite` is not "raise"
        or "nan", or if `workers` is below 1 and not -1.
    TypeError
        If `k` or `workers` is not an integer.
    LinAlgError
        If `a` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.

    See Also
    --------
    svd : The decomposition it truncates (thin, ``full_matrices=False``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> a = np.array([[-4.0, -7.0], [1.0, 4.0]])
    >>> a1 = fastsvd.low_rank(a, 1)
    >>> np.round(a1, 6)
    array([[-3.6, -7.2],
           [ 1.8,  3.6]])

    It keeps σ₁ = 9, and the error in the spectral norm is σ₂ = 1:

    >>> np.round(fastsvd.svdvals(a1), 6)
    array([9., 0.])
    >>> float(np.round(np.linalg.norm(a - a1, 2), 6))
    1.0
    >>> np.allclose(fastsvd.low_rank(a, 2), a)
    True
    """
    arr, wrap = _makearray(a)
    fused = _kernel_input(arr)
    if fused is not None:
        m, n = arr.shape[-2:]
        return wrap(_run_fused(_gufuncs.low_rank_m_lt_n if m < n else _gufuncs.low_rank_m_ge_n,
                               fused, nonfinite, workers, np.intp(_validated_rank(k, min(m, n)))))
    u, s, vh = svd(arr, full_matrices=False, nonfinite=nonfinite, workers=workers)
    k = _validated_rank(k, s.shape[-1])
    return wrap((u[..., :, :k] * s[..., None, :k]) @ vh[..., :k, :])


@_with_shared_parameters("NaN factors")
def polar(a, side="right", *, nonfinite="raise", workers=1):
    """Polar decomposition of every matrix: ``(R, P)`` with a = R P ("right") or P R ("left").

    R has orthonormal columns (rows for wide matrices), P is symmetric (Hermitian)
    positive semi-definite; the contract of :func:`scipy.linalg.polar`, batched.
    Both come from the thin SVD a = U S Vh: R = U Vh, and P = V S Vh
    ("right") or U S Uᴴ ("left").

    Parameters
    ----------
    a : (..., M, N) array_like
        A matrix, or a stack of them, as :func:`svd` takes it.
    side : {"right", "left"}, optional
        "right" (default) gives a = R P, with P of shape (..., N, N); "left"
        gives a = P R, with P of shape (..., M, M).
    %(nonfinite_and_workers)s

    Returns
    -------
    R : (..., M, N) ndarray
        The unitary factor, with orthonormal columns (M ≥ N) or rows
        (M < N).  For a real square `a` with det a < 0 it is a reflection,
        det R = -1: :func:`nearest_rotation` gives the nearest proper
        rotation instead.
    P : (..., N, N) or (..., M, M) ndarray
        The symmetric (Hermitian) positive semi-definite factor, (aᴴa)^½ for
        ``side="right"`` and (aaᴴ)^½ for ``side="left"``.

    Raises
    ------
    ValueError
        If `side` is not "right" or "left", if `nonfinite` is not "raise" or
        "nan", or if `workers` is below 1 and not -1.
    TypeError
        If `workers` is not an integer.
    LinAlgError
        If `a` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.

    See Also
    --------
    nearest_rotation : The nearest rotation, det = +1, of a square matrix.
    scipy.linalg.polar : The same decomposition, one matrix at a time.

    Notes
    -----
    P is unique; R is unique too when `a` has full rank.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> a = np.array([[-4.0, -7.0], [1.0, 4.0]])
    >>> R, P = fastsvd.polar(a)
    >>> np.round(R, 6)
    array([[-0.8, -0.6],
           [-0.6,  0.8]])
    >>> np.round(P, 6)
    array([[2.6, 3.2],
           [3.2, 7.4]])
    >>> np.allclose(R @ P, a)
    True
    >>> R, P = fastsvd.polar(a, side="left")
    >>> np.round(P, 6)
    array([[ 7.4, -3.2],
           [-3.2,  2.6]])
    >>> np.allclose(P @ R, a)
    True

    A tall matrix has an R with orthonormal columns:

    >>> R, P = fastsvd.polar([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]])
    >>> R.shape, P.shape
    ((3, 2), (2, 2))
    >>> np.allclose(R.T @ R, np.eye(2))
    True
    """
    if side not in ("right", "left"):
        raise ValueError("side must be 'right' or 'left'")
    arr, wrap = _makearray(a)
    fused = _kernel_input(arr)
    if fused is not None:
        r, p = _run_fused(_POLAR_GUFUNCS[side, arr.shape[-2] < arr.shape[-1]], fused,
                          nonfinite, workers)
        return wrap(r), wrap(p)
    u, s, vh = svd(arr, full_matrices=False, nonfinite=nonfinite, workers=workers)
    r = u @ vh
    if side == "right":
        p = (_conj_t(vh) * s[..., None, :]) @ vh
    else:
        p = (u * s[..., None, :]) @ _conj_t(u)
    return wrap(r), wrap(p)


@_with_shared_parameters("a NaN result")
def nearest_rotation(a, *, nonfinite="raise", workers=1):
    """The proper rotation (det = +1) nearest each square matrix in Frobenius norm.

    Kabsch / orthogonal Procrustes: U Vh of the signed SVD, so a reflection
    is resolved by flipping the singular pair of the smallest σ.  Where
    det a > 0 this is the factor R of :func:`polar`.

    Parameters
    ----------
    a : (..., N, N) array_like
        A real square matrix, or a stack of them.  float32 stays float32;
        integers and booleans become float64.
    %(nonfinite_and_workers)s

    Returns
    -------
    ndarray
        The rotations, (..., N, N): Rᵀ R = I and det R = +1, of the array
        subclass of `a`.

    Raises
    ------
    ValueError
        If the matrices are not real and square, if `nonfinite` is not
        "raise" or "nan", or if `workers` is below 1 and not -1.
    TypeError
        If `workers` is not an integer.
    LinAlgError
        If `a` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.

    See Also
    --------
    polar : The orthogonal factor, which may be a reflection.
    svd : With ``signed=True``, the decomposition this is built on.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd

    A rotation times a symmetric positive definite stretch gives the rotation
    back:

    >>> t = 0.5
    >>> rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    >>> stretch = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> np.allclose(fastsvd.nearest_rotation(rot @ stretch), rot)
    True

    Kabsch: the rotation that best maps points ``p`` onto ``q`` is the
    nearest rotation to their cross-covariance ``q.T @ p``:

    >>> rng = np.random.default_rng(0)
    >>> p = rng.standard_normal((10, 3))
    >>> true = fastsvd.nearest_rotation(rng.standard_normal((3, 3)))
    >>> q = p @ true.T
    >>> np.allclose(fastsvd.nearest_rotation(q.T @ p), true)
    True

    det a = -9 below: the reflection is resolved on the smallest σ, and
    ``+ 0.0`` prints rounded zeros without a sign:

    >>> a = np.array([[-4.0, -7.0], [1.0, 4.0]])
    >>> R = fastsvd.nearest_rotation(a)
    >>> np.round(R, 6) + 0.0
    array([[ 0., -1.],
           [ 1.,  0.]])
    >>> np.allclose(np.linalg.det(R), 1)
    True
    """
    arr, wrap = _makearray(a)
    fused = _kernel_input(arr)
    if fused is not None and arr.shape[-1] == arr.shape[-2]:
        return wrap(_run_fused(_gufuncs.nearest_rotation, fused, nonfinite, workers))
    u, _, vh = svd(arr, signed=True, nonfinite=nonfinite, workers=workers)
    return wrap(u @ vh)


# Marks an argument the caller did not pass (pinv's rtol, as in numpy).
_NOT_GIVEN = object()


@_with_shared_parameters("a NaN result")
def pinv(a, rcond=None, hermitian=False, *, rtol=_NOT_GIVEN, nonfinite="raise", workers=1):
    """Moore–Penrose pseudo-inverse of every matrix, a drop-in for :func:`numpy.linalg.pinv`.

    Singular values at or below ``rcond · σ_max`` are treated as zero, with
    numpy's defaults: rcond = 1e-15 when neither rcond nor rtol is given, and
    max(M, N)·ε of the input's dtype for ``rtol=None`` (the Array API's
    choice, better suited to float32).  ``rtol`` is rcond's other name; give
    one of them.

    Parameters
    ----------
    a : (..., M, N) array_like
        A matrix, or a stack of them, as :func:`svd` takes it.
    rcond : float or array_like, optional
        Relative cutoff for small singular values, broadcast against the
        stack (one per matrix, if need be).  Default: 1e-15, or `rtol`'s
        value if that is given.
    hermitian : bool, optional
        If True, `a` is taken to be Hermitian (symmetric if real) and goes to
        :func:`numpy.linalg.svd` with ``hermitian=True``.  Default False.
    rtol : float or array_like or None, optional
        The Array API's name for `rcond`.  None means max(M, N)·ε of the
        input's dtype.
    %(nonfinite_and_workers)s

    Returns
    -------
    (..., N, M) ndarray
        The pseudo-inverse of each matrix, of the array subclass of `a`.

    Raises
    ------
    LinAlgError
        If `a` has fewer than two dimensions, or, with ``nonfinite="raise"``,
        if a matrix holds NaN or Inf.
    ValueError
        If both `rcond` and `rtol` are given, if `nonfinite` is not "raise"
        or "nan", or if `workers` is below 1 and not -1.
    TypeError
        If `workers` is not an integer.

    See Also
    --------
    numpy.linalg.pinv : The function this replaces.
    svd : The decomposition it inverts.

    Notes
    -----
    The pseudo-inverse is V S⁺ Uᴴ, from the thin SVD a = U S Vh, where S⁺
    inverts the singular values above the cutoff and zeroes the others.  A
    stack of empty matrices goes to :func:`numpy.linalg.pinv` as it is.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> b = np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]])
    >>> x = fastsvd.pinv(b)
    >>> np.round(x, 6)
    array([[ 0.232,  0.024,  0.06 ],
           [ 0.12 , -0.16 ,  0.1  ]])
    >>> np.allclose(x @ b, np.eye(2))
    True

    A singular matrix: its zero singular value is cut off, not inverted:

    >>> np.round(fastsvd.pinv([[1.0, 2.0], [2.0, 4.0]]), 6)
    array([[0.04, 0.08],
           [0.08, 0.16]])

    A stack gets numpy's results, matrix by matrix:

    >>> stack = np.stack([b, 2 * b, -b])
    >>> np.allclose(fastsvd.pinv(stack), np.linalg.pinv(stack))
    True
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
    fused = None if hermitian else _kernel_input(arr)
    if fused is not None:
        gufunc = _gufuncs.pinv_m_lt_n if arr.shape[-2] < arr.shape[-1] else _gufuncs.pinv_m_ge_n
        return wrap(_run_fused(gufunc, fused, nonfinite, workers,
                               np.asarray(rcond, dtype=fused.dtype)))
    u, s, vh = svd(arr, full_matrices=False, hermitian=hermitian, nonfinite=nonfinite,
                   workers=workers)
    cutoff = np.asarray(rcond)[..., None] * s.max(axis=-1, keepdims=True)
    large = s > cutoff
    s_inv = np.divide(1, s, out=np.zeros_like(s), where=large)
    return wrap(_conj_t(vh) @ (s_inv[..., :, None] * _conj_t(u)))


def _conj_t(x):
    return np.conj(np.swapaxes(x, -1, -2))
