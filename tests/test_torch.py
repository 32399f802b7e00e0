"""fastsvd.torch: the custom operators under autograd (gradcheck), against
PyTorch's own gradients where those are finite, where PyTorch's give NaN
(repeated σ), under torch.func and torch.compile, and bad input."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastsvd  # noqa: E402
import fastsvd.torch as ft  # noqa: E402
from fastsvd._bench import _torch_rotation as torch_rotation  # noqa: E402
from accuracy import eps, rng_for, separated, with_singular_values  # noqa: E402

# PyTorch's gradients and fastsvd's agree to this many ε (relative to the
# gradient's size) on inputs with well separated σ.
AGREEMENT_FACTOR = 100


def _tensor(a, requires_grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad)


def _separated(key, m, n, count=4):
    return separated(rng_for("torch", key, m, n), m, n, count, decay=0.8)


def _torch_rotation(a):
    return torch_rotation(torch, a)     # the bench's: U·diag(1, …, det)·Vh


def _torch_polar(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return u @ vh, vh.mT @ torch.diag_embed(s) @ vh


def _torch_low_rank(a, k=1):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return u[..., :k] @ torch.diag_embed(s[..., :k]) @ vh[..., :k, :]


def _gauge_free_svd(svd):
    """A loss of the SVD that no choice of singular vectors' signs changes."""
    def loss(a):
        u, s, vh = svd(a)
        return (s * torch.arange(1, s.shape[-1] + 1)).sum() + ((u @ vh) ** 2 * a).sum() + (
            (u[..., :1] * vh[..., :1, :]) * a).sum()
    return loss


def _gauge_free_eigh(eigh):
    def loss(a):
        w, q = eigh(a)
        return (w ** 2).sum() + ((q[..., :1] @ q[..., :1].mT) * a).sum()
    return loss


def _sum_of(function):
    def loss(a):
        out = function(a)
        out = out if isinstance(out, tuple) else (out,)
        return sum((o * torch.linspace(0.5, 1.5, o.numel()).reshape(o.shape)).sum()
                   for o in out)
    return loss


# name -> (fastsvd.torch loss, PyTorch's own loss, shapes)
LOSSES = {
    "svd": (_gauge_free_svd(ft.svd),
            _gauge_free_svd(lambda a: torch.linalg.svd(a, full_matrices=False)),
            [(2, 2), (3, 3), (4, 3), (3, 5), (8, 8)]),
    "svdvals": (_sum_of(ft.svdvals), _sum_of(torch.linalg.svdvals), [(3, 3), (5, 2)]),
    "nearest_rotation": (_sum_of(ft.nearest_rotation), _sum_of(_torch_rotation),
                         [(2, 2), (3, 3), (4, 4)]),
    "polar": (_sum_of(ft.polar), _sum_of(_torch_polar), [(3, 3), (4, 2)]),
    "pinv": (_sum_of(ft.pinv), _sum_of(torch.linalg.pinv), [(3, 3), (4, 2), (2, 4)]),
    "low_rank": (_sum_of(lambda a: ft.low_rank(a, 1)), _sum_of(_torch_low_rank),
                 [(3, 3), (4, 3)]),
    "eigh": (_gauge_free_eigh(ft.eigh),
             _gauge_free_eigh(lambda a: torch.linalg.eigh((a + a.mT) / 2)), [(2, 2), (3, 3)]),
    "eigvalsh": (_sum_of(ft.eigvalsh), _sum_of(lambda a: torch.linalg.eigvalsh((a + a.mT) / 2)),
                 [(3, 3), (5, 5)]),
}
CASES = [(name, shape) for name, (_, _, shapes) in LOSSES.items() for shape in shapes]
IDS = [f"{name}-{m}x{n}" for name, (m, n) in CASES]


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_gradcheck(name, shape):
    loss = LOSSES[name][0]
    a = _tensor(_separated(name, *shape, count=2))
    # Reverse mode, and forward mode (the autograd.Functions' jvp).
    assert torch.autograd.gradcheck(loss, (a,), check_forward_ad=True)


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_agrees_with_pytorchs_own_gradient(name, shape):
    ours, theirs, _ = LOSSES[name]
    a = _tensor(_separated(name, *shape))
    (mine,) = torch.autograd.grad(ours(a), a)
    (reference,) = torch.autograd.grad(theirs(a), a)
    assert torch.isfinite(reference).all()
    scale = reference.abs().max().item()
    assert (mine - reference).abs().max().item() <= AGREEMENT_FACTOR * eps(np.float64) * scale


