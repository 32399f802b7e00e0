"""One-sided Jacobi for the wider shapes, one matrix at a time with its
columns across the SIMD lanes.

A block of such matrices, 32 lanes of 32×32 A and V, is 512 KB: each rotation
would stream its columns from L2.  One matrix is 16 KB and stays in L1, and
its own parallelism fills the vectors: its columns sit in `slots` (N rounded
up to a power of two, at least one vector; the extra slots hold zero columns,
which never rotate), each row of the matrix a row of slots in memory.  Step
d = 1 … slots − 1 of a sweep pairs slot k with slot k XOR d: every pair once a
sweep and the pairs of a step disjoint, so that the rotations of a step are
the lanes of a few vectors, and the partner of a lane is a lane exchange
(v_xor_lanes) of the same vector or of another one.  Both slots of a pair
compute its rotation from the same operands in the same order, the lower one
as x, so the two agree to the bit.

A few matrices of a block sweep together, step by step, so that the chains
of one overlap those of the others; each does exactly what it would alone,
and every matrix of a shape this kernel takes goes through it, so a matrix
gets the same bits wherever it sits in a block, or by itself.
"""
from libc.stdint cimport uintptr_t

from fastsvd._kernel_scalar cimport real, r_eps, r_sqrt, MAX_KERNEL_DIM
from fastsvd._kernel_simd cimport (vreal, vdouble, vfloat, vdouble1, vector_lanes, v_set1,
                                   v_load, v_store, v_add, v_sub, v_mul, v_fmadd, v_abs, v_max,
                                   v_less, v_less_equal, v_select, v_any, v_xor_lanes)
from fastsvd._kernel_jacobi cimport MAX_SWEEPS, jacobi_rotation_vector, worth_checking

cdef enum:
    # Slots of the widest matrix: MAX_KERNEL_DIM, a power of two.
    MAX_SLOTS = 32
    # Vectors in a row of slots (2-lane portable doubles) and lanes in a
    # vector (AVX-512 floats), at most.
    MAX_ROW_VECTORS = 16
    MAX_VECTOR_LANES = 16
    # Bytes to which the rows of slots are aligned: one cache line.
    SLOT_ALIGNMENT = 64
    # Entries of A and V of the matrices that sweep together (column_group):
    # two at 32×32, 32 KB in double, within L1.
    GROUP_ENTRIES = 4 * MAX_KERNEL_DIM * MAX_SLOTS
    MAX_GROUP = 4


cdef inline Py_ssize_t column_slots(Py_ssize_t n, Py_ssize_t width) noexcept nogil:
    """Slots for N columns in vectors of `width` lanes: a power of two ≥ N, ≥ width."""
    cdef Py_ssize_t slots = width
    while slots < n:
        slots *= 2
    return slots


