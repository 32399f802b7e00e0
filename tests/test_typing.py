"""The public API is typed: `mypy --strict` accepts a program that uses it."""
import os

import pytest

api = pytest.importorskip("mypy.api")

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "typed_usage.py")


def test_mypy_strict_accepts_the_example():
    stdout, stderr, status = api.run(["--strict", "--no-incremental", EXAMPLE])
    assert status == 0, stdout + stderr


def test_mypy_strict_rejects_a_misuse(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import fastsvd\nx: int = fastsvd.svd([[1.0]], nonfinite='maybe')\n")
    stdout, _, status = api.run(["--strict", "--no-incremental", str(wrong)])
    assert status == 1 and "nonfinite" in stdout
