# cython: language_level=3
"""NumPy generalized ufuncs over the per-matrix kernels of fastsvd.kernels.

As numpy 2.0 did, each SVD flavour has one gufunc for M ≥ N and one for M < N
(a signature cannot say "min(M, N)").  The M < N loops decompose Aᵀ in place,
by swapping strides: Aᵀ = U'SV'ᵀ gives A = V'SU'ᵀ, so U' lands in Vh and V'
in U without any copy.  A matrix holding NaN or Inf gets NaN outputs and
raises the floating-point "invalid" flag, which numpy's errstate turns into a
warning, an error or nothing.
"""
cimport numpy as cnp
from numpy cimport npy_intp
from libc.math cimport NAN

from libc.stdlib cimport malloc, free

from fastsvd.kernels cimport (real, svd_lanes, svd_lanes_jacobi, kernel_for_shape,
                              block_lanes, KernelId, MAX_DIM, BLOCK, WIDE_BLOCK)

cnp.import_array()
cnp.import_ufunc()

cdef extern from "<fenv.h>" nogil:
    int FE_INVALID
    int feraiseexcept(int excepts)

cdef extern from "_bits.h" nogil:
    ctypedef int fastsvd_fp_flags    # (its real type is _bits.h's)
    fastsvd_fp_flags fastsvd_save_fp_flags()
    void fastsvd_restore_fp_flags(fastsvd_fp_flags flags)


cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define fastsvd_prefetch_read(p) __builtin_prefetch((p), 0, 3)
    #define fastsvd_prefetch_write(p) __builtin_prefetch((p), 1, 3)
    #else
    #define fastsvd_prefetch_read(p) ((void)0)
    #define fastsvd_prefetch_write(p) ((void)0)
    #endif
    """
    void fastsvd_prefetch_read(const void* p) nogil
    void fastsvd_prefetch_write(const void* p) nogil


cdef inline void prefetch_matrices(const char* p, npy_intp outer, npy_intp span,
                                   npy_intp lanes, bint for_write) noexcept nogil:
    """Ask the cache for `lanes` matrices `outer` bytes apart, each by its
    first entry and the one `span` bytes on (all the lines of a contiguous
    matrix up to 128 bytes; the hardware prefetcher follows longer ones)."""
    cdef npy_intp l
    for l in range(lanes):
        if for_write:
            fastsvd_prefetch_write(p + l * outer)
            fastsvd_prefetch_write(p + l * outer + span)
        else:
            fastsvd_prefetch_read(p + l * outer)
            fastsvd_prefetch_read(p + l * outer + span)


cdef enum Mode:
    VALUES = 0    # (m,n)->(p)
    THIN = 1      # U with min(M, N) columns
    FULL = 2      # square U and V
    TRANSPOSED = 4


cdef inline void gather(const char* src, npy_intp outer, npy_intp row_step,
                        npy_intp col_step, Py_ssize_t rows, Py_ssize_t cols,
                        Py_ssize_t lanes, real* dst, Py_ssize_t block) noexcept nogil:
    """dst (SoA, stride block) ← `lanes` strided rows×cols matrices from src,
    `outer` bytes apart: lanes innermost, so that it vectorises (gathers)."""
    cdef Py_ssize_t i, j, l
    cdef const char* entry
    for j in range(cols):
        for i in range(rows):
            entry = src + i * row_step + j * col_step
            for l in range(lanes):
                dst[(j * rows + i) * block + l] = (<const real*>(entry + l * outer))[0]


cdef inline void scatter_columns(const real* src, Py_ssize_t length, Py_ssize_t count,
                                 Py_ssize_t lanes, Py_ssize_t block, char* dst, npy_intp outer,
                                 npy_intp elem_step, npy_intp vector_step) noexcept nogil:
    """Write `count` vectors of `length` per lane from src (SoA, stride block) to `lanes`
    strided destinations `outer` bytes apart (vectorises as scatters)."""
    cdef Py_ssize_t i, j, l
    cdef char* entry
    for j in range(count):
        for i in range(length):
            entry = dst + i * elem_step + j * vector_step
            for l in range(lanes):
                (<real*>(entry + l * outer))[0] = src[(j * length + i) * block + l]


cdef inline void fill_strided(char* dst, Py_ssize_t length, Py_ssize_t count,
                              npy_intp elem_step, npy_intp vector_step,
                              real value) noexcept nogil:
    cdef Py_ssize_t i, j
    for j in range(count):
        for i in range(length):
            (<real*>(dst + i * elem_step + j * vector_step))[0] = value


cdef inline bint decompose_blocks(char** args, npy_intp* dimensions, npy_intp* steps,
                                  int mode, real value_type) noexcept nogil:
    """The work of the gufunc loop (svd_loop) for every SVD flavour (value_type
    only selects float or double).  Returns whether every matrix was finite:
    False also where no kernel takes the shape, whose outputs are NaN.

    Matrices go through the kernels a block at a time: gathered from numpy's
    strided layout into a structure-of-arrays buffer, decomposed together with
    SIMD, scattered back.  The floating-point flags it leaves mean nothing.
    """
    cdef bint transposed = mode & TRANSPOSED
    cdef bint want_uv = (mode & 3) != VALUES
    cdef bint full = (mode & 3) == FULL
    cdef npy_intp count = dimensions[0]
    cdef int nargs = 4 if want_uv else 2
    cdef npy_intp* core = steps + nargs
    # The kernel decomposes an m×n matrix with m ≥ n: A, or Aᵀ when transposed.
    cdef Py_ssize_t m = dimensions[2] if transposed else dimensions[1]
    cdef Py_ssize_t n = dimensions[1] if transposed else dimensions[2]
    cdef npy_intp a_row = core[1] if transposed else core[0]
    cdef npy_intp a_col = core[0] if transposed else core[1]
    cdef Py_ssize_t ucols = m if full else n
    cdef char* u_out = NULL
    cdef char* v_out = NULL
    cdef npy_intp u_elem = 0, u_vector = 0, v_elem = 0, v_vector = 0
    cdef npy_intp s_step = core[2]
    cdef char* s_out = args[1]
    cdef npy_intp a_outer = steps[0], s_outer = steps[1]
    cdef npy_intp u_outer = 0, v_outer = 0
    cdef real* a
    cdef real* u
    cdef real* v
    cdef real* s
    cdef npy_intp start, k, lanes, next_lanes, block
    cdef KernelId kernel
    cdef bint all_finite = True
    cdef bint finite
    if want_uv:
        # Outputs U (args[1]), S (args[2]), Vh (args[3]); the kernel's u holds
        # columns uⱼ, and its v columns vⱼ, i.e. the rows of Vh.
        s_out = args[2]
        s_outer = steps[2]
        s_step = core[4]
        if transposed:   # kernel u → Vh rows, kernel v → U columns
            u_out, u_outer, u_elem, u_vector = args[3], steps[3], core[6], core[5]
            v_out, v_outer, v_elem, v_vector = args[1], steps[1], core[2], core[3]
        else:
            u_out, u_outer, u_elem, u_vector = args[1], steps[1], core[2], core[3]
            v_out, v_outer, v_elem, v_vector = args[3], steps[3], core[6], core[5]
    if n == 0 and m >= n:
        # Empty matrices: no singular values; a full U is the identity.
        for k in range(count):
            if want_uv:
                fill_strided(u_out + k * u_outer, m, ucols, u_elem, u_vector, <real>0)
                fill_strided(u_out + k * u_outer, ucols, 1, u_elem + u_vector, 0, <real>1)
        return True
    a = NULL
    kernel = kernel_for_shape(m, n)
    # A single matrix (the per-call use) in a buffer of its own size.
    block = 1 if count == 1 else block_lanes(kernel, m, n, value_type)
    if count > 0 and m >= n and kernel != KernelId.KERNEL_NONE:
        a = <real*>malloc((m * n + m * ucols + n * n + n) * block * sizeof(real))
    if a == NULL:
        # A shape no kernel takes (only reachable by calling a gufunc directly:
        # the m ≥ n one with m < n, or a side over MAX_DIM), or no memory.
        for k in range(count):
            fill_strided(s_out + k * s_outer, n, 1, s_step, 0, <real>NAN)
            if want_uv:
                fill_strided(u_out + k * u_outer, m, ucols, u_elem, u_vector, <real>NAN)
                fill_strided(v_out + k * v_outer, n, n, v_elem, v_vector, <real>NAN)
        return count == 0
    u = a + m * n * block
    v = u + m * ucols * block
    s = v + n * n * block
    start = 0
    while start < count:
        lanes = min(block, count - start)
        # The next block's input, and its outputs for writing, are fetched
        # while this block computes, so the memory traffic overlaps arithmetic.
        if start + block < count:
            next_lanes = min(block, count - start - block)
            prefetch_matrices(args[0] + (start + block) * a_outer, a_outer,
                              (m - 1) * a_row + (n - 1) * a_col, next_lanes, False)
            prefetch_matrices(s_out + (start + block) * s_outer, s_outer, (n - 1) * s_step,
                              next_lanes, True)
            if want_uv:
                prefetch_matrices(u_out + (start + block) * u_outer, u_outer,
                                  (m - 1) * u_elem + (ucols - 1) * u_vector, next_lanes, True)
                prefetch_matrices(v_out + (start + block) * v_outer, v_outer,
                                  (n - 1) * v_elem + (n - 1) * v_vector, next_lanes, True)
        gather(args[0] + start * a_outer, a_outer, a_row, a_col, m, n, lanes, a, block)
        # Full blocks with a constant lane count (fully vectorised); the last,
        # partial block with as many lanes as it has matrices; a single matrix
        # contiguous, through straight scalar code.
        if block == 1:
            finite = svd_lanes(a, m, n, u, s, v, ucols, want_uv, 1, 1)
        elif block == WIDE_BLOCK:
            if lanes == WIDE_BLOCK:
                finite = svd_lanes_jacobi(a, m, n, u, s, v, ucols, want_uv, WIDE_BLOCK,
                                          WIDE_BLOCK)
            else:
                finite = svd_lanes_jacobi(a, m, n, u, s, v, ucols, want_uv, lanes, WIDE_BLOCK)
        elif lanes == BLOCK:
            finite = svd_lanes(a, m, n, u, s, v, ucols, want_uv, BLOCK, BLOCK)
        else:
            finite = svd_lanes(a, m, n, u, s, v, ucols, want_uv, lanes, BLOCK)
        all_finite = all_finite and finite
        scatter_columns(s, n, 1, lanes, block, s_out + start * s_outer, s_outer, s_step, 0)
        if want_uv:
            scatter_columns(u, m, ucols, lanes, block, u_out + start * u_outer, u_outer,
                            u_elem, u_vector)
            scatter_columns(v, n, n, lanes, block, v_out + start * v_outer, v_outer,
                            v_elem, v_vector)
        start += block
    free(a)
    return all_finite


cdef inline void svd_loop(char** args, npy_intp* dimensions, npy_intp* steps,
                          void* data, real value_type) noexcept nogil:
    """The gufunc loop: decompose_blocks, with the mode in `data`.

    The floating-point flags it leaves are those it found, plus "invalid" when
    a matrix held NaN or Inf: nothing else.  The kernels' own flags mean
    nothing (underflow in a discarded branch, say), and the compiler computes
    ahead on lanes a partial block does not use (it hoisted a comparison of
    such lanes out of a loop, which raised "invalid" when stale stack memory
    there held a signaling NaN), so they are dropped.
    """
    cdef fastsvd_fp_flags on_entry = fastsvd_save_fp_flags()
    cdef bint finite = decompose_blocks(args, dimensions, steps, <int><size_t>data, value_type)
    fastsvd_restore_fp_flags(on_entry)
    if not finite:
        feraiseexcept(FE_INVALID)


cdef void svd_loop_float(char** args, npy_intp* dimensions, npy_intp* steps,
                         void* data) noexcept nogil:
    svd_loop(args, dimensions, steps, data, <float>0)


cdef void svd_loop_double(char** args, npy_intp* dimensions, npy_intp* steps,
                          void* data) noexcept nogil:
    svd_loop(args, dimensions, steps, data, <double>0)


# NumPy keeps pointers to these tables: they live as long as the module.
cdef cnp.PyUFuncGenericFunction loops[2]
# (numpy ≥ 2 declares the dimension and step pointers const: same ABI.)
loops[0] = <cnp.PyUFuncGenericFunction>svd_loop_float
loops[1] = <cnp.PyUFuncGenericFunction>svd_loop_double
cdef char values_types[4]
values_types[:] = [cnp.NPY_FLOAT, cnp.NPY_FLOAT, cnp.NPY_DOUBLE, cnp.NPY_DOUBLE]
cdef char uv_types[8]
uv_types[:] = [cnp.NPY_FLOAT] * 4 + [cnp.NPY_DOUBLE] * 4
cdef void* mode_data[6][2]


cdef object make_gufunc(int slot, int mode, str name, str signature, str doc):
    mode_data[slot][0] = <void*><size_t>mode
    mode_data[slot][1] = <void*><size_t>mode
    cdef bint want_uv = (mode & 3) != VALUES
    cdef char* types = values_types
    if want_uv:
        types = uv_types
    # The ufunc keeps the char* of name, doc and signature: keep the bytes alive.
    keep = (name.encode(), doc.encode(), signature.encode())
    _keep_alive.append(keep)
    return cnp.PyUFunc_FromFuncAndDataAndSignature(
        loops, mode_data[slot], types, 2, 1,
        3 if want_uv else 1, cnp.PyUFunc_None, keep[0], keep[1], 0, keep[2])


_keep_alive = []

_VALUES_DOC = "Singular values, descending, of each {}matrix (fastsvd kernels, M, N ≤ 32)."
_UV_DOC = "{} SVD (U, S, Vh) of each {}matrix (fastsvd kernels, M, N ≤ 32)."

svd_values_m_ge_n = make_gufunc(0, VALUES, "svd_values_m_ge_n", "(m,n)->(n)",
                                _VALUES_DOC.format("M ≥ N "))
svd_values_m_lt_n = make_gufunc(1, VALUES | TRANSPOSED, "svd_values_m_lt_n", "(m,n)->(m)",
                                _VALUES_DOC.format("M < N "))
svd_thin_m_ge_n = make_gufunc(2, THIN, "svd_thin_m_ge_n", "(m,n)->(m,n),(n),(n,n)",
                              _UV_DOC.format("Thin", "M ≥ N "))
svd_thin_m_lt_n = make_gufunc(3, THIN | TRANSPOSED, "svd_thin_m_lt_n",
                              "(m,n)->(m,m),(m),(m,n)", _UV_DOC.format("Thin", "M < N "))
svd_full_m_ge_n = make_gufunc(4, FULL, "svd_full_m_ge_n", "(m,n)->(m,m),(n),(n,n)",
                              _UV_DOC.format("Full", "M ≥ N "))
svd_full_m_lt_n = make_gufunc(5, FULL | TRANSPOSED, "svd_full_m_lt_n",
                              "(m,n)->(m,m),(m),(n,n)", _UV_DOC.format("Full", "M < N "))

_KERNEL_NAMES = {
    KernelId.KERNEL_GRAM_2X2: "gram-2x2",
    KernelId.KERNEL_GRAM_3X2: "gram-3x2",
    KernelId.KERNEL_JACOBI_3X3: "jacobi-3x3",
    KernelId.KERNEL_JACOBI: "jacobi",
}


def kernel_name(Py_ssize_t m, Py_ssize_t n):
    """The kernel that decomposes an M×N matrix, or None when LAPACK does."""
    return _KERNEL_NAMES.get(kernel_for_shape(max(m, n), min(m, n)))


MAX_KERNEL_DIM = MAX_DIM
SIMD_BLOCK = BLOCK
WIDE_SIMD_BLOCK = WIDE_BLOCK


def decompose_one(cnp.ndarray a, bint compute_uv, bint full_matrices):
    """SVD of one 2-D float32 or float64 matrix that a kernel takes, straight
    through the gufunc loop's work (decompose_blocks): numpy's gufunc machinery
    costs more than the kernel on a single small matrix.  Returns ((U, S, Vh)
    or S, whether a was finite).
    """
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1], k = min(m, n)
    cdef int mode = (FULL if full_matrices else THIN) if compute_uv else VALUES
    cdef npy_intp dimensions[3]
    cdef npy_intp steps[11]
    cdef char* args[4]
    cdef bint finite
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef bint single = typenum == cnp.NPY_FLOAT
    cdef npy_intp shape[2]
    # Typed, so that their data and strides are read in C, not as attributes.
    cdef cnp.ndarray u, s, vh
    if m < n:
        mode |= TRANSPOSED
    dimensions[:] = [1, m, n]
    # numpy's C API: np.empty from Python would cost more than the kernel.
    shape[0] = k
    s = cnp.PyArray_EMPTY(1, shape, typenum, 0)
    args[0] = a.data
    if compute_uv:
        shape[:] = [m, m if full_matrices else k]
        u = cnp.PyArray_EMPTY(2, shape, typenum, 0)
        shape[:] = [n if full_matrices else k, n]
        vh = cnp.PyArray_EMPTY(2, shape, typenum, 0)
        args[1] = u.data
        args[2] = s.data
        args[3] = vh.data
        steps[:] = [0, 0, 0, 0, a.strides[0], a.strides[1], u.strides[0], u.strides[1],
                    s.strides[0], vh.strides[0], vh.strides[1]]
    else:
        args[1] = s.data
        steps[:5] = [0, 0, a.strides[0], a.strides[1], s.strides[0]]
    cdef fastsvd_fp_flags on_entry
    with nogil:
        # The caller's flags stay as they were: finiteness is the return value.
        on_entry = fastsvd_save_fp_flags()
        if single:
            finite = decompose_blocks(args, dimensions, steps, mode, <float>0)
        else:
            finite = decompose_blocks(args, dimensions, steps, mode, <double>0)
        fastsvd_restore_fp_flags(on_entry)
    return ((u, s, vh) if compute_uv else s), finite
