"""NumPy generalized ufuncs over the kernels of fastsvd.kernels, made from the
one gufunc table (_gufunc_table.py).  setup.py compiles this module once per
instruction set (_isa_table.py), as fastsvd._gufuncs_<isa>.

A matrix holding NaN or Inf gets NaN outputs and raises the floating-point
"invalid" flag, which numpy's errstate turns into a warning, an error or
nothing.  A shape the gufunc does not take raises ValueError before any work.
"""
cimport numpy as cnp
from numpy cimport npy_intp, npy_bool
from cpython.mem cimport PyMem_Malloc

from fastsvd.kernels cimport real, kernel_for_shape, KernelId, KERNEL_JACOBI_EIGH
from fastsvd.kernels cimport svd_small, signed_svd_small, nearest_rotation_small, polar_small
from fastsvd.kernels cimport MAX_KERNEL_DIM as MAX_SIDE, BLOCK_LANES as BLOCK
from fastsvd.kernels cimport WIDE_BLOCK_LANES as WIDE_BLOCK
from fastsvd._gufunc_blocks cimport (Operands, unpack_operands, decompose_blocks,
                                     fill_empty_matrices, square_signature, VALUES, THIN,
                                     FULL, TRANSPOSED, EIGEN, DERIVED_SHIFT, WITH_FACTORS)
from fastsvd._kernel_kabsch cimport PointSets, unpack_point_sets, kabsch_blocks
from fastsvd._kernel_gradients cimport (Gradient, gradient_matrix, MATRIX, SCRATCH_MATRICES,
                                        SVD_VJP, SVDVALS_VJP, POLAR_VJP, ROTATION_VJP,
                                        PINV_VJP, LOW_RANK_VJP, EIGH_VJP, EIGVALSH_VJP,
                                        SVD_JVP, SVDVALS_JVP, POLAR_JVP, ROTATION_JVP,
                                        PINV_JVP, EIGH_JVP, EIGVALSH_JVP)
from fastsvd._kernel_derived cimport (SIGNED, CANONICAL, ROTATION, POLAR_FROM_V, POLAR_FROM_U,
                                      PSEUDO_INVERSE, LOW_RANK)

import re

import numpy as np

from fastsvd._gufunc_table import GUFUNCS, GRADIENT_GUFUNCS
from fastsvd._gufunc_table import VALUES as VALUES_FLAVOUR, THIN as THIN_FLAVOUR
from fastsvd._gufunc_table import FULL as FULL_FLAVOUR, EIGVALS, EIGH, OUTPUTS
from fastsvd._gufunc_table import SIGNED as SIGNED_FLAVOUR, CANONICAL_THIN, CANONICAL_FULL
from fastsvd._gufunc_table import ROTATION as ROTATION_FLAVOUR, POLAR_RIGHT, POLAR_LEFT
from fastsvd._gufunc_table import PINV, LOW_RANK as LOW_RANK_FLAVOUR, WITH_PARAMETER
from fastsvd._gufunc_table import UMEYAMA, POINT_SETS, ROTATION_FACTORS, POLAR_RIGHT_FACTORS
from fastsvd._gufunc_table import POLAR_LEFT_FACTORS

cnp.import_array()
cnp.import_ufunc()

cdef extern from "<fenv.h>" nogil:
    int FE_INVALID
    int feraiseexcept(int excepts)

cdef extern from "_bits.h" nogil:
    ctypedef int fastsvd_fp_flags    # (its real type is _bits.h's)
    fastsvd_fp_flags fastsvd_save_fp_flags()
    void fastsvd_restore_fp_flags(fastsvd_fp_flags flags)

cdef extern from "numpy/ufuncobject.h":
    # Only the member used here (numpy ≥ 2.1): a check of the core sizes.
    ctypedef struct PyUFuncObject:
        void** data
        int (*process_core_dims_func)(PyUFuncObject* ufunc,
                                      npy_intp* core_dim_sizes) except -1


cdef enum:
    # The point-set gufuncs' modes: these bits, apart from the SVD flavours'.
    POINT_SETS_MODE = 1 << 12
    SIMILARITY = 1 << 13
    REFLECTION = 1 << 14


