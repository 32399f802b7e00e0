"""Build of fastsvd's compiled modules (metadata lives in pyproject.toml).

fastsvd/_gufuncs.pyx is compiled once per instruction set of
fastsvd/_isa_table.py (the table the runtime choice reads too), as
fastsvd._gufuncs_<isa>: the package runs on any machine of its architecture,
and AVX2 or AVX-512 machines get their wider vectors.  The generated C stays
under build/, out of the package and the wheel; the modules compile in
parallel.

Environment switches:
  FASTSVD_SANITIZE=1   build with AddressSanitizer and UndefinedBehaviorSanitizer
                       (run with LD_PRELOAD of libasan; see README "Reliability").
"""
import os
import platform
import runpy
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Cython's directives, for every module: language_level is set here only.
CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

IS_MSVC = sys.platform == "win32"
MACHINE = platform.machine().lower()

if IS_MSVC:
    COMMON_ARGS = ["/O2"]
else:
    # -fno-math-errno: sqrt must not set errno, or the compiler cannot inline or
    # vectorise it.  Never -ffast-math: NaN and Inf must keep their meaning.
    # -ffp-contract=off: no FMA the source does not ask for, so that the SIMD
    # body and the scalar tail of a loop round alike: a matrix's result does
    # not depend on where it falls in a block (nor on workers=).
    COMMON_ARGS = ["-O3", "-fno-math-errno", "-ffp-contract=off"]

# Wanted when the compiler knows them (GCC): the kernels' lane loops read one
# buffer and write three, more pointer pairs than GCC checks at run time by
# default; and with the wide-block specialisation the module outgrows GCC's
# default inlining budget, which then leaves the 3×3 rotation a call per
# lane, unvectorised (4× slower).
OPTIONAL_ARGS = ["--param=vect-max-version-for-alias-checks=64",
                 "--param=inline-unit-growth=200", "--param=ipa-cp-unit-growth=100"]

SANITIZE = os.environ.get("FASTSVD_SANITIZE", "") not in ("", "0")
SANITIZER_ARGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=undefined", "-O1", "-g"]

ISAS = runpy.run_path(os.path.join("fastsvd", "_isa_table.py"))["ISAS"]


def isa_extensions():
    """One cythonized extension per instruction set this machine's compiler builds."""
    extensions = []
    for isa, flags, _features, machines in ISAS:
        if flags and (IS_MSVC or machines is not None and MACHINE not in machines):
            continue
        compile_args = COMMON_ARGS + list(flags) + (SANITIZER_ARGS if SANITIZE else [])
        extension = Extension(f"fastsvd._gufuncs_{isa}", ["fastsvd/_gufuncs.pyx"])
        # A C file of its own per build, under build/: the same source makes
        # each module, named for its extension.
        (extension,) = cythonize([extension], compiler_directives=CYTHON_DIRECTIVES,
                                 build_dir=os.path.join("build", "cython", isa), quiet=True)
        # Set after cythonize, which would carry one build's options to the
        # next (it caches what it read of the shared source).
        extension.include_dirs = [np.get_include(), "fastsvd"]
        extension.define_macros = [("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
                                   ("NPY_TARGET_VERSION", "NPY_2_1_API_VERSION")]
        extension.extra_compile_args = compile_args
        extension.extra_link_args = SANITIZER_ARGS if SANITIZE else []
        extensions.append(extension)
    return extensions


class BuildExt(build_ext):
    """Compiles the builds in parallel and adds the optional flags the compiler accepts."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

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


setup(
    ext_modules=isa_extensions(),
    cmdclass={"build_ext": BuildExt},
)
