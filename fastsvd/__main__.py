"""fastsvd's command line: the `fastsvd` console script (also `python -m fastsvd`).

With no command it runs the main job: two small matrices decomposed, then
fastsvd's speed against numpy.linalg.svd on a million matrices of each of
three shapes.  The commands: decompose, bench, explain and config.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from . import __version__, _bench, _plot, low_rank, show_config, svd
from ._explain import explain as explain_matrix
from ._files import DecomposeError, decompose_file

# Help texts are printed as they are written (RawDescriptionHelpFormatter):
# plain text, no markup.
DESCRIPTION = """\
fastsvd: fast, accurate SVDs of millions of small matrices (2x2 up to 32x32),
a drop-in for numpy.linalg.svd.

With no command, fastsvd runs the main job, which takes from about 20 seconds
to a minute and a half depending on the machine: two small matrices
decomposed, then fastsvd's speed against numpy.linalg.svd on a million random
matrices each of 2x2, 3x2 and 3x3."""

EPILOG = """\
examples:
  fastsvd                                       the main job
  fastsvd decompose frames.npy -o frames-svd.npz
  fastsvd bench --shapes 2x2,3x3 --repeat 5
  fastsvd explain "4 0; 3 -5; 0 2"
  fastsvd config

Run "fastsvd COMMAND --help" for a command's options."""

DECOMPOSE_DESCRIPTION = """\
The SVD of every matrix in IN.npy, a stack of shape (..., M, N), written to
OUT.npz, which holds three arrays with the input's stack shape:
  U   (..., M, K)   left singular vectors (--full: (..., M, M))
  S   (..., K)      singular values, in descending order
  Vh  (..., K, N)   right singular vectors, as rows (--full: (..., N, N))
where K = min(M, N).  With --values-only it holds S alone.

The default is thin U and Vh, where fastsvd.svd and numpy.linalg.svd default
to full ones (full_matrices=True).  A matrix holding NaN or Inf gets NaN in
its outputs; the other matrices are decomposed as usual.

IN.npy is memory-mapped and never modified, so files larger than memory work.
OUT.npz is written under a temporary name and renamed when complete, so an
existing OUT.npz is never half-overwritten; it may not be IN.npy itself."""

EXPLAIN_DESCRIPTION = """\
The SVD of one 2x2 or 3x2 matrix worked as by hand: the Gram matrix, its
characteristic polynomial, exact eigenvalues (for rational entries), the
singular values and vectors, the check and the best rank-1 approximation.
It takes only these two shapes: their Gram matrix is 2x2, whose eigenvalues a
quadratic formula gives."""

MAIN_SHAPES = ((2, 2), (3, 2), (3, 3))
MAIN_COUNT = 1_000_000

MEMORY_FLOOR_NOTE = """\
The memory floor is the time an SVD would take if it did no arithmetic: reading
every A and writing fresh U, S and Vh, with numpy's own streaming loops,
measured in the same runs.  numpy's time over it ("speed-up the floor allows")
is the largest speed-up that any SVD returning new arrays could show here.  The
last two columns are fastsvd's gufunc writing into existing outputs (out=) and
the floor for that: reading every A and writing into the same U, S and Vh."""

WORKED_EXAMPLES = {
    "W (3×2)": np.array([[4.0, 0.0], [3.0, -5.0], [0.0, 2.0]]),
    "A (2×2)": np.array([[-4.0, -7.0], [1.0, 4.0]]),
}


def show_worked_examples(out=None):
    out = out or sys.stdout          # looked up late, so redirection works
    # A context, not np.set_printoptions: a caller's own print options survive.
    with np.printoptions(precision=6, suppress=True):
        for name, a in WORKED_EXAMPLES.items():
            u, s, vh = svd(a)
            print(f"{name} =\n{a}", file=out)
            print(f"  singular values: {s}", file=out)
            print(f"  U =\n{u}\n  Vᵀ =\n{vh}", file=out)
            print(f"  rank-1 approximation σ₁u₁v₁ᵀ =\n{low_rank(a, 1)}", file=out)
            residual = np.abs((u[:, :2] * s) @ vh - a).max()
            print(f"  max |A − UΣVᵀ| = {residual:.1e}\n", file=out)


