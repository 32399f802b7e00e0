"""Derivatives of fastsvd's functions: reverse mode (``*_vjp``, the cotangent
of the input from those of the outputs) and forward mode (``*_jvp``, the
outputs' tangents from the input's), batched, from the forward call's own
results.

Each function takes the factors its forward function is made of — ``U, S, Vh``
of the thin SVD (``svd(a, full_matrices=False)``; for ``nearest_rotation``,
``svd(a, signed=True)``), or ``eigh``'s ``(w, Q)`` — so nothing is
decomposed twice.  The kernels work in the basis of those factors, where the
rotation and polar factors depend on 1/(σᵢ + σⱼ) only: their derivatives are
finite at repeated σ (a rotation, the identity), where formulas through
1/(σᵢ² − σⱼ²) give NaN.

Where the SVD's U and V (or eigh's Q) themselves are differentiated, a pair
of σ (λ) closer than ``eps · max|σ|`` turns inside its subspace in a way no
derivative fixes.  Such a pair's term is dropped (set to zero).  That is
exact when U and V enter the loss with equal weights across the repeated σ
(through U·Vᵀ, or a projector U·Uᵀ), and it is not otherwise: through
U·S·Vᵀ, say, the term has a limit that the cotangents of U and V alone do not
tell.  For such losses differentiate the function itself (A,
``nearest_rotation``, ``polar``, ``low_rank``, ``pinv``), whose kernels need
no threshold.  ``degenerate``, the second result, says per matrix where a
dropped pair carried a cotangent.  eps defaults to 10·max(M, N)·ε of the
dtype: gaps at rounding level.

The eigen derivatives treat A as the symmetric matrix (A + Aᵀ)/2: the
gradient they return is symmetric, and a tangent counts by its symmetric
part.  Matrices of NaN or Inf get NaN, their neighbours are untouched; no
error is raised for them.

Examples
--------
>>> import numpy as np
>>> import fastsvd
>>> from fastsvd import gradients
>>> a = np.eye(3)                      # all σ equal: U and V are anything
>>> u, s, vh = fastsvd.svd(a, signed=True)
>>> g = np.array([[0., 1, 0], [0, 0, 0], [0, 0, 0]])    # d⟨g, R⟩/dA, R = U·Vh
>>> ga, degenerate = gradients.nearest_rotation_vjp(u, s, vh, g)
>>> bool(np.isfinite(ga).all()), bool(degenerate)
(True, False)
>>> np.round(ga, 3)
array([[ 0. ,  0.5,  0. ],
       [-0.5,  0. ,  0. ],
       [ 0. ,  0. ,  0. ]])
"""
from __future__ import annotations

import numpy as np

from ._isa import compiled as _gufuncs
from ._linalg import _run_batched, _worker_count, svd

__all__ = ["svd_vjp", "svd_jvp", "svdvals_vjp", "svdvals_jvp", "nearest_rotation_vjp",
           "nearest_rotation_jvp", "polar_vjp", "polar_jvp", "pinv_vjp", "pinv_jvp",
           "low_rank_vjp", "low_rank_jvp", "eigh_vjp", "eigh_jvp", "eigvalsh_vjp",
           "eigvalsh_jvp", "kabsch_rotation_vjp"]


def _real_dtype(*arrays):
    dtype = np.result_type(*(np.asarray(x).dtype for x in arrays))
    if dtype not in (np.float32, np.float64):
        if dtype.kind in "iub":
            return np.dtype(np.float64)
        raise TypeError(f"fastsvd.gradients takes real float32 or float64 arrays, "
                        f"got {dtype}")
    return dtype


def _eps(eps, dtype, m, n):
    return 10 * max(m, n) * np.finfo(dtype).eps if eps is None else eps


def _run(gufunc, operands, cores, workers):
    """gufunc over `operands` (cores: each one's core dimensions), broadcast,
    shared among `workers` threads along the stack."""
    first, *rest = operands
    return _run_batched(gufunc, first, "nan", _worker_count(workers), *rest,
                        param_cores=cores[1:])


