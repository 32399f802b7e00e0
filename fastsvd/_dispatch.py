"""Choose, at import, the build of fastsvd's gufuncs for the CPU it runs on.

The same kernels are compiled for several instruction sets (setup.py); the
best one this CPU and its OS support is used.  ``FASTSVD_ISA`` forces one
(``baseline``, ``avx2``, ``avx512``), e.g. to compare them.
"""
from __future__ import annotations

import importlib
import os

# Best first: (module suffix, CPU features it needs, as numpy names them).
VARIANTS = (
    ("avx512", ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX2", "FMA3")),
    ("avx2", ("AVX2", "FMA3")),
    ("baseline", ()),
)


def cpu_features() -> dict[str, bool]:
    """The CPU features numpy detected at run time (OS support included)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - numpy moved it
        return {}
    return dict(__cpu_features__)


def load(isa: str):
    return importlib.import_module(f"fastsvd._gufuncs_{isa}")


def available() -> list[str]:
    """The variants built into this installation that this CPU can run."""
    features = cpu_features()
    names = []
    for name, needs in VARIANTS:
        if all(features.get(f, False) for f in needs):
            try:
                load(name)
            except ImportError:
                continue
            names.append(name)
    return names


def select():
    forced = os.environ.get("FASTSVD_ISA")
    if forced:
        if forced not in available():
            raise ImportError(f"FASTSVD_ISA={forced!r} is not available here "
                              f"(available: {', '.join(available())})")
        return forced, load(forced)
    features = cpu_features()
    for name, needs in VARIANTS:
        if all(features.get(f, False) for f in needs):
            try:
                return name, load(name)
            except ImportError:  # not built for this platform
                continue
    raise ImportError("fastsvd's compiled gufuncs are missing: reinstall fastsvd")


ACTIVE_ISA, gufuncs = select()


def config() -> dict:
    """What this installation of fastsvd runs: the active build and what it could run."""
    import numpy as np

    from . import __version__
    return {
        "fastsvd": __version__,
        "numpy": np.__version__,
        "active_isa": ACTIVE_ISA,
        "available_isas": available(),
        "simd_block": gufuncs.SIMD_BLOCK,
        "simd_block_jacobi_float64": gufuncs.WIDE_SIMD_BLOCK,
        "max_kernel_dim": gufuncs.MAX_KERNEL_DIM,
        "cpu_features": sorted(f for f, on in cpu_features().items() if on),
    }


def show_config() -> None:
    """Print :func:`config`: which instruction-set build of the kernels is active, and why."""
    for key, value in config().items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key:>15}: {value}")
