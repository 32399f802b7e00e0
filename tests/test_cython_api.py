"""The Cython API: another extension cimports fastsvd's per-matrix kernel and
calls it without the GIL inside its own loop (README, "From Cython")."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastsvd
from accuracy import assert_eigh_contract, assert_svd_contract, tolerance

pytest.importorskip("Cython")

EXTENSION = textwrap.dedent('''
    # cython: language_level=3, boundscheck=False, wraparound=False
    import numpy as np
    from fastsvd.kernels cimport svd_small

    def decompose(double[:, :, ::1] matrices):
        """Full SVD of each row-major 3×2 matrix, the kernel called with the GIL released."""
        cdef Py_ssize_t count = matrices.shape[0], k, i, j
        u_out = np.empty((count, 3, 3))
        s_out = np.empty((count, 2))
        vh_out = np.empty((count, 2, 2))
        ok_out = np.empty(count, dtype=np.uint8)
        cdef double[:, :, ::1] u_view = u_out
        cdef double[:, ::1] s_view = s_out
        cdef double[:, :, ::1] vh_view = vh_out
        cdef unsigned char[::1] ok_view = ok_out
        cdef double a[6]
        cdef double u[9]
        cdef double s[2]
        cdef double v[4]
        with nogil:
            for k in range(count):
                for j in range(2):
                    for i in range(3):
                        a[j * 3 + i] = matrices[k, i, j]     # column-major
                ok_view[k] = svd_small(a, 3, 2, u, s, v, 3, True)
                for j in range(3):
                    for i in range(3):
                        u_view[k, i, j] = u[j * 3 + i]
                for j in range(2):
                    s_view[k, j] = s[j]
                    for i in range(2):
                        vh_view[k, j, i] = v[j * 2 + i]     # row j of Vh = column j of V
        return u_out, s_out, vh_out, ok_out.astype(bool)

    from fastsvd.kernels cimport eigh_small

    def eigen(double[:, :, ::1] matrices):
        """eigh of each row-major symmetric 4×4 matrix: row-major is the
        transpose of column-major, so the kernel reads its upper triangle."""
        cdef Py_ssize_t count = matrices.shape[0], k, i, j
        w_out = np.empty((count, 4))
        q_out = np.empty((count, 4, 4))
        ok_out = np.empty(count, dtype=np.uint8)
        cdef double[:, ::1] w_view = w_out
        cdef double[:, :, ::1] q_view = q_out
        cdef unsigned char[::1] ok_view = ok_out
        cdef double a[16]
        cdef double w[4]
        cdef double v[16]
        with nogil:
            for k in range(count):
                for i in range(16):
                    a[i] = matrices[k, i // 4, i % 4]
                ok_view[k] = eigh_small(a, 4, w, v, True)
                for j in range(4):
                    w_view[k, j] = w[j]
                    for i in range(4):
                        q_view[k, i, j] = v[j * 4 + i]
        return w_out, q_out, ok_out.astype(bool)

    from fastsvd.kernels cimport nearest_rotation_small, polar_small, signed_svd_small
    from fastsvd.kernels cimport pinv_small, low_rank_small

    def inverses(double[:, :, ::1] matrices, double rcond, Py_ssize_t k):
        """Per row-major 4×3 matrix: its pseudo-inverse (3×4) and rank-k
        approximation (4×3), both returned row-major."""
        cdef Py_ssize_t count = matrices.shape[0], c, i
        x_out = np.empty((count, 12))
        low_out = np.empty((count, 12))
        cdef double[:, ::1] x_view = x_out
        cdef double[:, ::1] low_view = low_out
        cdef double a[12]
        with nogil:
            for c in range(count):
                for i in range(12):
                    a[i] = matrices[c, i % 4, i // 4]
                pinv_small(a, 4, 3, rcond, &x_view[c, 0])
                for i in range(12):
                    a[i] = matrices[c, i % 4, i // 4]
                low_rank_small(a, 4, 3, k, &low_view[c, 0])
        return (np.swapaxes(x_out.reshape(count, 4, 3), 1, 2),
                np.swapaxes(low_out.reshape(count, 3, 4), 1, 2))

    def applications(double[:, :, ::1] matrices):
        """Per row-major 3×3 matrix: its nearest rotation, its right polar
        factors and its signed singular values (every output column-major)."""
        cdef Py_ssize_t count = matrices.shape[0], k, i
        r_out = np.empty((count, 9))
        polar_r_out = np.empty((count, 9))
        polar_p_out = np.empty((count, 9))
        s_out = np.empty((count, 3))
        ok_out = np.empty((count, 3), dtype=np.uint8)
        cdef double[:, ::1] r_view = r_out
        cdef double[:, ::1] polar_r_view = polar_r_out
        cdef double[:, ::1] polar_p_view = polar_p_out
        cdef double[:, ::1] s_view = s_out
        cdef unsigned char[:, ::1] ok_view = ok_out
        cdef double a[9]
        cdef double u[9]
        cdef double v[9]
        with nogil:
            for k in range(count):
                for i in range(9):
                    a[i] = matrices[k, i % 3, i // 3]
                ok_view[k, 0] = nearest_rotation_small(a, 3, &r_view[k, 0])
                for i in range(9):
                    a[i] = matrices[k, i % 3, i // 3]
                ok_view[k, 1] = polar_small(a, 3, 3, &polar_r_view[k, 0],
                                            &polar_p_view[k, 0], False)
                for i in range(9):
                    a[i] = matrices[k, i % 3, i // 3]
                ok_view[k, 2] = signed_svd_small(a, 3, u, &s_view[k, 0], v)
        # column-major flat → row-major matrices
        return tuple(np.swapaxes(x.reshape(count, 3, 3), 1, 2)
                     for x in (r_out, polar_r_out, polar_p_out)) + (s_out,
                                                                  ok_out.astype(bool))
''')

SETUP = textwrap.dedent('''
    import numpy as np
    import fastsvd
    from Cython.Build import cythonize
    from setuptools import Extension, setup
    ext = Extension("user_kernels", ["user_kernels.pyx"],
                    include_dirs=[fastsvd.get_include(), np.get_include()])
    setup(ext_modules=cythonize([ext], include_path=[fastsvd.get_include() + "/.."]))
''')


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    build = tmp_path_factory.mktemp("cython_user")
    (build / "user_kernels.pyx").write_text(EXTENSION)
    (build / "setup.py").write_text(SETUP)
    # The build must import the fastsvd under test, installed or not.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(fastsvd.get_include()), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"],
                            cwd=build, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sys.path.insert(0, str(build))
    try:
        import user_kernels
        yield user_kernels
    finally:
        sys.path.remove(str(build))


def test_get_include_holds_the_declarations():
    assert os.path.isfile(os.path.join(fastsvd.get_include(), "kernels.pxd"))
    assert os.path.isfile(os.path.join(fastsvd.get_include(), "_bits.h"))


def test_cimported_kernel_matches_fastsvd(user_module):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((500, 3, 2))
    a[0] = 0                                    # the zero matrix
    a[1, :, 1] = 3 * a[1, :, 0]                 # rank one
    u, s, vh, ok = user_module.decompose(a)
    assert ok.all()
    expected = fastsvd.svd(a)
    np.testing.assert_allclose(s, expected.S, rtol=0, atol=tolerance(np.float64, 3, 2) * 10)
    assert_svd_contract(a, (u, s, vh), full_matrices=True)


def test_cimported_kernel_reports_nonfinite(user_module):
    a = np.ones((2, 3, 2))
    a[1, 2, 1] = np.inf
    u, s, vh, ok = user_module.decompose(a)
    assert ok.tolist() == [True, False]
    assert np.isnan(s[1]).all() and np.isnan(u[1]).all() and np.isnan(vh[1]).all()
    assert np.isfinite(s[0]).all()


def test_cimported_eigen_kernel_matches_fastsvd(user_module):
    a = np.random.default_rng(8).standard_normal((300, 4, 4))
    a[:, np.tril(np.ones((4, 4), bool), -1)] = np.nan    # the triangle it does not read
    a[5, 0, 3] = np.inf
    w, q, ok = user_module.eigen(a)
    assert ok.tolist() == [i != 5 for i in range(300)]
    assert np.isnan(w[5]).all() and np.isnan(q[5]).all()
    good = np.delete(a, 5, axis=0)
    assert_eigh_contract(good, np.delete(w, 5, axis=0), np.delete(q, 5, axis=0), upper=True)
    # (Compiled into the extension with its own flags: the last bits may differ.)
    want = fastsvd.eigh(good, UPLO="U").eigenvalues
    scale = np.abs(want).max(axis=-1, keepdims=True)
    assert (np.abs(np.delete(w, 5, axis=0) - want) <= 100 * np.finfo(float).eps * scale).all()


def test_cimported_applications_match_fastsvd(user_module):
    a = np.random.default_rng(9).standard_normal((300, 3, 3))
    a[3] = 0
    a[7, 1, 1] = np.nan
    r, polar_r, polar_p, s, ok = user_module.applications(a)
    assert (ok == (np.arange(300) != 7)[:, None]).all()
    assert np.isnan(r[7]).all() and np.isnan(polar_r[7]).all() and np.isnan(polar_p[7]).all()
    good = np.arange(300) != 7
    # (Compiled into the extension with its own flags: the last bits may differ.)
    bar = tolerance(np.float64, 3, 3)
    want_r = fastsvd.nearest_rotation(a[good])
    want_polar = fastsvd.polar(a[good])
    want_s = fastsvd.svd(a[good], signed=True).S
    assert np.abs(r[good] - want_r).max() <= bar
    assert np.abs(polar_r[good] - want_polar[0]).max() <= bar
    scale = np.abs(a[good]).max()
    assert np.abs(polar_p[good] - want_polar[1]).max() <= bar * scale
    assert np.abs(s[good] - want_s).max() <= bar * scale
    assert (np.sign(s[good & (np.arange(300) != 3), 2])
            == np.sign(np.linalg.det(a[good & (np.arange(300) != 3)]))).all()


def test_cimported_pinv_and_low_rank_match_fastsvd(user_module):
    a = np.random.default_rng(10).standard_normal((200, 4, 3))
    a[1, :, 2] = a[1, :, 0]                     # rank two: its σ₃ is cut off
    x, low = user_module.inverses(a, 1e-10, 2)
    bar = tolerance(np.float64, 4, 3)
    want_x = fastsvd.pinv(a, rcond=1e-10)
    scale = np.abs(want_x).max(axis=(-2, -1), keepdims=True)
    assert x.shape == (200, 3, 4) and (np.abs(x - want_x) <= 10 * bar * scale).all()
    assert np.abs(low - fastsvd.low_rank(a, 2)).max() <= 10 * bar * np.abs(a).max()
