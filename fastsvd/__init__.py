"""fastsvd: fast, accurate SVD of millions of small matrices.

``fastsvd.svd`` is a drop-in for :func:`numpy.linalg.svd`, ``fastsvd.eigh`` for
:func:`numpy.linalg.eigh`; the gufuncs behind them live in
:mod:`fastsvd.gufuncs` for Dask, xarray and ``out=`` users, and their
derivatives in :mod:`fastsvd.gradients`.
"""
from . import gradients, gufuncs
from ._eigh import EighResult, eigh, eigvalsh
from ._isa import config, show_config
from ._kabsch import KabschResult, kabsch
from ._linalg import (
    LinAlgError,
    SVDResult,
    kernel_name,
    low_rank,
    nearest_rotation,
    pinv,
    polar,
    svd,
    svdvals,
)

__version__ = "0.1.0"


def get_include() -> str:
    """The folder holding fastsvd's .pxd and header files, for Cython extensions.

    Extensions that ``from fastsvd.kernels cimport svd_small`` (see README)
    build against it, so that they call the per-matrix kernel without the
    GIL.

    Returns
    -------
    str
        The absolute path of the installed ``fastsvd`` package folder, which
        holds ``kernels.pxd``.

    See Also
    --------
    numpy.get_include : NumPy's headers, which such extensions need too.

    Notes
    -----
    Build with ``include_dirs=[fastsvd.get_include(), numpy.get_include()]``
    and ``cythonize(..., include_path=[os.path.dirname(fastsvd.get_include())])``.

    Examples
    --------
    >>> import os
    >>> import fastsvd
    >>> os.path.isfile(os.path.join(fastsvd.get_include(), "kernels.pxd"))
    True
    """
    import os
    return os.path.dirname(os.path.abspath(__file__))


__all__ = ["svd", "svdvals", "low_rank", "polar", "nearest_rotation", "pinv",
           "eigh", "eigvalsh", "kabsch", "kernel_name", "SVDResult", "EighResult",
           "KabschResult", "LinAlgError",
           "config", "show_config", "get_include", "gufuncs", "gradients", "__version__"]
