"""fastsvd's functions for JAX, differentiable: ``jax.custom_vjp`` functions
over host callbacks (``jax.pure_callback``) into fastsvd's kernels, on the
CPU, under ``jit``, ``vmap`` and ``grad``.  Their reverse mode is fastsvd's
derivative kernels (:mod:`fastsvd.gradients`), on the factors the forward
pass computed; forward mode (``jvp``) is not offered, as for any
``custom_vjp`` function.

Install with ``pip install "fastsvd[jax]"``.  float32, and float64 with
``jax.config.update("jax_enable_x64", True)``; matrices up to 32×32.

Their derivatives stay finite where the functions are differentiable and
JAX's own give NaN: ``nearest_rotation`` and ``polar`` of rotations, the
identity, any matrix with repeated σ (see :mod:`fastsvd.gradients` for
``svd``'s U and Vh there).

Examples
--------
>>> import jax
>>> import jax.numpy as jnp
>>> import fastsvd.jax as fj
>>> g = jax.grad(lambda a: fj.nearest_rotation(a)[0, 1])(jnp.eye(3))   # all σ equal
>>> bool(jnp.isfinite(g).all()), float(g[0, 1]), float(g[1, 0])
(True, 0.5, -0.5)
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import _adapters
from ._adapters import VJPS, check_shape, forward, output_shapes

__all__ = ["svd", "svdvals", "nearest_rotation", "polar", "pinv", "low_rank", "eigh",
           "eigvalsh", "kabsch_rotation"]


def _host(kind, parameter, a):
    """forward on the host: outputs then factors, as one flat tuple."""
    outputs, factors = forward(kind, np.asarray(a), parameter)
    return tuple(np.ascontiguousarray(x, dtype=a.dtype) for x in (*outputs, *factors))


def _host_vjp(kind, parameter, count, a, *arrays):
    factors, cotangents = arrays[:count], arrays[count:]
    return np.ascontiguousarray(VJPS[kind](factors, cotangents, parameter), dtype=a.dtype)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _differentiable(kind, parameter, eps, a):
    return _forward(kind, parameter, a)[0]


def _forward(kind, parameter, a):
    if a.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"fastsvd.jax takes float32 or float64 arrays, got {a.dtype}")
    outputs, factors = output_shapes(kind, a.shape)
    specs = tuple(jax.ShapeDtypeStruct(s, a.dtype) for s in (*outputs, *factors))
    flat = jax.pure_callback(functools.partial(_host, kind, parameter), specs, a,
                             vmap_method="broadcast_all")
    return tuple(flat[:len(outputs)]), tuple(flat[len(outputs):])


def _fwd(kind, parameter, eps, a):
    outputs, factors = _forward(kind, parameter, a)
    return outputs, (a, factors)


def _bwd(kind, parameter, eps, residuals, cotangents):
    a, factors = residuals
    # The VJP's parameter: low_rank's k, pinv's rcond, or the others' eps.
    vjp_parameter = parameter if kind in ("pinv", "low_rank") else eps
    ga = jax.pure_callback(
        functools.partial(_host_vjp, kind, vjp_parameter, len(factors)),
        jax.ShapeDtypeStruct(a.shape, a.dtype), a, *factors, *cotangents,
        vmap_method="broadcast_all")
    return (ga,)


_differentiable.defvjp(_fwd, _bwd)


def _call(kind, a, parameter=None, eps=None, *, square=False, side=None):
    a = jnp.asarray(a)
    check_shape(a.shape, kind, square, side)
    return _differentiable(kind, parameter, eps, a)


def svd(a, *, eps=None):
    """The thin SVD (U, S, Vh) of each matrix, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., M, N), float32 or float64, M, N ≤ 32.
    eps : float, optional
        The backward's relative gap under which two σ count as equal
        (:mod:`fastsvd.gradients`).

    Returns
    -------
    U, S, Vh : jax.Array
        As ``jnp.linalg.svd(a, full_matrices=False)``, up to the signs of the
        singular vectors.

    Examples
    --------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> a = jnp.array([[3., 1], [1, 2]])
    >>> g = jax.grad(lambda x: fj.svd(x)[1].sum())(a)     # nuclear norm: U·Vh
    >>> u, s, vh = fj.svd(a)
    >>> bool(jnp.allclose(g, u @ vh, atol=1e-6))
    True
    """
    return _call("svd", a, eps=eps)


def svdvals(a):
    """The singular values of each matrix, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., M, N), float32 or float64, M, N ≤ 32.

    Returns
    -------
    jax.Array
        (..., min(M, N)), descending.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> fj.svdvals(jnp.diag(jnp.array([1., 3.]))).tolist()
    [3.0, 1.0]
    """
    return _call("svdvals", a)[0]


def nearest_rotation(a, *, eps=None):
    """The rotation nearest each square matrix, differentiable: finite at
    repeated σ.

    Parameters
    ----------
    a : jax.Array
        (..., N, N), float32 or float64, N ≤ 32.
    eps : float, optional
        Where σₙ₋₁ + σₙ (signed) is under eps·σ₁ the rotation jumps; the
        backward drops that pair there.

    Returns
    -------
    jax.Array
        R, det R = +1.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> fj.nearest_rotation(jnp.diag(jnp.array([2., 3.]))).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return _call("nearest_rotation", a, eps=eps, square=True)[0]


