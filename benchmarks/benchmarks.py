"""asv benchmarks: every kernel × dtype × batch size, with numpy.linalg.svd (and
numpy.linalg.eigh for the symmetric kernel) beside each.

Compare the "fastsvd" and "numpy" values of the `library` parameter from the
same run: shared machines are noisy, ratios within one run are not.
"""
import numpy as np

import fastsvd
from fastsvd._bench import (
    APPLICATIONS,
    GRADIENTS,
    move_svd_bytes,
    move_svd_bytes_into,
    numpy_kabsch,
)
from fastsvd._linalg import _gufunc_for

SHAPES = ["2x2", "3x2", "2x3", "3x3", "4x4", "8x8", "16x16", "32x32"]
DTYPES = ["float32", "float64"]
BATCHES = [1, 1_000, 1_000_000]
LIBRARIES = ["fastsvd", "numpy"]
# Skip combinations above this many matrix entries: 1,000,000 32×32 matrices
# would be 8 GB, and numpy would take many minutes on them.
MAX_ENTRIES = 20_000_000

SVD_FUNCTIONS = {"fastsvd": fastsvd.svd, "numpy": np.linalg.svd}
EIGH_FUNCTIONS = {"fastsvd": (fastsvd.eigh, fastsvd.eigvalsh),
                  "numpy": (np.linalg.eigh, np.linalg.eigvalsh)}
EIGH_SHAPES = ["2x2", "3x3", "4x4", "8x8", "16x16", "32x32"]


def make_batch(shape, dtype, batch):
    m, n = map(int, shape.split("x"))
    if batch * m * n > MAX_ENTRIES:
        raise NotImplementedError("too large for a benchmark run")  # asv skips it
    rng = np.random.default_rng(42)
    data = rng.standard_normal((batch, m, n)).astype(dtype)
    return data[0] if batch == 1 else data


class SVD:
    """Full SVD (U, S, Vh), as numpy.linalg.svd's default."""

    params = (SHAPES, DTYPES, BATCHES, LIBRARIES)
    param_names = ["shape", "dtype", "batch", "library"]
    timeout = 300

    def setup(self, shape, dtype, batch, library):
        self.a = make_batch(shape, dtype, batch)
        self.svd = SVD_FUNCTIONS[library]

    def time_svd(self, shape, dtype, batch, library):
        self.svd(self.a)

    def time_svdvals(self, shape, dtype, batch, library):
        self.svd(self.a, compute_uv=False)

    def peakmem_svd(self, shape, dtype, batch, library):
        self.svd(self.a)


class Eigh:
    """Symmetric eigen decomposition (eigenvalues and vectors, or values alone),
    and svd(hermitian=True), which goes through the same kernel."""

    params = (EIGH_SHAPES, DTYPES, BATCHES, LIBRARIES)
    param_names = ["shape", "dtype", "batch", "library"]
    timeout = 300

    def setup(self, shape, dtype, batch, library):
        a = make_batch(shape, dtype, batch)
        self.a = a + np.swapaxes(a, -1, -2)
        self.eigh, self.eigvalsh = EIGH_FUNCTIONS[library]
        self.svd = SVD_FUNCTIONS[library]

    def time_eigh(self, shape, dtype, batch, library):
        self.eigh(self.a)

    def time_eigvalsh(self, shape, dtype, batch, library):
        self.eigvalsh(self.a)

    def time_svd_hermitian(self, shape, dtype, batch, library):
        self.svd(self.a, hermitian=True)


class Applications:
    """The functions built on the SVD (signed SVD, canonical signs, rotation,
    polar, pinv, low_rank): compare each with SVD.time_svd of the same run."""

    params = (["2x2", "3x3", "4x4", "8x8"], DTYPES, [1, 1_000_000], list(APPLICATIONS))
    param_names = ["shape", "dtype", "batch", "function"]
    timeout = 300

    def setup(self, shape, dtype, batch, function):
        self.a = make_batch(shape, dtype, batch)
        self.call = APPLICATIONS[function]

    def time_application(self, shape, dtype, batch, function):
        self.call(self.a)


class Gradients:
    """Each derivative of fastsvd.gradients on the factors of its function's
    forward call: compare with time_forward of the same parameters."""

    params = (["2x2", "3x3", "4x4", "8x8"], DTYPES, [100_000], list(GRADIENTS))
    param_names = ["shape", "dtype", "batch", "derivative"]
    timeout = 300

    def setup(self, shape, dtype, batch, derivative):
        self.a = make_batch(shape, dtype, batch)
        self.forward, factors_of, self.derivative = GRADIENTS[derivative]
        self.factors = factors_of(self.a)
        rng = np.random.default_rng(1)
        self.cotangents = (rng.standard_normal(self.a.shape).astype(dtype),
                           rng.standard_normal(self.a.shape[:-1]).astype(dtype),
                           rng.standard_normal(self.a.shape).astype(dtype))

    def time_forward(self, shape, dtype, batch, derivative):
        self.forward(self.a)

    def time_derivative(self, shape, dtype, batch, derivative):
        self.derivative(self.factors, self.cotangents)


class Kabsch:
    """Best rotations between pairs of sets of 100 3-D points: fastsvd.kabsch
    against the batched numpy implementation (benchmarks' numpy_kabsch)."""

    params = ([1, 100_000], LIBRARIES)
    param_names = ["sets", "library"]
    timeout = 300

    def setup(self, sets, library):
        rng = np.random.default_rng(42)
        self.q = rng.standard_normal((sets, 100, 3))
        self.p = self.q + 0.01 * rng.standard_normal(self.q.shape)
        self.call = fastsvd.kabsch if library == "fastsvd" else numpy_kabsch

    def time_kabsch(self, sets, library):
        self.call(self.p, self.q)


class MemoryFloor:
    """Only reading A and writing fresh U, S, Vh: the least time any full SVD
    returning new arrays can take.  Compare with SVD.time_svd at batch 1,000,000."""

    params = (SHAPES, DTYPES)
    param_names = ["shape", "dtype"]

    def setup(self, shape, dtype):
        self.a = make_batch(shape, dtype, 1_000_000)

    def time_move_svd_bytes(self, shape, dtype):
        move_svd_bytes(self.a)


class IntoOutputs:
    """fastsvd's full-SVD gufunc writing into existing outputs (out=), and the
    memory floor for that: reading A and writing into the same U, S, Vh."""

    params = (SHAPES, DTYPES)
    param_names = ["shape", "dtype"]

    def setup(self, shape, dtype):
        self.a = make_batch(shape, dtype, 1_000_000)
        self.gufunc = _gufunc_for(*self.a.shape[-2:], compute_uv=True, full_matrices=True)
        self.outputs = self.gufunc(self.a)

    def time_svd_out(self, shape, dtype):
        self.gufunc(self.a, out=self.outputs)

    def time_move_svd_bytes_into(self, shape, dtype):
        move_svd_bytes_into(self.a, self.outputs)


class Threads:
    """fastsvd with workers=1 and workers=2 on a million 3×3 matrices."""

    params = ([1, 2],)
    param_names = ["workers"]

    def setup(self, workers):
        self.a = make_batch("3x3", "float64", 1_000_000)

    def time_svd_workers(self, workers):
        fastsvd.svd(self.a, workers=workers)


class SingleCall:
    """Per-call overhead: one 3×3 matrix, as physics and graphics code calls it."""

    params = (LIBRARIES,)
    param_names = ["library"]

    def setup(self, library):
        self.a = make_batch("3x3", "float64", 1)
        self.svd = SVD_FUNCTIONS[library]

    def time_single_3x3(self, library):
        self.svd(self.a)
