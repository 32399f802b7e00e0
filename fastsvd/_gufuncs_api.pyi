# Stub of every instruction-set build of fastsvd's gufuncs (fastsvd/_gufuncs.pyx,
# compiled as fastsvd._gufuncs_<isa>); the gufuncs are those of _gufunc_table.py.
from typing import Any

import numpy as np
import numpy.typing as npt

svd_values_m_ge_n: np.ufunc
svd_values_m_lt_n: np.ufunc
svd_thin_m_ge_n: np.ufunc
svd_thin_m_lt_n: np.ufunc
svd_full_m_ge_n: np.ufunc
svd_full_m_lt_n: np.ufunc
svd_signed: np.ufunc
svd_canonical_thin_m_ge_n: np.ufunc
svd_canonical_thin_m_lt_n: np.ufunc
svd_canonical_full_m_ge_n: np.ufunc
svd_canonical_full_m_lt_n: np.ufunc
nearest_rotation: np.ufunc
nearest_rotation_with_factors: np.ufunc
polar_right_with_factors: np.ufunc
polar_left_with_factors: np.ufunc
polar_right_m_ge_n: np.ufunc
polar_right_m_lt_n: np.ufunc
polar_left_m_ge_n: np.ufunc
polar_left_m_lt_n: np.ufunc
pinv_m_ge_n: np.ufunc
pinv_m_lt_n: np.ufunc
low_rank_m_ge_n: np.ufunc
low_rank_m_lt_n: np.ufunc
kabsch: np.ufunc
kabsch_reflection: np.ufunc
umeyama: np.ufunc
umeyama_reflection: np.ufunc
eigvalsh_lower: np.ufunc
eigvalsh_upper: np.ufunc
eigh_lower: np.ufunc
eigh_upper: np.ufunc
svd_vjp: np.ufunc
svdvals_vjp: np.ufunc
polar_vjp: np.ufunc
rotation_vjp: np.ufunc
pinv_vjp: np.ufunc
low_rank_vjp: np.ufunc
eigh_vjp: np.ufunc
eigvalsh_vjp: np.ufunc
svd_jvp: np.ufunc
svdvals_jvp: np.ufunc
polar_jvp: np.ufunc
rotation_jvp: np.ufunc
pinv_jvp: np.ufunc
eigh_jvp: np.ufunc
eigvalsh_jvp: np.ufunc
MAX_KERNEL_DIM: int
BLOCK_LANES: int
WIDE_BLOCK_LANES: int
C_FUNCTIONS: dict[str, int]

def kernel_name(m: int, n: int) -> str | None: ...
def decompose_one(
    a: npt.NDArray[Any], compute_uv: bool, full_matrices: bool
) -> tuple[Any, bool]: ...
def eigen_one(a: npt.NDArray[Any], vectors: bool, upper: bool) -> tuple[Any, bool]: ...
def hermitian_svd_from_eigen(
    w: npt.NDArray[Any], q: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]: ...
def svd_with_kernel(
    a: npt.NDArray[Any], kernel: str, compute_uv: bool = ..., full_matrices: bool = ...
) -> Any: ...