def _progress(shapes):
    """A progress note for a terminal, overwritten in place and erased at the
    end: the figures themselves are printed once, in the table."""
    if not sys.stderr.isatty():
        return None, lambda: None

    def show(i, shape):
        sys.stderr.write(f"\r  timing {shape[0]}×{shape[1]} ({i + 1} of {len(shapes)})… ")
        sys.stderr.flush()

    def done():
        sys.stderr.write("\r" + " " * 40 + "\r")
        sys.stderr.flush()
    return show, done


def run_bench(shapes, dtype, count, repeat, out=None, op="svd"):
    out = out or sys.stdout
    show, done = _progress(shapes)
    try:
        rows = _bench.run(shapes, dtype, count, repeat, progress=show, op=op)
    finally:
        done()
    print(_bench.format_applications(rows) if op == "applications"
          else _bench.format_table(rows), file=out)
    return rows


def main_job(out=None, count=MAIN_COUNT, repeat=3):
    out = out or sys.stdout
    print(f"fastsvd {__version__}: fast, accurate SVDs of millions of small matrices, "
          "a drop-in for numpy.linalg.svd.\n", file=out)
    print('Two small matrices decomposed (fastsvd explain "4 0; 3 -5; 0 2" works the '
          "first by hand):\n", file=out)
    show_worked_examples(out)
    print(f"Speed against numpy.linalg.svd, in ns per matrix: {count:,} random matrices of "
          f"each\nshape, float64, full SVD, one thread, the median of {repeat} runs that "
          "alternate with\nnumpy's on the same batch:\n", file=out, flush=True)
    run_bench(MAIN_SHAPES, "float64", count, repeat, out)
    print(f"\n{MEMORY_FLOOR_NOTE}\n\nThese figures are this machine's, in this run. "
          "More shapes and runs: fastsvd bench --repeat 5.", file=out)
    return 0


def _at_least_one(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _shapes(text):
    try:
        return _bench.parse_shapes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _workers(text):
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number: give a positive "
                                         "number of threads or -1 (all cores)") from None
    if count < 1 and count != -1:
        raise argparse.ArgumentTypeError(f"must be a positive number of threads or -1, "
                                         f"got {count}")
    return count


def _cmd_main(args):
    return main_job()


def _cmd_bench(args):
    # Checked first: the benchmark itself can take minutes.
    if args.plot:
        try:
            _plot.require_matplotlib()
        except _plot.PlotUnavailable as err:
            print(f"fastsvd bench: {err}", file=sys.stderr)
            return 1
        directory = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(directory):
            print(f"fastsvd bench: --plot {args.plot}: no such directory {directory}",
                  file=sys.stderr)
            return 1
    shapes = args.shapes
    if args.op in ("eigh", "applications", "gradients"):
        shapes = shapes or ([(2, 2), (3, 3), (4, 4), (8, 8)] if args.op == "gradients" else
                            [shape for shape in _bench.DEFAULT_SHAPES if shape[0] == shape[1]])
        wrong = [f"{m}x{n}" for m, n in shapes if m != n]
        if wrong:
            print(f"fastsvd bench: --op {args.op} takes square shapes, got {','.join(wrong)}",
                  file=sys.stderr)
            return 2
    if args.op in ("applications", "kabsch", "gradients", "torch") and args.plot:
        print("fastsvd bench: --plot draws the svd and eigh tables only", file=sys.stderr)
        return 2
    if args.op == "kabsch":
        count = args.count or 100_000
        print(_bench.format_kabsch(_bench.bench_kabsch(count, repeat=args.repeat), count, 100))
        return 0
    if args.op == "gradients":
        count = args.count or 100_000
        print(_bench.format_gradients([
            row for shape in shapes
            for row in _bench.bench_gradients(shape, args.dtype, count, args.repeat)]))
        return 0
    if args.op == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            print("fastsvd bench: --op torch needs PyTorch (pip install torch==2.13.0)",
                  file=sys.stderr)
            return 1
        count = args.count or 100_000
        print(_bench.format_torch(_bench.bench_torch(count, args.repeat), count))
        return 0
    rows = run_bench(shapes or list(_bench.DEFAULT_SHAPES), args.dtype, args.count,
                     args.repeat, op=args.op)
    if args.plot:
        _plot.plot_bench(rows, args.plot)
    return 0


