"""The one table of fastsvd's gufuncs: every gufunc's name, flavour, signature and doc.

The compiled module (_gufuncs.pyx) makes its gufuncs from this table;
``fastsvd.gufuncs`` exports them, ``fastsvd._linalg`` picks among them, and a
test checks that the stubs list the same names.  Plain data, without imports,
so that the build can read it too.

Each SVD flavour has one gufunc for M ≥ N and one for M < N, as numpy 2.0 had:
a signature cannot say "min(M, N)" (numpy ≥ 2.1 can compute such a size, but
Dask's ``apply_gufunc`` then needs every output size told, and a dask array
passed straight to a gufunc would fail).  Each symmetric eigen flavour has one
gufunc that reads the lower triangle and one that reads the upper (numpy's
UPLO).
"""

# Flavours: what a gufunc returns.
VALUES = "values"   # S
THIN = "thin"       # U, S, Vh with min(M, N) columns / rows
FULL = "full"       # square U and Vh
EIGVALS = "eigvals"     # the eigenvalues of a symmetric matrix, ascending
EIGH = "eigh"           # and its eigenvectors, as columns
# The outputs a gufunc of each flavour returns.
OUTPUTS = {VALUES: 1, THIN: 3, FULL: 3, EIGVALS: 1, EIGH: 2}

_VALUES_DOC = "Singular values, descending, of each {} matrix (fastsvd kernels, M, N ≤ 32)."
_UV_DOC = "{} SVD (U, S, Vh) of each {} matrix (fastsvd kernels, M, N ≤ 32)."
_EIGVALS_DOC = ("Eigenvalues, ascending, of each symmetric matrix, from its {} triangle "
                "(fastsvd kernels, N ≤ 32).")
_EIGH_DOC = ("Eigenvalues, ascending, and eigenvectors (columns) of each symmetric matrix, "
             "from its {} triangle (fastsvd kernels, N ≤ 32).")

# (name, flavour, wide: the gufunc for M < N, or for the eigen flavours the
# one that reads the upper triangle, signature, docstring)
GUFUNCS = (
    ("svd_values_m_ge_n", VALUES, False, "(m,n)->(n)", _VALUES_DOC.format("M ≥ N")),
    ("svd_values_m_lt_n", VALUES, True, "(m,n)->(m)", _VALUES_DOC.format("M < N")),
    ("svd_thin_m_ge_n", THIN, False, "(m,n)->(m,n),(n),(n,n)", _UV_DOC.format("Thin", "M ≥ N")),
    ("svd_thin_m_lt_n", THIN, True, "(m,n)->(m,m),(m),(m,n)", _UV_DOC.format("Thin", "M < N")),
    ("svd_full_m_ge_n", FULL, False, "(m,n)->(m,m),(n),(n,n)", _UV_DOC.format("Full", "M ≥ N")),
    ("svd_full_m_lt_n", FULL, True, "(m,n)->(m,m),(m),(n,n)", _UV_DOC.format("Full", "M < N")),
    ("eigvalsh_lower", EIGVALS, False, "(n,n)->(n)", _EIGVALS_DOC.format("lower")),
    ("eigvalsh_upper", EIGVALS, True, "(n,n)->(n)", _EIGVALS_DOC.format("upper")),
    ("eigh_lower", EIGH, False, "(n,n)->(n),(n,n)", _EIGH_DOC.format("lower")),
    ("eigh_upper", EIGH, True, "(n,n)->(n),(n,n)", _EIGH_DOC.format("upper")),
)

NAMES = tuple(row[0] for row in GUFUNCS)


def flavour_of(compute_uv, full_matrices):
    """The flavour numpy.linalg.svd's arguments ask for."""
    if not compute_uv:
        return VALUES
    return FULL if full_matrices else THIN
