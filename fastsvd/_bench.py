"""Speed of fastsvd against numpy.linalg.svd (or eigh), measured in the same run,
and of the functions built on fastsvd's SVD against fastsvd.svd itself.

Shared machines are noisy, so every figure is the median of several runs and
every ratio compares two medians of runs that alternate, on the same batch.
Two more functions in the same rounds measure the memory floor, only reading
the inputs and writing the outputs: fresh outputs, as `svd` returns them
(the OS zeroes new pages on first touch), which bounds the speed-up any SVD
could show; and reused outputs, which bounds the gufunc called with `out=`,
timed beside it.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is a dependency
    threadpool_limits = None

from . import gradients
from ._eigh import _GUFUNCS as _EIGEN_GUFUNCS
from ._eigh import eigh, eigvalsh
from ._gufunc_table import EIGH
from ._kabsch import kabsch
from ._linalg import _gufunc_for, kernel_name, low_rank, nearest_rotation, pinv, polar, svd

# What the bench times: the decompositions (fastsvd's function, numpy's, and
# the gufunc for out=, lower triangle for eigh), or the applications.
OPS = ("svd", "eigh", "applications", "kabsch", "gradients", "torch")

# The functions built on the SVD, each timed against svd(a) (a full SVD) on
# the same batch of square matrices.
APPLICATIONS = {
    "svd(signed=True)": lambda a: svd(a, signed=True),
    "svd(signs='canonical')": lambda a: svd(a, signs="canonical"),
    "nearest_rotation": nearest_rotation,
    "polar": polar,
    "pinv": pinv,
    "low_rank(a, 1)": lambda a: low_rank(a, 1),
}

# Matrices per batch: a million for the small shapes, fewer where numpy would
# take minutes (its per-matrix time grows with the size; the ratio does not
# depend on the batch size once it is large).
DEFAULT_COUNTS = {(2, 2): 1_000_000, (3, 2): 1_000_000, (3, 3): 1_000_000,
                  (4, 4): 1_000_000, (8, 8): 100_000, (16, 16): 20_000,
                  (32, 32): 4_000}
DEFAULT_SHAPES = tuple(DEFAULT_COUNTS)


@dataclass
class BenchRow:
    shape: tuple[int, int]
    dtype: str
    count: int
    fastsvd_ns: float
    numpy_ns: float
    floor_ns: float
    # fastsvd's gufunc writing into existing outputs (out=), and the floor for that.
    out_ns: float = float("nan")
    reused_floor_ns: float = float("nan")
    op: str = "svd"

    @property
    def ratio(self) -> float:
        return self.numpy_ns / self.fastsvd_ns

    @property
    def ratio_bound(self) -> float:
        """The largest speed-up over numpy that memory traffic alone allows."""
        return self.numpy_ns / self.floor_ns


def interleaved_median_seconds(funcs, repeat: int) -> list[float]:
    """Median time of each function over `repeat` rounds, each round running
    every function once: a change in the machine's load hits all of them alike
    instead of whichever ran during it."""
    times = [[] for _ in funcs]
    for _ in range(repeat):
        for func, record in zip(funcs, times):
            start = time.perf_counter()
            func()
            record.append(time.perf_counter() - start)
    return [float(np.median(record)) for record in times]


def random_batch(shape, count, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, *shape)).astype(dtype)


def output_shapes(op, m, n):
    """The core shapes of what `op` returns: U, S, Vh of a full SVD; w, Q of eigh."""
    if op == "eigh":
        return ((n,), (n, n))
    return ((m, m), (min(m, n),), (n, n))


def move_svd_bytes(batch, op="svd"):
    """What any full SVD (or eigh) returning new arrays spends on memory alone:
    read every A, allocate the outputs (fresh pages, which the OS zeroes on
    first touch) and write every entry, with numpy's own streaming loops."""
    stack = batch.shape[:-2]
    outputs = [np.empty(stack + shape, batch.dtype)
               for shape in output_shapes(op, *batch.shape[-2:])]
    move_svd_bytes_into(batch, outputs)
    return outputs


def move_svd_bytes_into(batch, outputs):
    """move_svd_bytes into existing outputs: the floor for the gufuncs' out=."""
    batch.sum()
    for output in outputs:
        output.fill(1)


def default_count(shape) -> int:
    return DEFAULT_COUNTS.get(tuple(shape), 100_000)


