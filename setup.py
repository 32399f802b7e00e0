"""Build of fastsvd's compiled modules (metadata lives in pyproject.toml)."""
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

if sys.platform == "win32":
    COMPILE_ARGS = ["/O2"]
else:
    # -fno-math-errno: sqrt must not set errno, or the compiler cannot inline or
    # vectorise it.  Never -ffast-math: NaN and Inf must keep their meaning.
    COMPILE_ARGS = ["-O3", "-fno-math-errno"]

CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

extensions = [
    Extension(
        "fastsvd._gufuncs",
        ["fastsvd/_gufuncs.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives=CYTHON_DIRECTIVES))