@pytest.mark.parametrize("kind", ["identity", "rotation", "repeated"])
def test_finite_and_right_where_pytorch_gives_nan(kind):
    """U·Vᵀ, the nearest rotation and polar's R at repeated σ: differentiable,
    with a gradient PyTorch's SVD backward makes NaN."""
    rng = rng_for("torch-nan", kind)
    if kind == "identity":
        a = np.eye(3)
    elif kind == "rotation":
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        a = q * np.sign(np.linalg.det(q))
    else:
        a = with_singular_values(rng, 3, 3, [2.0, 2.0, 1.0])
    c = torch.tensor(rng.standard_normal((3, 3)))
    x = _tensor(a)
    (theirs,) = torch.autograd.grad((_torch_rotation(x) * c).sum(), x)
    (ours,) = torch.autograd.grad((ft.nearest_rotation(x) * c).sum(), x)
    assert not torch.isfinite(theirs).all()
    assert torch.isfinite(ours).all()
    # Right: against central differences of the rotation itself.
    h, da = 1e-6, rng.standard_normal((3, 3))
    difference = float(((torch.tensor(fastsvd.nearest_rotation(a + h * da)
                                      - fastsvd.nearest_rotation(a - h * da)) / (2 * h))
                        * c).sum())
    assert abs(difference - float((ours * torch.tensor(da)).sum())) <= 1e-7
    (polar_r,) = torch.autograd.grad((ft.polar(x)[0] * c).sum(), x)
    assert torch.isfinite(polar_r).all()


def test_float32():
    a = torch.tensor(_separated("float32", 3, 3), dtype=torch.float32, requires_grad=True)
    r = ft.nearest_rotation(a)
    assert r.dtype == torch.float32
    (g,) = torch.autograd.grad(r.sum(), a)
    (g64,) = torch.autograd.grad(ft.nearest_rotation(a.double()).sum(), a)
    assert g.dtype == torch.float32
    assert (g - g64).abs().max().item() <= 1e3 * eps(np.float32)


def test_torch_func_grad():
    a = _tensor(_separated("func", 3, 3)[0], requires_grad=False)
    g = torch.func.grad(lambda x: (ft.nearest_rotation(x) ** 3).sum())(a)
    x = a.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad((ft.nearest_rotation(x) ** 3).sum(), x)
    # (torch.func.grad builds a graph of the backward: the traced formulas.)
    assert torch.allclose(g, expected, rtol=0, atol=1e-13)


def test_torch_func_jvp_matches_vjp():
    # ⟨ḡ, J·t⟩ = ⟨Jᵀ·ḡ, t⟩: forward mode against reverse mode, per function.
    a = _tensor(_separated("jvp", 3, 3), requires_grad=False)
    rng = rng_for("jvp-directions")
    t = torch.tensor(rng.standard_normal(a.shape))
    for function in (ft.nearest_rotation, ft.svdvals, ft.polar, ft.pinv, ft.eigvalsh,
                     lambda x: ft.low_rank(x, 2)):
        outputs, tangents = torch.func.jvp(function, (a,), (t,))
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        tangents = tangents if isinstance(tangents, tuple) else (tangents,)
        grads = [torch.tensor(rng.standard_normal(o.shape)) for o in outputs]
        _, vjp = torch.func.vjp(function, a)
        (ga,) = vjp(tuple(grads) if len(grads) > 1 else grads[0])
        forward = sum(float((g * d).sum()) for g, d in zip(grads, tangents))
        assert abs(forward - float((ga * t).sum())) <= 1e-12 * max(1.0, abs(forward))


