"""fastsvd's functions for PyTorch, differentiable: ``torch.library`` custom
operators on CPU tensors (float32, float64; matrices up to 32×32), with fake
(meta) implementations for ``torch.compile(fullgraph=True)``, inside
``torch.autograd.Function``s whose backward and forward-mode rule are
custom operators over :mod:`fastsvd.gradients`' kernels, so that autograd,
forward mode (``torch.func.jvp``, ``torch.autograd.forward_ad``) and
``torch.func.grad`` work too (a custom operator's own ``register_autograd``
formula ``torch.func`` does not take).  Compiled code gets reverse mode
only: ``torch.compile`` traces no ``autograd.Function`` with a ``jvp``.

Install with ``pip install "fastsvd[torch]"`` (PyTorch's CPU build:
``pip install torch==2.13.0`` first, or pip fetches a CUDA one).  Tensors
reach the kernels as numpy views, without copies; the results come back the
same way.  Each function's backward reuses the factors its forward computed.
With ``create_graph=True`` (double backward, ``gradgradcheck``,
``torch.func.hessian``; ``torch.func.grad`` asks for it too) the backward is
the same formulas in torch operations on factors that carry autograd, so
second derivatives come out too, at some cost in speed.

Their derivatives stay finite where the functions are differentiable and
PyTorch's own give NaN: ``nearest_rotation`` and ``polar`` of rotations, the
identity, any matrix with repeated σ.  ``svd``'s U and Vh drop the pairs of
σ closer than ``eps·max σ``, as :mod:`fastsvd.gradients` says: exact for
losses that see U and V through U·Vᵀ or projectors, not through U·S·Vᵀ
(differentiate the function you need, or A, instead).

Examples
--------
>>> import torch
>>> import fastsvd.torch as ft
>>> a = torch.eye(3, dtype=torch.float64, requires_grad=True)   # all σ equal
>>> r = ft.nearest_rotation(a)
>>> (r * torch.tensor([[0., 1, 0], [0, 0, 0], [0, 0, 0]], dtype=torch.float64)).sum().backward()
>>> bool(torch.isfinite(a.grad).all())
True
>>> a.grad[0, 1].item(), a.grad[1, 0].item()
(0.5, -0.5)
"""
from __future__ import annotations

import numpy as np
import torch

from . import _adapters
from ._adapters import JVPS, VJPS, check_shape, forward, output_shapes

__all__ = ["svd", "svdvals", "nearest_rotation", "polar", "pinv", "low_rank", "eigh",
           "eigvalsh", "kabsch_rotation"]

_DTYPES = (torch.float32, torch.float64)


def _checked(a, name, square=False, side=None):
    """a, if fastsvd's kernels take it: a real CPU tensor of (…, M, N) matrices."""
    check_shape(_checked_tensor(a, name).shape, name, square, side)
    return a