cdef void svd_loop(char** args, npy_intp* dimensions, npy_intp* steps, void* data,
                   real value_type) noexcept nogil:
    """The gufunc loop of every gufunc (value_type only selects float or
    double): the SVD and eigen flavours, and the point sets.

    The floating-point flags it leaves are those it found, plus "invalid" when
    a matrix held NaN or Inf: nothing else.  The kernels' own flags mean
    nothing (underflow in a discarded branch, say), and the compiler computes
    ahead on lanes a partial block does not use (it hoisted a comparison of
    such lanes out of a loop, which raised "invalid" when stale stack memory
    there held a signaling NaN), so they are dropped.
    """
    cdef fastsvd_fp_flags on_entry = fastsvd_save_fp_flags()
    cdef int mode = <int><size_t>data
    cdef Operands op
    cdef PointSets sets
    cdef bint finite = True
    if mode & POINT_SETS_MODE:
        sets = unpack_point_sets(args, dimensions, steps)
        finite = kabsch_blocks(&sets, mode & SIMILARITY, mode & REFLECTION, value_type)
    else:
        op = unpack_operands(args, dimensions, steps, mode)
        if op.n == 0:
            fill_empty_matrices(&op, value_type)
        else:   # check_core_dims let only shapes with a kernel through
            finite = decompose_blocks(KERNEL_JACOBI_EIGH if mode & EIGEN
                                      else kernel_for_shape(op.m, op.n), &op, value_type)
    fastsvd_restore_fp_flags(on_entry)
    if not finite:
        feraiseexcept(FE_INVALID)


cdef void svd_loop_float(char** args, npy_intp* dimensions, npy_intp* steps,
                         void* data) noexcept nogil:
    svd_loop(args, dimensions, steps, data, <float>0)


cdef void svd_loop_double(char** args, npy_intp* dimensions, npy_intp* steps,
                          void* data) noexcept nogil:
    svd_loop(args, dimensions, steps, data, <double>0)


cdef int check_core_dims(PyUFuncObject* ufunc, npy_intp* core_dim_sizes) except -1:
    """numpy's hook before a gufunc runs: M and N (core sizes 0 and 1 in every
    signature of the table) must suit the gufunc, or ValueError.  Empty
    matrices are fine; sides over the kernels' limit are not, nor M > N for
    the M < N gufunc, nor M < N for the M ≥ N one."""
    cdef int mode = <int><size_t>ufunc.data[0]
    cdef npy_intp m = core_dim_sizes[0], n
    cdef bint wide = mode & TRANSPOSED
    if mode & POINT_SETS_MODE:     # (k,d): k points of d coordinates
        if m < 1 or core_dim_sizes[1] not in (2, 3):
            raise ValueError(f"the point-set gufuncs take k >= 1 points of d = 2 or 3 "
                             f"coordinates, got k = {m}, d = {core_dim_sizes[1]}")
        return 0
    if square_signature(mode):     # (n,n): one core size
        if m > MAX_SIDE:
            raise ValueError(f"fastsvd's gufuncs take N <= {MAX_SIDE}, got {m}x{m}: "
                             "fastsvd's functions hand larger matrices to numpy")
        return 0
    n = core_dim_sizes[1]
    if m > MAX_SIDE or n > MAX_SIDE:
        raise ValueError(f"fastsvd's gufuncs take M, N <= {MAX_SIDE}, got {m}x{n}: "
                         "fastsvd.svd hands larger matrices to numpy")
    # (Square matrices suit both orientations: Dask infers dtypes from 1×1.)
    if wide and m > n or not wide and m < n:
        raise ValueError(f"this gufunc takes M {'<=' if wide else '>='} N, got {m}x{n}: "
                         "fastsvd.svd picks the gufunc for the shape")
    return 0


# NumPy keeps pointers to these tables: they live as long as the module.
cdef cnp.PyUFuncGenericFunction loops[2]
# (numpy ≥ 2 declares the dimension and step pointers const: same ABI.)
loops[0] = <cnp.PyUFuncGenericFunction>svd_loop_float
loops[1] = <cnp.PyUFuncGenericFunction>svd_loop_double
# (With a parameter: the pseudo-inverse's rcond is real, the rank an intp.)
cdef char rank_types[6]
rank_types[:] = [cnp.NPY_FLOAT, cnp.NPY_INTP, cnp.NPY_FLOAT,
                 cnp.NPY_DOUBLE, cnp.NPY_INTP, cnp.NPY_DOUBLE]


