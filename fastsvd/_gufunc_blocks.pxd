"""From numpy's strided stacks to the kernels' blocks and back: the work of the
gufunc loops (_gufuncs.pyx) and of the single-matrix path.

Matrices go through the kernels a block at a time: gathered from numpy's
strided layout into a structure-of-arrays buffer (kernels.pxd), decomposed
together with SIMD, scattered back.  A flavour decomposing M < N works on Aᵀ
in place by swapping strides: Aᵀ = U'SV'ᵀ gives A = V'SU'ᵀ, so U' lands in Vh
and V' in U without any copy.
"""
from numpy cimport npy_intp
from libc.stdint cimport int32_t
from libc.stdlib cimport malloc, free

from fastsvd.kernels cimport (real, svd_lanes, svd_wide_block, block_lanes, KernelId,
                              MAX_KERNEL_DIM, BLOCK_LANES, WIDE_BLOCK_LANES)
from fastsvd._kernel_derived cimport (Derived, derive_lanes, AS_IS, SIGNED, CANONICAL,
                                      CANONICAL_FROM_V, ROTATION, POLAR_FROM_V, POLAR_FROM_U,
                                      PSEUDO_INVERSE, LOW_RANK)

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


cdef extern from "_simd.h" nogil:
    void fastsvd_indexed_copy(double* dst, const double* src, const int32_t* index,
                              Py_ssize_t count)
    void fastsvd_indexed_copyf(float* dst, const float* src, const int32_t* index,
                               Py_ssize_t count)


cdef enum:
    # Operands of at most this many entries a matrix move between a contiguous
    # stack and a full block by tables of indices, with hardware gathers: for
    # small matrices, moving them costs as much as decomposing them.
    MAX_INDEXED_ENTRIES = 16


cdef enum Mode:
    # The flavour, in the low bits: what the gufunc returns.
    VALUES = 0    # (m,n)->(p)
    THIN = 1      # U with min(M, N) columns
    FULL = 2      # square U and V
    FLAVOUR_MASK = 3
    # The gufunc for M < N: the kernels decompose Aᵀ.  (For EIGEN: the upper
    # triangle, which is the lower one of Aᵀ.)
    TRANSPOSED = 4
    # The symmetric eigen gufuncs, (n,n)->(n) (VALUES) or (n,n)->(n),(n,n)
    # (FULL: the eigenvectors too), by KERNEL_JACOBI_EIGH.
    EIGEN = 8
    # From this bit up: what the SVD becomes (_kernel_derived.Derived, as for
    # M ≥ N: unpack_operands adapts it to TRANSPOSED).  SIGNED and CANONICAL
    # return U, S, Vh (THIN or FULL); ROTATION (n,n)->(n,n) R; the polar
    # ones (m,n)->(m,n),(k,k) R and P; PSEUDO_INVERSE (m,n),()->(n,m) and
    # LOW_RANK (m,n),()->(m,n), whose second input is their per-matrix
    # parameter (rcond, of the matrices' dtype; the rank, an npy_intp).
    DERIVED_SHIFT = 4
    DERIVED_MASK = 15
    # ROTATION and the polar ones: after R (and P), U, S, Vh of the SVD they
    # came from too (the signed one for ROTATION), the factors their
    # derivatives take.
    WITH_FACTORS = 1 << 10


cdef struct Operands:
    # The kernel's view of one gufunc call: it decomposes m×n matrices, m ≥ n
    # (A, or Aᵀ when transposed), into u (m×ucols), s (n) and v (n×n, columns).
    npy_intp count
    Py_ssize_t m, n, ucols
    bint want_uv
    Derived derived
    char* a
    npy_intp a_outer, a_row, a_col
    # Outputs; NULL where the gufunc does not return them.
    char* s
    npy_intp s_outer, s_step
    char* u
    npy_intp u_outer, u_elem, u_vector
    char* v
    npy_intp v_outer, v_elem, v_vector
    # The derived outputs: r (r_rows×r_cols, in the kernel's orientation:
    # m×n, or n×m for the pseudo-inverse) and p (p_side²), and the
    # per-matrix parameter.
    char* r
    npy_intp r_outer, r_row, r_col
    Py_ssize_t r_rows, r_cols
    char* param
    npy_intp param_outer
    char* p
    npy_intp p_outer, p_row, p_col
    Py_ssize_t p_side


cdef inline Derived derived_of(int mode) noexcept nogil:
    return <Derived>((mode >> DERIVED_SHIFT) & DERIVED_MASK)


