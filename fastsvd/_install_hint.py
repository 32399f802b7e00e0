"""What to tell a user whose ``import fastsvd`` found no compiled gufuncs.

The usual cause is not a broken install: ``python -m fastsvd`` (or ``python``)
run from a checkout puts the current directory first on sys.path, so the
uncompiled source tree shadows the fastsvd that ``pip install .`` put in
site-packages.  "Reinstall" cannot help then; this module says what can.

Pure Python and no imports from fastsvd: it runs when fastsvd's own import
has just failed.
"""
from __future__ import annotations

import importlib.machinery
import importlib.metadata
import os
import sys

_SOURCE_TREE_MARKERS = ("setup.py", "pyproject.toml")

REMEDY = ("run `fastsvd` (the console script) or run python from another directory; "
          "or build in place with `python setup.py build_ext --inplace`")


def _has_compiled_gufuncs(package_dir: str) -> bool:
    """Whether package_dir holds a _gufuncs* extension module built for this Python."""
    try:
        names = os.listdir(package_dir)
    except OSError:
        return False
    return any(name.startswith("_gufuncs") and name.endswith(suffix)
               for name in names for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _is_source_tree(package_dir: str) -> bool:
    parent = os.path.dirname(package_dir)
    return any(os.path.isfile(os.path.join(parent, marker)) for marker in _SOURCE_TREE_MARKERS)


def _same_dir(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def installed_elsewhere(package_dir: str, path: list[str] | None = None) -> str | None:
    """The directory of another fastsvd package, with compiled gufuncs, that the
    import would have found without package_dir: from the installed
    distribution's metadata, else from a scan of sys.path (site-packages)."""
    path = sys.path if path is None else path
    candidates = []
    try:
        for dist in importlib.metadata.distributions(name="fastsvd", path=path):
            candidates.append(os.path.dirname(str(dist.locate_file("fastsvd/__init__.py"))))
    except Exception:  # broken metadata must not hide the hint
        pass
    candidates += [os.path.join(entry or os.getcwd(), "fastsvd") for entry in path]
    for candidate in candidates:
        if (os.path.isfile(os.path.join(candidate, "__init__.py"))
                and not _same_dir(candidate, package_dir)
                and _has_compiled_gufuncs(candidate)):
            return os.path.abspath(candidate)
    return None


def shadowing_hint(package_dir: str | None = None, path: list[str] | None = None) -> str:
    """The message for the ImportError raised when no compiled gufuncs load.

    package_dir is the fastsvd package being imported (default: this file's
    directory) and path the module search path (default: sys.path).  When that
    package is an unbuilt source tree and an installed fastsvd exists
    elsewhere on the path, the message says that the source tree shadows it
    and what to run instead.
    """
    package_dir = os.path.abspath(package_dir or os.path.dirname(__file__))
    if _is_source_tree(package_dir) and not _has_compiled_gufuncs(package_dir):
        installed = installed_elsewhere(package_dir, path)
        if installed:
            return (f"fastsvd was imported from its source tree {package_dir}, which has no "
                    "compiled gufuncs for this Python, instead of the installed fastsvd in "
                    f"{installed}: the source tree shadows it because the current directory "
                    "(or PYTHONPATH) comes first on sys.path, as under `python -m fastsvd` "
                    f"run from the checkout. To use the installed one, {REMEDY}.")
        return (f"fastsvd was imported from its source tree {package_dir}, which has no "
                "compiled gufuncs for this Python: install it with `pip install .` and then "
                f"{REMEDY}.")
    if _has_compiled_gufuncs(package_dir):
        return (f"fastsvd's compiled gufuncs in {package_dir} do not load on this CPU or "
                "Python: reinstall fastsvd (from a checkout: `pip install --force-reinstall .`)")
    return (f"fastsvd's compiled gufuncs are missing from {package_dir}: reinstall fastsvd "
            "(from a checkout: `pip install --force-reinstall .`)")
