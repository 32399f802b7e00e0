"""A small program using fastsvd's public API, checked with `mypy --strict`."""
import numpy as np
import numpy.typing as npt

import fastsvd


def rotations_of(frames: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The rotation nearest each 3×3 deformation gradient of a simulation."""
    return fastsvd.nearest_rotation(frames)


def main() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1000, 3, 3))
    result: fastsvd.SVDResult = fastsvd.svd(a)
    values: npt.NDArray[np.float64] = fastsvd.svd(a, compute_uv=False)
    thin = fastsvd.svd(a, full_matrices=False, workers=2)
    r, p = fastsvd.polar(a, side="left")
    best = fastsvd.low_rank(a, 1)
    inverse = fastsvd.pinv(a, rtol=1e-12)
    name: str | None = fastsvd.kernel_name(3, 3)
    print(result.S.shape, values.shape, thin.U.shape, r.shape, p.shape, best.shape,
          inverse.shape, rotations_of(a).shape, name, fastsvd.svdvals(a).dtype,
          fastsvd.gufuncs.svd_full_m_ge_n(a)[1].shape, fastsvd.get_include())


if __name__ == "__main__":
    main()
