"""The tables the package is built from, and what the gufunc loops promise
beyond the SVD itself: shapes they refuse, and no failure when memory is short."""
import ast
import importlib
import os
import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastsvd
from fastsvd import _gufunc_table, _isa, _isa_table

PACKAGE = os.path.dirname(fastsvd.__file__)


def _stub_names(filename):
    tree = ast.parse(open(os.path.join(PACKAGE, filename)).read())
    names = {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
    names |= {alias.asname or alias.name for node in tree.body
              if isinstance(node, ast.ImportFrom) and node.level   # (the package's own)
              for alias in node.names}
    return {name for name in names if not name.isupper()}   # (not the constants)


@pytest.mark.parametrize("stub", ["gufuncs.pyi", "_gufuncs_api.pyi"])
def test_stubs_list_the_gufuncs_of_the_table(stub):
    assert _stub_names(stub) == set(_gufunc_table.NAMES)


def test_the_gradients_stub_lists_the_module():
    with open(os.path.join(PACKAGE, "gradients.pyi"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    stubbed = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert stubbed == set(fastsvd.gradients.__all__)


def test_every_gufunc_of_the_table_is_exported_and_pickles_by_module():
    assert set(_gufunc_table.NAMES) <= set(fastsvd.gufuncs.__all__)
    for name, flavour, _wide, signature, doc in _gufunc_table.GUFUNCS:
        gufunc = getattr(fastsvd.gufuncs, name)
        assert gufunc.signature == signature
        assert gufunc.__doc__.endswith(doc)
        assert gufunc.__module__ == "fastsvd.gufuncs"
        assert gufunc.nout == _gufunc_table.OUTPUTS[flavour]


def test_every_derivative_gufunc_is_its_table_row():
    for name, _kind, signature, types, doc in _gufunc_table.GRADIENT_GUFUNCS:
        gufunc = getattr(fastsvd.gufuncs, name)
        inputs, outputs = types.split("->")
        assert gufunc.signature == signature and gufunc.__doc__.endswith(doc)
        assert (gufunc.nin, gufunc.nout) == (len(inputs), len(outputs))
        assert gufunc.__module__ == "fastsvd.gufuncs"
        codes = {"r": "d", "i": "l" if np.intp == np.int64 else "i", "b": "?"}
        assert gufunc.types[-1] == "".join(codes[c] for c in inputs) + "->" + "".join(
            codes[c] for c in outputs)


def test_every_runnable_build_is_a_row_of_the_isa_table():
    rows = [name for name, *_ in _isa_table.ISAS]
    assert _isa.available() and set(_isa.available()) <= set(rows)
    # Best first, in the table's order.
    assert _isa.available() == [name for name in rows if name in _isa.available()]
    assert _isa.ACTIVE_ISA in _isa.available()


def test_import_loads_only_the_chosen_build():
    script = ("import sys, fastsvd; print(sorted(m for m in sys.modules "
              "if m.startswith('fastsvd._gufuncs_')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=os.path.dirname(PACKAGE))
    assert done.stdout.strip() == repr([f"fastsvd._gufuncs_{_isa.ACTIVE_ISA}"]), done.stderr


def test_every_build_for_this_machine_is_installed():
    machine = platform.machine().lower()
    for name, _flags, _features, machines in _isa_table.ISAS:
        if machines is None or machine in machines:
            importlib.import_module(f"fastsvd._gufuncs_{name}")


REFUSED_SHAPES = [
    ("svd_values_m_ge_n", (2, 3), "M >= N"),
    ("svd_values_m_ge_n", (40, 40), "<= 32"),
    ("svd_values_m_ge_n", (33, 2), "<= 32"),
    ("svd_thin_m_ge_n", (2, 3), "M >= N"),
    ("svd_thin_m_ge_n", (40, 40), "<= 32"),
    ("svd_full_m_ge_n", (2, 3), "M >= N"),
    ("svd_full_m_ge_n", (40, 40), "<= 32"),
    ("svd_values_m_lt_n", (3, 2), "M <= N"),
    ("svd_values_m_lt_n", (40, 41), "<= 32"),
    ("svd_thin_m_lt_n", (3, 2), "M <= N"),
    ("svd_full_m_lt_n", (3, 2), "M <= N"),
    ("svd_full_m_lt_n", (33, 40), "<= 32"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,shape,message", REFUSED_SHAPES,
                         ids=[f"{n}-{s[0]}x{s[1]}" for n, s, _ in REFUSED_SHAPES])
def test_gufunc_refuses_a_shape_it_does_not_take(name, shape, message, dtype):
    """ValueError before any work: no output written, not even through out=."""
    gufunc = getattr(fastsvd.gufuncs, name)
    a = np.ones((3, *shape), dtype)
    with pytest.raises(ValueError, match=message):
        gufunc(a)
    sizes = dict(zip("mn", shape))
    outs = []
    for part in gufunc.signature.split("->")[1].split("),("):
        dims = [sizes[d] for d in part.strip("()").split(",") if d]
        outs.append(np.zeros((3, *dims), dtype))
    with pytest.raises(ValueError, match=message):
        gufunc(a, out=tuple(outs) if len(outs) > 1 else outs[0])
    assert all(not out.any() for out in outs)


def test_loop_without_memory_for_a_block_gives_the_same_bits():
    """A block's buffer that cannot be allocated: the loop goes on one matrix at
    a time (a lone matrix's path, bit-identical to the blocked one), no error."""
    script = textwrap.dedent("""
        import ctypes, resource
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 1 << 16)   # M_MMAP_THRESHOLD: large blocks always mapped anew
        import numpy as np
        import fastsvd
        a = np.random.default_rng(0).standard_normal((100, 32, 32))
        expected = fastsvd.gufuncs.svd_full_m_ge_n(a)
        outs = tuple(np.empty_like(x) for x in expected)
        fastsvd.gufuncs.svd_full_m_ge_n(a[:2], out=tuple(x[:2] for x in outs))  # numpy's own
        malloc = libc.malloc
        malloc.restype = ctypes.c_void_p
        with open("/proc/self/status") as f:
            size = [int(line.split()[1]) for line in f if line.startswith("VmSize")][0]
        # No more address space: the loop's ~800 KB block cannot be had.
        resource.setrlimit(resource.RLIMIT_AS, (size * 1024, resource.RLIM_INFINITY))
        assert malloc(800_000) is None, "the limit did not take"
        fastsvd.gufuncs.svd_full_m_ge_n(a, out=outs)
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
        for x, y in zip(expected, outs):
            assert x.tobytes() == y.tobytes()
        print("same bits")
    """)
    # From the folder holding the fastsvd under test: `python -c` imports from there.
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=os.path.dirname(PACKAGE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "same bits"

