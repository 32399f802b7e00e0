# Stub shared by every instruction-set build of fastsvd's gufuncs (_gufuncs_impl.pxi).
from typing import Any

import numpy as np
import numpy.typing as npt

svd_values_m_ge_n: np.ufunc
svd_values_m_lt_n: np.ufunc
svd_thin_m_ge_n: np.ufunc
svd_thin_m_lt_n: np.ufunc
svd_full_m_ge_n: np.ufunc
svd_full_m_lt_n: np.ufunc
MAX_KERNEL_DIM: int
SIMD_BLOCK: int
WIDE_SIMD_BLOCK: int

def kernel_name(m: int, n: int) -> str | None: ...
def decompose_one(
    a: npt.NDArray[Any], compute_uv: bool, full_matrices: bool
) -> tuple[Any, bool]: ...