class _Factors:
    """U, S, Vh of the forward call, cast to one real dtype, narrowed to the
    thin SVD, and seen as those of Aᵀ when M < N (the kernels take M ≥ N)."""

    def __init__(self, u, s, vh, *others):
        u, s, vh = (np.asarray(x) for x in (u, s, vh))
        self.dtype = _real_dtype(u, s, vh, *(x for x in others if x is not None))
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        self.m, self.n = u.shape[-2], vh.shape[-1]
        self.wide = self.m < self.n
        if self.wide:   # Aᵀ = V·S·Uᵀ
            u, vh = vh.mT, u.mT
        self.u, self.s, self.vh = (x.astype(self.dtype, copy=False) for x in (u, s, vh))

    def cast(self, x, *, transpose=False):
        x = np.asarray(x, dtype=self.dtype)
        return x.mT if transpose else x

    def zeros(self, shape):
        return np.zeros(shape, self.dtype)

    def flip(self, x):
        """A result for Aᵀ back to A's orientation."""
        return x.mT if self.wide else x


def svd_vjp(u, s, vh, gu=None, gs=None, gvh=None, *, eps=None, workers=1):
    """The cotangent of A from those of its SVD's U, S and Vh.

    Parameters
    ----------
    u, s, vh : array_like
        ``svd(a)`` (thin or full: the full SVD's extra columns carry no
        derivative and are left out, as PyTorch does), or the signed SVD.
    gu, gs, gvh : array_like or None
        The cotangents of U, S and Vh; None for zero.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module).
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A, A's shape.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps (or a σ under it,
        for M ≠ N) was dropped.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import svd_vjp
    >>> a = np.array([[3., 1], [1, 2]])
    >>> u, s, vh = fastsvd.svd(a)
    >>> ga, _ = svd_vjp(u, s, vh, gs=np.array([1., 0]))    # dσ₁/dA = u₁·v₁ᵀ
    >>> np.allclose(ga, np.outer(u[:, 0], vh[0]))
    True
    """
    f = _Factors(u, s, vh, gu, gs, gvh)
    k = f.s.shape[-1]
    gs = f.zeros(f.s.shape) if gs is None else f.cast(gs)
    if gu is None and gvh is None:
        ga = _run(_gufuncs.svdvals_vjp, (f.u, f.s, f.vh, gs), (2, 1, 2, 1), workers)
        return f.flip(ga), np.zeros(ga.shape[:-2], bool)
    gu = f.zeros(np.shape(u)[:-1] + (k,)) if gu is None else f.cast(gu)[..., :, :k]
    gvh = f.zeros((*np.shape(vh)[:-2], k, np.shape(vh)[-1])) if gvh is None else \
        f.cast(gvh)[..., :k, :]
    if f.wide:
        gu, gvh = gvh.mT, gu.mT
    ga, degenerate = _run(_gufuncs.svd_vjp,
                          (f.u, f.s, f.vh, gu, gs, gvh, _eps(eps, f.dtype, f.m, f.n)),
                          (2, 1, 2, 2, 1, 2, 0), workers)
    return f.flip(ga), degenerate


def svd_jvp(u, s, vh, da, *, eps=None, workers=1):
    """The tangents of the thin SVD's U, S and Vh from dA.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's ``svd(a, full_matrices=False)``, or ``svd(a, signed=True)``.
    da : array_like
        The tangent of A.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    du, ds, dvh : ndarray
        The tangents of U, S and Vh.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import svd_jvp
    >>> a = np.diag([3., 2., 1.])
    >>> u, s, vh = fastsvd.svd(a)
    >>> du, ds, dvh, _ = svd_jvp(u, s, vh, np.diag([0.5, 0., 0.]))
    >>> ds
    array([0.5, 0. , 0. ])
    """
    f = _Factors(u, s, vh, da)
    du, ds, dvh, degenerate = _run(
        _gufuncs.svd_jvp, (f.u, f.s, f.vh, f.cast(da, transpose=f.wide),
                           _eps(eps, f.dtype, f.m, f.n)), (2, 1, 2, 2, 0), workers)
    if f.wide:
        du, dvh = dvh.mT, du.mT
    return du, ds, dvh, degenerate


def svdvals_vjp(u, s, vh, gs, *, workers=1):
    """The cotangent of A from that of its singular values: U·diag(gs)·Vh.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    gs : array_like
        The cotangent of S.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import svdvals_vjp
    >>> a = np.array([[1., 2], [3, 4], [5, 6]])
    >>> u, s, vh = fastsvd.svd(a, full_matrices=False)
    >>> np.allclose(svdvals_vjp(u, s, vh, np.ones(2)), u @ vh)
    True
    """
    return svd_vjp(u, s, vh, gs=gs, workers=workers)[0]