def _checked_tensor(x, name, argument="a"):
    """x, a float32 or float64 CPU tensor, or a clear error."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"fastsvd.torch.{name} takes torch.Tensors, got "
                        f"{type(x).__name__} for {argument}")
    if x.device.type != "cpu":
        raise ValueError(f"fastsvd.torch.{name} runs on the CPU: got {argument} on "
                         f"{x.device}; move it with .cpu()")
    if x.dtype not in _DTYPES:
        raise TypeError(f"fastsvd.torch.{name} takes float32 or float64 tensors, got "
                        f"{x.dtype} for {argument}")
    return x


def _numpy(t):
    return t.detach().numpy()


def _tensors(*arrays):
    return tuple(torch.from_numpy(np.ascontiguousarray(x)) for x in arrays)


# --- The one backward operator: _adapters.VJPS on the saved factors.

@torch.library.custom_op("fastsvd::vjp", mutates_args=())
def _vjp(kind: str, a: torch.Tensor, factors: list[torch.Tensor],
         grads: list[torch.Tensor], parameter: float | None) -> torch.Tensor:
    """The cotangent of a (kind's function) from its outputs' (grads)."""
    ga = VJPS[kind]([_numpy(f) for f in factors], [_numpy(g) for g in grads], parameter)
    return torch.from_numpy(np.ascontiguousarray(ga, dtype=_numpy(a).dtype))


@_vjp.register_fake
def _(kind, a, factors, grads, parameter):
    return torch.empty_like(a)


@torch.library.custom_op("fastsvd::jvp", mutates_args=())
def _jvp(kind: str, a: torch.Tensor, factors: list[torch.Tensor], tangent: torch.Tensor,
         parameter: float | None) -> list[torch.Tensor]:
    """The tangents of kind's outputs from that of its input a."""
    dtype = _numpy(a).dtype
    return [torch.from_numpy(np.ascontiguousarray(t, dtype=dtype)) for t in JVPS[kind](
        [_numpy(f) for f in factors], _numpy(tangent), parameter)]


@_jvp.register_fake
def _(kind, a, factors, tangent, parameter):
    return [a.new_empty(shape) for shape in output_shapes(kind, a.shape)[0]]


class _Backward(torch.autograd.Function):
    """The backward operator inside autograd, when no graph of it is wanted."""

    @staticmethod
    def forward(kind, a, factors, grads, parameter):
        # (By the operator's name: torch.compile traces that, not the object.)
        return torch.ops.fastsvd.vjp(kind, a, factors, grads, parameter)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):   # (not reached: create_graph takes _traced_vjp)
        raise NotImplementedError("fastsvd.torch: differentiate with create_graph=True")


# --- Second derivatives: with create_graph, the backward is the same
# formulas in torch operations on factors that carry autograd (fastsvd's own
# differentiable svd and eigh), which autograd then differentiates.

def _mT(x):
    return x.transpose(-1, -2)


def _over(numerator, denominator, tol):
    """numerator / denominator, 0 where |denominator| ≤ tol (as the kernels)."""
    large = denominator.abs() > tol
    return torch.where(large, numerator / torch.where(large, denominator, 1), 0)


def _traced_vjp(kind, a, grads, parameter):
    """The cotangent of a, as _adapters.VJPS[kind] gives it, in torch operations."""
    if kind in ("eigh", "eigvalsh"):
        w, q = _eigh_function(a, None)
        n = w.shape[-1]
        x = torch.diag_embed(grads[0])
        if kind == "eigh":
            tol = _tolerance(parameter, a, n, n) * w.abs().amax(-1)[..., None, None]
            j = _mT(q) @ grads[1]
            x = x + _over((j - _mT(j)) / 2, w[..., None, :] - w[..., :, None], tol)
        ga = q @ x @ _mT(q)
        return (ga + _mT(ga)) / 2
    m, n = a.shape[-2:]
    transposed = kind == "polar-left" or (m < n and kind in ("svd", "svdvals", "pinv",
                                                              "low_rank"))
    if transposed:     # Aᵀ's factors: its SVD is (V, S, U)
        a = _mT(a)
        if kind == "svd":
            grads = [_mT(grads[2]), grads[1], _mT(grads[0])]
        elif kind != "svdvals":
            grads = [_mT(grads[0]), *grads[1:]]
    ga = _traced_tall_vjp("polar-right" if kind == "polar-left" else kind, a, grads,
                          parameter)
    return _mT(ga) if transposed else ga


def _tolerance(eps, a, m, n):
    return 10 * max(m, n) * torch.finfo(a.dtype).eps if eps is None else eps