cdef char* real_types(int operands) except NULL:
    """numpy's types table of a gufunc whose operands are all float32, then
    all float64 (never freed, as the gufuncs keep it)."""
    cdef char* types = <char*>PyMem_Malloc(2 * operands)
    if types == NULL:
        raise MemoryError()
    for i in range(operands):
        types[i], types[operands + i] = cnp.NPY_FLOAT, cnp.NPY_DOUBLE
    return types

_FLAVOUR_MODES = {VALUES_FLAVOUR: VALUES, THIN_FLAVOUR: THIN, FULL_FLAVOUR: FULL,
                  EIGVALS: EIGEN | VALUES, EIGH: EIGEN | FULL,
                  SIGNED_FLAVOUR: THIN | SIGNED << DERIVED_SHIFT,
                  CANONICAL_THIN: THIN | CANONICAL << DERIVED_SHIFT,
                  CANONICAL_FULL: FULL | CANONICAL << DERIVED_SHIFT,
                  ROTATION_FLAVOUR: THIN | ROTATION << DERIVED_SHIFT,
                  POLAR_RIGHT: THIN | POLAR_FROM_V << DERIVED_SHIFT,
                  POLAR_LEFT: THIN | POLAR_FROM_U << DERIVED_SHIFT,
                  PINV: THIN | PSEUDO_INVERSE << DERIVED_SHIFT,
                  LOW_RANK_FLAVOUR: THIN | LOW_RANK << DERIVED_SHIFT,
                  ROTATION_FACTORS: THIN | ROTATION << DERIVED_SHIFT | WITH_FACTORS,
                  POLAR_RIGHT_FACTORS: THIN | POLAR_FROM_V << DERIVED_SHIFT | WITH_FACTORS,
                  POLAR_LEFT_FACTORS: THIN | POLAR_FROM_U << DERIVED_SHIFT | WITH_FACTORS}
# The ufuncs keep the char* of name, doc and signature: the bytes stay alive here.
_keep_alive = []


cdef object make_gufunc(str name, str flavour, bint wide, str signature, str doc):
    cdef int mode
    cdef int outputs = OUTPUTS[flavour]
    if flavour in POINT_SETS:
        mode = (POINT_SETS_MODE | (SIMILARITY if flavour == UMEYAMA else 0)
                | (REFLECTION if wide else 0))
    else:
        mode = _FLAVOUR_MODES[flavour] | (TRANSPOSED if wide else 0)
    cdef void** data = <void**>PyMem_Malloc(2 * sizeof(void*))   # never freed, as loops
    if data == NULL:
        raise MemoryError()
    data[0] = data[1] = <void*><size_t>mode
    keep = (name.encode(), doc.encode(), signature.encode())
    _keep_alive.append(keep)
    cdef int inputs = 3 if flavour in POINT_SETS else 2 if flavour in WITH_PARAMETER else 1
    cdef char* types = rank_types
    if flavour != LOW_RANK_FLAVOUR:
        types = real_types(inputs + outputs)
    gufunc = cnp.PyUFunc_FromFuncAndDataAndSignature(
        loops, data, types, 2, inputs, outputs,
        cnp.PyUFunc_None, keep[0], keep[1], 0, keep[2])
    (<PyUFuncObject*>gufunc).process_core_dims_func = check_core_dims
    return gufunc


for _name, _flavour, _wide, _signature, _doc in GUFUNCS:
    globals()[_name] = make_gufunc(_name, _flavour, _wide, _signature, _doc)

cdef enum:
    # The most operands a derivative gufunc has (svd_vjp: seven in, two out).
    MAX_OPERANDS = 9


cdef struct GradientLayout:
    # What a derivative gufunc's loop needs of its signature: per operand, its
    # rank, the indices in `dimensions` of its core sizes, and its type
    # ('r' real, 'i' intp, 'b' bool); which sizes are M and N.
    Gradient kind
    int operands, inputs, m_dim, n_dim
    int rank[MAX_OPERANDS]
    int rows_dim[MAX_OPERANDS]
    int cols_dim[MAX_OPERANDS]
    char type[MAX_OPERANDS]