cdef inline bint square_signature(int mode) noexcept nogil:
    """Whether the gufunc's signature has a single core size, (n,n)->…"""
    cdef Derived derived = derived_of(mode)
    return mode & EIGEN or derived == SIGNED or derived == ROTATION


cdef inline void set_factors(Operands* op, char** args, npy_intp* steps, npy_intp* core,
                             bint transposed) noexcept nogil:
    """Outputs U (args[0]), S (args[1]), Vh (args[2]), core their core steps;
    the kernel's u holds columns uⱼ, and its v columns vⱼ, i.e. the rows of Vh."""
    op.s, op.s_outer, op.s_step = args[1], steps[1], core[2]
    if transposed:   # kernel u → Vh rows, kernel v → U columns
        op.u, op.u_outer, op.u_elem, op.u_vector = args[2], steps[2], core[4], core[3]
        op.v, op.v_outer, op.v_elem, op.v_vector = args[0], steps[0], core[0], core[1]
    else:
        op.u, op.u_outer, op.u_elem, op.u_vector = args[0], steps[0], core[0], core[1]
        op.v, op.v_outer, op.v_elem, op.v_vector = args[2], steps[2], core[4], core[3]


cdef inline Operands unpack_operands(char** args, npy_intp* dimensions, npy_intp* steps,
                                     int mode) noexcept nogil:
    """The operands of a gufunc loop call (numpy's args, dimensions and steps)."""
    cdef Operands op
    cdef bint transposed = mode & TRANSPOSED
    cdef int flavour = mode & FLAVOUR_MASK
    cdef bint eigen = mode & EIGEN
    cdef Derived derived = derived_of(mode)
    cdef bint polar = derived == POLAR_FROM_V or derived == POLAR_FROM_U
    cdef bint with_param = derived == PSEUDO_INVERSE or derived == LOW_RANK
    cdef int operands
    cdef npy_intp* core
    op.want_uv = flavour != VALUES
    if derived == ROTATION:
        operands = 2 + (3 if mode & WITH_FACTORS else 0)
    elif polar or with_param:
        operands = 3 + (3 if polar and mode & WITH_FACTORS else 0)
    else:
        operands = 2 + op.want_uv * (1 if eigen else 2)
    core = steps + operands
    op.count = dimensions[0]
    if square_signature(mode):
        op.m = op.n = dimensions[1]
    else:
        op.m = dimensions[2] if transposed else dimensions[1]
        op.n = dimensions[1] if transposed else dimensions[2]
    op.ucols = 0 if eigen else op.m if flavour == FULL else op.n
    op.derived = derived
    if transposed and derived == CANONICAL:
        op.derived = CANONICAL_FROM_V      # A's left singular vectors are Aᵀ's right ones
    elif transposed and derived == POLAR_FROM_V:
        op.derived = POLAR_FROM_U          # A's aᵀa is Aᵀ's (Aᵀ)(Aᵀ)ᵀ
    elif transposed and derived == POLAR_FROM_U:
        op.derived = POLAR_FROM_V
    op.a = args[0]
    op.a_outer = steps[0]
    op.a_row = core[1] if transposed else core[0]
    op.a_col = core[0] if transposed else core[1]
    op.s = op.u = op.v = op.r = op.p = op.param = NULL
    op.s_outer = op.s_step = op.param_outer = 0
    op.u_outer = op.u_elem = op.u_vector = op.v_outer = op.v_elem = op.v_vector = 0
    op.r_outer = op.r_row = op.r_col = op.p_outer = op.p_row = op.p_col = op.p_side = 0
    op.r_rows, op.r_cols = (op.n, op.m) if derived == PSEUDO_INVERSE else (op.m, op.n)
    if with_param:
        # The parameter (args[1]); the result (args[2]), transposed for Aᵀ.
        op.param, op.param_outer = args[1], steps[1]
        op.r, op.r_outer = args[2], steps[2]
        op.r_row = core[3] if transposed else core[2]
        op.r_col = core[2] if transposed else core[3]
        return op
    if derived == ROTATION or polar:
        # R (args[1]), written transposed for Aᵀ; the polar P (args[2]) is symmetric.
        op.r, op.r_outer = args[1], steps[1]
        op.r_row = core[3] if transposed else core[2]
        op.r_col = core[2] if transposed else core[3]
        if polar:
            op.p, op.p_outer, op.p_row, op.p_col = args[2], steps[2], core[4], core[5]
            op.p_side = op.m if op.derived == POLAR_FROM_U else op.n
        if mode & WITH_FACTORS:
            set_factors(&op, args + 2 + polar, steps + 2 + polar, core + 4 + 2 * polar,
                        transposed)
        return op
    if eigen:
        # Outputs w (args[1]) and, for FULL, the eigenvectors' matrix (args[2]),
        # whose columns are the kernel's v.
        op.s, op.s_outer, op.s_step = args[1], steps[1], core[2]
        if op.want_uv:
            op.v, op.v_outer, op.v_elem, op.v_vector = args[2], steps[2], core[3], core[4]
        return op
    if not op.want_uv:
        op.s, op.s_outer, op.s_step = args[1], steps[1], core[2]
        return op
    set_factors(&op, args + 1, steps + 1, core + 2, transposed)
    return op


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


