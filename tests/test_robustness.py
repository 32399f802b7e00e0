"""Robustness: fastsvd against everything a caller can throw at it.

1. A hypothesis fuzz campaign over shapes (0, 1, …, 33 on either side; stacks
   of 0–3 leading dimensions), dtypes, memory layouts (negative, zero and
   non-unit strides, Fortran order, read-only, non-native byte order,
   unaligned buffers), values (NaN, ±Inf, ±0, subnormals, ±1e±308, mixed
   magnitudes) and options, with numpy.linalg.svd as the oracle; plus the
   gufuncs' ``out=``.
2. Threads: concurrent calls and ``workers=`` give bit-identical results.
3. Memory: no growth over many calls; one large call peaks at inputs + outputs.
4. Time: pathological batches cost a small multiple of a random one.

numpy.linalg.svd can loop forever on non-finite input (a 3×3 float64 matrix
with an Inf in its corner), so the oracle never gives numpy a NaN or an Inf:
numpy only ever sees a copy in which every non-finite matrix is zeroed.  And
since fastsvd must not hang either, every fastsvd call on non-finite input
runs in a forked child under a timeout (``_call_bounded``).

Fuzz profiles: ``fastsvd-fuzz`` (300 examples per campaign, the same on every run,
no example database) unless ``FASTSVD_FUZZ=long`` selects ``fastsvd-fuzz-long``
(5000 random examples); ``pytest -m slow`` runs the long campaign as well.
The profiles apply to this file's campaigns only: they are registered under names
of their own and never loaded, so Hypothesis's active profile, and every settings
object any other test builds, keep their own database and randomness
(test_fuzz_profiles_are_the_intended_ones_and_stay_in_this_file).
"""
from __future__ import annotations

import gc
import math
import multiprocessing
import os
import statistics
import sys
import threading
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from numpy.linalg import LinAlgError

import fastsvd
from fastsvd import gufuncs as _gufuncs
from accuracy import assert_singular_values_near, assert_svd_contract, tolerance
from cases import shape_id, shapes

# ---------------------------------------------------------------- hypothesis profiles

