"""A digest of every kernel's output bits, to show that a refactor changed none.

    python tests/kernel_digest.py             # one line per instruction-set build
    python tests/kernel_digest.py --cases F   # also every case's digest, into F

Fixed random inputs for each M×N with 1 ≤ M, N ≤ 32, float32 and float64:
values, thin and full SVDs of a stack (the batched gufunc loop: full blocks
and a partial one) and of a single matrix (the per-call path), the signed SVD
of square stacks, and stacks holding NaN and Inf among finite matrices.  It
goes through the public API only, so it survives changes of internal names.
Each build runs in a subprocess of its own (FASTSVD_ISA picks it at import).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys

STACK = 67          # more than one block of every kernel, and a partial one


def inputs(m, n, dtype, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    stack = rng.standard_normal((STACK, m, n))
    stack[1] = 0
    stack[2, :, 0] = stack[2, :, -1]            # repeated column: rank deficient
    stack[3] *= np.logspace(0, -12, n)          # graded columns
    stack[4] *= 1e300 if dtype == "float64" else 1e30
    return stack.astype(dtype)


def case_digests():
    """(name, hex digest) for every case, in a fixed order, from the active build."""
    import numpy as np

    import fastsvd

    def digest(*arrays):
        h = hashlib.sha256()
        for x in arrays:
            h.update(np.ascontiguousarray(x).tobytes())
        return h.hexdigest()

    for dtype in ("float32", "float64"):
        for m in range(1, 33):
            for n in range(1, 33):
                stack = inputs(m, n, dtype, seed=1000 * m + n)
                tag = f"{dtype} {m}x{n}"
                yield f"{tag} values", digest(fastsvd.svdvals(stack))
                yield f"{tag} thin", digest(*fastsvd.svd(stack, full_matrices=False))
                yield f"{tag} full", digest(*fastsvd.svd(stack))
                one = stack[5]
                yield f"{tag} one values", digest(fastsvd.svdvals(one))
                yield f"{tag} one thin", digest(*fastsvd.svd(one, full_matrices=False))
                yield f"{tag} one full", digest(*fastsvd.svd(one))
                if m == n:
                    yield f"{tag} signed", digest(*fastsvd.svd(stack, signed=True))
                bad = stack.copy()
                bad[7, 0, 0] = np.nan
                bad[40, -1, -1] = np.inf
                with np.errstate(invalid="ignore"):
                    yield f"{tag} nonfinite", digest(*fastsvd.svd(bad, nonfinite="nan"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", metavar="FILE", help="write every case's digest here")
    parser.add_argument("--isa", help=argparse.SUPPRESS)   # the subprocess's own job
    args = parser.parse_args()
    if args.isa:
        for name, value in case_digests():
            print(f"{args.isa} {name} {value}")
        return
    import fastsvd
    lines = []
    for isa in fastsvd.config()["available_isas"]:
        env = dict(os.environ, FASTSVD_ISA=isa)
        out = subprocess.run([sys.executable, __file__, "--isa", isa], env=env, check=True,
                             capture_output=True, text=True).stdout
        lines += out.splitlines()
        print(isa, hashlib.sha256(out.encode()).hexdigest())
    if args.cases:
        with open(args.cases, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
