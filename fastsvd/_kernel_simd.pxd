"""Explicit SIMD vectors for the kernels whose lane loops the compiler does
not vectorise well: vfloat and vdouble, declared from _simd.h (which says how
each instruction-set build makes them).

Each operation writes through its first argument and takes its operands by
address, for any of the vector types: ``v_add(&z, &x, &y)``.  Functions fused over
`vreal` take a ``vreal* vector_type`` argument only to select the type, as the
scalar helpers take ``real value_type``.
"""

cdef extern from "_simd.h" nogil:
    ctypedef struct vdouble "fastsvd_vd":
        pass
    ctypedef struct vfloat "fastsvd_vf":
        pass
    # One lane: for a lone matrix, the function of one lane of the above.
    ctypedef struct vdouble1 "fastsvd_vd1":
        pass
    ctypedef struct vfloat1 "fastsvd_vf1":
        pass
    enum:
        VD_LANES "FASTSVD_VD_LANES"
        VF_LANES "FASTSVD_VF_LANES"
    void v_set1 "fastsvd_v_set1"(void* z, double a)
    void v_load "fastsvd_v_load"(void* z, const void* p)
    void v_store "fastsvd_v_store"(void* p, const void* a)
    void v_add "fastsvd_v_add"(void* z, const void* a, const void* b)
    void v_sub "fastsvd_v_sub"(void* z, const void* a, const void* b)
    void v_mul "fastsvd_v_mul"(void* z, const void* a, const void* b)
    void v_div "fastsvd_v_div"(void* z, const void* a, const void* b)
    # z = a·b + c, rounded once where the build has FMA.
    void v_fmadd "fastsvd_v_fmadd"(void* z, const void* a, const void* b, const void* c)
    void v_abs "fastsvd_v_abs"(void* z, const void* a)
    void v_max "fastsvd_v_max"(void* z, const void* a, const void* b)
    # Indicators: 1 where a < b (a ≤ b), 0 elsewhere (and where either is NaN).
    void v_less "fastsvd_v_less"(void* z, const void* a, const void* b)
    void v_less_equal "fastsvd_v_less_equal"(void* z, const void* a, const void* b)
    # z = a where m ≠ 0, b elsewhere.
    void v_select "fastsvd_v_select"(void* z, const void* m, const void* a, const void* b)
    bint v_any "fastsvd_v_any"(const void* a)
    void v_sqrt "fastsvd_v_sqrt"(void* z, const void* a)
    # 1/√a: refined VRSQRT14 on AVX-512 (to about one ulp), exact elsewhere.
    void v_rsqrt "fastsvd_v_rsqrt"(void* z, const void* a)
    # Lane l of z ← lane l XOR d of a, 0 ≤ d < the lanes.
    void v_xor_lanes "fastsvd_v_xor_lanes"(void* z, const void* a, int d)

ctypedef fused vreal:
    vfloat
    vdouble
    vfloat1
    vdouble1


cdef inline Py_ssize_t vector_lanes(vreal* vector_type) noexcept nogil:
    if vreal is vdouble:
        return VD_LANES
    elif vreal is vfloat:
        return VF_LANES
    else:
        return 1