# Not "default": re-registering the active profile reloads it (Hypothesis ≥ 6.117),
# and every settings object built afterwards, in any file, would inherit these.
_ACTIVE_PROFILE_BEFORE = settings.default
settings.register_profile(      # reproducible: the same examples on every run
    "fastsvd-fuzz", max_examples=300, derandomize=True, deadline=None, database=None,
    print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "fastsvd-fuzz-long", max_examples=5000, derandomize=False, deadline=None, database=None,
    print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LONG_CAMPAIGN = os.environ.get("FASTSVD_FUZZ", "").lower() == "long"
FUZZ_PROFILE = "fastsvd-fuzz-long" if LONG_CAMPAIGN else "fastsvd-fuzz"
FUZZ_SETTINGS = settings.get_profile(FUZZ_PROFILE)
LONG_SETTINGS = settings.get_profile("fastsvd-fuzz-long")

# ---------------------------------------------------------------- bounded calls

# A fastsvd call on non-finite input gets this long (it takes milliseconds); once one
# has hung, the rest get HANG_TIMEOUT_AFTER_HANG, so that shrinking a hang stays quick.
HANG_TIMEOUT = 3.0
HANG_TIMEOUT_AFTER_HANG = 0.5
_hangs_seen = []
_FORK = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _outcome(fn):
    """("ok", result) or ("exc", exception type, message): what fn() does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - the oracle compares exception types
        return ("exc", type(exc), str(exc))


def _call_bounded(fn, timeout=None):
    """_outcome(fn) computed in a forked child, or ("hang",) if it takes longer than timeout.

    A thread cannot do it: numpy's LAPACK loop holds the GIL while it spins.
    """
    if timeout is None:
        timeout = HANG_TIMEOUT_AFTER_HANG if _hangs_seen else HANG_TIMEOUT
    if _FORK is None:  # pragma: no cover - inline, the call could hang the test run
        pytest.skip("bounding a call that may hang needs fork()")
    reader, writer = _FORK.Pipe(duplex=False)

    def child():
        result = _outcome(fn)
        try:
            writer.send(result)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            writer.send(("exc", RuntimeError, f"unpicklable outcome: {exc!r}"))

    proc = _FORK.Process(target=child, daemon=True)
    proc.start()
    writer.close()
    try:
        if reader.poll(timeout):
            try:
                return reader.recv()
            except EOFError:
                return ("exc", RuntimeError, f"child died, exit code {proc.exitcode}")
        _hangs_seen.append(timeout)
        return ("hang",)
    finally:
        reader.close()
        if proc.is_alive():
            proc.kill()
        proc.join()


# ---------------------------------------------------------------- input generation

STRUCTURED = np.dtype([("x", "<f8"), ("y", "<i4")])
DTYPES = [np.dtype(t) for t in (
    "float64", "float32", "int64", "bool", "int8", "int16", "int32", "uint8", "uint16",
    "uint32", "uint64", "float16", "complex128", "complex64", "O", "<U8")] + [STRUCTURED]

F64 = np.finfo(np.float64)
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, F64.smallest_subnormal,
                     -F64.smallest_subnormal, 3 * F64.smallest_subnormal, F64.tiny, -F64.tiny,
                     1e-308, -1e-308, 1e308, -1e308, F64.max, -F64.max, 1.0, -1.0, 0.5])
TAME_KINDS = ["normal", "zeros", "rank1", "small_ints"]
EXTREME_KINDS = ["finite_specials", "scaled", "mixed", "subnormal", "huge", "graded_rows",
                 "graded_cols"]
VALUE_KINDS = TAME_KINDS + EXTREME_KINDS + ["specials"]
LAYOUTS = ["C", "F", "negative", "strided", "broadcast", "unaligned", "unaligned_F"]
NONFINITE_INJECTIONS = [None, None, None, "nan", "inf", "-inf"]
ALWAYS_NONFINITE = ["nan", "inf", "-inf"]

# Small sides mostly; sometimes medium; rarely the kernel/numpy boundary.
_SIDE = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4),
                  st.integers(5, 12), st.integers(30, 33))
# Small stack extents mostly; sometimes more than one SIMD block's worth (32).
_EXTENT = st.one_of(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(33, 70))
MAX_ELEMENTS = 40_000


def _range_of(dtype):
    """finfo of the real type whose range values are drawn in (float64 for non-floats)."""
    return np.finfo(dtype) if dtype.kind in "fc" else F64


def _specials(fi):
    """NaN, ±Inf, ±0 and the edges of a float type's range (and float64's, which may overflow)."""
    edges = [fi.max, fi.tiny, fi.smallest_subnormal, 3 * fi.smallest_subnormal, 0.5, 1.0]
    edges = np.array(edges, dtype=np.float64)
    return np.concatenate([SPECIALS, edges, -edges])


def _template(rng, shape, kind, fi=F64):
    """float64 values of the given shape and kind, their magnitudes scaled to fi's range
    (NaN and Inf included for "specials")."""
    m, n = shape[-2:]
    top = float(np.floor(np.log10(float(fi.max))))     # 308 for float64, 38 for float32
    span = max(top - 8, top / 2)                        # 300 for float64, 30 for float32
    normal = rng.standard_normal(shape)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if kind == "normal":
            return normal
        if kind in ("specials", "finite_specials"):
            values = _specials(fi)
            if kind == "finite_specials":
                values = values[np.abs(values) <= float(fi.max)]
            x = normal.copy()
            mask = rng.random(shape) < rng.uniform(0.05, 0.6)
            x[mask] = rng.choice(values, int(mask.sum()))
            return x
        if kind == "scaled":       # one magnitude per array, anywhere in the range
            low = int(np.floor(np.log10(float(fi.smallest_subnormal))))
            return normal * 10.0 ** float(rng.integers(low + 1, top))
        if kind == "mixed":        # magnitudes from 1e-300 to 1e300 (float64) within each matrix
            return normal * 10.0 ** rng.uniform(-span, span, shape)
        if kind == "zeros":
            return np.where(rng.random(shape) < 0.5, 0.0, -0.0)
        if kind == "rank1":
            return (rng.standard_normal(shape[:-1] + (1,))
                    * rng.standard_normal(shape[:-2] + (1, n)))
        if kind == "subnormal":
            return rng.integers(-30, 31, shape) * float(fi.smallest_subnormal)
        if kind == "huge":
            big, small = 10.0 ** top, 10.0 ** -top
            return rng.choice([big, -big, small, -small, float(fi.max), -float(fi.max)], shape)
        if kind == "graded_rows":
            return normal * 10.0 ** np.linspace(span, -span, m)[:, None]
        if kind == "graded_cols":
            return normal * 10.0 ** np.linspace(span, -span, n)[None, :]
        if kind == "small_ints":   # exact ties and rank deficiency
            return rng.integers(-2, 3, shape).astype(np.float64)
    raise AssertionError(kind)


def _values(rng, shape, dtype, kind):
    """An array of the given logical shape and (native) dtype."""
    fi = _range_of(dtype)
    x = _template(rng, shape, kind, fi)
    if dtype.kind == "b":
        return (rng.random(shape) < 0.5) if kind != "zeros" else np.zeros(shape, bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if kind in ("huge", "scaled", "mixed"):
            return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        lo = max(info.min, -9)
        return rng.integers(lo, 10, shape).astype(dtype)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if dtype.kind == "f":
            return x.astype(dtype)
        if dtype.kind == "c":
            y = _template(rng, shape, kind, fi) if rng.random() < 0.7 else np.zeros(shape)
            return (x + 1j * y).astype(dtype)
    if dtype.kind == "O":
        return x.astype(object)
    if dtype.kind == "U":
        return x.astype(dtype)
    out = np.zeros(shape, dtype)     # structured
    out["x"] = x
    out["y"] = 1
    return out


def _inject(rng, x, what, corner):
    """Put one NaN or ±Inf in x: at a random place, or at a matrix's (0, 0) corner."""
    if what is None or x.size == 0 or x.dtype.kind not in "fcO":
        return
    corner = corner and x.ndim >= 2
    value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[what]
    index = [int(rng.integers(0, e)) for e in x.shape]
    if corner:
        index[-2:] = [0, 0]
    x[tuple(index)] = value


def _layout(x, layout, order_seed):
    """A view of the same logical content as x in the given memory layout."""
    if layout == "C" or x.ndim < 2:
        return np.ascontiguousarray(x)
    if layout == "F":
        return np.asfortranarray(x)
    if layout == "negative":
        return np.flip(np.flip(x).copy())
    if layout == "strided":
        steps = [1 + (order_seed >> i) % 3 for i in range(x.ndim)]   # steps of 1, 2, 3
        big = np.zeros([max(e, 1) * s for e, s in zip(x.shape, steps)], x.dtype)
        view = big[tuple(slice(None, e * s, s) for e, s in zip(x.shape, steps))]
        view[...] = x
        return view
    if layout.startswith("unaligned"):
        if x.dtype.hasobject or x.dtype.alignment == 1:
            return np.ascontiguousarray(x)
        buf = np.zeros(x.nbytes + 1, np.uint8)
        order = "F" if layout.endswith("_F") else "C"
        view = np.ndarray(x.shape, x.dtype, buffer=buf, offset=1, order=order)
        view[...] = x
        assert not view.flags.aligned or x.size == 0
        return view
    raise AssertionError(layout)


