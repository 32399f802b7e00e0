"""fastsvd's command line: ``fastsvd`` or ``python -m fastsvd``.

With no arguments it runs the main job: the two worked examples, then a speed
comparison with numpy on a million matrices.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from . import _bench
from ._linalg import low_rank, svd

WORKED_EXAMPLES = {
    "W (3×2)": np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]]),
    "A (2×2)": np.array([[-4.0, -7.0], [1.0, 4.0]]),
}


def show_worked_examples(out=sys.stdout):
    np.set_printoptions(precision=6, suppress=True)
    for name, a in WORKED_EXAMPLES.items():
        u, s, vh = svd(a)
        print(f"{name} =\n{a}", file=out)
        print(f"  singular values: {s}", file=out)
        print(f"  U =\n{u}\n  Vᵀ =\n{vh}", file=out)
        print(f"  rank-1 approximation σ₁u₁v₁ᵀ =\n{low_rank(a, 1)}", file=out)
        residual = np.abs((u[:, :2] * s) @ vh - a).max()
        print(f"  max |A − UΣVᵀ| = {residual:.1e}\n", file=out)


def run_bench(shapes, dtype, count, repeat, out=sys.stdout):
    rows = []
    for shape in shapes:
        row = _bench.bench_shape(shape, dtype, count, repeat)
        rows.append(row)
        print(f"  {shape[0]}×{shape[1]}: fastsvd {row.fastsvd_ns:,.1f} ns, "
              f"numpy {row.numpy_ns:,.0f} ns per matrix ({row.ratio:,.1f}×)",
              file=sys.stderr, flush=True)
    print(_bench.format_table(rows), file=out)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="fastsvd", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    bench = commands.add_parser("bench", help="speed table against numpy.linalg.svd")
    bench.add_argument("--shapes", type=_bench.parse_shapes,
                       default=list(_bench.DEFAULT_SHAPES), help="e.g. 2x2,3x3")
    bench.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    bench.add_argument("--count", type=int, default=None,
                       help="matrices per batch (default: a million for small shapes)")
    bench.add_argument("--repeat", type=int, default=3, help="runs to take the median of")
    args = parser.parse_args(argv)
    if args.command == "bench":
        run_bench(args.shapes, args.dtype, args.count, args.repeat)
        return 0
    show_worked_examples()
    print("A million random matrices of each shape, float64, full SVD, one thread:")
    run_bench([(2, 2), (3, 2), (3, 3)], "float64", 1_000_000, 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
