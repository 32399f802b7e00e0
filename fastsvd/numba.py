"""fastsvd's per-matrix kernels inside numba's ``@njit`` code (``pip install "fastsvd[numba]"``).

``fastsvd.numba.svd(a)``, ``.nearest_rotation(a)`` and ``.polar(a)`` take
one small float32 or float64 matrix (1 ≤ M, N ≤ 32), in Python and in
nopython code alike, and give the bits that fastsvd.svd, nearest_rotation
and polar give that matrix in a batch: they call the same build's kernels,
through the C function addresses of its Cython API (``C_FUNCTIONS``).

Examples
--------
>>> import numpy as np
>>> import numba
>>> import fastsvd
>>> import fastsvd.numba
>>> @numba.njit
... def rotations(stack):
...     out = np.empty_like(stack)
...     for k in range(stack.shape[0]):
...         out[k] = fastsvd.numba.nearest_rotation(stack[k])
...     return out
>>> a = np.random.default_rng(0).standard_normal((100, 3, 3))
>>> np.array_equal(rotations(a), fastsvd.nearest_rotation(a))
True
"""
import ctypes

import numpy as np

try:
    from numba import njit
    from numba.core.errors import TypingError
    from numba.extending import overload
except ImportError as err:  # pragma: no cover - numba is an optional extra
    raise ImportError('fastsvd.numba needs numba: pip install "fastsvd[numba]"') from err

from . import _linalg
from ._isa import compiled

__all__ = ["svd", "nearest_rotation", "polar"]

LinAlgError = np.linalg.LinAlgError
MAX_KERNEL_DIM = compiled.MAX_KERNEL_DIM

_PTR, _SIZE, _FLAG = ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int
# The C signatures of kernels.pxd's per-matrix entries (bint is int).
_SIGNATURES = {
    # svd_small(a, m, n, u, s, v, ucols, want_uv)
    "svd_small": (_PTR, _SIZE, _SIZE, _PTR, _PTR, _PTR, _SIZE, _FLAG),
    # nearest_rotation_small(a, n, r)
    "nearest_rotation_small": (_PTR, _SIZE, _PTR),
    # polar_small(a, m, n, r, p, left)
    "polar_small": (_PTR, _SIZE, _SIZE, _PTR, _PTR, _FLAG),
}


def _c_function(name, dtype):
    address = compiled.C_FUNCTIONS[f"{name}_{'float' if dtype == np.float32 else 'double'}"]
    return ctypes.CFUNCTYPE(_FLAG, *_SIGNATURES[name])(address)


def _kernel_for(array_type, name):
    """The ctypes function for the dtype of a numba array type, or TypingError."""
    dtype = getattr(array_type, "dtype", None)
    if getattr(array_type, "ndim", None) != 2 or str(dtype) not in ("float32", "float64"):
        raise TypingError(f"fastsvd.numba.{name.replace('_small', '')} takes a 2-D float32 "
                          f"or float64 array, got {array_type}")
    return _c_function(name, np.dtype(str(dtype)))


def svd(a):
    """The full SVD (U, S, Vh) of one matrix, as ``fastsvd.svd(a)`` gives it.

    Parameters
    ----------
    a : (M, N) ndarray
        float32 or float64, 1 ≤ M, N ≤ 32.

    Returns
    -------
    U : (M, M) ndarray
    S : (min(M, N),) ndarray
    Vh : (N, N) ndarray

    Raises
    ------
    ValueError
        If a side is outside 1 … 32.
    LinAlgError
        If `a` holds NaN or Inf.
    """
    _check_sides(*np.shape(a))
    return tuple(_linalg.svd(a))


def nearest_rotation(a):
    """The rotation nearest one square matrix, as ``fastsvd.nearest_rotation(a)``.

    Parameters
    ----------
    a : (N, N) ndarray
        float32 or float64, 1 ≤ N ≤ 32.

    Returns
    -------
    (N, N) ndarray
        R with Rᵀ R = I and det R = +1.

    Raises
    ------
    ValueError
        If `a` is not square or its side is outside 1 … 32.
    LinAlgError
        If `a` holds NaN or Inf.
    """
    _check_square(*np.shape(a))
    return _linalg.nearest_rotation(a)