@st.composite
def svd_cases(draw, kinds=VALUE_KINDS, injections=NONFINITE_INJECTIONS):
    """(array, kwargs, description): one fuzz case, its values of one of `kinds`, with
    one NaN or ±Inf put in as `injections` says (None: none)."""
    m, n = draw(_SIDE), draw(_SIDE)
    stack = draw(st.lists(_EXTENT, max_size=3))
    while stack and math.prod(stack) * max(m * n, 1) > MAX_ELEMENTS:
        stack.pop()
    shape = tuple(stack) + (m, n)
    if draw(st.integers(0, 39)) == 0:           # rarely, not a matrix at all
        shape = shape[-draw(st.integers(0, 1)):] if draw(st.booleans()) else ()
    dtype = draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(kinds))
    layout = draw(st.sampled_from(LAYOUTS))
    byteswap = draw(st.integers(0, 3)) == 0
    readonly = draw(st.booleans())
    injection = draw(st.sampled_from(injections))
    corner = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    kwargs = {"full_matrices": draw(st.booleans()), "compute_uv": draw(st.booleans()),
              "nonfinite": draw(st.sampled_from(["raise", "nan"]))}
    rng = np.random.default_rng(seed)

    # Broadcast (zero strides): values along one axis of extent > 1 repeat.
    gen_shape = shape
    if layout == "broadcast":
        axes = [i for i, e in enumerate(shape) if e > 1]
        if axes:
            axis = axes[int(rng.integers(0, len(axes)))]
            gen_shape = shape[:axis] + (1,) + shape[axis + 1:]
    if len(gen_shape) >= 2:
        x = _values(rng, gen_shape, dtype, kind)
    else:
        x = _values(rng, gen_shape + (1,) * (2 - len(gen_shape)), dtype, kind).reshape(gen_shape)
    x = np.array(x)      # writeable, even for a 0-d result
    _inject(rng, x, injection, corner)
    if byteswap:
        x = x.astype(x.dtype.newbyteorder())
    if layout == "broadcast":
        arr = np.broadcast_to(x, shape)
    else:
        arr = _layout(x, layout, seed)
    if readonly:
        arr.flags.writeable = False
    description = (f"shape={shape} dtype={arr.dtype.str} kind={kind} layout={layout} "
                   f"byteswap={byteswap} readonly={readonly} inject={injection} "
                   f"corner={corner} strides={arr.strides} {kwargs}")
    return arr, kwargs, description


# ---------------------------------------------------------------- the oracle

def _kernel_result_dtype(dtype):
    """The real dtype fastsvd's accuracy contract applies to, or None."""
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        return np.dtype(dtype.newbyteorder("="))
    return None


def _nonfinite_mask(a):
    """Which matrices of the stack hold NaN or Inf (only inexact dtypes can)."""
    if a.dtype.kind not in "fc" or a.ndim < 2:
        return np.zeros(a.shape[:-2] if a.ndim >= 2 else (), bool)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(a).all(axis=(-2, -1))


def _parts(result, compute_uv):
    return tuple(result) if compute_uv else (result,)


def _ld(x):
    return np.asarray(x, dtype=np.longdouble)


def check_svd_case(arr, kwargs, description):
    """fastsvd.svd(arr, **kwargs) against numpy.linalg.svd: the whole contract."""
    note(description)
    cuv = kwargs["compute_uv"]
    before = arr.tobytes() if not arr.dtype.hasobject else None
    logical = np.array(arr)                         # C-contiguous copy, same dtype
    bad = _nonfinite_mask(logical)
    any_bad = bool(np.any(bad))
    event(f"dtype {arr.dtype.name}, {'non-finite' if any_bad else 'finite'}")

    # numpy sees only finite data: matrices holding NaN/Inf are zeroed.
    safe = arr
    if any_bad:
        safe = logical.copy()
        safe[bad] = 0
    np_kwargs = {k: kwargs[k] for k in ("full_matrices", "compute_uv")}
    expected = _outcome(lambda: np.linalg.svd(safe, **np_kwargs))

    call = lambda: fastsvd.svd(arr, **kwargs)       # noqa: E731
    got = _call_bounded(call) if any_bad else _outcome(call)
    assert got[0] != "hang", f"fastsvd.svd did not return within {_hangs_seen[-1]} s"
    if before is not None:
        assert arr.tobytes() == before, "fastsvd.svd modified its input"

    if expected[0] == "exc":
        # numpy rejects the input whatever its values: the same exception type.
        assert got[0] == "exc", f"numpy raises {expected[1].__name__}, fastsvd returned"
        assert got[1] is expected[1], (got, expected)
        return
    if any_bad and kwargs["nonfinite"] == "raise":
        assert got[0] == "exc" and got[1] is LinAlgError, \
            f"NaN/Inf input with nonfinite='raise' must raise LinAlgError, got {got[:2]}"
        return
    assert got[0] == "ok", f"numpy returns, fastsvd raised {got[1].__name__}: {got[2]}"
    ref, res = expected[1], got[1]

    # numpy's result type, shapes and dtypes.
    assert type(res) is type(ref)
    res_parts, ref_parts = _parts(res, cuv), _parts(ref, cuv)
    assert len(res_parts) == len(ref_parts)
    for r, e in zip(res_parts, ref_parts):
        assert type(r) is type(e) and r.shape == e.shape and r.dtype == e.dtype, \
            (r.shape, r.dtype, e.shape, e.dtype)

    # NaN exactly in the matrices that held NaN or Inf (nonfinite="nan"); in a finite
    # matrix only where numpy gives NaN too (numpy overflows on complex near 1e308).
    numpy_nan = np.zeros(bad.shape, bool)
    for e in ref_parts:
        numpy_nan |= np.isnan(e.reshape(bad.shape + (-1,))).any(axis=-1) if e.size else False
    for r in res_parts:
        size = math.prod(r.shape[bad.ndim:])
        if size == 0:
            continue
        nan = np.isnan(r.reshape(bad.shape + (size,)))
        assert np.all(nan[bad]), "a matrix holding NaN/Inf must give NaN in all its outputs"
        assert not np.any(nan[~bad & ~numpy_nan]), "a finite matrix gave NaN"

    if logical.size == 0:        # empty: numpy's values exactly (identity U/Vh)
        for r, e in zip(res_parts, ref_parts):
            assert np.array_equal(r, e)
        return

    dtype = _kernel_result_dtype(arr.dtype)
    s, s_np = (res.S, ref.S) if cuv else (res, ref)
    good = ~bad & ~numpy_nan
    m, n = logical.shape[-2:]
    k = min(m, n)
    real = dtype if dtype is not None else (
        np.dtype(np.finfo(arr.dtype).dtype) if arr.dtype.kind in "fc" else None)
    if real is None or real.itemsize < 4:
        return
    tol = tolerance(real, m, n)
    tiny = float(np.finfo(real).smallest_subnormal)

    # Singular values: non-negative, descending, numpy's within tol·σ₁ + tiny.
    sg, sng = s[good], s_np[good]
    assert np.all(sg >= 0), "negative singular value"
    assert np.all(sg[..., 1:] <= sg[..., :-1]), "singular values not descending"
    comparable = np.isfinite(sg).all(axis=-1) & np.isfinite(sng).all(axis=-1)
    sigma1 = np.maximum(_ld(sg[..., :1]), _ld(sng[..., :1]))
    assert_singular_values_near(sg[comparable], sng[comparable], tol,
                                sigma1=sigma1[comparable], slack=tiny)

    if dtype is None:            # complex: numpy's own result, nothing more to measure
        return
    # The contract on the matrices numpy decomposes too: σ = inf only where ‖A‖_F
    # overflows, ‖A − U·S·Vh‖_F ≤ tol·‖A‖_F plus what rounding σ to the subnormal
    # grid costs, U and Vh finite and orthonormal.
    a = logical.astype(dtype)[good]
    result = (res.U[good], sg, res.Vh[good]) if cuv else sg
    assert_svd_contract(a, result, full_matrices=kwargs["full_matrices"], bar=tol,
                        slack=k * tiny, overflow_ok=True)