def svdvals_jvp(u, s, vh, da, *, workers=1):
    """The tangent of the singular values from dA: dσᵢ = uᵢᵀ·dA·vᵢ.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    da : array_like
        The tangent of A.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ds : ndarray
        The tangent of S.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import svdvals_jvp
    >>> u, s, vh = fastsvd.svd(np.diag([2., 1.]))
    >>> svdvals_jvp(u, s, vh, np.eye(2))
    array([1., 1.])
    """
    f = _Factors(u, s, vh, da)
    return _run(_gufuncs.svdvals_jvp, (f.u, f.s, f.vh, f.cast(da, transpose=f.wide)),
                (2, 1, 2, 2), workers)


def nearest_rotation_vjp(u, s, vh, gr, *, eps=None, workers=1):
    """The cotangent of A from that of its nearest rotation R = U·Vh.

    Finite unless σₙ₋₁ + σₙ (signed) is under eps·σ₁, where R itself jumps;
    there the pair is dropped and flagged in ``degenerate``.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's ``svd(a, signed=True)``.
    gr : array_like
        The cotangent of R.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import nearest_rotation_vjp
    >>> u, s, vh = fastsvd.svd(2 * np.eye(2), signed=True)
    >>> ga, _ = nearest_rotation_vjp(u, s, vh, np.array([[0., 1], [0, 0]]))
    >>> ga     # R turns by dθ = (dA₁₀ − dA₀₁)/(σ₀ + σ₁)
    array([[ 0.  ,  0.25],
           [-0.25,  0.  ]])
    """
    f = _Factors(u, s, vh, gr)
    return _run(_gufuncs.rotation_vjp, (f.u, f.s, f.vh, f.cast(gr),
                                        _eps(eps, f.dtype, f.m, f.n)),
                (2, 1, 2, 2, 0), workers)


def nearest_rotation_jvp(u, s, vh, da, *, eps=None, workers=1):
    """The tangent of the nearest rotation R = U·Vh from dA.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's ``svd(a, signed=True)``.
    da : array_like
        The tangent of A.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dr : ndarray
        The tangent of R.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import nearest_rotation_jvp
    >>> u, s, vh = fastsvd.svd(np.eye(2), signed=True)
    >>> dr, _ = nearest_rotation_jvp(u, s, vh, np.array([[0., -1], [1, 0]]))
    >>> dr
    array([[ 0., -1.],
           [ 1.,  0.]])
    """
    f = _Factors(u, s, vh, da)
    return _run(_gufuncs.rotation_jvp, (f.u, f.s, f.vh, f.cast(da),
                                        _eps(eps, f.dtype, f.m, f.n)),
                (2, 1, 2, 2, 0), workers)


def _check_polar_side(side, m, n):
    """Whether polar(side)'s derivatives of M×N matrices are those of Aᵀ's
    right factors: the kernels take the P of the smaller side (right for
    M ≥ N, left for M ≤ N), and refuse the other."""
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    if m != n and (side == "right") == (m < n):
        raise NotImplementedError(
            f"the derivative of polar(side={side!r}) of {m}x{n} matrices: fastsvd "
            "differentiates the P of the smaller side (right for M >= N, left for M <= N)")
    return side == "left"


def polar_vjp(u, s, vh, gr, gp=None, *, side="right", eps=None, workers=1):
    """The cotangent of A from those of its polar factors R and P.

    With ``side="right"`` (A = R·P, P = V·S·Vᵀ) M ≥ N, with "left" (A = P·R,
    P = U·S·Uᵀ) M ≤ N.  R's part is over σᵢ + σⱼ only: finite unless two σ
    are zero (then dropped and flagged).

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's ``svd(a, full_matrices=False)``.
    gr, gp : array_like
        The cotangents of R and P (gp None: zero).
    side : {'right', 'left'}, optional
        polar's side.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import polar_vjp
    >>> a = np.array([[2., 1], [0, 1]])
    >>> u, s, vh = fastsvd.svd(a)
    >>> ga, _ = polar_vjp(u, s, vh, np.zeros((2, 2)), np.eye(2))   # d trace(P) = d Σσ
    >>> np.allclose(ga, u @ vh)
    True
    """
    f = _Factors(u, s, vh, gr, gp)
    transposed = _check_polar_side(side, f.m, f.n)
    if transposed != f.wide:    # square, side="left": P·R = A ⇔ Rᵀ·P = Aᵀ
        f = _Factors(np.asarray(vh).mT, s, np.asarray(u).mT, gr, gp)
    gp = f.zeros(f.vh.shape) if gp is None else f.cast(gp)
    ga, degenerate = _run(_gufuncs.polar_vjp,
                          (f.u, f.s, f.vh, f.cast(gr, transpose=transposed), gp,
                           _eps(eps, f.dtype, f.m, f.n)), (2, 1, 2, 2, 2, 0), workers)
    return (ga.mT if transposed else ga), degenerate


