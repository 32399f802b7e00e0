"""Build of fastsvd's compiled modules (metadata lives in pyproject.toml).

The gufuncs are compiled once per instruction set, from the same source, and
fastsvd picks the best one the CPU supports at import (fastsvd/_dispatch.py):
the package runs on any machine of its architecture, and AVX2 or AVX-512
machines get their wider vectors.  Never -march=native: a wheel must run
everywhere.

Environment switches:
  FASTSVD_SANITIZE=1   build with AddressSanitizer and UndefinedBehaviorSanitizer
                       (run with LD_PRELOAD of libasan; see README "Reliability").
"""
import os
import platform
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

IS_MSVC = sys.platform == "win32"
IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64")

if IS_MSVC:
    COMMON_ARGS = ["/O2"]
else:
    # -fno-math-errno: sqrt must not set errno, or the compiler cannot inline or
    # vectorise it.  Never -ffast-math: NaN and Inf must keep their meaning.
    # -ffp-contract=off: no FMA the source does not ask for, so that the SIMD
    # body and the scalar tail of a loop round alike: a matrix's result does
    # not depend on where it falls in a block (nor on workers=).
    COMMON_ARGS = ["-O3", "-fno-math-errno", "-ffp-contract=off"]

# Instruction-set variants: module suffix -> extra flags.
ISA_VARIANTS = {"baseline": []}
if IS_X86_64 and not IS_MSVC:
    ISA_VARIANTS["avx2"] = ["-mavx2", "-mfma"]
    ISA_VARIANTS["avx512"] = ["-mavx2", "-mfma", "-mavx512f", "-mavx512cd", "-mavx512bw",
                              "-mavx512dq", "-mavx512vl", "-mprefer-vector-width=512"]

# Wanted when the compiler knows them (GCC): the kernels' lane loops read one
# buffer and write three, more pointer pairs than GCC checks at run time by
# default; and with the wide-block Jacobi specialisation the module outgrows
# GCC's default inlining budget, which then leaves the 3×3 rotation a call
# per lane, unvectorised (4× slower).
OPTIONAL_ARGS = ["--param=vect-max-version-for-alias-checks=64",
                 "--param=inline-unit-growth=200"]

SANITIZE = os.environ.get("FASTSVD_SANITIZE", "") not in ("", "0")
SANITIZER_ARGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=undefined", "-O1", "-g"]


def make_extension(isa, flags):
    compile_args = COMMON_ARGS + flags + (SANITIZER_ARGS if SANITIZE else [])
    return Extension(
        f"fastsvd._gufuncs_{isa}",
        [f"fastsvd/_gufuncs_{isa}.pyx"],
        include_dirs=[np.get_include(), "fastsvd"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
        extra_compile_args=compile_args,
        extra_link_args=SANITIZER_ARGS if SANITIZE else [],
    )


class BuildExt(build_ext):
    """Adds the optional flags the compiler accepts."""

    def build_extensions(self):
        accepted = [flag for flag in OPTIONAL_ARGS if not IS_MSVC and self._accepts(flag)]
        for ext in self.extensions:
            ext.extra_compile_args = ext.extra_compile_args + accepted
        super().build_extensions()

    def _accepts(self, flag):
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "probe.c")
            with open(source, "w") as f:
                f.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([source], output_dir=tmp,
                                      extra_postargs=["-Werror", flag])
            except Exception:
                return False
        return True


extensions = [make_extension(isa, flags) for isa, flags in ISA_VARIANTS.items()]

setup(
    ext_modules=cythonize(extensions, compiler_directives=CYTHON_DIRECTIVES),
    cmdclass={"build_ext": BuildExt},
)