def bench_shape(shape, dtype="float64", count=None, repeat=3, op="svd") -> BenchRow:
    # None, not 0, means the default: a count of 0 would time nothing.
    count = default_count(shape) if count is None else count
    if count < 1 or repeat < 1:
        raise ValueError(f"count and repeat must be at least 1, got {count} and {repeat}")
    batch = random_batch(shape, count, dtype)
    if op == "eigh":        # symmetric matrices, as eigh is for
        batch = batch + np.swapaxes(batch, -1, -2)
        fastsvd_call, numpy_call = eigh, np.linalg.eigh
        gufunc = _EIGEN_GUFUNCS[EIGH, False]
    else:
        fastsvd_call, numpy_call = svd, np.linalg.svd
        gufunc = _gufunc_for(*batch.shape[-2:], compute_uv=True, full_matrices=True)
    # One thread for numpy too: idle OpenBLAS workers spin on the other cores,
    # which would slow whatever runs next on a small shared machine.
    limit = threadpool_limits(1) if threadpool_limits else contextlib.nullcontext()
    outputs = gufunc(batch)          # (and their pages touched once, before any timing)
    with limit:
        seconds = interleaved_median_seconds(
            [lambda: fastsvd_call(batch), lambda: numpy_call(batch),
             lambda: move_svd_bytes(batch, op), lambda: gufunc(batch, out=outputs),
             lambda: move_svd_bytes_into(batch, outputs)],
            repeat)
    return BenchRow(tuple(shape), str(np.dtype(dtype)), count,
                    *(t / count * 1e9 for t in seconds), op=op)


@dataclass
class ApplicationRow:
    shape: tuple[int, int]
    dtype: str
    count: int
    function: str
    ns: float
    svd_ns: float

    @property
    def ratio(self) -> float:
        """The function's time in units of svd's."""
        return self.ns / self.svd_ns


def bench_applications(shape, dtype="float64", count=None, repeat=3) -> list[ApplicationRow]:
    """Every function of APPLICATIONS and svd on one batch, in alternating rounds."""
    count = default_count(shape) if count is None else count
    if count < 1 or repeat < 1:
        raise ValueError(f"count and repeat must be at least 1, got {count} and {repeat}")
    batch = random_batch(shape, count, dtype)
    calls = [svd, *APPLICATIONS.values()]
    for call in calls:      # (pages and caches warmed once, before any timing)
        call(batch[:1000])
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        seconds = interleaved_median_seconds([lambda c=c: c(batch) for c in calls], repeat)
    svd_ns = seconds[0] / count * 1e9
    return [ApplicationRow(tuple(shape), str(np.dtype(dtype)), count, name, t / count * 1e9,
                           svd_ns)
            for name, t in zip(APPLICATIONS, seconds[1:])]


def format_applications(rows) -> str:
    lines = ["| shape | dtype | matrices | function | ns/matrix | svd ns/matrix | × svd |",
             "|---|---|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.shape[0]}×{r.shape[1]} | {r.dtype} | {r.count:,} | "
                     f"`{r.function}` | {r.ns:,.1f} | {r.svd_ns:,.1f} | {r.ratio:.2f} |")
    return "\n".join(lines)


def numpy_kabsch(p, q):
    """The batched numpy Kabsch people write: centred sets, an einsum
    cross-covariance, numpy.linalg.svd and the reflection fixed per set."""
    dp = p - p.mean(axis=-2, keepdims=True)
    dq = q - q.mean(axis=-2, keepdims=True)
    u, _, vh = np.linalg.svd(np.einsum("...ki,...kj->...ij", dp, dq))
    u[..., :, -1] *= np.sign(np.linalg.det(u @ vh))[..., None]
    return u @ vh


def scipy_kabsch_loop(p, q):
    """One scipy Rotation.align_vectors call per pair of centred sets."""
    from scipy.spatial.transform import Rotation
    dp = p - p.mean(axis=-2, keepdims=True)
    dq = q - q.mean(axis=-2, keepdims=True)
    return [Rotation.align_vectors(a, b)[0].as_matrix() for a, b in zip(dp, dq)]


def bench_kabsch(count=100_000, points=100, repeat=3) -> list[tuple[str, float]]:
    """(method, ns per pair of sets of `points` 3-D points): fastsvd.kabsch, the
    batched numpy implementation and (when scipy is installed) a loop over
    scipy's align_vectors, timed on 2,000 of the sets.  Rotations checked to
    agree first."""
    rng = np.random.default_rng(0)
    q = rng.standard_normal((count, points, 3))
    p = q @ nearest_rotation(rng.standard_normal((3, 3))).T + 0.01 * rng.standard_normal(
        q.shape)
    if not np.allclose(kabsch(p[:100], q[:100]).rotation, numpy_kabsch(p[:100], q[:100])):
        raise AssertionError("fastsvd.kabsch and numpy disagree")
    calls = [("fastsvd.kabsch", lambda: kabsch(p, q), count),
             ("numpy (einsum + linalg.svd + det)", lambda: numpy_kabsch(p, q), count)]
    try:
        import scipy.spatial.transform  # noqa: F401
        few = min(count, 2000)
        calls.append(("scipy align_vectors, a loop", lambda: scipy_kabsch_loop(p[:few], q[:few]),
                      few))
    except ImportError:
        pass
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        seconds = interleaved_median_seconds([call for _, call, _ in calls], repeat)
    return [(name, t / sets * 1e9) for (name, _, sets), t in zip(calls, seconds)]