def polar_jvp(u, s, vh, da, *, side="right", eps=None, workers=1):
    """The tangents of the polar factors R and P from dA (see :func:`polar_vjp`).

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's ``svd(a, full_matrices=False)``.
    da : array_like
        The tangent of A.
    side : {'right', 'left'}, optional
        polar's side.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dr, dp : ndarray
        The tangents of R and P.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import polar_jvp
    >>> u, s, vh = fastsvd.svd(np.eye(2))
    >>> dr, dp, _ = polar_jvp(u, s, vh, np.array([[0., 1], [0, 0]]))
    >>> dr, dp
    (array([[ 0. ,  0.5],
           [-0.5,  0. ]]), array([[0. , 0.5],
           [0.5, 0. ]]))
    """
    f = _Factors(u, s, vh, da)
    transposed = _check_polar_side(side, f.m, f.n)
    if transposed != f.wide:
        f = _Factors(np.asarray(vh).mT, s, np.asarray(u).mT, da)
    dr, dp, degenerate = _run(_gufuncs.polar_jvp,
                              (f.u, f.s, f.vh, f.cast(da, transpose=transposed),
                               _eps(eps, f.dtype, f.m, f.n)), (2, 1, 2, 2, 0), workers)
    return (dr.mT if transposed else dr), dp, degenerate


def _rcond(rcond):
    return 1e-15 if rcond is None else rcond     # fastsvd.pinv's (numpy's) default


def pinv_vjp(u, s, vh, gx, rcond=None, *, workers=1):
    """The cotangent of A from that of its pseudo-inverse X = V·S⁺·Uᵀ, at the
    rank its cutoff rcond·σ₁ gives.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    gx : array_like
        The cotangent of X.
    rcond : float or array_like, optional
        As given to :func:`fastsvd.pinv` (None: its default, 1e-15).
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import pinv_vjp
    >>> a = np.array([[2., 0], [0, 4]])
    >>> u, s, vh = fastsvd.svd(a)
    >>> pinv_vjp(u, s, vh, np.eye(2))      # d trace(A⁻¹) = −trace(A⁻²·dA)
    array([[-0.25  ,  0.    ],
           [ 0.    , -0.0625]])
    """
    f = _Factors(u, s, vh, gx)
    ga = _run(_gufuncs.pinv_vjp, (f.u, f.s, f.vh, np.asarray(_rcond(rcond), f.dtype),
                                  f.cast(gx, transpose=f.wide)), (2, 1, 2, 0, 2), workers)
    return f.flip(ga)


def pinv_jvp(u, s, vh, da, rcond=None, *, workers=1):
    """The tangent of the pseudo-inverse X = V·S⁺·Uᵀ from dA, at a fixed rank.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    da : array_like
        The tangent of A.
    rcond : float or array_like, optional
        As given to :func:`fastsvd.pinv` (None: its default, 1e-15).
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dx : ndarray
        The tangent of X.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import pinv_jvp
    >>> u, s, vh = fastsvd.svd(np.diag([2., 4.]))
    >>> pinv_jvp(u, s, vh, np.eye(2))
    array([[-0.25  ,  0.    ],
           [ 0.    , -0.0625]])
    """
    f = _Factors(u, s, vh, da)
    dx = _run(_gufuncs.pinv_jvp, (f.u, f.s, f.vh, np.asarray(_rcond(rcond), f.dtype),
                                  f.cast(da, transpose=f.wide)), (2, 1, 2, 0, 2), workers)
    return f.flip(dx)


def low_rank_vjp(u, s, vh, k, gl, *, eps=None, workers=1):
    """The cotangent of A from that of its best rank-k approximation L.

    Finite unless σₖ and σₖ₊₁ are within eps·σ₁, where L itself is not
    differentiable (then the pair is dropped and flagged).

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    k : int or array_like
        The rank kept, as given to :func:`fastsvd.low_rank`.
    gl : array_like
        The cotangent of L.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import low_rank_vjp
    >>> u, s, vh = fastsvd.svd(np.diag([3., 1.]))
    >>> ga, _ = low_rank_vjp(u, s, vh, 1, np.ones((2, 2)))
    >>> ga     # L = the σ₁ corner, which turns with the off-diagonal entries
    array([[1. , 1.5],
           [1.5, 0. ]])
    """
    return _low_rank_derivative(u, s, vh, k, gl, eps, workers)


