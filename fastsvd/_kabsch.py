"""fastsvd.kabsch: the best rigid (or similarity) transform between sets of
points, batched, over the point-set gufuncs (fastsvd/_kernel_kabsch.pxd)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._isa import compiled as _gufuncs
from ._linalg import _FLOAT32, _FLOAT64, _run_fused

__all__ = ["kabsch", "KabschResult"]

# (scale, reflection) -> the gufunc
_GUFUNCS = {(False, False): _gufuncs.kabsch, (False, True): _gufuncs.kabsch_reflection,
            (True, False): _gufuncs.umeyama, (True, True): _gufuncs.umeyama_reflection}


class KabschResult(NamedTuple):
    """The transform p ≈ scale · rotation @ q + translation of each pair of sets."""

    rotation: np.ndarray
    translation: np.ndarray
    scale: np.ndarray
    rmsd: np.ndarray


def _points(x, name):
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[-1] not in (2, 3) or x.shape[-2] < 1:
        raise ValueError(f"{name} must be an array of sets of points, (..., K, d) with "
                         f"K >= 1 and d = 2 or 3; got shape {x.shape}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got {x.dtype}")
    return x


def kabsch(p, q, weights=None, *, scale=False, reflection=False, nonfinite="raise",
           workers=1):
    """The rotation (and translation, and with `scale` the scale) that best maps
    each set of points `q` onto the set `p`: Kabsch, or Umeyama with `scale`.

    For every pair of sets it minimises the weighted squared distances
    Σᵢ wᵢ ‖pᵢ − (s·R·qᵢ + t)‖².  Point i of `q` is paired with point i of
    `p`.  The cross-covariance C = Σᵢ wᵢ (pᵢ − p̄)(qᵢ − q̄)ᵀ of each pair is
    formed in the kernel, straight from the points (nothing of shape
    (..., K, d) is allocated), and R is its nearest rotation, U·Vh of its
    signed SVD: a reflection is excluded per set, not for the whole batch.

    Parameters
    ----------
    p, q : (..., K, d) array_like
        The target and the source sets of K ≥ 1 points in d = 2 or 3
        dimensions, one point per row; their stacks broadcast.  float32 stays
        float32 (when both are); other real input becomes float64.
    weights : (..., K) array_like, optional
        Non-negative, finite weights of the point pairs, not all zero in any
        set; broadcast with the stacks.  Default: all 1.
    scale : bool, optional
        Also fit a scale s > 0 (the similarity transform of Umeyama 1991).
        Default False: s = 1, a rigid transform.
    reflection : bool, optional
        Let R be any orthogonal matrix (det R = −1 where a reflection fits
        better) instead of a rotation.  Default False.
    nonfinite : {"raise", "nan"}, optional
        What a pair of sets holding NaN or Inf gets: "raise" (default) raises
        ``LinAlgError``; "nan" gives that pair NaN results and leaves every
        other pair untouched.
    workers : int, optional
        Threads that share the stack (default 1; -1: one per CPU this process
        may run on).  The results are identical whatever the number.

    Returns
    -------
    KabschResult
        Named tuple of ``rotation`` (..., d, d), ``translation`` (..., d),
        ``scale`` (...) and ``rmsd`` (...), the weighted root-mean-square
        distance √(Σᵢ wᵢ ‖pᵢ − (s·R·qᵢ + t)‖² / Σᵢ wᵢ) after the fit.  Apply
        the transform to points as rows with ``s * q @ R.T + t`` (``R @ x``
        for a column vector x).

    Raises
    ------
    ValueError
        If p and q are not sets of K ≥ 1 points in 2 or 3 dimensions of the
        same K and d, if a weight is negative or not finite or a set's weights
        are all zero, if `nonfinite` is not "raise" or "nan", or if `workers`
        is below 1 and not -1.
    TypeError
        If the points or weights are not real numbers.
    LinAlgError
        With ``nonfinite="raise"``, if a set holds NaN or Inf.

    See Also
    --------
    nearest_rotation : The rotation nearest a matrix, which R is for C.
    scipy.spatial.transform.Rotation.align_vectors : One pair of sets per call.

    Notes
    -----
    Conventions, which implementations often mix up: R maps q onto p (not p
    onto q); it multiplies column vectors, so rows of points are transformed
    by ``q @ R.T``; and C = Σ wᵢ (pᵢ − p̄)(qᵢ − q̄)ᵀ, whose SVD U·S·Vh gives
    R = U·diag(1, …, 1, det(U·Vh))·Vh, decided for each set on its own.

    Degenerate sets get a deterministic result, never NaN: when all points
    of q (or of p) coincide C = 0, and R is the identity; when they lie on a
    line (or, in 3-D, a plane, for which R is still unique) R is the rotation
    the SVD kernel's choice of singular vectors gives, the same on every run
    of a build, among the equally good ones.  A set q whose points all
    coincide has no spread to scale: its scale is 1.

    Every set is scaled by a power of two before its sums, so coordinates
    near 1e±300 neither overflow nor underflow.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsvd
    >>> rng = np.random.default_rng(0)
    >>> q = rng.standard_normal((10, 3))
    >>> turn = fastsvd.nearest_rotation(rng.standard_normal((3, 3)))
    >>> p = 2.0 * q @ turn.T + [1.0, 2.0, 3.0]
    >>> fit = fastsvd.kabsch(p, q, scale=True)
    >>> np.allclose(fit.rotation, turn), np.allclose(fit.translation, [1, 2, 3])
    (True, True)
    >>> float(np.round(fit.scale, 12)), bool(fit.rmsd < 1e-12)
    (2.0, True)

    Without ``scale`` the best rigid fit of the same sets leaves a residual:

    >>> rigid = fastsvd.kabsch(p, q)
    >>> np.allclose(rigid.rotation, turn), bool(rigid.rmsd > 1)
    (True, True)

    A batch of 1,000 pairs of sets of 50 points, each fitted on its own:

    >>> qs = rng.standard_normal((1000, 50, 3))
    >>> fits = fastsvd.kabsch(qs @ turn.T, qs)
    >>> fits.rotation.shape, bool(np.allclose(fits.rotation, turn))
    ((1000, 3, 3), True)
    """
    p, q = _points(p, "p"), _points(q, "q")
    if p.shape[-2:] != q.shape[-2:]:
        raise ValueError(f"p and q must have the same number of points and dimensions, "
                         f"got {p.shape} and {q.shape}")
    k = p.shape[-2]
    dtype = _FLOAT32 if p.dtype == q.dtype == _FLOAT32 else _FLOAT64
    if weights is None:
        w = np.ones(k, dtype)
    else:
        w = np.asarray(weights)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"weights must be real numbers, got {w.dtype}")
        w = w.astype(dtype, copy=False)
        if w.ndim < 1 or w.shape[-1] != k:
            raise ValueError(f"weights must be (..., K) with K = {k}, got shape {w.shape}")
        if not (np.isfinite(w).all() and (w >= 0).all()):
            raise ValueError("weights must be finite and non-negative")
        if not (w.sum(axis=-1) > 0).all():
            raise ValueError("the weights of a set must not all be zero")
    rotation, translation, fitted_scale, rmsd = _run_fused(
        _GUFUNCS[bool(scale), bool(reflection)], p.astype(dtype, copy=False), nonfinite,
        workers, q.astype(dtype, copy=False), w, param_cores=(2, 1))
    return KabschResult(rotation, translation, fitted_scale, rmsd)