cdef inline void prefetch_block(const Operands* op, npy_intp start,
                                npy_intp lanes) noexcept nogil:
    """The input, and the outputs for writing, of `lanes` matrices from `start`."""
    prefetch_matrices(op.a + start * op.a_outer, op.a_outer,
                      (op.m - 1) * op.a_row + (op.n - 1) * op.a_col, lanes, False)
    if op.s != NULL:
        prefetch_matrices(op.s + start * op.s_outer, op.s_outer, (op.n - 1) * op.s_step,
                          lanes, True)
    if op.u != NULL:
        prefetch_matrices(op.u + start * op.u_outer, op.u_outer,
                          (op.m - 1) * op.u_elem + (op.ucols - 1) * op.u_vector, lanes, True)
    if op.v != NULL:
        prefetch_matrices(op.v + start * op.v_outer, op.v_outer,
                          (op.n - 1) * op.v_elem + (op.n - 1) * op.v_vector, lanes, True)
    if op.r != NULL:
        prefetch_matrices(op.r + start * op.r_outer, op.r_outer,
                          (op.r_rows - 1) * op.r_row + (op.r_cols - 1) * op.r_col, lanes,
                          True)
    if op.p != NULL:
        prefetch_matrices(op.p + start * op.p_outer, op.p_outer,
                          (op.p_side - 1) * (op.p_row + op.p_col), lanes, True)


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


cdef struct IndexTables:
    # For full blocks, per operand; NULL where the stack is not contiguous.
    # a: entry r of the block (SoA) ← element a[r] of the block's input;
    # u, s, v, r, p: element q of the block's output ← entry u[q] (…) of the block.
    int32_t* a
    int32_t* u
    int32_t* s
    int32_t* v
    int32_t* r
    int32_t* p


cdef inline void indexed_copy(real* dst, const real* src, const int32_t* index,
                              Py_ssize_t count) noexcept nogil:
    """dst[k] = src[index[k]] for k < count."""
    if real is double:
        fastsvd_indexed_copy(dst, src, index, count)
    else:
        fastsvd_indexed_copyf(dst, src, index, count)