def _cmd_decompose(args):
    try:
        decompose_file(args.source, args.output, full_matrices=args.full,
                       values_only=args.values_only, workers=args.workers)
    except DecomposeError as err:
        print(f"fastsvd decompose: {err}", file=sys.stderr)
        return 1
    return 0


def _cmd_explain(args):
    try:
        print(explain_matrix(args.matrix))
    except ValueError as err:
        print(f"fastsvd explain: {err}", file=sys.stderr)
        return 2
    return 0


def _cmd_config(args):
    show_config()
    return 0


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="fastsvd", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"fastsvd {__version__}")
    parser.set_defaults(func=_cmd_main)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    decompose = commands.add_parser(
        "decompose", help="SVD of every matrix in a .npy file, into an .npz of U, S, Vh",
        description=DECOMPOSE_DESCRIPTION, formatter_class=raw)
    decompose.add_argument("source", metavar="IN.npy",
                           help="a .npy file holding matrices, shape (..., M, N)")
    decompose.add_argument("-o", "--output", metavar="OUT.npz", required=True,
                           help="the .npz file to write (U, S, Vh; S only with --values-only)")
    shape = decompose.add_mutually_exclusive_group()
    shape.add_argument("--full", dest="full", action="store_true",
                       help="square U (M×M) and Vh (N×N), numpy's full_matrices=True")
    shape.add_argument("--thin", dest="full", action="store_false",
                       help="U and Vh with K = min(M, N) columns and rows (the default)")
    decompose.add_argument("--values-only", action="store_true",
                           help="write the singular values S only")
    decompose.add_argument("--workers", type=_workers, default=1, metavar="N",
                           help="threads to share the work (-1: all cores; default 1)")
    decompose.set_defaults(func=_cmd_decompose)

    bench = commands.add_parser(
        "bench", help="speed table against numpy.linalg.svd (or eigh)",
        description="ns per matrix of a full SVD (or, with --op eigh, a symmetric eigen "
                    "decomposition), fastsvd against numpy on the same batch, with the "
                    "memory floor; one thread, median of alternating runs. The table is "
                    "in Markdown.")
    bench.add_argument("--op", default="svd", choices=_bench.OPS,
                       help="what to time: svd (default) or eigh, against "
                            "numpy.linalg.svd or numpy.linalg.eigh; or applications: "
                            "signed SVD, canonical signs, nearest_rotation, polar, pinv "
                            "and low_rank against fastsvd.svd; or kabsch: fastsvd.kabsch "
                            "against numpy and scipy (--count sets of 100 points); or "
                            "gradients: each derivative of fastsvd.gradients against its "
                            "function (square shapes, default 2x2,3x3,4x4,8x8, 100,000 "
                            "matrices); or torch: fastsvd.torch's forward and backward "
                            "against PyTorch's (100,000 3x3)")
    bench.add_argument("--shapes", type=_shapes, default=None,
                       metavar="MxN,...",
                       help="shapes to time, e.g. 2x2,3x3 (default: "
                            + ",".join(f"{m}x{n}" for m, n in _bench.DEFAULT_SHAPES)
                            + ", the square ones for eigh)")
    bench.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    bench.add_argument("--count", type=_at_least_one, default=None, metavar="N",
                       help="matrices per batch (default: a million for shapes up to 4x4, "
                            "fewer above)")
    bench.add_argument("--repeat", type=_at_least_one, default=3, metavar="N",
                       help="runs to take the median of (default 3)")
    bench.add_argument("--plot", metavar="FILE.png",
                       help="also draw a bar chart into FILE.png (needs matplotlib)")
    bench.set_defaults(func=_cmd_bench)

    explain = commands.add_parser(
        "explain", help="the SVD of a 2x2 or 3x2 matrix (only these) worked step by step",
        description=EXPLAIN_DESCRIPTION, formatter_class=raw)
    explain.add_argument("matrix", help='the rows, separated by ";", e.g. "4 0; 3 -5; 0 2"')
    explain.set_defaults(func=_cmd_explain)

    config = commands.add_parser("config", help="which build of the kernels runs on this CPU")
    config.set_defaults(func=_cmd_config)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
