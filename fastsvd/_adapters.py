"""What fastsvd.torch and fastsvd.jax share: each differentiable function's
forward pass in numpy (what it returns, and the factors its derivative
takes), its reverse and forward modes over fastsvd.gradients' kernels, and
the checks of their input."""
from __future__ import annotations

from . import gradients
from ._eigh import eigh
from ._isa import compiled as _gufuncs
from ._kabsch import kabsch
from ._linalg import _kernel_input, _run_batched, low_rank, pinv, polar, svd


def thin_svd(x):
    return tuple(svd(x, full_matrices=False, nonfinite="nan"))


def symmetric_eigh(x):
    """eigh of (x + xᵀ)/2: every perturbation of x has a derivative."""
    return tuple(eigh((x + x.swapaxes(-1, -2)) / 2, nonfinite="nan"))


_WITH_FACTORS = {"nearest_rotation": _gufuncs.nearest_rotation_with_factors,
                 "polar-right": _gufuncs.polar_right_with_factors,
                 "polar-left": _gufuncs.polar_left_with_factors}


def forward(kind, x, parameter):
    """(outputs, factors) of `kind` (a key of VJPS) on the numpy stack x;
    parameter: pinv's rcond, low_rank's k, or None."""
    if kind in ("svd", "svdvals"):
        factors = thin_svd(x)
        return (factors if kind == "svd" else factors[1:2]), factors
    if kind in _WITH_FACTORS and _kernel_input(x) is not None:
        # One pass of the kernels gives the result and its factors.
        r, *rest = _run_batched(_WITH_FACTORS[kind], _kernel_input(x), "nan", 1)
        return (r,) if kind == "nearest_rotation" else (r, rest[0]), tuple(rest[-3:])
    if kind == "nearest_rotation":      # (empty matrices)
        u, s, vh = svd(x, signed=True, nonfinite="nan")
        return (u @ vh,), (u, s, vh)
    if kind in ("eigh", "eigvalsh"):
        factors = symmetric_eigh(x)
        return (factors if kind == "eigh" else factors[:1]), factors
    factors = thin_svd(x)
    if kind in ("polar-right", "polar-left"):
        return tuple(polar(x, side=kind[6:], nonfinite="nan")), factors
    if kind == "pinv":
        return (pinv(x, parameter, nonfinite="nan"),), factors
    return (low_rank(x, parameter, nonfinite="nan"),), factors


# kind -> (factors, cotangents of the outputs, parameter: eps, or pinv's rcond,
# or low_rank's k) -> the cotangent of the input
VJPS = {
    "svd": lambda f, g, p: gradients.svd_vjp(*f, *g, eps=p)[0],
    "svdvals": lambda f, g, p: gradients.svdvals_vjp(*f, *g),
    "nearest_rotation": lambda f, g, p: gradients.nearest_rotation_vjp(*f, *g, eps=p)[0],
    "polar-right": lambda f, g, p: gradients.polar_vjp(*f, *g, eps=p)[0],
    "polar-left": lambda f, g, p: gradients.polar_vjp(*f, *g, side="left", eps=p)[0],
    "pinv": lambda f, g, p: gradients.pinv_vjp(*f, *g, rcond=p),
    "low_rank": lambda f, g, p: gradients.low_rank_vjp(*f, int(p), *g)[0],
    "eigh": lambda f, g, p: gradients.eigh_vjp(*f, *g, eps=p)[0],
    "eigvalsh": lambda f, g, p: gradients.eigvalsh_vjp(*f, *g),
}


# kind -> (factors, the input's tangent, parameter) -> the outputs' tangents
JVPS = {
    "svd": lambda f, da, p: gradients.svd_jvp(*f, da, eps=p)[:3],
    "svdvals": lambda f, da, p: (gradients.svdvals_jvp(*f, da),),
    "nearest_rotation": lambda f, da, p: gradients.nearest_rotation_jvp(*f, da, eps=p)[:1],
    "polar-right": lambda f, da, p: gradients.polar_jvp(*f, da, eps=p)[:2],
    "polar-left": lambda f, da, p: gradients.polar_jvp(*f, da, side="left", eps=p)[:2],
    "pinv": lambda f, da, p: (gradients.pinv_jvp(*f, da, rcond=p),),
    "low_rank": lambda f, da, p: gradients.low_rank_jvp(*f, int(p), da)[:1],
    "eigh": lambda f, da, p: gradients.eigh_jvp(*f, da, eps=p)[:2],
    "eigvalsh": lambda f, da, p: (gradients.eigvalsh_jvp(*f, da),),
}


def output_shapes(kind, shape):
    """The shapes of (outputs, factors) of `kind` on (…, M, N)."""
    *stack, m, n = shape
    stack, k = tuple(stack), min(m, n)
    shape = (*stack, m, n)
    svd = ((*stack, m, k), (*stack, k), (*stack, k, n))
    eigen = ((*stack, n), (*stack, n, n))
    outputs = {"svd": svd, "svdvals": svd[1:2], "nearest_rotation": (shape,),
               "polar-right": (shape, (*stack, n, n)), "polar-left": (shape, (*stack, m, m)),
               "pinv": ((*stack, n, m),), "low_rank": (shape,), "eigh": eigen,
               "eigvalsh": eigen[:1]}[kind]
    return outputs, (eigen if kind in ("eigh", "eigvalsh") else svd)


def check_shape(shape, name, square=False, side=None):
    """ValueError (NotImplementedError for a polar side fastsvd does not
    differentiate) unless fastsvd's kernels take matrices of this shape."""
    if len(shape) < 2 or max(shape[-2:]) > 32:
        raise ValueError(f"fastsvd's {name} takes (..., M, N) arrays with M, N <= 32, "
                         f"got shape {tuple(shape)}")
    m, n = shape[-2:]
    if square and m != n:
        raise ValueError(f"fastsvd's {name} takes square matrices, got shape {tuple(shape)}")
    if side is not None:
        gradients._check_polar_side(side, m, n)


def kabsch_rotation(p, q, weights, reflection):
    """kabsch(p, q, weights).rotation, NaN (not an error) for a set it cannot fit."""
    return kabsch(p, q, weights, reflection=reflection, nonfinite="nan").rotation


def kabsch_rotation_vjp(p, q, weights, gr, reflection):
    """(gp, gq, gw) from the rotation's cotangent."""
    return gradients.kabsch_rotation_vjp(p, q, gr, weights, reflection=reflection)[:3]


def check_point_sets(p_shape, q_shape, name):
    if len(p_shape) < 2 or p_shape[-1] not in (2, 3) or p_shape[-2:] != q_shape[-2:]:
        raise ValueError(f"fastsvd's {name} takes point sets p and q of one shape (..., K, d), "
                         f"d = 2 or 3; got {tuple(p_shape)} and {tuple(q_shape)}")
