"""The command line: decompose, explain, bench, config and the worked examples;
and the hint for an import that finds the uncompiled source tree."""
import errno
import io
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastsvd
from fastsvd import __main__ as cli
from fastsvd import _bench, _files, _install_hint, _plot
from accuracy import backward_error, tolerance


def run(args, capsys):
    status = cli.main(args)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def stack(tmp_path):
    a = np.random.default_rng(5).standard_normal((4, 250, 3, 2))
    path = tmp_path / "in.npy"
    np.save(path, a)
    return a, path


@pytest.mark.parametrize("full", [False, True])
def test_decompose_writes_an_exact_svd(stack, tmp_path, capsys, full):
    a, source = stack
    out = tmp_path / "out.npz"
    status, _, err = run(["decompose", str(source), "-o", str(out)] + (["--full"] if full else []),
                         capsys)
    assert status == 0, err
    with np.load(out) as result:
        u, s, vh = result["U"], result["S"], result["Vh"]
    assert u.shape == (4, 250, 3, 3 if full else 2) and s.shape == (4, 250, 2)
    assert (backward_error(a, u, s, vh) <= tolerance(np.float64, 3, 2)).all()
    np.testing.assert_array_equal(s, fastsvd.svdvals(a))


def test_decompose_values_only_and_chunks(stack, tmp_path, capsys, monkeypatch):
    a, source = stack
    monkeypatch.setattr(_files, "CHUNK_ENTRIES", 6 * 7)     # many small chunks
    out = tmp_path / "s.npz"
    status, _, _ = run(["decompose", str(source), "-o", str(out), "--values-only",
                        "--workers", "2"], capsys)
    assert status == 0
    with np.load(out) as result:
        assert list(result) == ["S"]
        np.testing.assert_array_equal(result["S"], fastsvd.svdvals(a))


def test_decompose_empty_matrices_like_numpy(tmp_path, capsys):
    source = tmp_path / "in.npy"
    np.save(source, np.zeros((4, 3, 0)))
    status, _, err = run(["decompose", str(source), "-o", str(tmp_path / "o.npz"), "--full"],
                         capsys)
    assert status == 0, err
    with np.load(tmp_path / "o.npz") as result:
        for name, want in zip(("U", "S", "Vh"), np.linalg.svd(np.zeros((4, 3, 0)))):
            np.testing.assert_array_equal(result[name], want)


def test_decompose_fortran_ordered_stacks_in_chunks(tmp_path, capsys, monkeypatch):
    a = np.asfortranarray(np.random.default_rng(6).standard_normal((5, 7, 3, 2)))
    source = tmp_path / "in.npy"
    np.save(source, a)
    monkeypatch.setattr(_files, "CHUNK_ENTRIES", 4 * 3 * 2)   # chunks across both axes
    status, _, _ = run(["decompose", str(source), "-o", str(tmp_path / "o.npz")], capsys)
    assert status == 0
    with np.load(tmp_path / "o.npz") as result:
        for name, want in zip(("U", "S", "Vh"), fastsvd.svd(a, full_matrices=False)):
            np.testing.assert_array_equal(result[name], want)


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_decompose_rejects_a_bad_worker_count(stack, tmp_path, capsys, workers):
    _, source = stack
    with pytest.raises(SystemExit) as exit_:
        cli.main(["decompose", str(source), "-o", str(tmp_path / "o.npz"), "--workers", workers])
    assert exit_.value.code == 2
    assert "positive number of threads or -1" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (np.arange(5.0), "need (..., M, N)"),
    (np.ones((3, 2, 2), dtype=complex), "not supported"),
])
def test_decompose_rejects_bad_input_clearly(tmp_path, capsys, content, message):
    source = tmp_path / "in.npy"
    if content is not None:
        np.save(source, content)
    status, _, err = run(["decompose", str(source), "-o", str(tmp_path / "o.npz")], capsys)
    assert status == 1 and message in err
    assert not (tmp_path / "o.npz").exists()


def test_full_disk_never_half_overwrites_an_existing_output(stack, tmp_path, capsys,
                                                            monkeypatch):
    _, source = stack
    out = tmp_path / "out.npz"
    out.write_bytes(b"precious earlier result")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_files, "_write_member", disk_full)
    status, _, err = run(["decompose", str(source), "-o", str(out)], capsys)
    assert status == 1 and "No space left" in err
    assert out.read_bytes() == b"precious earlier result"
    assert sorted(os.listdir(tmp_path)) == ["in.npy", "out.npz"]   # no temporaries left