# Three campaigns, so that a bug in one domain does not stop the others exploring.

@FUZZ_SETTINGS
@given(case=svd_cases(kinds=TAME_KINDS, injections=[None]))
def test_fuzz_dtypes_layouts_and_shapes_meet_numpy_contract(case):
    check_svd_case(*case)


@FUZZ_SETTINGS
@given(case=svd_cases(kinds=EXTREME_KINDS, injections=[None]))
def test_fuzz_extreme_finite_values_meet_accuracy_contract(case):
    check_svd_case(*case)


@FUZZ_SETTINGS
@given(case=svd_cases(injections=ALWAYS_NONFINITE))
def test_fuzz_nonfinite_values_raise_or_give_nan_in_bounded_time(case):
    check_svd_case(*case)


@pytest.mark.slow
@LONG_SETTINGS
@given(case=svd_cases())
def test_fuzz_svd_meets_numpy_contract_long_campaign(case):
    """All of the above at once, 5000 random examples (CI: pytest -m slow)."""
    check_svd_case(*case)


_CAMPAIGNS = [test_fuzz_dtypes_layouts_and_shapes_meet_numpy_contract,
              test_fuzz_extreme_finite_values_meet_accuracy_contract,
              test_fuzz_nonfinite_values_raise_or_give_nan_in_bounded_time]


def _settings_of(test):
    return test._hypothesis_internal_use_settings


@pytest.mark.parametrize("campaign",
                         _CAMPAIGNS + [test_fuzz_svd_meets_numpy_contract_long_campaign],
                         ids=lambda t: t.__name__.removeprefix("test_fuzz_"))
def test_fuzz_profiles_are_the_intended_ones_and_stay_in_this_file(campaign):
    """Each campaign runs the settings the docstring promises, and nothing else does:
    the active profile is the one that was active before this file was imported,
    and Hypothesis's "default" profile keeps its database and its randomness."""
    used = _settings_of(campaign)
    long = campaign not in _CAMPAIGNS or LONG_CAMPAIGN
    assert used.max_examples == (5000 if long else 300)
    assert used.derandomize is (not long)
    assert used.database is None and used.deadline is None
    assert settings.default is _ACTIVE_PROFILE_BEFORE
    default = settings.get_profile("default")
    assert default.derandomize is False and default.database is not None
    assert default.max_examples == 100


# ---------------------------------------------------------------- non-native byte order

def _big_endian(a):
    return a.astype(a.dtype.newbyteorder(">"))


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("shape,dtype", [((33, 33), np.float64), ((2, 3, 3), np.complex128),
                                         ((3, 40), np.float32)],
                         ids=["33x33-f8", "3x3-c16", "3x40-f4"])
def test_nonfinite_check_covers_non_native_byte_order(shape, dtype, value):
    """Byte-swapped NaN/Inf input on the numpy path: LinAlgError / NaN outputs, never LAPACK.

    (numpy loops forever on an Inf in the corner of, e.g., a 3×3, 4×4 or 3×40 matrix.)
    """
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    a[..., 0, 0] = value
    b = _big_endian(a)
    got = _call_bounded(lambda: fastsvd.svd(b))
    assert got[0] != "hang", "fastsvd.svd hung on byte-swapped non-finite input"
    assert got[0] == "exc" and got[1] is LinAlgError, got[:3]
    got = _call_bounded(lambda: fastsvd.svd(b, nonfinite="nan"))
    assert got[0] == "ok", got[:3]
    for part in got[1]:
        assert np.isnan(part).all()


# ---------------------------------------------------------------- graded magnitudes