cdef inline Py_ssize_t column_group(Py_ssize_t m, Py_ssize_t n,
                                    Py_ssize_t slots) noexcept nogil:
    """Matrices that sweep together: as many as GROUP_ENTRIES hold, ≤ MAX_GROUP."""
    return min(<Py_ssize_t>MAX_GROUP, GROUP_ENTRIES // ((m + n) * slots))


cdef inline void step_products(const real* w, Py_ssize_t rows, Py_ssize_t slots,
                               Py_ssize_t d, vreal* alpha, vreal* gamma) noexcept nogil:
    """Per slot, α = its column's squared norm and γ = the column's dot product
    with its partner in step d, a vector per `width` slots.  Each is two
    interleaved sums (even and odd rows), half the latency of one chain; a
    pair of vectors of partners shares its γ, lanes exchanged."""
    cdef vreal x, y, a0, a1, g0, g1, p0, p1
    cdef Py_ssize_t width = vector_lanes(&x), far = d // width, b, k, partner
    cdef int near = d % width
    cdef const real* own
    cdef const real* other
    for b in range(slots // width):
        partner = b ^ far
        if partner < b:
            continue
        own = w + b * width
        other = w + partner * width
        v_set1(&a0, 0)
        v_set1(&a1, 0)
        v_set1(&g0, 0)
        v_set1(&g1, 0)
        v_set1(&p0, 0)
        v_set1(&p1, 0)
        if partner == b:
            for k in range(0, rows - 1, 2):
                v_load(&x, own + k * slots)
                v_xor_lanes(&y, &x, near)
                v_fmadd(&a0, &x, &x, &a0)
                v_fmadd(&g0, &x, &y, &g0)
                v_load(&x, own + (k + 1) * slots)
                v_xor_lanes(&y, &x, near)
                v_fmadd(&a1, &x, &x, &a1)
                v_fmadd(&g1, &x, &y, &g1)
            if rows & 1:
                v_load(&x, own + (rows - 1) * slots)
                v_xor_lanes(&y, &x, near)
                v_fmadd(&a0, &x, &x, &a0)
                v_fmadd(&g0, &x, &y, &g0)
        else:
            for k in range(0, rows - 1, 2):
                v_load(&x, own + k * slots)
                v_load(&y, other + k * slots)
                v_fmadd(&p0, &y, &y, &p0)
                v_xor_lanes(&y, &y, near)
                v_fmadd(&a0, &x, &x, &a0)
                v_fmadd(&g0, &x, &y, &g0)
                v_load(&x, own + (k + 1) * slots)
                v_load(&y, other + (k + 1) * slots)
                v_fmadd(&p1, &y, &y, &p1)
                v_xor_lanes(&y, &y, near)
                v_fmadd(&a1, &x, &x, &a1)
                v_fmadd(&g1, &x, &y, &g1)
            if rows & 1:
                v_load(&x, own + (rows - 1) * slots)
                v_load(&y, other + (rows - 1) * slots)
                v_fmadd(&p0, &y, &y, &p0)
                v_xor_lanes(&y, &y, near)
                v_fmadd(&a0, &x, &x, &a0)
                v_fmadd(&g0, &x, &y, &g0)
            v_add(alpha + partner, &p0, &p1)
        v_add(alpha + b, &a0, &a1)
        v_add(gamma + b, &g0, &g1)
        if partner != b:
            v_xor_lanes(gamma + partner, gamma + b, near)


cdef inline bint step_rotations(const vreal* alpha, const vreal* gamma, Py_ssize_t slots,
                                Py_ssize_t d, double tol, const vreal* lane_index,
                                const vreal* small_sine, vreal* c, vreal* partner_s,
                                vreal* large) noexcept nogil:
    """The rotations of step d, per slot: its column becomes c·itself +
    partner_s·its partner (x′ = c·x − s·y, y′ = c·y + s·x for the pair's lower
    slot x).  Returns whether any slot rotates; `large` gains the indicator of
    the slots whose |sin θ| ≥ small_sine.  A pair of vectors of partners
    shares one rotation, lanes exchanged."""
    cdef vreal beta, low, x, y, s, needed, zero
    cdef Py_ssize_t width = vector_lanes(&x), far = d // width, b, partner
    cdef int near = d % width
    cdef bint rotates = False
    v_set1(&zero, 0)
    for b in range(slots // width):
        partner = b ^ far
        if partner < b:
            continue
        v_xor_lanes(&beta, alpha + partner, near)
        if partner == b:
            # low: the lanes that hold the lower slot of their pair.
            v_xor_lanes(&x, lane_index, near)
            v_less(&low, lane_index, &x)
            v_select(&x, &low, alpha + b, &beta)
            v_select(&y, &low, &beta, alpha + b)
            jacobi_rotation_vector(&x, &y, gamma + b, tol, c + b, &s, &needed)
            v_sub(&x, &zero, &s)
            v_select(partner_s + b, &low, &x, &s)
        else:
            jacobi_rotation_vector(alpha + b, &beta, gamma + b, tol, c + b, &s, &needed)
            v_sub(partner_s + b, &zero, &s)
            v_xor_lanes(c + partner, c + b, near)
            v_xor_lanes(partner_s + partner, &s, near)
        v_abs(&x, &s)
        v_less_equal(&x, small_sine, &x)
        v_max(large, large, &x)
        rotates |= v_any(&needed)
    return rotates


cdef inline void rotate_step(real* w, Py_ssize_t rows, Py_ssize_t slots, Py_ssize_t d,
                             const vreal* c, const vreal* partner_s) noexcept nogil:
    """Apply step d's rotations (step_rotations) to `rows` rows of slots: a
    vector of slots (and its partner vector) at a time, down the rows."""
    cdef vreal x, y, xp, yp, p, cx, sx, cy, sy
    cdef Py_ssize_t width = vector_lanes(&x), far = d // width, b, partner, k
    cdef int near = d % width
    cdef real* own
    cdef real* other
    for b in range(slots // width):
        partner = b ^ far
        if partner < b:
            continue
        own = w + b * width
        other = w + partner * width
        cx = c[b]
        sx = partner_s[b]
        if partner == b:
            for k in range(rows):
                v_load(&x, own + k * slots)
                v_xor_lanes(&xp, &x, near)
                v_mul(&p, &sx, &xp)
                v_fmadd(&p, &cx, &x, &p)
                v_store(own + k * slots, &p)
        else:
            cy = c[partner]
            sy = partner_s[partner]
            for k in range(rows):
                v_load(&x, own + k * slots)
                v_load(&y, other + k * slots)
                v_xor_lanes(&xp, &x, near)
                v_xor_lanes(&yp, &y, near)
                v_mul(&p, &sx, &yp)
                v_fmadd(&p, &cx, &x, &p)
                v_store(own + k * slots, &p)
                v_mul(&p, &sy, &xp)
                v_fmadd(&p, &cy, &y, &p)
                v_store(other + k * slots, &p)


cdef inline bint any_step_needs_rotation(const real* w, Py_ssize_t rows, Py_ssize_t slots,
                                         double tol, const vreal* lane_index,
                                         const vreal* small_sine) noexcept nogil:
    """Whether a sweep would rotate any pair: its products and rotations
    without the updates, which spares the last sweep, whose rotations would
    all be 1 (the sweep's own test, so that the two never disagree)."""
    cdef vreal alpha[MAX_ROW_VECTORS]
    cdef vreal gamma[MAX_ROW_VECTORS]
    cdef vreal c[MAX_ROW_VECTORS]
    cdef vreal partner_s[MAX_ROW_VECTORS]
    cdef vreal large
    cdef Py_ssize_t d
    v_set1(&large, 0)
    for d in range(1, slots):
        step_products(w, rows, slots, d, alpha, gamma)
        if step_rotations(alpha, gamma, slots, d, tol, lane_index, small_sine, c, partner_s,
                          &large):
            return True
    return False


cdef inline bint step_rotations_of(const real* w, Py_ssize_t rows, Py_ssize_t slots,
                                   Py_ssize_t d, double tol, const vreal* lane_index,
                                   const vreal* small_sine, vreal* alpha, vreal* gamma,
                                   vreal* c, vreal* partner_s, vreal* large) noexcept nogil:
    """step_products, then step_rotations."""
    step_products(w, rows, slots, d, alpha, gamma)
    return step_rotations(alpha, gamma, slots, d, tol, lane_index, small_sine, c, partner_s,
                          large)


cdef inline void sweep_group(real* w, Py_ssize_t m, Py_ssize_t n, bint want_uv,
                             Py_ssize_t slots, Py_ssize_t count,
                             const vreal* lane_index) noexcept nogil:
    """Sweeps of `count` ≤ MAX_GROUP matrices (matrix q: m rows of slots of A
    from w + q·(m + n)·slots, then n of V), each until no pair of its own
    needs a rotation, at most MAX_SWEEPS: step by step together, each doing
    what it would alone.  A step's products and rotations come first for all
    of them, so that their latencies overlap, then the updates."""
    cdef double tol = r_sqrt(<real>m) * r_eps(<real>0)
    cdef Py_ssize_t per = (m + n) * slots
    cdef vreal alpha[MAX_GROUP * MAX_ROW_VECTORS]
    cdef vreal gamma[MAX_GROUP * MAX_ROW_VECTORS]
    cdef vreal c[MAX_GROUP * MAX_ROW_VECTORS]
    cdef vreal partner_s[MAX_GROUP * MAX_ROW_VECTORS]
    cdef vreal large[MAX_GROUP]
    cdef vreal small_sine
    cdef bint active[MAX_GROUP]
    cdef bint any_large[MAX_GROUP]
    cdef bint rotated[MAX_GROUP]
    cdef bint rotates[MAX_GROUP]
    cdef Py_ssize_t _sweep, d, q, remaining
    if vreal is vdouble or vreal is vdouble1:
        v_set1(&small_sine, worth_checking(<double>0))
    else:
        v_set1(&small_sine, worth_checking(<float>0))
    for q in range(count):
        active[q] = True
        any_large[q] = True
    for _sweep in range(MAX_SWEEPS):
        remaining = 0
        for q in range(count):
            if active[q] and not any_large[q] and not any_step_needs_rotation(
                    w + q * per, m, slots, tol, lane_index, &small_sine):
                active[q] = False
            remaining += active[q]
            rotated[q] = False
            v_set1(&large[q], 0)
        if remaining == 0:
            break
        for d in range(1, slots):
            for q in range(count):
                rotates[q] = active[q] and step_rotations_of(
                    w + q * per, m, slots, d, tol, lane_index, &small_sine,
                    alpha + q * MAX_ROW_VECTORS, gamma + q * MAX_ROW_VECTORS,
                    c + q * MAX_ROW_VECTORS, partner_s + q * MAX_ROW_VECTORS, &large[q])
                rotated[q] |= rotates[q]
            for q in range(count):
                if rotates[q]:
                    # V's rows follow A's, in the same slots.
                    rotate_step(w + q * per, m + n if want_uv else m, slots, d,
                                c + q * MAX_ROW_VECTORS, partner_s + q * MAX_ROW_VECTORS)
        for q in range(count):
            if active[q]:
                active[q] = rotated[q]
                any_large[q] = v_any(&large[q])


cdef inline void descending_columns(const real* w, Py_ssize_t m, Py_ssize_t n,
                                    Py_ssize_t slots, Py_ssize_t* order) noexcept nogil:
    """order: the columns by descending norm (ties in column order), so that
    finish_jacobi's sorting network finds them sorted and exchanges nothing,
    where each exchange would move two columns of A and V in every lane."""
    cdef real norm2[MAX_SLOTS]
    cdef real key
    cdef Py_ssize_t i, j, at
    for j in range(n):
        norm2[j] = 0
    for i in range(m):
        for j in range(n):
            norm2[j] += w[i * slots + j] * w[i * slots + j]
    for j in range(n):
        key = norm2[j]
        at = j
        while at > 0 and norm2[order[at - 1]] < key:
            order[at] = order[at - 1]
            at -= 1
        order[at] = j


cdef inline void sweeps_by_columns(real* a, Py_ssize_t m, Py_ssize_t n, real* v,
                                   bint want_uv, Py_ssize_t lanes, Py_ssize_t stride,
                                   vreal* vector_type) noexcept nogil:
    """jacobi_sweeps_columns with vectors of vreal."""
    cdef real storage[GROUP_ENTRIES + SLOT_ALIGNMENT]
    cdef real* w = <real*>((<uintptr_t>storage + SLOT_ALIGNMENT - 1)
                           & ~<uintptr_t>(SLOT_ALIGNMENT - 1))
    cdef real numbers[MAX_VECTOR_LANES]
    cdef vreal lane_index
    cdef Py_ssize_t width = vector_lanes(vector_type), slots = column_slots(n, width)
    cdef Py_ssize_t group = column_group(m, n, slots), per = (m + n) * slots
    cdef Py_ssize_t order[MAX_SLOTS]
    cdef Py_ssize_t first, count, q, i, j, l
    cdef real* x
    for l in range(width):
        numbers[l] = <real>l
    v_load(&lane_index, numbers)
    first = 0
    while first < lanes:
        count = min(group, lanes - first)
        for q in range(count):
            l = first + q
            x = w + q * per
            for i in range(m):
                for j in range(slots):
                    x[i * slots + j] = a[(j * m + i) * stride + l] if j < n else 0
            if want_uv:
                x += m * slots
                for i in range(n):
                    for j in range(slots):
                        x[i * slots + j] = v[(j * n + i) * stride + l] if j < n else 0
        sweep_group(w, m, n, want_uv, slots, count, &lane_index)
        for q in range(count):
            l = first + q
            x = w + q * per
            descending_columns(x, m, n, slots, order)
            for i in range(m):
                for j in range(n):
                    a[(j * m + i) * stride + l] = x[i * slots + order[j]]
            if want_uv:
                x += m * slots
                for i in range(n):
                    for j in range(n):
                        v[(j * n + i) * stride + l] = x[i * slots + order[j]]
        first += count


cdef inline void jacobi_sweeps_columns(real* a, Py_ssize_t m, Py_ssize_t n, real* v,
                                       bint want_uv, Py_ssize_t lanes,
                                       Py_ssize_t stride) noexcept nogil:
    """jacobi_sweeps (the same rotations and stopping test) for `lanes` scaled
    M×N matrices, M ≥ N, in the layout of kernels.pxd, a few at a time with
    their columns across the lanes (see the module doc)."""
    if real is double:
        sweeps_by_columns(a, m, n, v, want_uv, lanes, stride, <vdouble*>NULL)
    else:
        sweeps_by_columns(a, m, n, v, want_uv, lanes, stride, <vfloat*>NULL)
