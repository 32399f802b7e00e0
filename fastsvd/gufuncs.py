"""fastsvd's NumPy generalized ufuncs, for callers who want them directly.

They broadcast, take ``out=``, and run unchanged under Dask (``apply_gufunc``)
and ``xarray.apply_ufunc``.  Each SVD flavour has a gufunc for M ≥ N and one
for M < N (see _gufunc_table.py); ``fastsvd.svd`` picks between them.  A
matrix holding NaN or Inf gets NaN outputs and raises the floating-point
"invalid" flag (a RuntimeWarning under numpy's default errstate).  A shape the
gufunc does not take (M or N above ``MAX_KERNEL_DIM``, or the wrong
orientation) raises ``ValueError``.  The derivatives' gufuncs (``*_vjp``,
``*_jvp``; :mod:`fastsvd.gradients` is their interface) take the forward
call's factors of M ≥ N matrices and give NaN for NaN, which they do not
flag as the decompositions do.
"""
from ._gufunc_table import NAMES
from ._isa import compiled as _compiled

MAX_KERNEL_DIM = _compiled.MAX_KERNEL_DIM

for _name in NAMES:
    _gufunc = getattr(_compiled, _name)
    # Pickles (Dask's process workers, multiprocessing) name this module,
    # which picks the build for the machine that loads them.
    _gufunc.__module__ = __name__
    globals()[_name] = _gufunc

__all__ = [*NAMES, "MAX_KERNEL_DIM"]
