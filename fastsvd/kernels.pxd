"""fastsvd's SVD kernels, ``noexcept nogil``, for its gufuncs and for other Cython code.

This file is the facade: other extensions ``from fastsvd.kernels cimport
svd_small`` (or the block entries), and the kernels live one family a file.

Layers, bottom up::

    _kernel_scalar.pxd       fused real type, shared sizes, branch-free scalar helpers
    _kernel_lanes.pxd        column operations over a block: scaling, norms, swaps
    _kernel_simd.pxd         explicit SIMD vectors (C side: _simd.h), one set of names
    _kernel_closed_form.pxd  2×2 and 3×2 from the Gram matrix's eigen solution
    _kernel_jacobi.pxd       generic one-sided Jacobi, M ≥ N, in vectors, and its rotation
    _kernel_jacobi_3x3.pxd   the 3×3 sweeps (vectors, in registers) and finish
    _kernel_jacobi_columns.pxd  the wider shapes' sweeps, one matrix's columns across lanes
    _kernel_refine.pxd       columns the sweeps leave as negligible, one matrix at a time
    _kernel_eigh.pxd         the symmetric eigen kernel: two-sided cyclic Jacobi, in vectors
    _kernel_finish.pxd       σ sorted by a sorting network, U completed
    _kernel_derived.pxd      signed SVD, canonical signs, rotation and polar factors
    kernels.pxd              this file: shape → kernel table, block sizes, entry points
    _gufunc_blocks.pxd       numpy's strided stacks ↔ blocks: gather, run, scatter
    _gufuncs.pyx             the gufunc table and loops, built once per ISA (_isa_table.py)
    _linalg.py               the numpy-compatible Python functions

Memory layout: every kernel decomposes ``lanes`` M×N matrices (M ≥ N) at
once, stored structure-of-arrays: entry (i, j) of matrix l is
``a[(j*M + i)*stride + l]``, i.e. column-major with the lanes innermost.
With ``stride`` = ``lanes`` = block_lanes(…) (a constant: BLOCK_LANES or
WIDE_BLOCK_LANES) every step is a loop over the lanes with no branch in it,
which the compiler turns into SIMD code; with ``stride`` = ``lanes`` = 1 the
same code is a plain per-matrix kernel on a contiguous column-major matrix.

Outputs, in the same layout: ``u`` (M×ucols; ucols = N for the thin U, M for
the full one), ``s`` (N values, descending) and ``v`` (N×N, the right singular
vectors as columns), so that A = U·diag(s)·Vᵀ.  ``a`` is overwritten.
"""
from libc.math cimport NAN

from fastsvd._kernel_scalar cimport real, MAX_KERNEL_DIM, BLOCK_LANES, WIDE_BLOCK_LANES
from fastsvd._kernel_lanes cimport scale_lanes_zeroing_nonfinite, set_identity_lanes
from fastsvd._kernel_closed_form cimport svd_gram_2x2, svd_gram_3x2
from fastsvd._kernel_jacobi cimport jacobi_sweeps
from fastsvd._kernel_jacobi_3x3 cimport jacobi_sweeps_3x3, finish_jacobi_3x3
from fastsvd._kernel_jacobi_columns cimport jacobi_sweeps_columns
from fastsvd._kernel_refine cimport find_small_columns, refine_small_columns
from fastsvd._kernel_finish cimport finish_jacobi
from fastsvd._kernel_eigh cimport symmetrize_lanes, jacobi_eigen, finish_eigen
from fastsvd._kernel_derived cimport (Derived, derive_lanes, SIGNED, ROTATION, POLAR_FROM_V,
                                      POLAR_FROM_U, PSEUDO_INVERSE, LOW_RANK)

cdef enum KernelId:
    KERNEL_NONE = 0
    KERNEL_GRAM_2X2 = 1
    KERNEL_GRAM_3X2 = 2
    KERNEL_JACOBI_3X3 = 3
    KERNEL_JACOBI = 4
    KERNEL_JACOBI_COLUMNS = 5
    # The symmetric eigen decomposition of an N×N matrix's lower triangle.
    KERNEL_JACOBI_EIGH = 6

