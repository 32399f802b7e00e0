# Typing for fastsvd's public API (the implementation: _linalg.py, _eigh.py, _kabsch.py).
from typing import Any, Literal, NamedTuple, overload

import numpy.typing as npt
from numpy.linalg import LinAlgError as LinAlgError

from . import gradients as gradients
from . import gufuncs as gufuncs

__version__: str

class SVDResult(NamedTuple):
    U: npt.NDArray[Any]
    S: npt.NDArray[Any]
    Vh: npt.NDArray[Any]

class EighResult(NamedTuple):
    eigenvalues: npt.NDArray[Any]
    eigenvectors: npt.NDArray[Any]

class KabschResult(NamedTuple):
    rotation: npt.NDArray[Any]
    translation: npt.NDArray[Any]
    scale: npt.NDArray[Any]
    rmsd: npt.NDArray[Any]

_NonFinite = Literal["raise", "nan"]
_Signs = Literal["canonical"] | None

@overload
def svd(a: npt.ArrayLike, full_matrices: bool = ..., compute_uv: Literal[True] = ...,
        hermitian: bool = ..., *, signed: bool = ..., signs: _Signs = ...,
        nonfinite: _NonFinite = ..., workers: int = ...) -> SVDResult: ...
@overload
def svd(a: npt.ArrayLike, full_matrices: bool, compute_uv: Literal[False],
        hermitian: bool = ..., *, signed: bool = ..., signs: _Signs = ...,
        nonfinite: _NonFinite = ..., workers: int = ...) -> npt.NDArray[Any]: ...
@overload
def svd(a: npt.ArrayLike, full_matrices: bool = ..., *, compute_uv: Literal[False],
        hermitian: bool = ..., signed: bool = ..., signs: _Signs = ...,
        nonfinite: _NonFinite = ..., workers: int = ...) -> npt.NDArray[Any]: ...
def svdvals(x: npt.ArrayLike, /, *, nonfinite: _NonFinite = ...,
            workers: int = ...) -> npt.NDArray[Any]: ...
def low_rank(a: npt.ArrayLike, k: int, *, nonfinite: _NonFinite = ...,
             workers: int = ...) -> npt.NDArray[Any]: ...
def polar(a: npt.ArrayLike, side: Literal["right", "left"] = ..., *,
          nonfinite: _NonFinite = ..., workers: int = ...
          ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]: ...
def nearest_rotation(a: npt.ArrayLike, *, nonfinite: _NonFinite = ...,
                     workers: int = ...) -> npt.NDArray[Any]: ...
def pinv(a: npt.ArrayLike, rcond: float | npt.ArrayLike | None = ..., hermitian: bool = ...,
         *, rtol: float | npt.ArrayLike | None = ..., nonfinite: _NonFinite = ...,
         workers: int = ...) -> npt.NDArray[Any]: ...
def eigh(a: npt.ArrayLike, UPLO: Literal["L", "U", "l", "u"] = ..., *,
         nonfinite: _NonFinite = ..., workers: int = ...) -> EighResult: ...
def eigvalsh(a: npt.ArrayLike, UPLO: Literal["L", "U", "l", "u"] = ..., *,
             nonfinite: _NonFinite = ..., workers: int = ...) -> npt.NDArray[Any]: ...
def kabsch(p: npt.ArrayLike, q: npt.ArrayLike, weights: npt.ArrayLike | None = ..., *,
           scale: bool = ..., reflection: bool = ..., nonfinite: _NonFinite = ...,
           workers: int = ...) -> KabschResult: ...
def kernel_name(m: int, n: int) -> str | None: ...
def config() -> dict[str, Any]: ...
def show_config() -> None: ...
def get_include() -> str: ...
