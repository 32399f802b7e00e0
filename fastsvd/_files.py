"""``fastsvd decompose``: the SVD of every matrix in a .npy file, into an .npz file.

The input is memory-mapped and decomposed a chunk at a time into memory-mapped
outputs, so files larger than memory work.  The outputs are written beside the
destination under a temporary name and renamed into place only when complete:
an existing output is never left half-overwritten, whatever goes wrong.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import zipfile

import numpy as np

from ._linalg import _kernel_dtype, svd

# Matrices per chunk: a few MB of input, so progress is smooth and memory flat.
CHUNK_ENTRIES = 4_000_000


class DecomposeError(Exception):
    """A problem with the user's files, reported as a message and exit status 1."""


def _load(path):
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise DecomposeError(f"{path}: no such file") from None
    except (ValueError, OSError) as err:
        raise DecomposeError(f"{path}: not a readable .npy file ({err})") from None
    if not isinstance(a, np.ndarray):
        raise DecomposeError(f"{path}: holds several arrays; give a .npy file")
    if a.ndim < 2:
        raise DecomposeError(f"{path}: shape {a.shape}: need (..., M, N) matrices")
    if _kernel_dtype(a) is None:
        raise DecomposeError(f"{path}: dtype {a.dtype} is not supported "
                             "(real floats, integers or booleans)")
    return a


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)    # also through hard links
    except OSError:                      # b does not exist yet, or a
        return os.path.realpath(a) == os.path.realpath(b)


def _refuse_to_overwrite_input(source, destination):
    # The rename at the end would silently replace the input with its results.
    if _same_file(source, destination):
        raise DecomposeError(f"{destination} is the input file ({source}): refusing to write "
                             "over it; give -o another name")


def _progress(done, total, stream):
    width = 40
    filled = width * done // max(total, 1)
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} matrices")
    stream.flush()


def decompose_file(source, destination, *, full_matrices=False, values_only=False,
                   workers=1, progress=None):
    """Decompose every matrix of `source` (.npy) into `destination` (.npz of U, S, Vh or S)."""
    _refuse_to_overwrite_input(source, destination)
    a = _load(source)
    stack, (m, n) = a.shape[:-2], a.shape[-2:]
    total = math.prod(stack)
    if a.ndim <= 3 or a.flags.c_contiguous:
        flat = a.reshape(total, m, n)    # a view

        def read(part):
            return flat[part]
    else:
        # A Fortran-ordered file with several stack axes would be copied whole
        # by reshape: read each chunk by its indices instead.
        def read(part):
            return a[np.unravel_index(np.arange(part.start, part.stop), stack)]
    dtype = _kernel_dtype(a)
    k = min(m, n)
    shapes = {"S": (k,)} if values_only else {
        "U": (m, m if full_matrices else k), "S": (k,),
        "Vh": (n if full_matrices else k, n)}
    if progress is None:
        progress = sys.stderr.isatty()
    directory = os.path.dirname(os.path.abspath(destination))
    try:
        with tempfile.TemporaryDirectory(dir=directory, prefix=".fastsvd-") as tmp:
            outputs = {name: np.lib.format.open_memmap(
                os.path.join(tmp, f"{name}.npy"), mode="w+", dtype=dtype,
                shape=(total,) + core) for name, core in shapes.items()}
            chunk = max(1, CHUNK_ENTRIES // max(m * n, 1))
            for start in range(0, total, chunk):
                part = slice(start, min(start + chunk, total))
                result = svd(read(part), full_matrices=full_matrices,
                             compute_uv=not values_only, nonfinite="nan", workers=workers)
                for name, values in zip(shapes, result if not values_only else (result,)):
                    outputs[name][part] = values
                if progress:
                    _progress(part.stop, total, sys.stderr)
            if progress:
                sys.stderr.write("\n")
            for out in outputs.values():
                out.flush()
            del outputs
            partial = os.path.join(tmp, "result.npz")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, core in shapes.items():
                    _write_member(zf, os.path.join(tmp, f"{name}.npy"), name, stack + core,
                                  dtype)
            os.replace(partial, destination)
    except OSError as err:
        raise DecomposeError(f"{destination}: could not write ({err.strerror or err})") from None


def _write_member(zf, npy_path, name, shape, dtype):
    """Copy a (total, ...)-shaped .npy into the zip as `name`.npy with the stack shape."""
    source = np.load(npy_path, mmap_mode="r")
    with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(
            member, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                     "fortran_order": False, "shape": shape})
        rows = max(1, CHUNK_ENTRIES // max(int(np.prod(source.shape[1:])), 1))
        for start in range(0, source.shape[0], rows):
            member.write(np.ascontiguousarray(source[start:start + rows]).tobytes())