def test_explain_shows_the_worked_example(capsys):
    status, out, _ = run(["explain", "4 0; 3 -5; 0 2"], capsys)
    assert status == 0
    assert "λ² − 54λ + 500 = 0" in out and "λ = 27 ± √229" in out
    sigma = np.sqrt(27 + np.sqrt(229))
    assert f"{sigma:.6g}" in out


@pytest.mark.parametrize("matrix", ["1.0001 0.3; 0.7 2.0003", "12345.6789 0.3; 0.7 2",
                                    "1e200 0; 0 1", "0.1234 0.5678; 0.9012 0.3456; 1e-9 3"])
def test_explain_takes_decimals_of_any_size(tmp_path, matrix):
    # Their exact radicands have dozens of digits, which trial division to the
    # square root would never finish factoring: the subprocess bounds the wait.
    # It imports the fastsvd these tests import, not a source tree in the cwd.
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fastsvd.__file__)))
    done = subprocess.run([sys.executable, "-m", "fastsvd", "explain", matrix], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    a = np.array([[float(x) for x in row.split()] for row in matrix.split(";")])
    s = np.linalg.svd(a, compute_uv=False)
    with np.errstate(over="ignore"):   # 1e200² is inf, as explain prints it
        assert f"≈ {s[0] ** 2:.6g}, {s[1] ** 2:.6g}" in done.stdout
    assert "σ₁ = √(" in done.stdout and f"≈ {s[0]:.6g}" in done.stdout


@pytest.mark.parametrize("entry", ["1e400", "-1e999", "1e-400"])
def test_explain_rejects_entries_outside_float64(capsys, entry):
    status, _, err = run(["explain", f"{entry} 0; 0 1"], capsys)
    assert status == 2 and f"{entry} is outside float64's range" in err


def test_explain_rejects_other_shapes(capsys):
    status, _, err = run(["explain", "1 2 3; 4 5 6; 7 8 9"], capsys)
    assert status == 2 and "2×2 or 3×2" in err


def test_bench_prints_a_table_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "speed.png"
    status, out, _ = run(["bench", "--shapes", "2x2,3x3", "--count", "2000", "--repeat", "1",
                          "--plot", str(plot)], capsys)
    assert status == 0
    rows = [line.split("|")[1:-1] for line in out.splitlines()
            if line.startswith("| 2×2") or line.startswith("| 3×3")]
    assert len(rows) == 2
    for (shape, _dtype, kernel, _count, fast, _slow, ratio, floor, bound, into,
         reused) in rows:
        assert kernel.strip().startswith("gram-2x2" if "2×2" in shape else "jacobi-3x3")
        for figure in (fast, floor, into, reused):
            assert float(figure.replace(",", "")) > 0
        assert ratio.strip().endswith("×") and bound.strip().endswith("×")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_times_the_applications_against_svd(capsys):
    status, out, _ = run(["bench", "--op", "applications", "--shapes", "2x2,3x3", "--count",
                          "500", "--repeat", "1"], capsys)
    assert status == 0
    rows = [line.split("|") for line in out.splitlines()[2:]]
    assert len(rows) == 2 * len(_bench.APPLICATIONS)
    assert {row[4].strip(" `") for row in rows} == set(_bench.APPLICATIONS)
    assert all(float(row[5].replace(",", "")) > 0 and float(row[7]) > 0 for row in rows)
    status, _, err = run(["bench", "--op", "applications", "--shapes", "3x2"], capsys)
    assert status == 2 and "square" in err


def test_bench_times_kabsch_against_numpy_and_scipy(capsys):
    status, out, _ = run(["bench", "--op", "kabsch", "--count", "300", "--repeat", "1"],
                         capsys)
    assert status == 0
    rows = [line.split("|") for line in out.splitlines()[2:]]
    assert rows[0][1].strip() == "fastsvd.kabsch" and float(rows[0][3]) == 1.0
    assert len(rows) >= 2 and all(float(row[2].replace(",", "")) > 0 for row in rows)


def test_bench_times_each_derivative_against_its_function(capsys):
    status, out, _ = run(["bench", "--op", "gradients", "--shapes", "2x2,3x3", "--count",
                          "300", "--repeat", "1"], capsys)
    assert status == 0
    rows = [line.split("|") for line in out.splitlines()[2:]]
    assert len(rows) == 2 * len(_bench.GRADIENTS)
    assert {row[3].strip(" `") for row in rows} == set(_bench.GRADIENTS)
    assert all(float(row[4].replace(",", "")) > 0 and float(row[6]) > 0 for row in rows)
    status, _, err = run(["bench", "--op", "gradients", "--shapes", "3x2"], capsys)
    assert status == 2 and "square" in err


def test_bench_times_fastsvd_torch_against_pytorch(capsys):
    pytest.importorskip("torch")
    status, out, _ = run(["bench", "--op", "torch", "--count", "300", "--repeat", "1"], capsys)
    assert status == 0
    rows = [line.split("|") for line in out.splitlines()[2:]]
    assert [row[1].strip() for row in rows] == ["svd", "nearest_rotation"]
    assert all(float(row[4]) > 0 for row in rows)


def test_bench_times_eigh_against_numpys(capsys):
    status, out, _ = run(["bench", "--op", "eigh", "--shapes", "2x2,5x5", "--count", "2000",
                          "--repeat", "1"], capsys)
    assert status == 0
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| ")
            and "×" in line.split("|")[1]]
    assert [row[0].strip() for row in rows] == ["2×2", "5×5"]
    for row in rows:
        assert row[2].strip() == "jacobi-eigh" and float(row[4].replace(",", "")) > 0
    status, _, err = run(["bench", "--op", "eigh", "--shapes", "3x2"], capsys)
    assert status == 2 and "square" in err


