"""Column operations over `lanes` matrices at once (the layout of kernels.pxd):
scaling by powers of two, norms, products and swaps of columns."""
from libc.math cimport NAN

from fastsvd._kernel_scalar cimport (real, WIDE_BLOCK_LANES, r_abs, r_huge, r_max, r_sqrt,
                                     power_of_two_scale)


cdef inline bint scale_lanes_zeroing_nonfinite(real* a, Py_ssize_t entries, Py_ssize_t lanes,
                                               Py_ssize_t stride, real* up1,
                                               real* up2) noexcept nogil:
    """Scale each matrix by a power of two (exactly) so its largest |entry| is in [1, 2).

    Squares and products of the scaled entries neither overflow nor lose the
    small ones, whatever the input's magnitude.  up1·up2 = the factor back;
    up1 is NaN for a matrix holding NaN or Inf, whose entries are zeroed so
    that the kernel stays finite.  Returns whether every matrix was finite.
    """
    cdef real big[WIDE_BLOCK_LANES]
    cdef real down[WIDE_BLOCK_LANES]
    cdef real bad[WIDE_BLOCK_LANES]
    cdef real x, huge = r_huge(<real>0)
    cdef Py_ssize_t i, l
    cdef int any_bad = 0
    for l in range(lanes):
        big[l] = 0
        bad[l] = 0
    for i in range(entries):
        for l in range(lanes):
            x = r_abs(a[i * stride + l])
            big[l] = r_max(x, big[l])
            bad[l] += 0 if x <= huge else 1      # NaN compares false
    for l in range(lanes):
        power_of_two_scale(big[l], &down[l], &up1[l], &up2[l])
        up1[l] = up1[l] if bad[l] == 0 else NAN
        any_bad += bad[l] != 0
    for i in range(entries):
        for l in range(lanes):
            a[i * stride + l] = a[i * stride + l] * down[l] if bad[l] == 0 else 0
    return any_bad == 0


cdef inline void scaled_column_norms(const real* x, Py_ssize_t m, real* scaled, real* down,
                                     real* up1, real* up2, Py_ssize_t lanes,
                                     Py_ssize_t stride) noexcept nogil:
    """Per lane: ‖x‖ = scaled·up1·up2 with scaled = ‖x·down‖, down a power of two
    that puts max |xᵢ|·down in [1, 2): no square underflows, and scaled keeps
    full precision even where ‖x‖ itself is subnormal."""
    cdef real big[WIDE_BLOCK_LANES]
    cdef real y
    cdef Py_ssize_t k, l
    for l in range(lanes):
        big[l] = 0
        scaled[l] = 0
    for k in range(m):
        for l in range(lanes):
            big[l] = r_max(big[l], r_abs(x[k * stride + l]))
    for l in range(lanes):
        power_of_two_scale(big[l], &down[l], &up1[l], &up2[l])
    for k in range(m):
        for l in range(lanes):
            y = x[k * stride + l] * down[l]
            scaled[l] += y * y
    for l in range(lanes):
        scaled[l] = r_sqrt(scaled[l])


cdef inline void column_norms(const real* x, Py_ssize_t m, real* norm, Py_ssize_t lanes,
                              Py_ssize_t stride) noexcept nogil:
    """norm[l] = ‖x‖ per lane (see scaled_column_norms)."""
    cdef real down[WIDE_BLOCK_LANES]
    cdef real up1[WIDE_BLOCK_LANES]
    cdef real up2[WIDE_BLOCK_LANES]
    cdef Py_ssize_t l
    scaled_column_norms(x, m, norm, down, up1, up2, lanes, stride)
    for l in range(lanes):
        norm[l] = (norm[l] * up1[l]) * up2[l]


cdef inline real column_dot(const real* x, const real* y, Py_ssize_t m,
                            Py_ssize_t stride) noexcept nogil:
    cdef real acc = 0
    cdef Py_ssize_t k
    for k in range(m):
        acc += x[k * stride] * y[k * stride]
    return acc


cdef inline void swap_where(real* x, real* y, Py_ssize_t length, const unsigned char* flag,
                            Py_ssize_t lanes, Py_ssize_t stride) noexcept nogil:
    """Exchange x and y in the lanes where flag is set."""
    cdef real xi, yi
    cdef Py_ssize_t k, l
    for k in range(length):
        for l in range(lanes):
            xi = x[k * stride + l]
            yi = y[k * stride + l]
            x[k * stride + l] = yi if flag[l] else xi
            y[k * stride + l] = xi if flag[l] else yi


cdef inline void copy_lanes(real* dst, Py_ssize_t dst_stride, const real* src,
                            Py_ssize_t src_stride, Py_ssize_t entries,
                            Py_ssize_t count) noexcept nogil:
    """Lanes 0 … count − 1 of `entries` entries, from src (entry i's lanes at
    i·src_stride) to dst (at i·dst_stride): between a block and one of its own."""
    cdef Py_ssize_t i, l
    for i in range(entries):
        for l in range(count):
            dst[i * dst_stride + l] = src[i * src_stride + l]


cdef inline void zero_lanes(real* x, Py_ssize_t entries, Py_ssize_t first, Py_ssize_t last,
                            Py_ssize_t stride) noexcept nogil:
    """Lanes first … last − 1 of `entries` entries ← 0."""
    cdef Py_ssize_t i, l
    for i in range(entries):
        for l in range(first, last):
            x[i * stride + l] = 0


cdef inline void set_identity_lanes(real* v, Py_ssize_t n, Py_ssize_t lanes,
                                    Py_ssize_t stride) noexcept nogil:
    cdef Py_ssize_t i, l
    for i in range(n * n):
        for l in range(lanes):
            v[i * stride + l] = 1 if i % (n + 1) == 0 else 0
