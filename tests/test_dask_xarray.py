"""fastsvd's gufuncs under Dask (lazy, chunk by chunk, on a LocalCluster) and
xarray.apply_ufunc(..., dask="parallelized"), as the README shows."""
import numpy as np
import pytest

import fastsvd
from accuracy import assert_svd_contract

da = pytest.importorskip("dask.array")


def batch(count=4000, shape=(3, 3), seed=3):
    return np.random.default_rng(seed).standard_normal((count, *shape))


def test_gufunc_on_dask_array_is_lazy_and_exact():
    a = batch()
    lazy = da.from_array(a, chunks=(1000, 3, 3))
    u, s, vh = fastsvd.gufuncs.svd_full_m_ge_n(lazy)
    assert isinstance(s, da.Array) and s.chunks[0] == (1000,) * 4
    expected = fastsvd.svd(a)
    for got, want in zip((u, s, vh), expected):
        np.testing.assert_array_equal(got.compute(), want)


def test_svd_on_dask_array_stays_lazy():
    a = batch(shape=(2, 5))
    lazy = da.from_array(a, chunks=(1500, 2, 5))
    result = fastsvd.svd(lazy, full_matrices=False)
    assert isinstance(result, fastsvd.SVDResult) and isinstance(result.U, da.Array)
    u, s, vh = (part.compute() for part in result)
    assert_svd_contract(a, (u, s, vh), full_matrices=False)
    np.testing.assert_array_equal(fastsvd.svdvals(lazy).compute(), s)


@pytest.mark.parametrize("kwargs", [dict(signed=True), dict(signs="canonical"),
                                    dict(signs="canonical", full_matrices=False)])
def test_signed_and_canonical_svd_on_dask_arrays_stay_lazy_and_exact(kwargs):
    a = batch(shape=(3, 3))
    result = fastsvd.svd(da.from_array(a, chunks=(1000, 3, 3)), **kwargs)
    assert isinstance(result.U, da.Array)
    for got, want in zip(result, fastsvd.svd(a, **kwargs)):
        np.testing.assert_array_equal(got.compute(), want)
    with pytest.raises(ValueError, match="square"):
        fastsvd.svd(da.zeros((4, 3, 2), chunks=(2, 3, 2)), signed=True)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_on_dask_array_stays_lazy_and_exact(uplo):
    a = batch(shape=(4, 4))
    lazy = da.from_array(a, chunks=(1000, 4, 4))   # (not symmetric: only a triangle is read)
    result = fastsvd.eigh(lazy, UPLO=uplo)
    assert isinstance(result, fastsvd.EighResult) and isinstance(result.eigenvectors, da.Array)
    want = fastsvd.eigh(a, UPLO=uplo)
    for got, expected in zip(result, want):
        np.testing.assert_array_equal(got.compute(), expected)
    np.testing.assert_array_equal(fastsvd.eigvalsh(lazy, UPLO=uplo).compute(),
                                  want.eigenvalues)
    with pytest.raises(NotImplementedError, match="square"):
        fastsvd.eigh(da.zeros((4, 3, 2), chunks=(2, 3, 2)))


@pytest.mark.parametrize("shape", [(40, 40), (3, 0)])
def test_svd_on_dask_array_needs_a_kernel_shape(shape):
    message = "1 <= M, N <= 32.*got {}x{}".format(*shape)
    with pytest.raises(NotImplementedError, match=message):
        fastsvd.svd(da.zeros((4,) + shape, chunks=(2,) + shape))


def test_local_cluster_with_two_workers():
    distributed = pytest.importorskip("distributed")
    a = batch(count=20000)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        lazy = da.from_array(a, chunks=(2500, 3, 3))       # 8 chunks over 2 workers
        s = fastsvd.svdvals(lazy)
        computed = client.compute(s).result()
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(computed, fastsvd.svdvals(a))


def test_xarray_apply_ufunc_parallelized():
    xr = pytest.importorskip("xarray")
    a = batch(count=3000, shape=(3, 2))
    data = xr.DataArray(a, dims=("sample", "row", "col")).chunk({"sample": 1000})
    s = xr.apply_ufunc(fastsvd.svdvals, data, input_core_dims=[["row", "col"]],
                       output_core_dims=[["k"]], dask="parallelized",
                       output_dtypes=[a.dtype], dask_gufunc_kwargs={"output_sizes": {"k": 2}})
    assert s.dims == ("sample", "k") and s.chunks is not None
    np.testing.assert_array_equal(s.compute().values, fastsvd.svdvals(a))