def _traced_tall_vjp(kind, a, grads, parameter):
    u, s, vh = (_signed_svd_function if kind == "nearest_rotation" else _svd_function)(a, None)
    m, n = a.shape[-2:]
    v = _mT(vh)
    tol = (_tolerance(None if kind in ("pinv", "low_rank") else parameter, a, m, n)
           * s.abs().amax(-1)[..., None, None])
    s_i, s_j = s[..., :, None], s[..., None, :]
    off = ~torch.eye(n, dtype=torch.bool)
    complement = None       # Y, weights: (Y − U·Uᵀ·Y)·diag(weights)·Vh, for M > N
    if kind == "svdvals":
        x = torch.diag_embed(grads[0])
    elif kind == "svd":
        gu, gs, gvh = grads
        j, k = _mT(u) @ gu, vh @ _mT(gvh)
        jj, kk = j - _mT(j), k - _mT(k)
        x = torch.where(off, _over((jj - kk) / 2, s_i + s_j, tol)
                        + _over((jj + kk) / 2, s_j - s_i, tol), torch.diag_embed(gs))
        complement = gu, _over(torch.ones_like(s), s[..., None, :], tol)[..., 0, :]
    elif kind in ("nearest_rotation", "polar-right"):
        gr = grads[0]
        mm = _mT(u) @ gr @ v
        x = _over(mm - _mT(mm), s_i + s_j, tol)
        if kind == "polar-right":
            nn = vh @ grads[1] @ v
            share = torch.where((s_i + s_j).abs() > tol,
                                s_i / torch.where((s_i + s_j).abs() > tol, s_i + s_j, 1), 0.5)
            x = x + torch.where(off, share * (nn + _mT(nn)), nn)
        complement = gr @ v, _over(torch.ones_like(s), s[..., None, :], tol)[..., 0, :]
    elif kind == "pinv":
        gx = grads[0]
        kept = s > parameter * s[..., :1]
        inverse = torch.where(kept, 1 / torch.where(kept, s, 1), 0)
        nt = vh @ gx @ u
        p_i, p_j = inverse[..., :, None], inverse[..., None, :]
        kept_i, kept_j = kept[..., :, None], kept[..., None, :]
        coupling = torch.where(~kept_i & kept_j, p_j * p_j,
                               torch.where(kept_i & ~kept_j, p_i * p_i, 0))
        x = -p_i * nt * p_j + coupling * _mT(nt)
        complement = _mT(gx) @ v, inverse * inverse
    else:   # low_rank
        rank = int(parameter)
        gl = grads[0]
        nn = _mT(u) @ gl @ v
        keep = torch.arange(n) < rank
        keep_i, keep_j = keep[:, None], keep[None, :]
        r = _over(s_j, s_i, 0)          # σ_cut/σ_kept for the kept i, cut j
        pair = keep_i & ~keep_j & ((s_i - s_j).abs() > tol)
        w = torch.where(pair, 1 / torch.where(pair, (1 - r) * (1 + r), 1), 0)
        upper = (nn + r * _mT(nn)) * w       # the (kept, cut) entries
        lower = _mT((r * nn + _mT(nn)) * w)  # the (cut, kept) ones
        x = torch.where(keep_i & keep_j, nn, 0) + upper + lower
        complement = gl @ v, keep.to(s.dtype).expand(s.shape)
    ga = u @ x @ vh
    if m > n and complement is not None:
        y, weights = complement
        ga = ga + ((y - u @ (_mT(u) @ y)) * weights[..., None, :]) @ vh
    return ga