def test_config_names_the_active_build(capsys):
    status, out, _ = run(["config"], capsys)
    assert status == 0 and f"active_isa: {fastsvd.config()['active_isa']}" in out


def test_worked_examples_of_the_main_job():
    out = io.StringIO()
    cli.show_worked_examples(out)
    text = out.getvalue()
    w1, w2 = np.sqrt(27 + np.sqrt(229)), np.sqrt(27 - np.sqrt(229))
    assert f"singular values: [{w1:.6f} {w2:.6f}]" in text
    assert "singular values: [9. 1.]" in text
    residuals = [float(line.split("=")[-1]) for line in text.splitlines()
                 if "max |A − UΣVᵀ|" in line]
    assert len(residuals) == 2 and max(residuals) < 1e-14


# ---------------------------------------------------------------- decompose's own input

@pytest.mark.parametrize("how", ["same path", "other spelling", "symlink", "hard link"])
def test_decompose_refuses_to_write_over_its_input(stack, tmp_path, capsys, how):
    _, source = stack
    before = source.read_bytes()
    if how == "same path":
        out = source
    elif how == "other spelling":
        out = tmp_path / ".." / tmp_path.name / source.name
    else:
        out = tmp_path / "alias.npy"
        (os.symlink if how == "symlink" else os.link)(source, out)
    status, _, err = run(["decompose", str(source), "-o", str(out)], capsys)
    assert status == 1
    assert "is the input file" in err and "refusing to write over it" in err
    assert source.read_bytes() == before


# ---------------------------------------------------------------- argument checks

@pytest.fixture
def no_benchmark(monkeypatch):
    """Fails the test if a benchmark starts: bad arguments must stop before it."""
    def started(*args, **kwargs):
        raise AssertionError("the benchmark ran")
    monkeypatch.setattr(_bench, "bench_shape", started)


@pytest.mark.parametrize("args, named", [
    (["bench", "--count", "-5"], ["argument --count", "-5"]),
    (["bench", "--count", "0"], ["argument --count", "at least 1, got 0"]),
    (["bench", "--count", "many"], ["argument --count", "'many'"]),
    (["bench", "--repeat", "0"], ["argument --repeat", "at least 1, got 0"]),
    (["bench", "--shapes", "foo"], ["argument --shapes", "'foo' is not a shape"]),
    (["bench", "--shapes", "2x2,40x40"], ["argument --shapes", "40x40"]),
    (["decompose", "in.npy", "-o", "out.npz", "--workers", "x"],
     ["argument --workers", "'x' is not a number"]),
])
def test_bad_arguments_are_usage_errors_naming_them(capsys, no_benchmark, args, named):
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: fastsvd")
    for text in named:
        assert text in err
    # argparse's fallback names the internal conversion function instead.
    assert "invalid" not in err and "Traceback" not in err


def test_plot_without_matplotlib_fails_before_the_benchmark(tmp_path, capsys, monkeypatch,
                                                            no_benchmark):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import raises ImportError
    status, out, err = run(["bench", "--shapes", "2x2", "--plot", str(tmp_path / "s.png")],
                           capsys)
    assert status == 1 and out == ""
    assert "needs matplotlib" in err and 'pip install ".[plot]"' in err
    assert "fastsvd[plot]" not in err           # not on an index: that cannot install


