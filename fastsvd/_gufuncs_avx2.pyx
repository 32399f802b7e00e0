# cython: language_level=3
# fastsvd's gufuncs compiled for one instruction set (avx2); see _gufuncs_impl.pxi and setup.py.
include "_gufuncs_impl.pxi"
