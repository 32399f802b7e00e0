"""fastsvd's NumPy generalized ufuncs, for callers who want them directly.

They broadcast, take ``out=``, and run unchanged under Dask (``apply_gufunc``)
and ``xarray.apply_ufunc``.  Each SVD flavour has a gufunc for M ≥ N and one
for M < N, as numpy 2.0 had; ``fastsvd.svd`` picks between them.  A matrix
holding NaN or Inf gets NaN outputs and raises the floating-point "invalid"
flag (a RuntimeWarning under numpy's default errstate).  M and N must not
exceed ``MAX_KERNEL_DIM``.
"""
from ._dispatch import gufuncs as _active

svd_values_m_ge_n = _active.svd_values_m_ge_n
svd_values_m_lt_n = _active.svd_values_m_lt_n
svd_thin_m_ge_n = _active.svd_thin_m_ge_n
svd_thin_m_lt_n = _active.svd_thin_m_lt_n
svd_full_m_ge_n = _active.svd_full_m_ge_n
svd_full_m_lt_n = _active.svd_full_m_lt_n
MAX_KERNEL_DIM = _active.MAX_KERNEL_DIM

# Pickles (Dask's process workers, multiprocessing) name this module, which
# picks the build for the machine that loads them.
for _gufunc in (svd_values_m_ge_n, svd_values_m_lt_n, svd_thin_m_ge_n, svd_thin_m_lt_n,
                svd_full_m_ge_n, svd_full_m_lt_n):
    _gufunc.__module__ = __name__

__all__ = ["svd_values_m_ge_n", "svd_values_m_lt_n", "svd_thin_m_ge_n", "svd_thin_m_lt_n",
           "svd_full_m_ge_n", "svd_full_m_lt_n", "MAX_KERNEL_DIM"]