cdef void gradient_loop(char** args, npy_intp* dimensions, npy_intp* steps, void* data,
                        real value_type) noexcept nogil:
    """The loop of every derivative gufunc: each matrix's operands copied into
    contiguous slots (intp inputs clamped to [0, N], as ranks), the kernel,
    the outputs copied back (flags as bools)."""
    cdef GradientLayout* layout = <GradientLayout*>data
    cdef Py_ssize_t m = dimensions[layout.m_dim], n = dimensions[layout.n_dim]
    cdef Py_ssize_t rows[MAX_OPERANDS]
    cdef Py_ssize_t cols[MAX_OPERANDS]
    cdef npy_intp row_step[MAX_OPERANDS]
    cdef npy_intp col_step[MAX_OPERANDS]
    cdef real storage[(MAX_OPERANDS + SCRATCH_MATRICES) * MATRIX]
    cdef real* slot[MAX_OPERANDS]
    cdef npy_intp* core = steps + layout.operands
    cdef npy_intp matrix, rank
    cdef Py_ssize_t o, i, j
    cdef char* at
    for o in range(layout.operands):
        slot[o] = storage + o * MATRIX
        rows[o] = dimensions[layout.rows_dim[o]] if layout.rank[o] >= 1 else 1
        cols[o] = dimensions[layout.cols_dim[o]] if layout.rank[o] == 2 else 1
        row_step[o] = core[0] if layout.rank[o] >= 1 else 0
        col_step[o] = core[1] if layout.rank[o] == 2 else 0
        core += layout.rank[o]
    for matrix in range(dimensions[0]):
        for o in range(layout.inputs):
            at = args[o] + matrix * steps[o]
            if layout.type[o] == b'i':
                rank = (<npy_intp*>at)[0]
                slot[o][0] = <real>(0 if rank < 0 else n if rank > n else rank)
                continue
            for i in range(rows[o]):
                for j in range(cols[o]):
                    slot[o][i * cols[o] + j] = (<real*>(at + i * row_step[o]
                                                        + j * col_step[o]))[0]
        # (Constant sizes for the commonest shapes, so that the compiler
        # unrolls their small loops.)
        if m == 3 and n == 3:
            gradient_matrix(layout.kind, 3, 3, slot, storage + MAX_OPERANDS * MATRIX)
        elif m == 2 and n == 2:
            gradient_matrix(layout.kind, 2, 2, slot, storage + MAX_OPERANDS * MATRIX)
        else:
            gradient_matrix(layout.kind, m, n, slot, storage + MAX_OPERANDS * MATRIX)
        for o in range(layout.inputs, layout.operands):
            at = args[o] + matrix * steps[o]
            if layout.type[o] == b'b':
                (<npy_bool*>at)[0] = slot[o][0] != 0
                continue
            for i in range(rows[o]):
                for j in range(cols[o]):
                    (<real*>(at + i * row_step[o] + j * col_step[o]))[0] = (
                        slot[o][i * cols[o] + j])


cdef void gradient_loop_float(char** args, npy_intp* dimensions, npy_intp* steps,
                              void* data) noexcept nogil:
    gradient_loop(args, dimensions, steps, data, <float>0)


cdef void gradient_loop_double(char** args, npy_intp* dimensions, npy_intp* steps,
                               void* data) noexcept nogil:
    gradient_loop(args, dimensions, steps, data, <double>0)


cdef int check_gradient_dims(PyUFuncObject* ufunc, npy_intp* core_dim_sizes) except -1:
    """A derivative gufunc takes M ≥ N, both at most MAX_KERNEL_DIM."""
    cdef GradientLayout* layout = <GradientLayout*>ufunc.data[0]
    cdef npy_intp m = core_dim_sizes[layout.m_dim - 1], n = core_dim_sizes[layout.n_dim - 1]
    if m > MAX_SIDE or m < n:
        raise ValueError(f"fastsvd's derivative gufuncs take N <= M <= {MAX_SIDE}, got "
                         f"{m}x{n}: fastsvd.gradients hands them Aᵀ's factors for M < N")
    return 0


cdef cnp.PyUFuncGenericFunction gradient_loops[2]
gradient_loops[0] = <cnp.PyUFuncGenericFunction>gradient_loop_float
gradient_loops[1] = <cnp.PyUFuncGenericFunction>gradient_loop_double