def _differentiable(op, kind, visible, factors=None, parameter=None):
    """op as an autograd.Function (torch.func needs one; a custom operator's
    own autograd formula it does not take).  Its first `visible` outputs are
    the function's, the others (if any) the factors its derivative takes;
    factors(output) picks them in the order the VJP takes them (default: the
    visible outputs themselves); parameter(inputs), the VJP's eps, rcond or
    k; kind, VJPS's key, or a function of the inputs that gives it."""

    name = op._name.split("::")[-1]

    class Function(torch.autograd.Function):
        @staticmethod
        def forward(*inputs):
            return getattr(torch.ops.fastsvd, name)(*inputs)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.kind = kind(inputs) if callable(kind) else kind
            ctx.mark_non_differentiable(*output[visible:])
            saved = (inputs[0], *(factors(output) if factors else output))
            ctx.save_for_backward(*saved)
            ctx.save_for_forward(*saved)
            ctx.shapes = [o.shape for o in output[:visible]]
            ctx.parameter = parameter(inputs) if parameter else None
            ctx.inputs, ctx.outputs = len(inputs), len(output)


        @staticmethod
        def backward(ctx, *grads):
            a, *saved = ctx.saved_tensors
            cotangents = [a.new_zeros(shape) if g is None else g
                          for g, shape in zip(grads[:visible], ctx.shapes)]
            if torch.is_grad_enabled() and not torch.compiler.is_compiling():
                ga = _traced_vjp(ctx.kind, a, cotangents, ctx.parameter)   # create_graph
            else:
                ga = _Backward.apply(ctx.kind, a, saved, cotangents, ctx.parameter)
            return (ga,) + (None,) * (ctx.inputs - 1)

    class WithForwardMode(Function):
        @staticmethod
        def jvp(ctx, tangent, *_others):
            # Forward mode (torch.func.jvp, forward_ad): the outputs' tangents,
            # none for the factors after them.
            a, *saved = ctx.saved_tensors
            tangents = torch.ops.fastsvd.jvp(ctx.kind, a, saved, tangent, ctx.parameter)
            return (*tangents, *(None,) * (ctx.outputs - len(tangents)))

    Function.__name__ = Function.__qualname__ = f"{name}_function"
    WithForwardMode.__name__ = WithForwardMode.__qualname__ = f"{name}_function_with_jvp"

    def apply(*inputs):
        # torch.compile traces no autograd.Function with a jvp: compiled code
        # gets reverse mode only.
        if torch.compiler.is_compiling():
            return Function.apply(*inputs)
        return WithForwardMode.apply(*inputs)
    return apply


def _factor_shapes(a):
    m, n = a.shape[-2:]
    k = min(m, n)
    return ((*a.shape[:-2], m, k), (*a.shape[:-2], k), (*a.shape[:-2], k, n))


def _empty_factors(a):
    return tuple(a.new_empty(shape) for shape in _factor_shapes(a))


# Each operator returns its function's outputs, then the factors the
# backward takes (copied where they are an output too: an operator's
# outputs may not alias one another).

@torch.library.custom_op("fastsvd::svd", mutates_args=())
def _svd_op(a: torch.Tensor, eps: float | None) -> tuple[torch.Tensor, torch.Tensor,
                                                         torch.Tensor]:
    return _tensors(*forward("svd", _numpy(a), None)[0])


@_svd_op.register_fake
def _(a, eps):
    return _empty_factors(a)


@torch.library.custom_op("fastsvd::signed_svd", mutates_args=())
def _signed_svd_op(a: torch.Tensor, eps: float | None) -> tuple[torch.Tensor, torch.Tensor,
                                                                torch.Tensor]:
    """(For the rotation's second derivatives.)"""
    return _tensors(*forward("nearest_rotation", _numpy(a), None)[1])


@_signed_svd_op.register_fake
def _(a, eps):
    return _empty_factors(a)


@torch.library.custom_op("fastsvd::svdvals", mutates_args=())
def _svdvals_op(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                          torch.Tensor]:
    (s,), (u, _, vh) = forward("svdvals", _numpy(a), None)
    return _tensors(s, u, s.copy(), vh)


@_svdvals_op.register_fake
def _(a):
    u, s, vh = _empty_factors(a)
    return torch.empty_like(s), u, s, vh