def test_torch_compile_fullgraph():
    def loss(a):
        r, p = ft.polar(a)
        return (ft.nearest_rotation(a) * r).sum() + p.sum() + ft.svdvals(a).sum()

    compiled = torch.compile(loss, fullgraph=True, backend="eager")
    a = _tensor(_separated("compile", 3, 3))
    (eager,) = torch.autograd.grad(loss(a), a)
    (traced,) = torch.autograd.grad(compiled(a), a)
    assert torch.equal(eager, traced)


def test_opcheck():
    # The operators' schemas and fake implementations (their autograd is the
    # autograd.Function around them, which torch.func needs).
    a = _tensor(_separated("opcheck", 3, 3), requires_grad=False)
    for op, args in [("nearest_rotation", (a, None)), ("svd", (a, None)),
                     ("polar", (a, False, None)), ("pinv", (a, 1e-15)), ("low_rank", (a, 2)),
                     ("svdvals", (a,)), ("eigh", (a, None)), ("eigvalsh", (a,))]:
        torch.library.opcheck(getattr(torch.ops.fastsvd, op).default, args,
                              test_utils=("test_schema", "test_faketensor"))


def test_noncontiguous_and_batched_input():
    base = _separated("layout", 3, 3, count=6)
    a = _tensor(base.transpose(0, 2, 1).copy()).mT     # a strided view of base
    assert not a.is_contiguous()
    assert torch.equal(ft.nearest_rotation(a).detach(),
                       torch.tensor(fastsvd.nearest_rotation(base)))


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="CPU"):
        ft.svd(torch.zeros((3, 3), device="meta"))
    with pytest.raises(TypeError, match="float32 or float64"):
        ft.svd(torch.zeros((3, 3), dtype=torch.int64))
    with pytest.raises(TypeError, match="float32 or float64"):
        ft.nearest_rotation(torch.zeros((3, 3), dtype=torch.complex128))
    with pytest.raises(ValueError, match="M, N <= 32"):
        ft.svd(torch.zeros((33, 33)))
    with pytest.raises(ValueError, match="square"):
        ft.nearest_rotation(torch.zeros((3, 2)))
    with pytest.raises(TypeError, match="torch.Tensor"):
        ft.svd(np.eye(3))
    with pytest.raises(NotImplementedError, match="'right'"):
        ft.polar(torch.zeros((2, 3)))


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_gradgradcheck(name, shape):
    # With create_graph the backward runs the kernels' formulas in torch
    # operations on fastsvd's own differentiable factors: second derivatives.
    a = _tensor(_separated(name, *shape, count=2))
    assert torch.autograd.gradgradcheck(LOSSES[name][0], (a,))


@pytest.mark.parametrize(("name", "shape"), CASES, ids=IDS)
def test_traced_backward_is_the_kernels(name, shape):
    # The create_graph backward (torch operations) against the kernels' one.
    a = _tensor(_separated(name, *shape))
    (kernels,) = torch.autograd.grad(LOSSES[name][0](a), a)
    (traced,) = torch.autograd.grad(LOSSES[name][0](a), a, create_graph=True)
    scale = kernels.abs().max().item()
    assert (kernels - traced).abs().max().item() <= AGREEMENT_FACTOR * eps(np.float64) * scale


def test_examples_run():
    import doctest
    failed, attempted = doctest.testmod(ft, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0


@pytest.mark.parametrize("reflection", [False, True])
def test_kabsch_rotation_gradcheck_and_fit(reflection):
    rng = rng_for("torch-kabsch", reflection)
    q = rng.standard_normal((3, 10, 3))
    p = q @ np.linalg.qr(rng.standard_normal((3, 3)))[0].T + 0.1 * rng.standard_normal(q.shape)
    w = rng.uniform(0.5, 2.0, (3, 10))
    args = tuple(_tensor(x) for x in (p, q, w))
    assert torch.autograd.gradcheck(
        lambda p_, q_, w_: ft.kabsch_rotation(p_, q_, w_, reflection=reflection), args)
    assert torch.equal(ft.kabsch_rotation(*args, reflection=reflection).detach(),
                       torch.tensor(fastsvd.kabsch(p, q, w, reflection=reflection).rotation))
    with pytest.raises(ValueError, match="one shape"):
        ft.kabsch_rotation(args[0], args[1][..., :2])