def _graded_cases():
    ones = {k: np.eye(k) + 1 for k in (3, 5)}           # well conditioned: κ(I + 11ᵀ) = k + 1
    rng = np.random.default_rng(187)
    return {
        "5x5-f8-rows-1e-40": ones[5] * 10.0 ** (-40 * np.arange(5))[:, None],
        "3x3-f8-cols-1e-160": ones[3] * np.array([1.0, 1e-160, 1e-320]),
        "30x7-f8-rows-1e300..1e-300": (rng.standard_normal((30, 7))
                                       * 10.0 ** np.linspace(300, -300, 30)[:, None]),
        "5x5-f4-cols-1e-11": (ones[5] * 10.0 ** (-11 * np.arange(5))).astype(np.float32),
        "5x5-f4-cols-1e30..1e-30": (np.random.default_rng(1).standard_normal((5, 5))
                                    * 10.0 ** np.linspace(30, -30, 5)).astype(np.float32),
        # Rank one: a row of 1e300 (or of the largest double) over rows of ones.
        "4x4-f8-rank1-row-1e300": np.ones((4, 4)) * np.array([1e300, 1, 1, 1])[:, None],
        "5x5-f8-rank1-row-max": np.ones((5, 5)) * np.array([0.5, 0.25, 0.5, F64.max, 1])[:, None],
    }


@pytest.mark.parametrize("batched", [False, True], ids=["single", "batched"])
@pytest.mark.parametrize("case", list(_graded_cases()))
def test_u_and_vh_stay_orthonormal_for_graded_magnitudes(case, batched):
    """Rows or columns of very different magnitudes, graded or rank one (found by the fuzz
    campaign): U and Vh orthonormal to tolerance(), as for any other matrix."""
    a = _graded_cases()[case]
    m, n = a.shape
    tol = tolerance(a.dtype, m, n)
    u, s, vh = fastsvd.svd(a[None].repeat(40, 0) if batched else a)
    if batched:
        u, s, vh = u[-1], s[-1], vh[-1]
    s_np = np.linalg.svd(a, compute_uv=False)
    tiny = float(np.finfo(a.dtype).smallest_subnormal)
    if np.isfinite(s_np[0]):            # (σ₁ of the last case overflows: inf for both)
        assert_singular_values_near(s, s_np, tol, slack=tiny)
    # U, Vh finite and orthonormal; A = U·S·Vh where σ₁ is representable.
    assert_svd_contract(a, (u, s, vh), full_matrices=True, overflow_ok=True)


# ---------------------------------------------------------------- gufunc out=

_GUFUNC_SHAPES = {   # gufunc: its (U, S, Vh) core shapes for an m×n input
    "svd_full_m_ge_n": lambda m, n: ((m, m), (n,), (n, n)),
    "svd_thin_m_ge_n": lambda m, n: ((m, n), (n,), (n, n)),
    "svd_full_m_lt_n": lambda m, n: ((m, m), (m,), (n, n)),
    "svd_thin_m_lt_n": lambda m, n: ((m, m), (m,), (m, n)),
}
_OUT_CASES = [("svd_full_m_ge_n", 3, 3), ("svd_full_m_ge_n", 5, 3), ("svd_thin_m_ge_n", 4, 4),
              ("svd_thin_m_ge_n", 7, 2), ("svd_full_m_lt_n", 2, 5), ("svd_thin_m_lt_n", 3, 8)]


def _stack(m, n, count=70, dtype=np.float64, seed=3):
    return np.random.default_rng(seed).standard_normal((count, m, n)).astype(dtype)


def _bits(x):
    return np.ascontiguousarray(x).tobytes()


def _numpy_ufunc_error(**out):
    """The exception numpy's own ufunc machinery raises for the same mistake."""
    try:
        np.matmul(np.ones((4, 3, 3)), np.ones((4, 3, 3)), **out)
    except Exception as exc:  # noqa: BLE001
        return type(exc)
    raise AssertionError("numpy accepted it")


@pytest.mark.parametrize("spacing", [1, 2], ids=["contiguous", "every-other"])
@pytest.mark.parametrize("name,m,n", _OUT_CASES)
def test_gufunc_out_filled_and_returned(name, m, n, spacing):
    gufunc = getattr(_gufuncs, name)
    a = _stack(m, n)
    ref = gufunc(a)
    # Contiguous outputs, or non-contiguous ones (every other slot of a bigger array).
    outs = tuple(np.full((70 * spacing,) + s, 7.0)[::spacing] for s in _GUFUNC_SHAPES[name](m, n))
    res = gufunc(a, out=outs)
    assert all(r is o for r, o in zip(res, outs))
    for r, e in zip(res, ref):
        assert _bits(r) == _bits(e)
    s_out = np.empty((70, min(m, n)))
    values = getattr(_gufuncs, name.replace("full", "values").replace("thin", "values"))
    assert values(a, out=s_out) is s_out
    assert _bits(s_out) == _bits(values(a))


_WHICH = pytest.mark.parametrize("which", [0, 1, 2], ids=["U", "S", "Vh"])


@pytest.mark.parametrize("wrong", ["count", "core"])
@_WHICH
@pytest.mark.parametrize("name,m,n", _OUT_CASES)
def test_gufunc_out_wrong_shape_raises_valueerror(name, m, n, which, wrong):
    """One output one matrix short, or with each core dimension one too many."""
    gufunc = getattr(_gufuncs, name)
    a = _stack(m, n)
    core = _GUFUNC_SHAPES[name](m, n)
    outs = [np.empty((70,) + s) for s in core]
    outs[which] = np.empty((69,) + core[which] if wrong == "count"
                           else (70,) + tuple(d + 1 for d in core[which]))
    with pytest.raises(ValueError):
        gufunc(a, out=tuple(outs))


@pytest.mark.parametrize("name,m,n", _OUT_CASES)
def test_gufunc_out_too_few_raises_valueerror(name, m, n):
    gufunc = getattr(_gufuncs, name)
    core = _GUFUNC_SHAPES[name](m, n)
    with pytest.raises(ValueError):        # two outputs for three
        gufunc(_stack(m, n), out=tuple(np.empty((70,) + s) for s in core[:2]))