@torch.library.custom_op("fastsvd::nearest_rotation", mutates_args=())
def _rotation_op(a: torch.Tensor, eps: float | None) -> tuple[
        torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    outputs, factors = forward("nearest_rotation", _numpy(a), None)
    return _tensors(*outputs, *factors)


@_rotation_op.register_fake
def _(a, eps):
    return (torch.empty_like(a),) + _empty_factors(a)


@torch.library.custom_op("fastsvd::polar", mutates_args=())
def _polar_op(a: torch.Tensor, left: bool, eps: float | None) -> tuple[
        torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    outputs, factors = forward("polar-left" if left else "polar-right", _numpy(a), None)
    return _tensors(*outputs, *factors)


@_polar_op.register_fake
def _(a, left, eps):
    side = a.shape[-2] if left else a.shape[-1]
    return (torch.empty_like(a), a.new_empty((*a.shape[:-2], side, side))) + _empty_factors(a)


@torch.library.custom_op("fastsvd::pinv", mutates_args=())
def _pinv_op(a: torch.Tensor, rcond: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                      torch.Tensor]:
    outputs, factors = forward("pinv", _numpy(a), rcond)
    return _tensors(*outputs, *factors)


@_pinv_op.register_fake
def _(a, rcond):
    return (a.new_empty((*a.shape[:-2], a.shape[-1], a.shape[-2])),) + _empty_factors(a)


@torch.library.custom_op("fastsvd::low_rank", mutates_args=())
def _low_rank_op(a: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                    torch.Tensor]:
    outputs, factors = forward("low_rank", _numpy(a), k)
    return _tensors(*outputs, *factors)


@_low_rank_op.register_fake
def _(a, k):
    return (torch.empty_like(a),) + _empty_factors(a)


@torch.library.custom_op("fastsvd::eigh", mutates_args=())
def _eigh_op(a: torch.Tensor, eps: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    return _tensors(*forward("eigh", _numpy(a), None)[1])


@_eigh_op.register_fake
def _(a, eps):
    return a.new_empty(a.shape[:-1]), torch.empty_like(a)


@torch.library.custom_op("fastsvd::eigvalsh", mutates_args=())
def _eigvalsh_op(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    (w,), (_, q) = forward("eigvalsh", _numpy(a), None)
    return _tensors(w, w.copy(), q)


@_eigvalsh_op.register_fake
def _(a):
    return a.new_empty(a.shape[:-1]), a.new_empty(a.shape[:-1]), torch.empty_like(a)


def _after_outputs(count):
    return lambda output: output[count:]


def _input(index):
    return lambda inputs: inputs[index]


_svd_function = _differentiable(_svd_op, "svd", 3, parameter=_input(1))
_signed_svd_function = _differentiable(_signed_svd_op, "svd", 3, parameter=_input(1))
_svdvals_function = _differentiable(_svdvals_op, "svdvals", 1, factors=_after_outputs(1))
_rotation_function = _differentiable(_rotation_op, "nearest_rotation", 1,
                                     factors=_after_outputs(1), parameter=_input(1))
_polar_function = _differentiable(
    _polar_op, lambda inputs: "polar-left" if inputs[1] else "polar-right", 2,
    factors=_after_outputs(2), parameter=_input(2))
_pinv_function = _differentiable(_pinv_op, "pinv", 1, factors=_after_outputs(1),
                                 parameter=_input(1))
_low_rank_function = _differentiable(_low_rank_op, "low_rank", 1, factors=_after_outputs(1),
                                     parameter=lambda inputs: float(inputs[1]))
_eigh_function = _differentiable(_eigh_op, "eigh", 2)
_eigvalsh_function = _differentiable(_eigvalsh_op, "eigvalsh", 1, factors=_after_outputs(1))


# --- The functions.

def svd(a, *, eps=None):
    """The thin SVD (U, S, Vh) of each matrix of a CPU tensor, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., M, N), float32 or float64, M, N ≤ 32, on the CPU.
    eps : float, optional
        The backward's relative gap under which two σ count as equal
        (:mod:`fastsvd.gradients`).

    Returns
    -------
    U, S, Vh : torch.Tensor
        As ``torch.linalg.svd(a, full_matrices=False)``, up to the signs of
        the singular vectors.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> a = torch.tensor([[3., 1], [1, 2]], dtype=torch.float64, requires_grad=True)
    >>> u, s, vh = ft.svd(a)
    >>> s.sum().backward()          # the nuclear norm's gradient, U·Vh
    >>> torch.allclose(a.grad, (u @ vh).detach())
    True
    """
    return _svd_function(_checked(a, "svd"), eps)


def svdvals(a):
    """The singular values of each matrix of a CPU tensor, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., M, N), float32 or float64, M, N ≤ 32, on the CPU.

    Returns
    -------
    torch.Tensor
        (..., min(M, N)), descending.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> ft.svdvals(torch.diag(torch.tensor([1., 3.])))
    tensor([3., 1.])
    """
    return _svdvals_function(_checked(a, "svdvals"))[0]


def nearest_rotation(a, *, eps=None):
    """The rotation nearest each square matrix (U·Vh of its signed SVD),
    differentiable: finite at repeated σ (rotations, the identity).

    Parameters
    ----------
    a : torch.Tensor
        (..., N, N), float32 or float64, N ≤ 32, on the CPU.
    eps : float, optional
        Where σₙ₋₁ + σₙ (signed) is under eps·σ₁ the rotation jumps; the
        backward drops that pair there.

    Returns
    -------
    torch.Tensor
        R, det R = +1.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> ft.nearest_rotation(torch.diag(torch.tensor([2., 3.])))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _rotation_function(_checked(a, "nearest_rotation", square=True), eps)[0]


def polar(a, side="right", *, eps=None):
    """The polar factors (R, P) of each matrix, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., M, N), float32 or float64, M, N ≤ 32, on the CPU; M ≥ N for
        side="right" (a = R·P), M ≤ N for "left" (a = P·R).
    side : {'right', 'left'}, optional
        As :func:`fastsvd.polar`.
    eps : float, optional
        The backward drops pairs with σᵢ + σⱼ under eps·σ₁ (two zero σ).

    Returns
    -------
    R, P : torch.Tensor
        As :func:`fastsvd.polar`.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> r, p = ft.polar(torch.diag(torch.tensor([-2., 3.])))
    >>> r
    tensor([[-1., 0.],
            [ 0., 1.]])
    """
    r, p, *_ = _polar_function(_checked(a, "polar", side=side), side == "left", eps)
    return r, p


def pinv(a, rcond=1e-15):
    """The pseudo-inverse of each matrix, differentiable at a fixed rank.

    Parameters
    ----------
    a : torch.Tensor
        (..., M, N), float32 or float64, M, N ≤ 32, on the CPU.
    rcond : float, optional
        σ at or below rcond·σ₁ count as zero (numpy's default).

    Returns
    -------
    torch.Tensor
        (..., N, M).

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> ft.pinv(torch.diag(torch.tensor([2., 4.])))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    return _pinv_function(_checked(a, "pinv"), float(rcond))[0]


def low_rank(a, k):
    """The best rank-k approximation of each matrix, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., M, N), float32 or float64, M, N ≤ 32, on the CPU.
    k : int
        The rank kept, k ≥ 0.

    Returns
    -------
    torch.Tensor
        a's shape.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> ft.low_rank(torch.diag(torch.tensor([3., 1.])), 1)
    tensor([[3., 0.],
            [0., 0.]])
    """
    return _low_rank_function(_checked(a, "low_rank"), int(k))[0]


def eigh(a, *, eps=None):
    """Eigenvalues (ascending) and eigenvectors of (a + aᵀ)/2, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., N, N), float32 or float64, N ≤ 32, on the CPU.  Its symmetric
        part is decomposed, so that every perturbation has a derivative.
    eps : float, optional
        The backward's relative gap under which two λ count as equal.

    Returns
    -------
    w, Q : torch.Tensor
        As ``torch.linalg.eigh``, up to the eigenvectors' signs.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> w, q = ft.eigh(torch.tensor([[2., 1], [1, 2]]))
    >>> w
    tensor([1., 3.])
    """
    return _eigh_function(_checked(a, "eigh", square=True), eps)


def eigvalsh(a):
    """Eigenvalues (ascending) of (a + aᵀ)/2, differentiable.

    Parameters
    ----------
    a : torch.Tensor
        (..., N, N), float32 or float64, N ≤ 32, on the CPU.

    Returns
    -------
    torch.Tensor
        (..., N).

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> ft.eigvalsh(torch.tensor([[2., 1], [1, 2]]))
    tensor([1., 3.])
    """
    return _eigvalsh_function(_checked(a, "eigvalsh", square=True))[0]



@torch.library.custom_op("fastsvd::kabsch_rotation", mutates_args=())
def _kabsch_op(p: torch.Tensor, q: torch.Tensor, weights: torch.Tensor,
               reflection: bool) -> torch.Tensor:
    return _tensors(_adapters.kabsch_rotation(_numpy(p), _numpy(q), _numpy(weights),
                                              reflection))[0]


@_kabsch_op.register_fake
def _(p, q, weights, reflection):
    return p.new_empty((*p.shape[:-2], p.shape[-1], p.shape[-1]))


@torch.library.custom_op("fastsvd::kabsch_rotation_vjp", mutates_args=())
def _kabsch_vjp_op(p: torch.Tensor, q: torch.Tensor, weights: torch.Tensor, gr: torch.Tensor,
                   reflection: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return _tensors(*_adapters.kabsch_rotation_vjp(_numpy(p), _numpy(q), _numpy(weights),
                                                   _numpy(gr), reflection))


@_kabsch_vjp_op.register_fake
def _(p, q, weights, gr, reflection):
    return torch.empty_like(p), torch.empty_like(q), torch.empty_like(weights)


class _KabschRotation(torch.autograd.Function):
    @staticmethod
    def forward(p, q, weights, reflection):
        return torch.ops.fastsvd.kabsch_rotation(p, q, weights, reflection)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs[:3])
        ctx.reflection = inputs[3]

    @staticmethod
    def backward(ctx, gr):
        p, q, weights = ctx.saved_tensors
        gp, gq, gw = torch.ops.fastsvd.kabsch_rotation_vjp(p, q, weights, gr, ctx.reflection)
        return gp, gq, gw, None


def kabsch_rotation(p, q, weights=None, *, reflection=False):
    """The rotation :func:`fastsvd.kabsch` fits to each pair of point sets,
    differentiable in the points and the weights.

    Parameters
    ----------
    p, q : torch.Tensor
        (..., K, d) CPU tensors of one shape, d = 2 or 3, float32 or float64.
    weights : torch.Tensor, optional
        (..., K), non-negative; default all 1.
    reflection : bool, optional
        As :func:`fastsvd.kabsch`.

    Returns
    -------
    torch.Tensor
        R (..., d, d), with p ≈ R·q + t.

    Examples
    --------
    >>> import torch
    >>> import fastsvd.torch as ft
    >>> q = torch.randn(10, 3, dtype=torch.float64)
    >>> turn = torch.tensor([[0., -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)
    >>> torch.allclose(ft.kabsch_rotation(q @ turn.T, q), turn)
    True
    """
    for x, label in ((p, "p"), (q, "q")):
        _checked_tensor(x, "kabsch_rotation", label)
    _adapters.check_point_sets(p.shape, q.shape, "kabsch_rotation")
    weights = p.new_ones(p.shape[:-1]) if weights is None else weights
    _checked_tensor(weights, "kabsch_rotation", "weights")
    return _KabschRotation.apply(p, q, weights.to(p.dtype), bool(reflection))

