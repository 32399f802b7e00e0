"""Choose, at import, the instruction-set build of fastsvd's gufuncs for this CPU.

The same kernels are compiled once per row of _isa_table.ISAS; the best build
that this CPU and its OS support is used.  ``FASTSVD_ISA`` forces one
(``baseline``, ``avx2``, ``avx512``), e.g. to compare them.
"""
from __future__ import annotations

import importlib
import os

from ._isa_table import ISAS


def cpu_features() -> dict[str, bool]:
    """The CPU features numpy detected at run time (OS support included)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - numpy moved it
        return {}
    return dict(__cpu_features__)


def _load(isa: str):
    return importlib.import_module(f"fastsvd._gufuncs_{isa}")


def _runnable_builds(only=None):
    """(name, module) of every build installed here that this CPU runs (or of
    `only`), best first; lazily, so that a caller taking the first loads no other."""
    features = cpu_features()
    for name, _flags, needs, _machines in ISAS:
        if (only is None or name == only) and all(features.get(f, False) for f in needs):
            try:
                yield name, _load(name)
            except ImportError:  # not built for this platform
                continue


def available() -> list[str]:
    """The builds installed here that this CPU can run, best first."""
    return [name for name, _ in _runnable_builds()]


def choose_build():
    """(name, module) of the build to use: FASTSVD_ISA's, or the best one."""
    forced = os.environ.get("FASTSVD_ISA") or None
    chosen = next(_runnable_builds(forced), None)
    if chosen is None and forced:
        raise ImportError(f"FASTSVD_ISA={forced!r} is not available here "
                          f"(available: {', '.join(available())})")
    if chosen is None:
        from ._install_hint import shadowing_hint
        raise ImportError(shadowing_hint())
    return chosen


ACTIVE_ISA, compiled = choose_build()


def config() -> dict:
    """What this installation of fastsvd runs: the active build and what it could run.

    The kernels are compiled once per instruction set (baseline x86-64,
    AVX2 + FMA, AVX-512).  At import, fastsvd picks the best build that this
    CPU and its OS support, as numpy's run-time CPU detection reports them,
    unless the ``FASTSVD_ISA`` environment variable forces one (``baseline``,
    ``avx2`` or ``avx512``).  On other architectures only the baseline build
    exists.

    Returns
    -------
    dict
        One entry per fact, in this order:

        * ``"fastsvd"``, ``"numpy"``: their versions;
        * ``"active_isa"``: the build in use;
        * ``"available_isas"``: the builds installed that this CPU can run,
          best first;
        * ``"block_lanes"``: how many matrices a SIMD block holds;
        * ``"wide_block_lanes"``: the wider block of the generic Jacobi
          kernel for float64 matrices of up to 256 entries (16×16);
        * ``"max_kernel_dim"``: the largest side the kernels take (larger
          matrices go to numpy);
        * ``"cpu_features"``: the CPU features numpy detected, sorted.

    See Also
    --------
    show_config : The same, printed.

    Examples
    --------
    >>> import fastsvd
    >>> info = fastsvd.config()
    >>> info["active_isa"] in info["available_isas"]
    True
    >>> info["max_kernel_dim"]
    32
    """
    import numpy as np

    from . import __version__
    return {
        "fastsvd": __version__,
        "numpy": np.__version__,
        "active_isa": ACTIVE_ISA,
        "available_isas": available(),
        "block_lanes": compiled.BLOCK_LANES,
        "wide_block_lanes": compiled.WIDE_BLOCK_LANES,
        "max_kernel_dim": compiled.MAX_KERNEL_DIM,
        "cpu_features": sorted(f for f, on in cpu_features().items() if on),
    }


def show_config() -> None:
    """Print :func:`config`: which instruction-set build of the kernels is active, and why.

    One line per entry of :func:`config`, lists joined by commas: the active
    build, the builds this CPU could run, and the CPU features that decided
    the choice.  Worth pasting into a bug report.

    See Also
    --------
    config : The same, as a dict.

    Examples
    --------
    >>> import fastsvd
    >>> fastsvd.show_config()  # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    fastsvd: ...
    active_isa: ...
    """
    items = config()
    width = max(map(len, items))
    for key, value in items.items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key:>{width}}: {value}")