@pytest.mark.parametrize("bad_dtype", [np.int64, np.bool_], ids=["int64", "bool"])
@_WHICH
@pytest.mark.parametrize("name,m,n", _OUT_CASES)
def test_gufunc_out_wrong_dtype_raises_numpys_typeerror(name, m, n, which, bad_dtype):
    gufunc = getattr(_gufuncs, name)
    a = _stack(m, n)
    core = _GUFUNC_SHAPES[name](m, n)
    expected = _numpy_ufunc_error(out=np.empty((4, 3, 3), np.int64))
    outs = [np.empty((70,) + s) for s in core]
    outs[which] = np.empty((70,) + core[which], bad_dtype)
    with pytest.raises(TypeError) as info:
        gufunc(a, out=tuple(outs))
    assert type(info.value) is expected


@pytest.mark.parametrize("name,m,n", _OUT_CASES)
def test_gufunc_out_read_only_raises_like_numpy(name, m, n):
    """A read-only output is refused like numpy refuses it."""
    gufunc = getattr(_gufuncs, name)
    a = _stack(m, n)
    core = _GUFUNC_SHAPES[name](m, n)
    outs = [np.empty((70,) + s) for s in core]
    outs[0].flags.writeable = False
    ro = np.empty((4, 3, 3))
    ro.flags.writeable = False
    with pytest.raises(_numpy_ufunc_error(out=ro)):
        gufunc(a, out=tuple(outs))