def polar(a):
    """The polar factors (R, P), a = R P, of one matrix, as ``fastsvd.polar(a)``.

    Parameters
    ----------
    a : (M, N) ndarray
        float32 or float64, 1 ≤ M, N ≤ 32.

    Returns
    -------
    R : (M, N) ndarray
        Orthonormal columns (rows for M < N).
    P : (N, N) ndarray
        Symmetric positive semi-definite, to the bit.

    Raises
    ------
    ValueError
        If a side is outside 1 … 32.
    LinAlgError
        If `a` holds NaN or Inf.
    """
    _check_sides(*np.shape(a))
    return _linalg.polar(a)


# (Compiled, so that Python and nopython code share them.)
@njit
def _check_sides(m, n):
    if not (1 <= m <= MAX_KERNEL_DIM and 1 <= n <= MAX_KERNEL_DIM):
        raise ValueError("fastsvd.numba takes matrices with 1 <= M, N <= 32")


@njit
def _check_square(m, n):
    if m != n:
        raise ValueError("fastsvd.numba.nearest_rotation takes square matrices")
    _check_sides(m, n)


@njit
def _raise_nonfinite():
    raise LinAlgError("SVD did not converge: the input holds NaN or Inf")



@overload(svd)
def _svd_jit(a):
    kernel = _kernel_for(a, "svd_small")
    dtype = a.dtype

    def impl(a):
        m, n = a.shape
        _check_sides(m, n)
        # Column-major A is the row-major Aᵀ; the kernel takes M ≥ N, so a
        # wide A goes as Aᵀ (whose column-major form is A's row-major one):
        # Aᵀ = U'SV'ᵀ gives A = V'SU'ᵀ.  A column-major output X is the
        # row-major Xᵀ.
        if m >= n:
            work = a.T.copy()
            u_t = np.empty((m, m), dtype)
            s = np.empty(n, dtype)
            vh = np.empty((n, n), dtype)
            ok = kernel(work.ctypes, m, n, u_t.ctypes, s.ctypes, vh.ctypes, m, 1)
            u = u_t.T.copy()
        else:
            work = a.copy()
            vh = np.empty((n, n), dtype)
            s = np.empty(m, dtype)
            u_t = np.empty((m, m), dtype)
            ok = kernel(work.ctypes, n, m, vh.ctypes, s.ctypes, u_t.ctypes, n, 1)
            u = u_t.T.copy()
        if not ok:
            _raise_nonfinite()
        return u, s, vh
    return impl


@overload(nearest_rotation)
def _nearest_rotation_jit(a):
    kernel = _kernel_for(a, "nearest_rotation_small")
    dtype = a.dtype

    def impl(a):
        m, n = a.shape
        _check_square(m, n)
        work = a.T.copy()
        r_t = np.empty((n, n), dtype)
        if not kernel(work.ctypes, n, r_t.ctypes):
            _raise_nonfinite()
        return r_t.T.copy()
    return impl


@overload(polar)
def _polar_jit(a):
    kernel = _kernel_for(a, "polar_small")
    dtype = a.dtype

    def impl(a):
        m, n = a.shape
        _check_sides(m, n)
        p = np.empty((n, n), dtype)     # symmetric: its own transpose
        if m >= n:
            work = a.T.copy()
            r_t = np.empty((n, m), dtype)
            ok = kernel(work.ctypes, m, n, r_t.ctypes, p.ctypes, 0)
            r = r_t.T.copy()
        else:
            # A's right factor P is the left one of Aᵀ, and R is Aᵀ's transposed.
            work = a.copy()
            r = np.empty((m, n), dtype)
            ok = kernel(work.ctypes, n, m, r.ctypes, p.ctypes, 1)
        if not ok:
            _raise_nonfinite()
        return r, p
    return impl