def _low_rank_derivative(u, s, vh, k, y, eps, workers):
    """low_rank's derivative applied to y: the same map in both modes, as it
    is self-adjoint (the kernel's docstring says why)."""
    f = _Factors(u, s, vh, y)
    out, degenerate = _run(_gufuncs.low_rank_vjp,
                           (f.u, f.s, f.vh, np.asarray(k, np.intp),
                            f.cast(y, transpose=f.wide), _eps(eps, f.dtype, f.m, f.n)),
                           (2, 1, 2, 0, 2, 0), workers)
    return f.flip(out), degenerate


def low_rank_jvp(u, s, vh, k, da, *, eps=None, workers=1):
    """The tangent of the best rank-k approximation L from dA.

    Parameters
    ----------
    u, s, vh : array_like
        The forward call's SVD (thin or full).
    k : int or array_like
        The rank kept, as given to :func:`fastsvd.low_rank`.
    da : array_like
        The tangent of A.
    eps : float, optional
        The relative gap under which two σ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dl : ndarray
        The tangent of L.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import low_rank_jvp
    >>> u, s, vh = fastsvd.svd(np.diag([3., 1.]))
    >>> dl, _ = low_rank_jvp(u, s, vh, 1, np.ones((2, 2)))
    >>> dl
    array([[1. , 1.5],
           [1.5, 0. ]])
    """
    return _low_rank_derivative(u, s, vh, k, da, eps, workers)


def _eigen_operands(w, q, *others):
    w, q = np.asarray(w), np.asarray(q)
    dtype = _real_dtype(w, q, *(x for x in others if x is not None))
    return w.astype(dtype, copy=False), q.astype(dtype, copy=False), dtype


def eigh_vjp(w, q, gw=None, gq=None, *, eps=None, workers=1):
    """The symmetric cotangent of A from those of ``eigh(a)``'s eigenvalues and
    eigenvectors.

    Parameters
    ----------
    w, q : array_like
        The forward call's eigenvalues and eigenvectors.
    gw, gq : array_like or None
        Their cotangents (None: zero).
    eps : float, optional
        The relative gap under which two λ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A, symmetric.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import eigh_vjp
    >>> w, q = fastsvd.eigh(np.diag([1., 2.]))
    >>> ga, _ = eigh_vjp(w, q, np.array([0., 1.]))    # dλ₂/dA = q₂·q₂ᵀ
    >>> ga
    array([[0., 0.],
           [0., 1.]])
    """
    w, q, dtype = _eigen_operands(w, q, gw, gq)
    gw = np.zeros(w.shape, dtype) if gw is None else np.asarray(gw, dtype)
    n = w.shape[-1]
    if gq is None:
        ga = _run(_gufuncs.eigvalsh_vjp, (q, w, gw), (2, 1, 1), workers)
        return ga, np.zeros(ga.shape[:-2], bool)
    return _run(_gufuncs.eigh_vjp, (q, w, gw, np.asarray(gq, dtype), _eps(eps, dtype, n, n)),
                (2, 1, 1, 2, 0), workers)


def eigh_jvp(w, q, da, *, eps=None, workers=1):
    """The tangents of ``eigh``'s eigenvalues and eigenvectors from dA (its
    symmetric part counts).

    Parameters
    ----------
    w, q : array_like
        The forward call's eigenvalues and eigenvectors.
    da : array_like
        The tangent of A.
    eps : float, optional
        The relative gap under which two λ count as equal (see the module);
        default 10·max(M, N)·ε of the dtype.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dw, dq : ndarray
        The tangents of w and Q.
    degenerate : ndarray of bool
        Per matrix, whether a term over a gap under eps was dropped where it
        carried a cotangent.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import eigh_jvp
    >>> w, q = fastsvd.eigh(np.diag([1., 2.]))
    >>> dw, dq, _ = eigh_jvp(w, q, np.diag([0.5, 0.]))
    >>> dw
    array([0.5, 0. ])
    """
    w, q, dtype = _eigen_operands(w, q, da)
    n = w.shape[-1]
    return _run(_gufuncs.eigh_jvp, (q, w, np.asarray(da, dtype), _eps(eps, dtype, n, n)),
                (2, 1, 2, 0), workers)