_GRADIENT_KINDS = {
    "svd-vjp": SVD_VJP, "svdvals-vjp": SVDVALS_VJP, "polar-vjp": POLAR_VJP,
    "rotation-vjp": ROTATION_VJP, "pinv-vjp": PINV_VJP, "low-rank-vjp": LOW_RANK_VJP,
    "eigh-vjp": EIGH_VJP, "eigvalsh-vjp": EIGVALSH_VJP, "svd-jvp": SVD_JVP,
    "svdvals-jvp": SVDVALS_JVP, "polar-jvp": POLAR_JVP, "rotation-jvp": ROTATION_JVP,
    "pinv-jvp": PINV_JVP, "eigh-jvp": EIGH_JVP,
    "eigvalsh-jvp": EIGVALSH_JVP}
_NUMPY_TYPES = {"i": cnp.NPY_INTP, "b": cnp.NPY_BOOL}


cdef object make_gradient_gufunc(str name, str kind, str signature, str types, str doc):
    operands = [tuple(d for d in core.split(",") if d)
                for core in re.findall(r"\(([^)]*)\)", signature)]
    codes = types.replace("->", "")
    order = []      # the core sizes in the order numpy numbers them
    for core in operands:
        order += [d for d in core if d not in order]
    cdef GradientLayout* layout = <GradientLayout*>PyMem_Malloc(sizeof(GradientLayout))
    cdef void** data = <void**>PyMem_Malloc(2 * sizeof(void*))    # never freed, as loops
    cdef char* type_codes = <char*>PyMem_Malloc(2 * len(codes))
    if layout == NULL or data == NULL or type_codes == NULL:
        raise MemoryError()
    layout.kind = _GRADIENT_KINDS[kind]
    layout.operands, layout.inputs = len(operands), len(types.split("->")[0])
    layout.n_dim = 1 + order.index("n")
    layout.m_dim = 1 + order.index("m") if "m" in order else layout.n_dim
    for o, (core, code) in enumerate(zip(operands, codes)):
        layout.rank[o] = len(core)
        layout.rows_dim[o] = 1 + order.index(core[0]) if core else 0
        layout.cols_dim[o] = 1 + order.index(core[1]) if len(core) == 2 else 0
        layout.type[o] = ord(code)
        type_codes[o] = _NUMPY_TYPES.get(code, cnp.NPY_FLOAT)
        type_codes[len(codes) + o] = _NUMPY_TYPES.get(code, cnp.NPY_DOUBLE)
    data[0] = data[1] = <void*>layout
    keep = (name.encode(), doc.encode(), signature.encode())
    _keep_alive.append(keep)
    gufunc = cnp.PyUFunc_FromFuncAndDataAndSignature(
        gradient_loops, data, type_codes, 2, layout.inputs, layout.operands - layout.inputs,
        cnp.PyUFunc_None, keep[0], keep[1], 0, keep[2])
    (<PyUFuncObject*>gufunc).process_core_dims_func = check_gradient_dims
    return gufunc


for _name, _kind, _signature, _types, _doc in GRADIENT_GUFUNCS:
    globals()[_name] = make_gradient_gufunc(_name, _kind, _signature, _types, _doc)

_KERNEL_NAMES = {
    KernelId.KERNEL_GRAM_2X2: "gram-2x2",
    KernelId.KERNEL_GRAM_3X2: "gram-3x2",
    KernelId.KERNEL_JACOBI_3X3: "jacobi-3x3",
    KernelId.KERNEL_JACOBI: "jacobi",
    KernelId.KERNEL_JACOBI_COLUMNS: "jacobi-columns",
}
_KERNEL_IDS = {name: kernel for kernel, name in _KERNEL_NAMES.items()}


def kernel_name(Py_ssize_t m, Py_ssize_t n):
    """The kernel that decomposes an M×N matrix, or None when LAPACK does."""
    return _KERNEL_NAMES.get(kernel_for_shape(max(m, n), min(m, n)))


# The kernels' constants, under their own names, for Python.
MAX_KERNEL_DIM = MAX_SIDE
BLOCK_LANES = BLOCK
WIDE_BLOCK_LANES = WIDE_BLOCK