def polar(a, side="right", *, eps=None):
    """The polar factors (R, P) of each matrix, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., M, N), float32 or float64, M, N ≤ 32; M ≥ N for side="right"
        (a = R·P), M ≤ N for "left" (a = P·R).
    side : {'right', 'left'}, optional
        As :func:`fastsvd.polar`.
    eps : float, optional
        The backward drops pairs with σᵢ + σⱼ under eps·σ₁ (two zero σ).

    Returns
    -------
    R, P : jax.Array
        As :func:`fastsvd.polar`.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> r, p = fj.polar(jnp.diag(jnp.array([-2., 3.])))
    >>> r.tolist()
    [[-1.0, 0.0], [0.0, 1.0]]
    """
    return _call(f"polar-{side}" if side in ("right", "left") else "polar", a, eps=eps,
                 side=side)


def pinv(a, rcond=1e-15):
    """The pseudo-inverse of each matrix, differentiable at a fixed rank.

    Parameters
    ----------
    a : jax.Array
        (..., M, N), float32 or float64, M, N ≤ 32.
    rcond : float, optional
        σ at or below rcond·σ₁ count as zero (numpy's default).

    Returns
    -------
    jax.Array
        (..., N, M).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> fj.pinv(jnp.diag(jnp.array([2., 4.]))).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return _call("pinv", a, float(rcond))[0]


def low_rank(a, k):
    """The best rank-k approximation of each matrix, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., M, N), float32 or float64, M, N ≤ 32.
    k : int
        The rank kept, k ≥ 0.

    Returns
    -------
    jax.Array
        a's shape.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> fj.low_rank(jnp.diag(jnp.array([3., 1.])), 1).tolist()
    [[3.0, 0.0], [0.0, 0.0]]
    """
    return _call("low_rank", a, int(k))[0]


def eigh(a, *, eps=None):
    """Eigenvalues (ascending) and eigenvectors of (a + aᵀ)/2, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., N, N), float32 or float64, N ≤ 32.
    eps : float, optional
        The backward's relative gap under which two λ count as equal.

    Returns
    -------
    w, Q : jax.Array
        As ``jnp.linalg.eigh``, up to the eigenvectors' signs.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> w, q = fj.eigh(jnp.array([[2., 1], [1, 2]]))
    >>> w.tolist()
    [1.0, 3.0]
    """
    return _call("eigh", a, eps=eps, square=True)


def eigvalsh(a):
    """Eigenvalues (ascending) of (a + aᵀ)/2, differentiable.

    Parameters
    ----------
    a : jax.Array
        (..., N, N), float32 or float64, N ≤ 32.

    Returns
    -------
    jax.Array
        (..., N).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> fj.eigvalsh(jnp.array([[2., 1], [1, 2]])).tolist()
    [1.0, 3.0]
    """
    return _call("eigvalsh", a, square=True)[0]


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _kabsch_rotation(p, q, weights, reflection):
    d = p.shape[-1]
    return jax.pure_callback(
        lambda *x: np.ascontiguousarray(_adapters.kabsch_rotation(*x, reflection), p.dtype),
        jax.ShapeDtypeStruct((*p.shape[:-2], d, d), p.dtype), p, q, weights,
        vmap_method="broadcast_all")


def _kabsch_fwd(p, q, weights, reflection):
    return _kabsch_rotation(p, q, weights, reflection), (p, q, weights)


def _kabsch_bwd(reflection, residuals, gr):
    p, q, weights = residuals
    specs = tuple(jax.ShapeDtypeStruct(x.shape, x.dtype) for x in residuals)
    return jax.pure_callback(
        lambda *x: tuple(np.ascontiguousarray(g, p.dtype) for g in
                         _adapters.kabsch_rotation_vjp(*x, reflection)),
        specs, p, q, weights, gr, vmap_method="broadcast_all")


_kabsch_rotation.defvjp(_kabsch_fwd, _kabsch_bwd)


def kabsch_rotation(p, q, weights=None, *, reflection=False):
    """The rotation :func:`fastsvd.kabsch` fits to each pair of point sets,
    differentiable in the points and the weights.

    Parameters
    ----------
    p, q : jax.Array
        (..., K, d) of one shape, d = 2 or 3, float32 or float64.
    weights : jax.Array, optional
        (..., K), non-negative; default all 1.
    reflection : bool, optional
        As :func:`fastsvd.kabsch`.

    Returns
    -------
    jax.Array
        R (..., d, d), with p ≈ R·q + t.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fastsvd.jax as fj
    >>> q = jnp.array([[1., 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]])
    >>> turn = jnp.array([[0., -1, 0], [1, 0, 0], [0, 0, 1]])
    >>> bool(jnp.allclose(fj.kabsch_rotation(q @ turn.T, q), turn, atol=1e-6))
    True
    """
    p, q = jnp.asarray(p), jnp.asarray(q)
    _adapters.check_point_sets(p.shape, q.shape, "kabsch_rotation")
    if p.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"fastsvd.jax takes float32 or float64 arrays, got {p.dtype}")
    weights = jnp.ones(p.shape[:-1], p.dtype) if weights is None else jnp.asarray(
        weights, p.dtype)
    return _kabsch_rotation(p, q.astype(p.dtype), weights, bool(reflection))