def eigvalsh_vjp(w, q, gw, *, workers=1):
    """The symmetric cotangent of A from that of its eigenvalues: Q·diag(gw)·Qᵀ.

    Parameters
    ----------
    w, q : array_like
        ``eigh(a)``.
    gw : array_like
        The cotangent of w.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    ga : ndarray
        The cotangent of A, symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import eigvalsh_vjp
    >>> w, q = fastsvd.eigh(np.array([[2., 1], [1, 2]]))
    >>> np.allclose(eigvalsh_vjp(w, q, np.ones(2)), np.eye(2))     # d trace
    True
    """
    return eigh_vjp(w, q, gw, workers=workers)[0]


def eigvalsh_jvp(w, q, da, *, workers=1):
    """The tangent of the eigenvalues from dA: dλᵢ = qᵢᵀ·dA·qᵢ.

    Parameters
    ----------
    w, q : array_like
        ``eigh(a)``.
    da : array_like
        The tangent of A.
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    dw : ndarray
        The tangent of w.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import eigvalsh_jvp
    >>> w, q = fastsvd.eigh(np.diag([1., 2.]))
    >>> eigvalsh_jvp(w, q, np.eye(2))
    array([1., 1.])
    """
    w, q, dtype = _eigen_operands(w, q, da)
    return _run(_gufuncs.eigvalsh_jvp, (q, w, np.asarray(da, dtype)), (2, 1, 2), workers)


def kabsch_rotation_vjp(p, q, gr, weights=None, *, reflection=False, eps=None, workers=1):
    """The cotangents of the point sets (and weights) from that of the rotation
    :func:`fastsvd.kabsch` fits.

    R is the nearest rotation (with `reflection`, the orthogonal polar factor)
    of C = Σᵢ wᵢ (pᵢ − p̄)(qᵢ − q̄)ᵀ; the cotangent of C comes from the
    rotation kernels, and C̄ spreads back over the points as p̄ᵢ = wᵢ·C̄·(qᵢ − q̄),
    q̄ᵢ = wᵢ·C̄ᵀ·(pᵢ − p̄) (the centroids' own terms cancel).  Sets whose C has
    two σ summing to under eps·σ₁ (collinear or coincident points), where R
    is not differentiable, get the dropped pair flagged.

    Parameters
    ----------
    p, q : array_like
        The point sets given to kabsch, (..., K, d).
    gr : array_like
        The cotangent of the rotation, (..., d, d).
    weights : array_like, optional
        The weights given to kabsch, (..., K); default all 1.
    reflection : bool, optional
        As given to kabsch.
    eps : float, optional
        The relative threshold of the rotation's derivative (see the module).
    workers : int, optional
        Threads to share the stack among (-1: all CPUs).

    Returns
    -------
    gp, gq : ndarray
        The cotangents of p and q.
    gw : ndarray
        The cotangent of the weights.
    degenerate : ndarray of bool
        Per set, whether a term was dropped (see above).

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> from fastsvd.gradients import kabsch_rotation_vjp
    >>> q = np.random.default_rng(0).standard_normal((10, 3))
    >>> gp, gq, gw, _ = kabsch_rotation_vjp(q, q, np.eye(3))   # R = I: d trace R
    >>> bool(np.abs(gp).max() < 1e-12)                          # trace R is at its peak
    True
    """
    p, q = np.asarray(p), np.asarray(q)
    dtype = _real_dtype(p, q, gr)
    w = np.ones(q.shape[:-1], dtype) if weights is None else np.asarray(weights, dtype)
    centred = []
    for x in (p, q):
        x = x.astype(dtype, copy=False)
        centroid = np.einsum("...k,...ki->...i", w, x) / w.sum(axis=-1)[..., None]
        centred.append(x - centroid[..., None, :])
    dp, dq = centred
    c = np.einsum("...k,...ki,...kj->...ij", w, dp, dq)
    if reflection:
        gc, degenerate = polar_vjp(*svd(c, full_matrices=False, nonfinite="nan"), gr,
                                   eps=eps, workers=workers)
    else:
        gc, degenerate = nearest_rotation_vjp(*svd(c, signed=True, nonfinite="nan"), gr,
                                              eps=eps, workers=workers)
    gp = w[..., None] * (dq @ np.swapaxes(gc, -1, -2))
    gq = w[..., None] * (dp @ gc)
    gw = np.einsum("...ki,...ij,...kj->...k", dp, gc, dq)
    return gp, gq, gw, degenerate