cdef enum:
    # Symmetric eigen problems in double up to this size (but 3×3, whose
    # kernel holds a block's groups in registers) take WIDE_BLOCK_LANES: 2×2
    # ran 2.2× faster so, 4×4 1.8×, 8×8 and 12×12 1.1×, 16×16 no faster.
    EIGH_WIDE_BLOCK_UP_TO_N = 12
    # Those wider than this take blocks of NARROW_BLOCK_LANES.
    EIGH_NARROW_BLOCK_FROM_N = 16
    NARROW_BLOCK_LANES = 8
    # Matrices with at least this many columns take KERNEL_JACOBI_COLUMNS:
    # one 12×12 by itself ran 2.4× faster than with KERNEL_JACOBI (no faster
    # than numpy's) and a stack 1.35× slower; from 15 columns both gain.
    COLUMNS_KERNEL_MIN_N = 12


cdef inline KernelId kernel_for_shape(Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """The shape → kernel table: the kernel for an M×N matrix with M ≥ N (NONE: use LAPACK)."""
    if n < 1 or m < n or m > MAX_KERNEL_DIM:
        return KERNEL_NONE
    if m == 2 and n == 2:
        return KERNEL_GRAM_2X2
    if m == 3 and n == 2:
        return KERNEL_GRAM_3X2
    if m == 3 and n == 3:
        return KERNEL_JACOBI_3X3
    if n >= COLUMNS_KERNEL_MIN_N:
        return KERNEL_JACOBI_COLUMNS
    return KERNEL_JACOBI


cdef inline Py_ssize_t block_lanes(KernelId kernel, Py_ssize_t m, Py_ssize_t n,
                                   real value_type) noexcept nogil:
    """Matrices per SIMD block for a kernel, shape and dtype (value_type only
    selects the dtype).  On AVX-512 the generic Jacobi kernel in double ran
    faster with WIDE_BLOCK_LANES up to 16×16 and no faster at 32×32; the other
    SVD kernels and float gained nothing, and 2×2 lost.  The eigen kernel:
    EIGH_WIDE_BLOCK_UP_TO_N and EIGH_NARROW_BLOCK_FROM_N."""
    if real is double and (kernel == KERNEL_JACOBI and m * n <= 256
                           or kernel == KERNEL_JACOBI_EIGH and n != 3
                           and n <= EIGH_WIDE_BLOCK_UP_TO_N):
        return WIDE_BLOCK_LANES
    if kernel == KERNEL_JACOBI_EIGH and n > EIGH_NARROW_BLOCK_FROM_N:
        return NARROW_BLOCK_LANES
    return BLOCK_LANES


cdef inline bint svd_lanes(KernelId kernel, real* a, Py_ssize_t m, Py_ssize_t n, real* u,
                           real* s, real* v, Py_ssize_t ucols, bint want_uv, Py_ssize_t lanes,
                           Py_ssize_t stride) noexcept nogil:
    """SVD of `lanes` ≤ block_lanes(…) matrices laid out as the module doc says,
    by `kernel`: kernel_for_shape(m, n), or KERNEL_JACOBI or
    KERNEL_JACOBI_COLUMNS, which take every shape the others do.

    u and v are written only when want_uv.  Returns whether every matrix was
    finite; a matrix holding NaN or Inf gets NaN in all its outputs.

    With KERNEL_JACOBI_EIGH (m = n, ucols = 0): the eigen decomposition of the
    symmetric matrix whose lower triangle a holds (the upper one is not read),
    eigenvalues ascending in s and eigenvectors as the columns of v.
    """
    cdef real up1[WIDE_BLOCK_LANES]
    cdef real up2[WIDE_BLOCK_LANES]
    cdef unsigned char small[WIDE_BLOCK_LANES]
    cdef bint finite
    cdef Py_ssize_t i, l
    if kernel == KERNEL_JACOBI_EIGH:
        symmetrize_lanes(a, n, lanes, stride)
    finite = scale_lanes_zeroing_nonfinite(a, m * n, lanes, stride, up1, up2)
    if kernel == KERNEL_JACOBI_EIGH:
        if want_uv:
            set_identity_lanes(v, n, lanes, stride)
        jacobi_eigen(a, n, v, want_uv, lanes, stride)
        finish_eigen(a, n, s, v, want_uv, lanes, stride)
    elif kernel == KERNEL_GRAM_2X2:
        svd_gram_2x2(a, u, s, v, lanes, stride)
    elif kernel == KERNEL_GRAM_3X2:
        svd_gram_3x2(a, u, s, v, ucols, lanes, stride)
    else:
        if want_uv:
            set_identity_lanes(v, n, lanes, stride)
        if kernel == KERNEL_JACOBI_3X3:
            jacobi_sweeps_3x3(a, v, want_uv, lanes, stride)
        elif kernel == KERNEL_JACOBI_COLUMNS:
            jacobi_sweeps_columns(a, m, n, v, want_uv, lanes, stride)
        else:
            jacobi_sweeps(a, m, n, v, n, want_uv, lanes, stride)
        find_small_columns(a, m, n, small, lanes, stride)
        for l in range(lanes):
            if small[l]:    # rare: one matrix at a time
                refine_small_columns(a + l, m, n, v + l, want_uv, stride)
        if kernel == KERNEL_JACOBI_3X3:
            finish_jacobi_3x3(a, u, s, v, want_uv, lanes, stride)
        else:
            finish_jacobi(a, m, n, u, s, v, ucols, want_uv, lanes, stride)
    for i in range(n):
        for l in range(lanes):
            s[i * stride + l] = (s[i * stride + l] * up1[l]) * up2[l]
    if want_uv and not finite:
        for i in range(m * ucols):
            for l in range(lanes):
                u[i * stride + l] = u[i * stride + l] if up1[l] == up1[l] else NAN
        for i in range(n * n):
            for l in range(lanes):
                v[i * stride + l] = v[i * stride + l] if up1[l] == up1[l] else NAN
    return finite


cdef inline bint svd_wide_block(KernelId kernel, real* a, Py_ssize_t m, Py_ssize_t n,
                                real* u, real* s, real* v, Py_ssize_t ucols, bint want_uv,
                                Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """svd_lanes of a WIDE_BLOCK_LANES block (the kernels block_lanes gives
    one): a function of its own, so that the compiler specialises it for that
    stride apart from svd_lanes."""
    return svd_lanes(kernel, a, m, n, u, s, v, ucols, want_uv, lanes, stride)


cdef inline bint svd_small(real* a, Py_ssize_t m, Py_ssize_t n, real* u, real* s, real* v,
                           Py_ssize_t ucols, bint want_uv) noexcept nogil:
    """SVD of one contiguous column-major M×N matrix, for other Cython code.

    a (M×N, overwritten), u (M×ucols, ucols = N or M), s (N), v (N×N, the
    right singular vectors as columns): A = U·diag(s)·Vᵀ.  Returns False,
    with NaN in s (and u, v when want_uv), when a holds NaN or Inf or when
    no kernel takes the shape (M < N, N < 1 or M > MAX_KERNEL_DIM: decompose Aᵀ,
    or use LAPACK); True otherwise.
    """
    cdef KernelId kernel = kernel_for_shape(m, n)
    cdef Py_ssize_t i
    if kernel == KERNEL_NONE:
        for i in range(n):
            s[i] = NAN
        if want_uv:
            for i in range(m * ucols):
                u[i] = NAN
            for i in range(n * n):
                v[i] = NAN
        return False
    return svd_lanes(kernel, a, m, n, u, s, v, ucols, want_uv, 1, 1)


cdef inline bint eigh_small(real* a, Py_ssize_t n, real* w, real* v, bint want_v) noexcept nogil:
    """Eigen decomposition of one symmetric N×N matrix, for other Cython code.

    a (N×N, contiguous, overwritten): only its lower triangle is read, in
    column-major order (entry (i, j), i ≥ j, at a[j*N + i]; a row-major
    matrix's upper triangle, that is).  w (N): the eigenvalues, ascending; v
    (N×N, column-major, written when want_v): the eigenvectors as columns,
    A = V·diag(w)·Vᵀ.  Returns False, with NaN in w (and v), when the lower
    triangle holds NaN or Inf or N is not in 1 … MAX_KERNEL_DIM; True otherwise.
    """
    cdef Py_ssize_t i
    if n < 1 or n > MAX_KERNEL_DIM:
        for i in range(max(n, 0)):
            w[i] = NAN
        if want_v:
            for i in range(max(n, 0) * max(n, 0)):
                v[i] = NAN
        return False
    return svd_lanes(KERNEL_JACOBI_EIGH, a, n, n, NULL, w, v, 0, want_v, 1, 1)


cdef inline bint derived_small(Derived derived, real* a, Py_ssize_t m, Py_ssize_t n, real* u,
                               real* s, real* v, const real* param, real* r,
                               real* p) noexcept nogil:
    """svd_small (thin U) of a shape a kernel takes, turned into `derived`
    (_kernel_derived.derive_lanes)."""
    cdef bint finite = svd_small(a, m, n, u, s, v, n, True)
    derive_lanes(derived, m, n, u, s, v, n, param, r, p, 1, 1)
    return finite


cdef inline bint fill_nan(real* x, Py_ssize_t count) noexcept nogil:
    """x[0 … count − 1] = NaN; returns False, the flag of a shape no kernel takes."""
    cdef Py_ssize_t i
    for i in range(count):
        x[i] = NAN
    return False


cdef inline bint signed_svd_small(real* a, Py_ssize_t n, real* u, real* s,
                                  real* v) noexcept nogil:
    """The signed SVD of one contiguous column-major N×N matrix, for other
    Cython code: svd_small's outputs (u N×N) with det U = det V = +1 and the
    sign of det A on s[N − 1].  Returns svd_small's flag."""
    if kernel_for_shape(n, n) == KERNEL_NONE:
        return svd_small(a, n, n, u, s, v, n, True)     # (NaN outputs)
    return derived_small(SIGNED, a, n, n, u, s, v, NULL, NULL, NULL)


cdef inline bint nearest_rotation_small(real* a, Py_ssize_t n, real* r) noexcept nogil:
    """The rotation nearest one contiguous column-major N×N matrix, R = U·Vᵀ of
    its signed SVD, into r (N×N, column-major), for other Cython code.  a is
    overwritten.  Returns False, with NaN in r, when a holds NaN or Inf or N is
    not in 1 … MAX_KERNEL_DIM."""
    cdef real u[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real v[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real s[MAX_KERNEL_DIM]
    if kernel_for_shape(n, n) == KERNEL_NONE:
        return fill_nan(r, max(n, 0) * max(n, 0))
    return derived_small(ROTATION, a, n, n, u, s, v, NULL, r, NULL)


cdef inline bint polar_small(real* a, Py_ssize_t m, Py_ssize_t n, real* r, real* p,
                             bint left) noexcept nogil:
    """The polar factors of one contiguous column-major M×N matrix, M ≥ N, for
    other Cython code: r (M×N, orthonormal columns) and p, symmetric positive
    semi-definite, N×N with A = R·P, or with `left` M×M and A = P·R (all
    column-major).  a is overwritten.  (For M < N, pass Aᵀ: its R is Rᵀ, and
    its left P is A's right one.)  Returns False, with NaN in r and p, when a
    holds NaN or Inf or no kernel takes the shape."""
    cdef real u[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real v[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real s[MAX_KERNEL_DIM]
    cdef Py_ssize_t side = max(m if left else n, 0)
    if kernel_for_shape(m, n) == KERNEL_NONE:
        fill_nan(p, side * side)
        return fill_nan(r, max(m, 0) * max(n, 0))
    return derived_small(POLAR_FROM_U if left else POLAR_FROM_V, a, m, n, u, s, v, NULL, r,
                         p)


cdef inline bint pinv_small(real* a, Py_ssize_t m, Py_ssize_t n, real rcond,
                            real* x) noexcept nogil:
    """The pseudo-inverse X = V·S⁺·Uᵀ of one contiguous column-major M×N
    matrix, M ≥ N, into x (N×M, column-major), for other Cython code: the σ
    up to rcond·σ₁ are cut off, as numpy.linalg.pinv does.  a is
    overwritten.  (For M < N, pass Aᵀ: its X is Xᵀ.)  Returns False, with NaN
    in x, when a holds NaN or Inf or no kernel takes the shape."""
    cdef real u[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real v[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real s[MAX_KERNEL_DIM]
    if kernel_for_shape(m, n) == KERNEL_NONE:
        return fill_nan(x, max(m, 0) * max(n, 0))
    return derived_small(PSEUDO_INVERSE, a, m, n, u, s, v, &rcond, x, NULL)


cdef inline bint low_rank_small(real* a, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k,
                                real* out) noexcept nogil:
    """The best rank-k approximation U·Sₖ·Vᵀ of one contiguous column-major
    M×N matrix, M ≥ N, into out (M×N, column-major), for other Cython code.
    a is overwritten.  Returns False, with NaN in out, when a holds NaN or
    Inf or no kernel takes the shape."""
    cdef real u[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real v[MAX_KERNEL_DIM * MAX_KERNEL_DIM]
    cdef real s[MAX_KERNEL_DIM]
    cdef real rank = <real>k
    if kernel_for_shape(m, n) == KERNEL_NONE:
        return fill_nan(out, max(m, 0) * max(n, 0))
    return derived_small(LOW_RANK, a, m, n, u, s, v, &rank, out, NULL)
