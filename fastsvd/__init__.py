"""fastsvd: fast, accurate SVD of millions of small matrices.

``fastsvd.svd`` is a drop-in for :func:`numpy.linalg.svd`; the gufuncs behind
it live in :mod:`fastsvd.gufuncs` for Dask, xarray and ``out=`` users.
"""
from . import gufuncs
from ._isa import config, show_config
from ._linalg import (LinAlgError, SVDResult, kernel_name, low_rank, nearest_rotation,
                      pinv, polar, svd, svdvals)

__version__ = "0.1.0"


def get_include() -> str:
    """The folder holding fastsvd's .pxd and header files, for building Cython
    extensions that ``from fastsvd.kernels cimport svd_small`` (see README)."""
    import os
    return os.path.dirname(os.path.abspath(__file__))


__all__ = ["svd", "svdvals", "low_rank", "polar", "nearest_rotation", "pinv",
           "kernel_name", "SVDResult", "LinAlgError", "config", "show_config",
           "get_include", "gufuncs", "__version__"]
