"""fastsvd's command line: ``fastsvd`` or ``python -m fastsvd``.

With no arguments it runs the main job: the two worked examples, then a speed
comparison with numpy on a million matrices.  Subcommands: ``decompose`` (a
.npy file of matrices into an .npz of U, S, Vh), ``bench`` (the speed table,
optionally a bar chart), ``explain`` (a 2×2 or 3×2 SVD worked step by step),
``config`` (which build of the kernels runs here).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from . import _bench
from ._dispatch import show_config
from ._explain import explain as explain_matrix
from ._files import DecomposeError, decompose_file
from ._linalg import low_rank, svd

WORKED_EXAMPLES = {
    "W (3×2)": np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]]),
    "A (2×2)": np.array([[-4.0, -7.0], [1.0, 4.0]]),
}


def show_worked_examples(out=None):
    out = out or sys.stdout          # looked up late, so redirection works
    np.set_printoptions(precision=6, suppress=True)
    for name, a in WORKED_EXAMPLES.items():
        u, s, vh = svd(a)
        print(f"{name} =\n{a}", file=out)
        print(f"  singular values: {s}", file=out)
        print(f"  U =\n{u}\n  Vᵀ =\n{vh}", file=out)
        print(f"  rank-1 approximation σ₁u₁v₁ᵀ =\n{low_rank(a, 1)}", file=out)
        residual = np.abs((u[:, :2] * s) @ vh - a).max()
        print(f"  max |A − UΣVᵀ| = {residual:.1e}\n", file=out)


def run_bench(shapes, dtype, count, repeat, out=None):
    out = out or sys.stdout
    rows = []
    for shape in shapes:
        row = _bench.bench_shape(shape, dtype, count, repeat)
        rows.append(row)
        print(f"  {shape[0]}×{shape[1]}: fastsvd {row.fastsvd_ns:,.1f} ns, "
              f"numpy {row.numpy_ns:,.0f} ns per matrix ({row.ratio:,.1f}×); "
              f"memory floor {row.floor_ns:,.1f} ns (allows {row.ratio_bound:,.0f}×)",
              file=sys.stderr, flush=True)
    print(_bench.format_table(rows), file=out)
    return rows


def plot_bench(rows, path):
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("fastsvd bench --plot needs matplotlib: pip install 'fastsvd[plot]'")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r.shape[0]}×{r.shape[1]}" for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(1.2 * len(rows) + 3, 4))
    ax.bar(x - 0.2, [r.numpy_ns for r in rows], 0.4, label="numpy.linalg.svd")
    ax.bar(x + 0.2, [r.fastsvd_ns for r in rows], 0.4, label="fastsvd")
    for xi, r in zip(x, rows):
        ax.annotate(f"{r.ratio:,.0f}×", (xi + 0.2, r.fastsvd_ns), ha="center", va="bottom")
    ax.set_yscale("log")
    ax.set_xticks(x, labels)
    ax.set_ylabel("ns per matrix (log scale)")
    ax.set_title(f"Full SVD, {rows[0].dtype}, one thread")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _workers(text):
    count = int(text)
    if count < 1 and count != -1:
        raise argparse.ArgumentTypeError(f"must be a positive number of threads or -1, "
                                         f"got {count}")
    return count


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
    bench.add_argument("--plot", metavar="FILE.png", help="also draw a bar chart (matplotlib)")
    decompose = commands.add_parser("decompose", help="SVD of every matrix in a .npy file")
    decompose.add_argument("source", metavar="IN.npy")
    decompose.add_argument("-o", "--output", metavar="OUT.npz", required=True)
    shape = decompose.add_mutually_exclusive_group()
    shape.add_argument("--full", dest="full", action="store_true",
                       help="square U and Vh (numpy's full_matrices=True)")
    shape.add_argument("--thin", dest="full", action="store_false",
                       help="U and Vh with min(M, N) columns/rows (the default)")
    decompose.add_argument("--values-only", action="store_true", help="write S only")
    decompose.add_argument("--workers", type=_workers, default=1,
                           help="threads (-1: all cores)")
    explain = commands.add_parser("explain", help="a 2×2 or 3×2 SVD worked step by step")
    explain.add_argument("matrix", help='rows separated by ";", e.g. "4 0; 3 -5; 0 2"')
    commands.add_parser("config", help="which build of the kernels runs on this CPU")
    args = parser.parse_args(argv)
    if args.command == "bench":
        rows = run_bench(args.shapes, args.dtype, args.count, args.repeat)
        if args.plot:
            plot_bench(rows, args.plot)
        return 0
    if args.command == "decompose":
        try:
            decompose_file(args.source, args.output, full_matrices=args.full,
                           values_only=args.values_only, workers=args.workers)
        except DecomposeError as err:
            print(f"fastsvd decompose: {err}", file=sys.stderr)
            return 1
        return 0
    if args.command == "explain":
        try:
            print(explain_matrix(args.matrix))
        except ValueError as err:
            print(f"fastsvd explain: {err}", file=sys.stderr)
            return 2
        return 0
    if args.command == "config":
        show_config()
        return 0
    show_worked_examples()
    print("A million random matrices of each shape, float64, full SVD, one thread:")
    run_bench([(2, 2), (3, 2), (3, 3)], "float64", 1_000_000, 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