cdef tuple decompose_arrays(cnp.ndarray a, bint compute_uv, bint full_matrices,
                            KernelId kernel):
    """The SVD of a float32 or float64 M×N matrix, or (count, M, N) stack, by
    `kernel`, through the gufunc loop's work: numpy's gufunc machinery costs
    more than the kernel on a single small matrix.  Returns ((U, S, Vh) or S,
    whether a was finite)."""
    cdef int stacked = a.ndim == 3
    cdef Py_ssize_t m = a.shape[stacked], n = a.shape[stacked + 1], k = min(m, n)
    cdef int mode = (FULL if full_matrices else THIN) if compute_uv else VALUES
    cdef npy_intp dimensions[3]
    cdef npy_intp steps[11]
    cdef char* args[4]
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef npy_intp shape[3]
    cdef npy_intp* core = shape + stacked
    cdef Operands op
    cdef bint finite
    # Typed, so that their data and strides are read in C, not as attributes.
    cdef cnp.ndarray u, s, vh
    if m < n:
        mode |= TRANSPOSED
    shape[0] = a.shape[0]
    dimensions[:] = [a.shape[0] if stacked else 1, m, n]
    # numpy's C API: np.empty from Python would cost more than the kernel.
    core[0] = k
    s = cnp.PyArray_EMPTY(1 + stacked, shape, typenum, 0)
    args[:] = [a.data, NULL, NULL, NULL]
    if compute_uv:
        core[0], core[1] = m, (m if full_matrices else k)
        u = cnp.PyArray_EMPTY(2 + stacked, shape, typenum, 0)
        core[0], core[1] = (n if full_matrices else k), n
        vh = cnp.PyArray_EMPTY(2 + stacked, shape, typenum, 0)
        args[1], args[2], args[3] = u.data, s.data, vh.data
        steps[:] = [0, 0, 0, 0, a.strides[stacked], a.strides[stacked + 1],
                    u.strides[stacked], u.strides[stacked + 1], s.strides[stacked],
                    vh.strides[stacked], vh.strides[stacked + 1]]
        if stacked:
            steps[:4] = [a.strides[0], u.strides[0], s.strides[0], vh.strides[0]]
    else:
        args[1] = s.data
        steps[:5] = [a.strides[0] if stacked else 0, s.strides[0] if stacked else 0,
                     a.strides[stacked], a.strides[stacked + 1], s.strides[stacked]]
    op = unpack_operands(args, dimensions, steps, mode)
    finite = decompose_operands(kernel, &op, typenum)
    return ((u, s, vh) if compute_uv else s), finite


cdef bint decompose_operands(KernelId kernel, Operands* op, int typenum):
    """decompose_blocks without the GIL, for float32 or float64 (typenum); the
    caller's floating-point flags stay as they were: finiteness is the
    return value."""
    cdef fastsvd_fp_flags on_entry
    cdef bint finite
    with nogil:
        on_entry = fastsvd_save_fp_flags()
        if typenum == cnp.NPY_FLOAT:
            finite = decompose_blocks(kernel, op, <float>0)
        else:
            finite = decompose_blocks(kernel, op, <double>0)
        fastsvd_restore_fp_flags(on_entry)
    return finite


def eigen_one(cnp.ndarray a, bint vectors, bint upper):
    """eigh (vectors) or eigvalsh of one 2-D float32 or float64 N×N matrix,
    N ≤ MAX_KERNEL_DIM, from its lower (upper) triangle, without numpy's
    gufunc machinery: ((w, Q) or w, whether that triangle was finite)."""
    cdef Py_ssize_t n = a.shape[0]
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef npy_intp shape[2]
    cdef npy_intp dimensions[2]
    cdef npy_intp steps[8]
    cdef char* args[3]
    cdef cnp.ndarray w, q
    cdef Operands op
    cdef bint finite
    shape[0] = shape[1] = n
    dimensions[:] = [1, n]
    w = cnp.PyArray_EMPTY(1, shape, typenum, 0)
    args[:] = [a.data, w.data, NULL]
    # The gufunc's steps: one per operand (a single matrix: 0), then the core ones.
    if vectors:
        q = cnp.PyArray_EMPTY(2, shape, typenum, 0)
        args[2] = q.data
        steps[:] = [0, 0, 0, a.strides[0], a.strides[1], w.strides[0], q.strides[0],
                    q.strides[1]]
    else:
        steps[:5] = [0, 0, a.strides[0], a.strides[1], w.strides[0]]
    op = unpack_operands(args, dimensions, steps,
                         EIGEN | (FULL if vectors else VALUES) | (TRANSPOSED if upper else 0))
    finite = decompose_operands(KERNEL_JACOBI_EIGH, &op, typenum)
    return ((w, q) if vectors else w), finite