def format_kabsch(rows, count, points) -> str:
    fastest = rows[0][1]
    lines = [f"| {count:,} pairs of sets of {points} 3-D points | ns per pair | × fastsvd |",
             "|---|---:|---:|"]
    lines += [f"| {name} | {ns:,.0f} | {ns / fastest:.1f} |" for name, ns in rows]
    return "\n".join(lines)


def _thin(a):
    return svd(a, full_matrices=False)


def _signed(a):
    return svd(a, signed=True)


# name -> (the forward call, what the derivative takes from its results,
# the derivative on (factors, the random cotangent or tangent, shaped like
# the forward's result or the input)): each derivative against its own
# function's time, on the same batch.
GRADIENTS = {
    "svdvals_vjp": (lambda a: svd(a, compute_uv=False), _thin,
                    lambda f, g: gradients.svdvals_vjp(*f, g[1])),
    "svd_vjp": (_thin, _thin, lambda f, g: gradients.svd_vjp(*f, *g)),
    "svd_vjp (signed)": (_signed, _signed, lambda f, g: gradients.svd_vjp(*f, *g)),
    "nearest_rotation_vjp": (nearest_rotation, _signed,
                             lambda f, g: gradients.nearest_rotation_vjp(*f, g[0])),
    "polar_vjp": (polar, _thin, lambda f, g: gradients.polar_vjp(*f, g[0], g[2])),
    "pinv_vjp": (pinv, _thin, lambda f, g: gradients.pinv_vjp(*f, g[2])),
    "low_rank_vjp(·, 1)": (lambda a: low_rank(a, 1), _thin,
                           lambda f, g: gradients.low_rank_vjp(*f, 1, g[0])),
    "eigh_vjp": (eigh, eigh, lambda f, g: gradients.eigh_vjp(*f, g[1], g[0])),
    "eigvalsh_vjp": (eigvalsh, eigh, lambda f, g: gradients.eigvalsh_vjp(*f, g[1])),
    "svd_jvp": (_thin, _thin, lambda f, g: gradients.svd_jvp(*f, g[0])),
    "nearest_rotation_jvp": (nearest_rotation, _signed,
                             lambda f, g: gradients.nearest_rotation_jvp(*f, g[0])),
    "polar_jvp": (polar, _thin, lambda f, g: gradients.polar_jvp(*f, g[0])),
    "pinv_jvp": (pinv, _thin, lambda f, g: gradients.pinv_jvp(*f, g[0])),
    "eigh_jvp": (eigh, eigh, lambda f, g: gradients.eigh_jvp(*f, g[0])),
}


def bench_gradients(shape, dtype="float64", count=100_000, repeat=3) -> list[ApplicationRow]:
    """Each derivative of GRADIENTS beside its function, on one batch of
    square matrices, one thread: ApplicationRow's svd_ns is the function's
    time, its ratio the derivative's time in units of it."""
    batch = random_batch(shape, count, dtype)
    # Random cotangents: one like the matrices (also the tangent), one like
    # the singular values, and a second like the matrices.
    rng = np.random.default_rng(1)
    cotangents = (rng.standard_normal(batch.shape).astype(dtype),
                  rng.standard_normal(batch.shape[:-1]).astype(dtype),
                  rng.standard_normal(batch.shape).astype(dtype))
    calls = []
    for forward, factors_of, derivative in GRADIENTS.values():
        factors = factors_of(batch)
        calls += [lambda f=forward: f(batch),
                  lambda d=derivative, f=factors: d(f, cotangents)]
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        seconds = interleaved_median_seconds(calls, repeat)
    return [ApplicationRow(tuple(shape), str(np.dtype(dtype)), count, name,
                           seconds[2 * i + 1] / count * 1e9, seconds[2 * i] / count * 1e9)
            for i, name in enumerate(GRADIENTS)]