@pytest.mark.parametrize("name,m,n,which", [
    ("svd_full_m_ge_n", 3, 3, 0), ("svd_full_m_ge_n", 3, 3, 2), ("svd_full_m_ge_n", 4, 4, 0),
    ("svd_full_m_ge_n", 2, 2, 2), ("svd_thin_m_ge_n", 5, 3, 0), ("svd_thin_m_ge_n", 8, 8, 0),
    ("svd_thin_m_lt_n", 3, 5, 2), ("svd_full_m_lt_n", 6, 6, 0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gufunc_out_aliasing_input_gives_unaliased_result(name, m, n, which, dtype):
    """out U (or Vh) = the input array itself, and a partly overlapping view of it."""
    gufunc = getattr(_gufuncs, name)
    a = _stack(m, n, dtype=dtype)
    ref = gufunc(a.copy())
    core = _GUFUNC_SHAPES[name](m, n)
    b = a.copy()
    outs = [np.empty((70,) + s, dtype) for s in core]
    outs[which] = b
    res = gufunc(b, out=tuple(outs))
    assert res[which] is b
    for r, e in zip(res, ref):
        assert _bits(r) == _bits(e)
    # Shifted by one matrix: the output overlaps the input's next matrix.
    big = np.concatenate([a, a[:1]])
    ref = gufunc(big[1:].copy())
    outs = [np.empty((70,) + s, dtype) for s in core]
    outs[which] = big[:-1]
    res = gufunc(big[1:], out=tuple(outs))
    for r, e in zip(res, ref):
        assert _bits(r) == _bits(e)


# ---------------------------------------------------------------- threads

def _thread_inputs():
    rng = np.random.default_rng(11)
    bad = rng.standard_normal((100, 3, 3))
    bad[::7, 1, 2] = np.nan
    return [rng.standard_normal((300, 3, 3)),
            rng.standard_normal((3, 3)),
            rng.standard_normal((100, 8, 5)).astype(np.float32),
            rng.standard_normal((129, 2, 2)),
            rng.standard_normal((4, 33, 33)),
            rng.standard_normal((64, 4, 6)),
            rng.standard_normal((40, 3, 3)) + 1j * rng.standard_normal((40, 3, 3)),
            rng.integers(-5, 6, (200, 5, 5))]


_THREAD_FUNCTIONS = {
    "svd": lambda a: fastsvd.svd(a),
    "svd_thin": lambda a: fastsvd.svd(a, full_matrices=False),
    "svdvals": lambda a: fastsvd.svd(a, compute_uv=False),
    "pinv": lambda a: fastsvd.pinv(a),
    "polar": lambda a: fastsvd.polar(a),
}


def _flatten(result):
    if isinstance(result, np.ndarray):
        return [result]
    return [x for part in result for x in _flatten(part)]


def _assert_bit_identical(got, want):
    got, want = _flatten(got), _flatten(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype and _bits(g) == _bits(w)


@pytest.mark.parametrize("fname", list(_THREAD_FUNCTIONS))
def test_threads_on_different_inputs_give_serial_bits(fname):
    fn = _THREAD_FUNCTIONS[fname]
    inputs = _thread_inputs()
    serial = [fn(a) for a in inputs]
    start = threading.Barrier(len(inputs))

    def work(i):
        start.wait()
        return [fn(inputs[i]) for _ in range(15)]

    with ThreadPoolExecutor(len(inputs)) as pool:
        results = list(pool.map(work, range(len(inputs))))
    for i, runs in enumerate(results):
        for res in runs:
            _assert_bit_identical(res, serial[i])


@pytest.mark.parametrize("fname", list(_THREAD_FUNCTIONS))
def test_threads_on_one_shared_readonly_input_give_serial_bits(fname):
    fn = _THREAD_FUNCTIONS[fname]
    a = np.random.default_rng(12).standard_normal((500, 3, 3))
    a.flags.writeable = False
    single = a[7]
    serial, serial_one = fn(a), fn(single)
    start = threading.Barrier(8)

    def work(_):
        start.wait()
        return [(fn(a), fn(single)) for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        for runs in pool.map(work, range(8)):
            for res, res_one in runs:
                _assert_bit_identical(res, serial)
                _assert_bit_identical(res_one, serial_one)


def test_threads_keep_nonfinite_policies_apart():
    """NaN input raising in some threads never leaks a LinAlgError (or NaN) into others."""
    rng = np.random.default_rng(13)
    finite = rng.standard_normal((200, 3, 3))
    nan = finite.copy()
    nan[5, 0, 0] = np.nan
    ref = fastsvd.svd(finite)
    start = threading.Barrier(8)

    def work(i):
        start.wait()
        for _ in range(40):
            if i % 2:
                with pytest.raises(LinAlgError):
                    fastsvd.svd(nan[i % 3:] if i % 4 == 1 else nan[5])
            else:
                _assert_bit_identical(fastsvd.svd(finite), ref)
                out = fastsvd.svd(nan, nonfinite="nan")
                assert np.isnan(out.S[5]).all() and not np.isnan(np.delete(out.S, 5, 0)).any()
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


_WORKER_BATCHES = {
    "20000x3x3": lambda rng: rng.standard_normal((20000, 3, 3)),
    "20002x3x3": lambda rng: rng.standard_normal((20002, 3, 3)),
    "2x5000x4x4": lambda rng: rng.standard_normal((2, 5000, 4, 4)),
    "9001x5x3-f32": lambda rng: rng.standard_normal((9001, 5, 3)).astype(np.float32),
}


@pytest.mark.parametrize("kwargs", [{}, {"full_matrices": False}, {"compute_uv": False}],
                         ids=["full", "thin", "values"])
@pytest.mark.parametrize("workers", [2, -1, 3])
@pytest.mark.parametrize("batch", list(_WORKER_BATCHES))
def test_workers_give_bit_identical_results(batch, workers, kwargs):
    a = _WORKER_BATCHES[batch](np.random.default_rng(14))
    _assert_bit_identical(fastsvd.svd(a, workers=workers, **kwargs),
                          fastsvd.svd(a, workers=1, **kwargs))


@pytest.mark.parametrize("i", [0, 5, 6, 33, 69], ids=["first", "graded", "rank-deficient",
                                                     "33rd", "last"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", shapes("kernel"), ids=shape_id)
def test_a_matrix_gets_the_same_bits_alone_as_in_any_block(shape, dtype, i):
    """One matrix takes its own (scalar) path through the loop, a partial block
    another, a full block the SIMD one: all round alike."""
    rng = np.random.default_rng(15)
    a = rng.standard_normal((70,) + shape).astype(dtype)
    a[5] *= np.logspace(0, -12, shape[1]).astype(dtype)     # graded
    a[6, :, -1] = a[6, :, 0]                                  # rank-deficient
    whole = fastsvd.svd(a)
    _assert_bit_identical(fastsvd.svd(a[i]), [x[i] for x in whole])
    _assert_bit_identical(fastsvd.svd(a[i:i + 1]), [x[i:i + 1] for x in whole])
    _assert_bit_identical(fastsvd.svd(a[i:]), [x[i:] for x in whole])


@pytest.mark.parametrize("layout", ["fortran-outputs", "strided-input", "transposed-input"])
@pytest.mark.parametrize("flavour", ["full", "thin", "values"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (2, 3), (3, 3), (4, 4), (4, 3), (5, 3)],
                         ids=shape_id)
def test_contiguous_and_strided_stacks_give_the_same_bits(shape, dtype, flavour, layout):
    """Full blocks of a contiguous stack move by index tables (gathers), the
    rest by strided loops: the same values either way.  100 matrices: full
    blocks and a partial one."""
    a = np.random.default_rng(16).standard_normal((100,) + shape).astype(dtype)
    name = f"svd_{flavour}_m_{'ge' if shape[0] >= shape[1] else 'lt'}_n"
    gufunc = getattr(_gufuncs, name)
    want = _flatten(gufunc(a))
    if layout == "strided-input":
        spaced = np.empty((200,) + shape, dtype)
        spaced[::2] = a
        got = gufunc(spaced[::2])
    elif layout == "transposed-input":
        got = gufunc(np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2))
    else:
        outs = [np.empty(w.shape[::-1], dtype).T for w in want]
        got = gufunc(a, out=tuple(outs))
    _assert_bit_identical(got, want)


@pytest.mark.parametrize("workers,error", [(0, ValueError), (-2, ValueError), (1.5, TypeError)])
def test_invalid_workers_raise_for_stacks(workers, error):
    a = np.random.default_rng(15).standard_normal((10, 3, 3))
    with pytest.raises(error):
        fastsvd.svd(a, workers=workers)
    with pytest.raises(error):
        fastsvd.svdvals(a, workers=workers)


@pytest.mark.parametrize("shape,dtype", [((3, 3), np.float64), ((40, 40), np.float64),
                                         ((2, 3, 3), np.complex128), ((2, 0, 3), np.float64)],
                         ids=["single-3x3", "single-40x40", "complex-stack", "empty-stack"])
@pytest.mark.parametrize("workers,error", [(0, ValueError), (-2, ValueError), (1.5, TypeError)])
def test_invalid_workers_raise_whatever_the_input(shape, dtype, workers, error):
    """workers is validated as for a stack, not silently ignored for other inputs."""
    a = np.ones(shape, dtype)
    with pytest.raises(error):
        fastsvd.svd(a, workers=workers)


# ---------------------------------------------------------------- memory

RSS_TOLERANCE = 20 * 2**20     # bytes of resident memory growth allowed
PEAK_SLACK = 0.10              # one call may peak at (inputs + outputs)·(1 + this)


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


needs_statm = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                 reason="resident memory read from /proc/self/statm")


def _rss_growth(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    gc.collect()
    before = _rss()
    for _ in range(repeats):
        fn()
    gc.collect()
    return _rss() - before


@needs_statm
def test_memory_stable_over_100000_single_calls():
    a = np.random.default_rng(16).standard_normal((3, 3))
    growth = _rss_growth(lambda: fastsvd.svd(a), 100_000, 2_000)
    assert growth <= RSS_TOLERANCE, f"resident memory grew {growth / 2**20:.1f} MiB"


@needs_statm
def test_memory_stable_over_100_calls_on_a_100000_matrix_batch():
    a = np.random.default_rng(17).standard_normal((100_000, 3, 3))
    growth = _rss_growth(lambda: fastsvd.svd(a), 100, 3)
    assert growth <= RSS_TOLERANCE, f"resident memory grew {growth / 2**20:.1f} MiB"


@needs_statm
def test_memory_stable_over_failing_calls():
    nan = np.random.default_rng(18).standard_normal((3, 3))
    nan[1, 1] = np.nan
    calls = [lambda: fastsvd.svd(nan), lambda: fastsvd.svd(nan[None].repeat(4, 0)),
             lambda: fastsvd.svd(np.ones((3, 3), np.float16)),
             lambda: fastsvd.svd(np.ones((2, 3, 3)), nonfinite="bogus")]

    def fail_all():
        for call in calls:
            with pytest.raises((LinAlgError, TypeError, ValueError)):
                call()

    growth = _rss_growth(fail_all, 10_000, 500)
    assert growth <= RSS_TOLERANCE, f"resident memory grew {growth / 2**20:.1f} MiB"


@pytest.mark.parametrize("dtype,kwargs", [
    (np.float64, {}), (np.float64, {"full_matrices": False}), (np.float64, {"compute_uv": False}),
    (np.float64, {"workers": 2}), (np.float64, {"nonfinite": "nan"}), (np.float32, {})],
    ids=["full", "thin", "values", "workers2", "nonfinite-nan", "float32"])
def test_peak_memory_of_a_large_call_is_inputs_plus_outputs(dtype, kwargs):
    gc.collect()
    tracemalloc.start()
    try:
        a = np.random.default_rng(19).standard_normal((1_000_000, 3, 3)).astype(dtype)
        gc.collect()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        res = fastsvd.svd(a, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outputs = sum(x.nbytes for x in _flatten(res))
    allowed = (a.nbytes + outputs) * (1 + PEAK_SLACK)
    used = peak - base + a.nbytes           # the input counts once
    assert used <= allowed, f"peak {used / 2**20:.0f} MiB > {allowed / 2**20:.0f} MiB"


# ---------------------------------------------------------------- bounded time

TIME_RATIO = 10.0      # a pathological batch may cost this many random batches
# ... and a row-graded one, which takes the scalar refinement path (below).
SCALAR_PATH_TIME_RATIO = 200.0


def _cpu_time(fn, repeats=3):
    """Median CPU time of fn() (CPU, not wall: immune to the other users of shared cores)."""
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def _pathological(kind, shape, dtype, rng):
    normal = rng.standard_normal(shape)
    m, n = shape[-2:]
    with np.errstate(over="ignore", under="ignore"):
        x = {
            "nan": lambda: np.full(shape, np.nan),
            "inf": lambda: np.where(normal < 0, -np.inf, np.inf),
            "zeros": lambda: np.zeros(shape),
            "pm1e308": lambda: rng.choice([1e308, -1e308, 1e-308, -1e-308], shape),
            "subnormal": lambda: rng.integers(-50, 51, shape) * F64.smallest_subnormal,
            "mixed_1e300_1e-300":
                lambda: normal * np.where(rng.random(shape) < 0.5, 1e300, 1e-300),
            "graded_rows": lambda: normal * 10.0 ** np.linspace(300, -246, m)[:, None],
            "graded_rows_3": lambda: normal * np.array([1e300, 1e145, 1e-10])[:, None],
            "f32_graded_rows": lambda: normal * np.array([1e37, 1e17, 1e-3])[:, None],
            "f32_graded_rows_8": lambda: normal * 10.0 ** np.linspace(37, -33, m)[:, None],
        }[kind]()
        return x.astype(dtype)


def _assert_bounded_time(kind, shape, dtype, bar=TIME_RATIO):
    rng = np.random.default_rng(20)
    base = rng.standard_normal(shape).astype(dtype)
    bad = _pathological(kind, shape, dtype, rng)
    run_base = lambda: fastsvd.svd(base, nonfinite="nan")   # noqa: E731
    run_bad = lambda: fastsvd.svd(bad, nonfinite="nan")     # noqa: E731
    run_base(), run_bad()                                   # warm up
    t_base = _cpu_time(run_base)
    t_bad = _cpu_time(run_bad)
    t_base = min(t_base, _cpu_time(run_base))              # the base at its steadiest
    ratio = t_bad / max(t_base, 1e-4)
    assert ratio <= bar, \
        f"{kind} {shape} {np.dtype(dtype).name}: {t_bad:.3f} s = {ratio:.1f}× a random batch"


@pytest.mark.parametrize("kind", ["nan", "inf", "zeros", "pm1e308", "subnormal",
                                  "mixed_1e300_1e-300"])
@pytest.mark.parametrize("shape", [(50_000, 3, 3), (5_000, 8, 8)], ids=["50000x3x3", "5000x8x8"])
def test_pathological_batches_run_in_bounded_time(shape, kind):
    _assert_bounded_time(kind, shape, np.float64)


@pytest.mark.parametrize("kind,shape,dtype", [
    ("graded_rows_3", (50_000, 3, 3), np.float64),
    ("graded_rows", (5_000, 8, 8), np.float64),
    ("f32_graded_rows", (50_000, 3, 3), np.float32),
    ("f32_graded_rows_8", (5_000, 8, 8), np.float32)],
    ids=["3x3-f8-rows", "8x8-f8-rows", "3x3-f4-rows", "8x8-f4-rows"])
# Known, open: every such matrix takes the one-matrix-at-a-time path that
# finishes columns below √(underflow) (refine_small_columns), 7–70× slower than
# the SIMD kernels (3×3 float64 sits near 10×, so a bar of 10× would pass or
# fail with the machine's load).  Still bounded (MAX_LEVELS × REFINE_ROUNDS ×
# MAX_SWEEPS): that bound is what this asserts.
def test_graded_magnitude_batches_run_in_bounded_time(kind, shape, dtype):
    """Rows (or columns) of very different magnitudes within each matrix of the batch."""
    _assert_bounded_time(kind, shape, dtype, SCALAR_PATH_TIME_RATIO)