def decompose_one(cnp.ndarray a, bint compute_uv, bint full_matrices):
    """SVD of one 2-D float32 or float64 matrix that a kernel takes (see
    decompose_arrays): ((U, S, Vh) or S, whether a was finite)."""
    cdef Py_ssize_t m = a.shape[0], n = a.shape[1]
    return decompose_arrays(a, compute_uv, full_matrices, kernel_for_shape(max(m, n), min(m, n)))


ctypedef fused floating:
    float
    double


def hermitian_svd_from_eigen(floating[:, ::1] w, floating[:, :, ::1] q):
    """(U, S, Vh) of `count` symmetric matrices from their eigen decompositions
    (w ascending, (count, N); q's columns the eigenvectors, (count, N, N)), as
    numpy's svd(hermitian=True) makes them: S = |λ| descending (ties in
    eigenvalue order), U the eigenvectors in that order, Vh = (U·sign(λ))ᵀ with
    sign(0) = +1.  One pass in C: numpy's argsort and gathers cost more than
    the kernel."""
    cdef Py_ssize_t count = w.shape[0], n = w.shape[1], k, i, j, at
    cdef Py_ssize_t order[MAX_SIDE]
    cdef floating key, sign
    dtype = np.float32 if floating is float else np.float64
    s_out = np.empty((count, n), dtype)
    u_out = np.empty((count, n, n), dtype)
    vh_out = np.empty((count, n, n), dtype)
    cdef floating[:, ::1] s = s_out
    cdef floating[:, :, ::1] u = u_out
    cdef floating[:, :, ::1] vh = vh_out
    with nogil:
        for k in range(count):
            for j in range(n):      # insertion sort by |λ| descending, stable
                key = abs(w[k, j])
                at = j
                while at > 0 and abs(w[k, order[at - 1]]) < key:
                    order[at] = order[at - 1]
                    at -= 1
                order[at] = j
            for j in range(n):
                s[k, j] = abs(w[k, order[j]])
                sign = -1 if w[k, order[j]] < 0 else 1
                for i in range(n):
                    u[k, i, j] = q[k, i, order[j]]
                    vh[k, j, i] = q[k, i, order[j]] * sign
    return u_out, s_out, vh_out


def svd_with_kernel(cnp.ndarray a, str kernel, bint compute_uv=True, bint full_matrices=False):
    """For tests: the SVD of a (count, M, N) float32 or float64 stack by the named
    kernel (kernel_name's names), which must take the shape; "jacobi" and
    "jacobi-columns", the generic one-sided Jacobi kernels, take every shape the
    others do.  Returns
    (U, S, Vh) or S, as numpy.linalg.svd; NaN for matrices holding NaN or Inf."""
    if a.ndim != 3 or a.dtype not in (np.float32, np.float64):
        raise ValueError("svd_with_kernel takes a (count, M, N) float32 or float64 stack")
    m, n = max(a.shape[1], a.shape[2]), min(a.shape[1], a.shape[2])
    chosen = _KERNEL_IDS.get(kernel)
    own = kernel_for_shape(m, n)
    if chosen is None or own == KernelId.KERNEL_NONE or (
            chosen not in (KernelId.KERNEL_JACOBI, KernelId.KERNEL_JACOBI_COLUMNS)
            and chosen != own):
        raise ValueError(f"kernel {kernel!r} does not take {a.shape[1]}x{a.shape[2]} matrices")
    return decompose_arrays(a, compute_uv, full_matrices and compute_uv, chosen)[0]


# The per-matrix kernels of the Cython API (kernels.pxd) as C function
# addresses, for code that cannot cimport them: numba's @njit functions call
# them through ctypes (fastsvd/numba.py has their C signatures).  They are
# this build's own code, so a matrix gets the bits a batched call of this
# module gives it.
C_FUNCTIONS = {
    "svd_small_double": <size_t>&svd_small[double],
    "svd_small_float": <size_t>&svd_small[float],
    "signed_svd_small_double": <size_t>&signed_svd_small[double],
    "signed_svd_small_float": <size_t>&signed_svd_small[float],
    "nearest_rotation_small_double": <size_t>&nearest_rotation_small[double],
    "nearest_rotation_small_float": <size_t>&nearest_rotation_small[float],
    "polar_small_double": <size_t>&polar_small[double],
    "polar_small_float": <size_t>&polar_small[float],
}