def format_gradients(rows) -> str:
    lines = ["| shape | matrices | derivative | ns/matrix | its function's ns/matrix "
             "| × function |", "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.shape[0]}×{r.shape[1]} | {r.count:,} | `{r.function}` | "
                     f"{r.ns:,.1f} | {r.svd_ns:,.1f} | {r.ratio:.2f} |")
    return "\n".join(lines)


def _torch_rotation(torch, a):
    u, _, vh = torch.linalg.svd(a)
    d = torch.linalg.det(u @ vh)
    return torch.cat([u[..., :-1], u[..., -1:] * d[..., None, None]], -1) @ vh


def bench_torch(count=100_000, repeat=3) -> list[tuple[str, float, float]]:
    """(call, fastsvd.torch ns, PyTorch ns) per 3×3 float64 matrix of forward
    and backward (autograd.grad with random cotangents), one thread: svd
    against torch.linalg.svd, nearest_rotation against torch.linalg.svd and
    U·diag(1, 1, det)·Vh."""
    import torch

    import fastsvd.torch as ft
    torch.set_num_threads(1)
    batch = torch.from_numpy(random_batch((3, 3), count, "float64")).requires_grad_(True)
    pairs = {"svd": (ft.svd, lambda a: tuple(torch.linalg.svd(a, full_matrices=False))),
             "nearest_rotation": (ft.nearest_rotation, lambda a: _torch_rotation(torch, a))}
    calls = []
    for ours, theirs in pairs.values():
        for function in (ours, theirs):
            outputs = function(batch)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            grads = [torch.randn_like(o) for o in outputs]

            def call(function=function, grads=grads):
                outputs = function(batch)
                torch.autograd.grad(outputs if isinstance(outputs, tuple) else (outputs,),
                                    batch, grads)
            calls.append(call)
    seconds = interleaved_median_seconds(calls, repeat)
    return [(name, seconds[2 * i] / count * 1e9, seconds[2 * i + 1] / count * 1e9)
            for i, name in enumerate(pairs)]


def format_torch(rows, count) -> str:
    lines = [f"| forward + backward, {count:,} 3×3 float64, one thread | fastsvd.torch ns "
             "| PyTorch ns | × faster |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {ours:,.0f} | {theirs:,.0f} | {theirs / ours:.1f} |"
              for name, ours, theirs in rows]
    return "\n".join(lines)


def format_table(rows) -> str:
    lines = ["| shape | dtype | kernel | matrices | fastsvd ns/matrix | numpy ns/matrix "
             "| speed-up | memory floor ns/matrix | speed-up the floor allows "
             "| fastsvd out= ns/matrix | floor, reused outputs ns/matrix |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        m, n = r.shape
        kernel = "jacobi-eigh" if r.op == "eigh" else kernel_name(m, n)
        lines.append(f"| {m}×{n} | {r.dtype} | {kernel} | {r.count:,} | "
                     f"{r.fastsvd_ns:,.1f} | {r.numpy_ns:,.0f} | {r.ratio:,.1f}× | "
                     f"{r.floor_ns:,.1f} | {r.ratio_bound:,.0f}× | "
                     f"{r.out_ns:,.1f} | {r.reused_floor_ns:,.1f} |")
    return "\n".join(lines)


def run(shapes, dtype="float64", count=None, repeat=3, progress=None,
        op="svd") -> list[BenchRow]:
    """bench_shape (bench_applications) for each shape; progress(i, shape), if
    given, is told before each."""
    rows = []
    for i, shape in enumerate(shapes):
        if progress:
            progress(i, shape)
        if op == "applications":
            rows += bench_applications(shape, dtype, count, repeat)
        else:
            rows.append(bench_shape(shape, dtype, count, repeat, op))
    return rows


def parse_shapes(text: str) -> list[tuple[int, int]]:
    """'2x2,3x3' → [(2, 2), (3, 3)]; ValueError, saying which item is wrong, for
    anything else or for a shape that has no fastsvd kernel (it would time
    numpy against itself).  (The eigh bench takes the square ones.)"""
    shapes = []
    for item in text.split(","):
        m, x, n = item.strip().lower().replace("×", "x").partition("x")
        try:
            shape = (int(m), int(n))
        except ValueError:
            shape = None
        if not x or shape is None:
            raise ValueError(f"{item.strip()!r} is not a shape: give M×N shapes such as "
                             "2x2,3x3")
        if kernel_name(*shape) is None:
            raise ValueError(f"{shape[0]}x{shape[1]} has no fastsvd kernel (fastsvd hands "
                             "such matrices to numpy.linalg.svd), so there is nothing to time")
        shapes.append(shape)
    return shapes