cdef inline bint contiguous_offsets(Py_ssize_t length, Py_ssize_t count, npy_intp elem_step,
                                    npy_intp vector_step, npy_intp outer, Py_ssize_t itemsize,
                                    int32_t* offset) noexcept nogil:
    """Whether `count` vectors of `length` (at i·elem_step + j·vector_step
    bytes) fill each matrix's E = length·count elements exactly, matrix after
    matrix (outer = E·itemsize); offset[j·length + i] = the element's index."""
    cdef unsigned char seen[MAX_INDEXED_ENTRIES]
    cdef Py_ssize_t entries = length * count, i, j
    cdef npy_intp at
    if entries > MAX_INDEXED_ENTRIES or outer != entries * itemsize:
        return False
    for i in range(entries):
        seen[i] = 0
    for j in range(count):
        for i in range(length):
            at = i * elem_step + j * vector_step
            if at < 0 or at % itemsize or at >= entries * itemsize or seen[at // itemsize]:
                return False
            seen[at // itemsize] = 1
            offset[j * length + i] = <int32_t>(at // itemsize)
    return True


cdef inline int32_t* scatter_table(Py_ssize_t length, Py_ssize_t count, npy_intp elem_step,
                                   npy_intp vector_step, npy_intp outer, Py_ssize_t itemsize,
                                   Py_ssize_t block, int32_t* table) noexcept nogil:
    """The table of IndexTables.u (s, v) in `table`, or NULL."""
    cdef int32_t offset[MAX_INDEXED_ENTRIES]
    cdef Py_ssize_t entries = length * count, e, l
    if not contiguous_offsets(length, count, elem_step, vector_step, outer, itemsize, offset):
        return NULL
    for e in range(entries):
        for l in range(block):
            table[l * entries + offset[e]] = <int32_t>(e * block + l)
    return table


cdef inline int32_t* gather_table(const Operands* op, Py_ssize_t itemsize, Py_ssize_t block,
                                  int32_t* table) noexcept nogil:
    """The table of IndexTables.a in `table`, or NULL."""
    cdef int32_t offset[MAX_INDEXED_ENTRIES]
    cdef Py_ssize_t entries = op.m * op.n, e, l
    if not contiguous_offsets(op.m, op.n, op.a_row, op.a_col, op.a_outer, itemsize, offset):
        return NULL
    for e in range(entries):
        for l in range(block):
            table[e * block + l] = <int32_t>(l * entries + offset[e])
    return table


cdef inline void fill_strided(char* dst, Py_ssize_t length, Py_ssize_t count,
                              npy_intp elem_step, npy_intp vector_step,
                              real value) noexcept nogil:
    cdef Py_ssize_t i, j
    for j in range(count):
        for i in range(length):
            (<real*>(dst + i * elem_step + j * vector_step))[0] = value


cdef inline void fill_empty_matrices(const Operands* op, real value_type) noexcept nogil:
    """The SVD of m×0 matrices: no singular values; a full U is the identity,
    and the polar P = (aaᵀ)^½ of an m×0 matrix is zero.  (0×0 eigen
    decompositions have nothing to fill.)"""
    cdef npy_intp k
    for k in range(op.count):
        if op.p != NULL:
            fill_strided(op.p + k * op.p_outer, op.p_side, op.p_side, op.p_row, op.p_col,
                         <real>0)
        if op.u != NULL and op.ucols:
            fill_strided(op.u + k * op.u_outer, op.m, op.ucols, op.u_elem, op.u_vector,
                         <real>0)
            fill_strided(op.u + k * op.u_outer, op.ucols, 1, op.u_elem + op.u_vector, 0,
                         <real>1)


cdef inline void put_output(const real* src, Py_ssize_t length, Py_ssize_t count,
                            const int32_t* table, Py_ssize_t lanes, Py_ssize_t block,
                            char* dst, npy_intp outer, npy_intp elem_step,
                            npy_intp vector_step) noexcept nogil:
    """One output of a block (`count` vectors of `length`, SoA) to its strided
    destination: by the index table for a full block of a contiguous stack,
    else by strided loops."""
    if lanes == block and table != NULL:
        indexed_copy(<real*>dst, src, table, length * count * block)
    else:
        scatter_columns(src, length, count, lanes, block, dst, outer, elem_step, vector_step)


cdef inline bint run_block(KernelId kernel, const Operands* op, const IndexTables* tables,
                           real* buffer, Py_ssize_t block, npy_intp start) noexcept nogil:
    """Decompose the matrices start … start + block − 1 (fewer in the last
    block) in `buffer`; returns whether they were all finite."""
    cdef Py_ssize_t m = op.m, n = op.n, ucols = op.ucols
    cdef Py_ssize_t lanes = min(block, op.count - start)
    cdef real* a = buffer
    cdef real* u = a + m * n * block
    cdef real* v = u + m * ucols * block
    cdef real* s = v + n * n * block
    cdef real* p = s + n * block
    cdef real param[WIDE_BLOCK_LANES]
    cdef Py_ssize_t l
    cdef bint finite
    cdef bint full = lanes == block
    if full and tables.a != NULL:
        indexed_copy(a, <const real*>(op.a + start * op.a_outer), tables.a, m * n * block)
    else:
        gather(op.a + start * op.a_outer, op.a_outer, op.a_row, op.a_col, m, n, lanes, a,
               block)
    # Full blocks with a constant lane count (fully vectorised); the last,
    # partial block with as many lanes as it has matrices; a single matrix
    # contiguous, through straight scalar code.
    if block == 1:
        finite = svd_lanes(kernel, a, m, n, u, s, v, ucols, op.want_uv, 1, 1)
    elif block == WIDE_BLOCK_LANES:
        if lanes == WIDE_BLOCK_LANES:
            finite = svd_wide_block(kernel, a, m, n, u, s, v, ucols, op.want_uv,
                                    WIDE_BLOCK_LANES, WIDE_BLOCK_LANES)
        else:
            finite = svd_wide_block(kernel, a, m, n, u, s, v, ucols, op.want_uv, lanes,
                                    WIDE_BLOCK_LANES)
    elif lanes == BLOCK_LANES:
        finite = svd_lanes(kernel, a, m, n, u, s, v, ucols, op.want_uv, BLOCK_LANES,
                           BLOCK_LANES)
    else:
        finite = svd_lanes(kernel, a, m, n, u, s, v, ucols, op.want_uv, lanes, block)
    if op.param != NULL:
        for l in range(block):
            param[l] = 0 if l >= lanes else (
                <real>(<const npy_intp*>(op.param + (start + l) * op.param_outer))[0]
                if op.derived == LOW_RANK
                else (<const real*>(op.param + (start + l) * op.param_outer))[0])
    if op.derived != AS_IS:
        # (R takes the input's place, which the kernel is done with.)
        if lanes == BLOCK_LANES:
            derive_lanes(op.derived, m, n, u, s, v, ucols, param, a, p, BLOCK_LANES,
                         BLOCK_LANES)
        else:
            derive_lanes(op.derived, m, n, u, s, v, ucols, param, a, p, lanes, block)
    if op.r != NULL:
        put_output(a, op.r_rows, op.r_cols, tables.r, lanes, block, op.r + start * op.r_outer,
                   op.r_outer, op.r_row, op.r_col)
    if op.p != NULL:
        put_output(p, op.p_side, op.p_side, tables.p, lanes, block, op.p + start * op.p_outer,
                   op.p_outer, op.p_row, op.p_col)
    if op.s != NULL:
        put_output(s, n, 1, tables.s, lanes, block, op.s + start * op.s_outer, op.s_outer,
                   op.s_step, 0)
    if op.u != NULL:
        put_output(u, m, ucols, tables.u, lanes, block, op.u + start * op.u_outer, op.u_outer,
                   op.u_elem, op.u_vector)
    if op.v != NULL:
        put_output(v, n, n, tables.v, lanes, block, op.v + start * op.v_outer, op.v_outer,
                   op.v_elem, op.v_vector)
    return finite


cdef inline bint decompose_blocks(KernelId kernel, const Operands* op,
                                  real value_type) noexcept nogil:
    """Decompose every matrix of `op` with `kernel` (one that takes op's m×n
    shape, n ≥ 1; value_type only selects float or double).  Returns whether
    every matrix was finite; those that were not get NaN outputs.  The
    floating-point flags it leaves mean nothing."""
    cdef Py_ssize_t m = op.m, n = op.n
    # A single matrix (the per-call use) in a buffer of its own size.
    cdef Py_ssize_t block = 1 if op.count == 1 else block_lanes(kernel, m, n, value_type)
    cdef real on_stack[4 * MAX_KERNEL_DIM * MAX_KERNEL_DIM + MAX_KERNEL_DIM]
    cdef real* buffer
    cdef npy_intp start
    cdef bint all_finite = True
    cdef IndexTables tables
    cdef int32_t* table_space = NULL
    cdef Py_ssize_t slot = MAX_INDEXED_ENTRIES * block
    if op.count == 0:
        return True
    buffer = <real*>malloc((m * n + m * op.ucols + n * n + n + op.p_side * op.p_side)
                           * block * sizeof(real))
    if buffer == NULL:
        # No memory for a block: one matrix at a time, on the stack, with the
        # same bits (a lone matrix takes the lanes = 1 specialisation).
        block = 1
        buffer = on_stack
    tables.a = tables.u = tables.s = tables.v = tables.r = tables.p = NULL
    if block > 1 and op.count >= block:
        # (Without memory for them, the strided loops move the same values.)
        table_space = <int32_t*>malloc(6 * slot * sizeof(int32_t))
    if table_space != NULL:
        tables.a = gather_table(op, sizeof(real), block, table_space)
        if op.s != NULL:
            tables.s = scatter_table(n, 1, op.s_step, 0, op.s_outer, sizeof(real), block,
                                     table_space + slot)
        if op.u != NULL:
            tables.u = scatter_table(m, op.ucols, op.u_elem, op.u_vector, op.u_outer,
                                     sizeof(real), block, table_space + 2 * slot)
        if op.v != NULL:
            tables.v = scatter_table(n, n, op.v_elem, op.v_vector, op.v_outer, sizeof(real),
                                     block, table_space + 3 * slot)
        if op.r != NULL:
            tables.r = scatter_table(op.r_rows, op.r_cols, op.r_row, op.r_col, op.r_outer,
                                     sizeof(real), block, table_space + 4 * slot)
        if op.p != NULL:
            tables.p = scatter_table(op.p_side, op.p_side, op.p_row, op.p_col, op.p_outer,
                                     sizeof(real), block, table_space + 5 * slot)
    start = 0
    while start < op.count:
        # The next block's input, and its outputs for writing, are fetched
        # while this block computes, so the memory traffic overlaps arithmetic.
        if start + block < op.count:
            prefetch_block(op, start + block, min(block, op.count - start - block))
        all_finite &= run_block(kernel, op, &tables, buffer, block, start)
        start += block
    free(table_space)
    if buffer != on_stack:
        free(buffer)
    return all_finite