def test_plot_into_a_missing_directory_fails_before_the_benchmark(tmp_path, capsys,
                                                                  no_benchmark):
    pytest.importorskip("matplotlib")
    status, _, err = run(["bench", "--plot", str(tmp_path / "nowhere" / "s.png")], capsys)
    assert status == 1 and "no such directory" in err


# ---------------------------------------------------------------- the plot

def fake_rows():
    return [_bench.BenchRow((2, 2), "float64", 1000, 40.0, 1500.0, 18.0),
            _bench.BenchRow((32, 32), "float64", 1000, 160_000.0, 134_000.0, 3_800.0)]


@pytest.mark.parametrize("ratio, label", [(0.84, "0.8×"), (5.14, "5.1×"), (9.94, "9.9×"),
                                          (37.5, "38×"), (1234.0, "1,234×")])
def test_plot_ratio_labels_keep_a_decimal_below_ten(ratio, label):
    assert _plot.ratio_label(ratio) == label


def test_plot_draws_the_memory_floor_beside_the_bars(tmp_path):
    pytest.importorskip("matplotlib")
    fig = _plot.plot_bench(fake_rows(), tmp_path / "s.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["38×", "0.8×"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["numpy.linalg.svd", "fastsvd"] and "memory floor" in legend[2]
    floor_bars = ax.containers[2]
    assert [bar.get_height() for bar in floor_bars] == [18.0, 3_800.0]
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- help

def help_text(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*args, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_help_is_plain_text_and_says_what_a_bare_fastsvd_does(capsys):
    text = help_text(capsys)
    assert "``" not in text and ":func:" not in text
    assert "With no command, fastsvd runs the main job" in text
    assert re.search(r"takes from about \d+ seconds", text)
    for command in ("decompose", "bench", "explain", "config"):
        assert command in text


def test_decompose_help_says_what_the_npz_holds_and_that_thin_is_the_default(capsys):
    text = help_text(capsys, "decompose")
    assert "``" not in text
    for name in ("U   (..., M, K)", "S   (..., K)", "Vh  (..., K, N)"):
        assert name in text
    assert "With --values-only it holds S alone" in text
    assert "The default is thin" in text and "full_matrices=True" in text
    # IN and -o have help of their own
    assert re.search(r"IN\.npy\s+a \.npy file holding matrices", text)
    assert re.search(r"-o OUT\.npz, --output OUT\.npz\s+the \.npz file to write", text)


def test_explain_help_says_it_takes_only_two_shapes(capsys):
    text = help_text(capsys, "explain")
    assert "It takes only these two shapes" in text and "2x2 or 3x2" in text


# ---------------------------------------------------------------- the main job

def test_main_job_says_what_fastsvd_is_and_prints_its_figures_once(capsys, monkeypatch):
    def fake(shape, dtype, count, repeat, op):
        assert op == "svd"
        return _bench.BenchRow(tuple(shape), dtype, count, 10.0 * shape[0] + shape[1], 1234.0,
                               7.25)
    monkeypatch.setattr(_bench, "bench_shape", fake)
    status, out, err = run([], capsys)
    assert status == 0 and err == ""
    first = out.splitlines()[0]
    assert first.startswith(f"fastsvd {fastsvd.__version__}: fast, accurate SVDs")
    assert "drop-in for numpy.linalg.svd" in first
    assert "The memory floor is the time an SVD would take if it did no arithmetic" in out
    for figure in ("| 22.0 |", "| 32.0 |", "| 33.0 |"):      # fastsvd's, once each
        assert out.count(figure) == 1
    assert out.count("| 3×3 |") == 1


def test_worked_examples_leave_the_print_options_alone():
    before = np.get_printoptions()
    cli.show_worked_examples(io.StringIO())
    assert np.get_printoptions() == before


# ---------------------------------------------------------------- explain's formatting

def test_explain_puts_a_fractional_coefficient_in_parentheses(capsys):
    status, out, _ = run(["explain", "0.1 0; 0 0.3"], capsys)
    assert status == 0
    assert "λ² − (1/10)λ + 9/10000 = 0" in out


def test_explain_leaves_out_zero_terms(capsys):
    _, out, _ = run(["explain", "1 1; 1 1"], capsys)
    assert "λ² − 4λ = 0" in out
    _, out, _ = run(["explain", "0 0; 0 0"], capsys)
    assert "λ² = 0" in out


@pytest.mark.parametrize("matrix", ["1 0; 0 1", "0 0; 0 0", "0.1 0; 0 0.3", "-1 0; 0 2"])
def test_explain_shows_no_negative_zero(capsys, matrix):
    _, out, _ = run(["explain", matrix], capsys)
    assert not re.search(r"(?<![\w.])-0(?![\w.])", out), out


def test_explain_shows_huge_numbers_in_scientific_notation(capsys):
    status, out, _ = run(["explain", "1e300 0; 0 1"], capsys)
    assert status == 0
    assert not re.search(r"\d{13}", out), out
    assert "A = [1e+300 0; 0 1]" in out and "AᵀA = [1e+600 0; 0 1]" in out
    assert "shown to 10 significant digits" in out


def test_explain_eigenvalues_of_mixed_magnitudes_are_not_nan(capsys):
    # √ of the discriminant overflows a float while its coefficient underflows.
    status, out, _ = run(["explain", "1e-300 1e300; 1 2"], capsys)
    assert status == 0 and "nan" not in out
    assert "≈ inf, 1\n" in out


@pytest.mark.parametrize("matrix, got", [("1 2 3; 4 5 6", "a 2×3 matrix (explain its transpose"),
                                         ("1 2; 3", "rows of lengths [2, 1]")])
def test_explain_says_it_takes_only_2x2_and_3x2(capsys, matrix, got):
    status, _, err = run(["explain", matrix], capsys)
    assert status == 2 and "takes only a 2×2 or 3×2 matrix" in err and got in err


# ---------------------------------------------------------------- the source-tree hint

def fake_tree(root, *, source_tree, compiled):
    package = root / "fastsvd"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if source_tree:
        (root / "pyproject.toml").write_text("")
    if compiled:
        suffix = __import__("importlib.machinery").machinery.EXTENSION_SUFFIXES[0]
        (package / f"_gufuncs_baseline{suffix}").write_text("")
    return package


def test_hint_says_the_source_tree_shadows_the_installed_package(tmp_path):
    checkout = fake_tree(tmp_path / "checkout", source_tree=True, compiled=False)
    installed = fake_tree(tmp_path / "site-packages", source_tree=False, compiled=True)
    hint = _install_hint.shadowing_hint(str(checkout),
                                        [str(checkout.parent), str(installed.parent)])
    assert f"imported from its source tree {checkout}" in hint
    assert f"instead of the installed fastsvd in {installed}" in hint and "shadows" in hint
    assert ("run `fastsvd` (the console script) or run python from another directory; "
            "or build in place with `python setup.py build_ext --inplace`") in hint
    assert "reinstall" not in hint


def test_hint_for_an_unbuilt_source_tree_with_nothing_installed(tmp_path):
    checkout = fake_tree(tmp_path / "checkout", source_tree=True, compiled=False)
    hint = _install_hint.shadowing_hint(str(checkout), [str(checkout.parent)])
    assert "pip install ." in hint and "build_ext --inplace" in hint
    assert "shadows" not in hint


def test_hint_for_an_installed_package_missing_its_modules(tmp_path):
    installed = fake_tree(tmp_path / "site-packages", source_tree=False, compiled=False)
    hint = _install_hint.shadowing_hint(str(installed), [str(installed.parent)])
    assert "missing" in hint and "reinstall fastsvd" in hint and "shadows" not in hint


def test_hint_finds_the_installed_package_through_its_metadata(tmp_path):
    checkout = fake_tree(tmp_path / "checkout", source_tree=True, compiled=False)
    site = tmp_path / "lib"
    installed = fake_tree(site, source_tree=False, compiled=True)
    info = site / "fastsvd-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fastsvd\nVersion: 0.1.0\n")
    assert _install_hint.installed_elsewhere(str(checkout), [str(site)]) == str(installed)


def test_python_m_fastsvd_in_an_unbuilt_checkout_says_what_to_run(tmp_path):
    """A fresh clone's `python -m fastsvd` from its root, with fastsvd installed
    elsewhere (here: the one these tests import)."""
    checkout = tmp_path / "clone"
    shutil.copytree(os.path.dirname(fastsvd.__file__), checkout / "fastsvd",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__"))
    (checkout / "pyproject.toml").write_text("")
    installed = os.path.dirname(os.path.dirname(fastsvd.__file__))
    env = dict(os.environ, PYTHONPATH=installed)
    done = subprocess.run([sys.executable, "-m", "fastsvd", "config"], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "shadows" in done.stderr and "run `fastsvd` (the console script)" in done.stderr
