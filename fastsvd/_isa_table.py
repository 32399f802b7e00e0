"""The one table of instruction-set builds: read by setup.py (what to compile,
with which flags) and by fastsvd._isa (which build this CPU can run).

Plain data, without imports, so that the build can read it before fastsvd is
built.  Best first.  Each row: the module suffix (``fastsvd._gufuncs_<name>``),
the GCC/Clang flags beyond the common ones, the CPU features the build needs
(as numpy's ``__cpu_features__`` names them), and the machines it is built for
(``platform.machine()`` in lower case; None: every machine).  Never
-march=native: a wheel must run everywhere.
"""

X86_64 = ("x86_64", "amd64")

ISAS = (
    ("avx512",
     ("-mavx2", "-mfma", "-mavx512f", "-mavx512cd", "-mavx512bw", "-mavx512dq", "-mavx512vl",
      "-mprefer-vector-width=512"),
     ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX2", "FMA3"),
     X86_64),
    ("avx2", ("-mavx2", "-mfma"), ("AVX2", "FMA3"), X86_64),
    ("baseline", (), (), None),
)
