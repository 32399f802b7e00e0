"""The public functions' docstrings: numpydoc sections, and examples that run.

Each public function (every function in ``fastsvd.__all__``) must document
its parameters, returns and examples in numpydoc form, and its examples are
run as doctests against the installed fastsvd, the one users read with
``help()``.  The examples print only rounded or boolean results, so that
they hold on every instruction-set build.
"""
import doctest
import importlib
import inspect

import numpy as np
import pytest

import fastsvd

PUBLIC_FUNCTIONS = sorted(
    name for name in fastsvd.__all__
    if callable(getattr(fastsvd, name)) and not inspect.isclass(getattr(fastsvd, name))
) + [f"gradients.{name}" for name in fastsvd.gradients.__all__]

# numpydoc's codes this project holds every public function to: a docstring at
# all (GL08), a one-line summary starting with a capital and ending with a
# period (SS01-SS03), every parameter documented and no unknown one
# (PR01, PR02), a Returns section where something is returned (RT01), and
# examples (EX01).
REQUIRED = {"GL08", "SS01", "SS02", "SS03", "PR01", "PR02", "RT01", "EX01"}

DOCTEST_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

# numpy's default print options: the examples' expected output is written
# for them, whatever another test may have set.
NUMPY_PRINT_DEFAULTS = {"precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75,
                        "suppress": False, "nanstr": "nan", "infstr": "inf", "sign": "-",
                        "floatmode": "maxprec", "legacy": False}


def _public(name):
    """fastsvd.<name>, where name may name a submodule's function (gradients.svd_vjp)."""
    obj = fastsvd
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _run(tests):
    """Run doctests in fresh namespaces; returns (failed, attempted, report)."""
    report = []
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    with np.printoptions(**NUMPY_PRINT_DEFAULTS):
        for test in tests:
            runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    return failed, attempted, "".join(report)


def test_public_functions_are_found():
    # So that a change to how they are listed cannot empty the tests below.
    assert {"svd", "svdvals", "low_rank", "polar", "nearest_rotation", "pinv",
            "kernel_name", "get_include", "config", "show_config"} <= set(PUBLIC_FUNCTIONS)


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_examples_run(name):
    obj = _public(name)
    # globs={}: each example imports what it uses, as a reader pasting it must.
    tests = doctest.DocTestFinder(recurse=False).find(
        obj, f"fastsvd.{name}", module=inspect.getmodule(obj), globs={})
    failed, attempted, report = _run(tests)
    assert attempted > 0, f"fastsvd.{name} has no examples"
    assert failed == 0, report


@pytest.mark.parametrize("module", sorted(
    {inspect.getmodule(_public(name)).__name__ for name in PUBLIC_FUNCTIONS}
    | {"fastsvd"}))
def test_every_example_of_the_module_runs(module):
    # Examples outside the public functions too: module docstrings, helpers.
    tests = doctest.DocTestFinder().find(importlib.import_module(module), module, globs={})
    failed, _attempted, report = _run(tests)
    assert failed == 0, report


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_numpydoc_sections(name):
    from numpydoc.docscrape import get_doc_object  # numpydoc: in the test extra
    from numpydoc.validate import validate

    results = [validate(f"fastsvd.{name}")]
    function = inspect.unwrap(_public(name))
    if function is not _public(name):
        # numpydoc checks Returns (RT01) only on plain functions, not on the
        # wrapper functools.lru_cache makes: check the function inside too.
        results.append(validate(get_doc_object(function)))
    errors = sorted({(code, message) for result in results
                     for code, message in result["errors"] if code in REQUIRED})
    assert not errors, "\n".join(f"fastsvd.{name}: {code} {message}" for code, message in errors)
