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
UPLO).  The flavours built on the SVD (signed, canonical signs, rotation,
polar) return only what their functions return, made in the kernel's pass.
"""

# Flavours: what a gufunc returns.
VALUES = "values"   # S
THIN = "thin"       # U, S, Vh with min(M, N) columns / rows
FULL = "full"       # square U and Vh
EIGVALS = "eigvals"     # the eigenvalues of a symmetric matrix, ascending
EIGH = "eigh"           # and its eigenvectors, as columns
SIGNED = "signed"       # U, S, Vh of a square matrix with det U = det Vh = +1
CANONICAL_THIN = "canonical-thin"   # THIN and FULL with each column of U's
CANONICAL_FULL = "canonical-full"   # largest-magnitude entry positive
ROTATION = "rotation"   # U·Vh of the signed SVD: the nearest rotation
POLAR_RIGHT = "polar-right"     # R = U·Vh and P = V·S·Vh: A = R·P
POLAR_LEFT = "polar-left"       # R and P = U·S·Uᵀ: A = P·R
PINV = "pinv"           # V·S⁺·Uᵀ, the σ ≤ rcond·σ₁ cut off; rcond a second input
LOW_RANK = "low-rank"   # U·Sₖ·Vh, the k largest σ kept; k (an intp) a second input
# ROTATION and the polar flavours with, after their results, the U, S, Vh
# they came from: what their derivatives take (fastsvd.torch, fastsvd.jax).
ROTATION_FACTORS = "rotation-factors"
POLAR_RIGHT_FACTORS = "polar-right-factors"
POLAR_LEFT_FACTORS = "polar-left-factors"
KABSCH = "kabsch"       # the rigid transform between sets of points
UMEYAMA = "umeyama"     # the similarity transform (rotation, scale, translation)
# The outputs a gufunc of each flavour returns.
OUTPUTS = {VALUES: 1, THIN: 3, FULL: 3, EIGVALS: 1, EIGH: 2, SIGNED: 3, CANONICAL_THIN: 3,
           CANONICAL_FULL: 3, ROTATION: 1, POLAR_RIGHT: 2, POLAR_LEFT: 2, PINV: 1,
           LOW_RANK: 1, ROTATION_FACTORS: 4, POLAR_RIGHT_FACTORS: 5, POLAR_LEFT_FACTORS: 5,
           KABSCH: 4, UMEYAMA: 4}
# The flavours with a per-matrix parameter after the matrix (the others take one input).
WITH_PARAMETER = (PINV, LOW_RANK)
# The point-set flavours: (k,d),(k,d),(k)->(d,d),(d),(),() — p, q and weights
# in; rotation, translation, scale and weighted RMSD out.
POINT_SETS = (KABSCH, UMEYAMA)

_VALUES_DOC = "Singular values, descending, of each {} matrix (fastsvd kernels, M, N ≤ 32)."
_UV_DOC = "{} SVD (U, S, Vh) of each {} matrix (fastsvd kernels, M, N ≤ 32)."
_CANONICAL_DOC = ("{} SVD (U, S, Vh) of each {} matrix, each column of U with its "
                  "largest-magnitude entry positive (fastsvd kernels, M, N ≤ 32).")
_POLAR_DOC = ("Polar factors (R, P) of each {} matrix, a = {} (fastsvd kernels, "
              "M, N ≤ 32).")
_EIGVALS_DOC = ("Eigenvalues, ascending, of each symmetric matrix, from its {} triangle "
                "(fastsvd kernels, N ≤ 32).")
_EIGH_DOC = ("Eigenvalues, ascending, and eigenvectors (columns) of each symmetric matrix, "
             "from its {} triangle (fastsvd kernels, N ≤ 32).")

_POINT_SETS_DOC = ("The {} transform p ≈ {}R·q + t that best maps each set of points q "
                   "onto p, with weights ({}; d = 2 or 3): (R, t, scale, weighted RMSD). "
                   "A set with NaN or Inf, or with weights negative, not finite or all zero, "
                   "gets NaN.")

# (name, flavour, wide: the gufunc for M < N, or for the eigen flavours the
# one that reads the upper triangle, or for the point-set flavours the one
# whose R may be a reflection, signature, docstring)
GUFUNCS = (
    ("svd_values_m_ge_n", VALUES, False, "(m,n)->(n)", _VALUES_DOC.format("M ≥ N")),
    ("svd_values_m_lt_n", VALUES, True, "(m,n)->(m)", _VALUES_DOC.format("M < N")),
    ("svd_thin_m_ge_n", THIN, False, "(m,n)->(m,n),(n),(n,n)", _UV_DOC.format("Thin", "M ≥ N")),
    ("svd_thin_m_lt_n", THIN, True, "(m,n)->(m,m),(m),(m,n)", _UV_DOC.format("Thin", "M < N")),
    ("svd_full_m_ge_n", FULL, False, "(m,n)->(m,m),(n),(n,n)", _UV_DOC.format("Full", "M ≥ N")),
    ("svd_full_m_lt_n", FULL, True, "(m,n)->(m,m),(m),(n,n)", _UV_DOC.format("Full", "M < N")),
    ("svd_signed", SIGNED, False, "(n,n)->(n,n),(n),(n,n)",
     "Signed SVD (U, S, Vh) of each square matrix: det U = det Vh = +1, the sign of det a "
     "on the last singular value (fastsvd kernels, N ≤ 32)."),
    ("svd_canonical_thin_m_ge_n", CANONICAL_THIN, False, "(m,n)->(m,n),(n),(n,n)",
     _CANONICAL_DOC.format("Thin", "M ≥ N")),
    ("svd_canonical_thin_m_lt_n", CANONICAL_THIN, True, "(m,n)->(m,m),(m),(m,n)",
     _CANONICAL_DOC.format("Thin", "M < N")),
    ("svd_canonical_full_m_ge_n", CANONICAL_FULL, False, "(m,n)->(m,m),(n),(n,n)",
     _CANONICAL_DOC.format("Full", "M ≥ N")),
    ("svd_canonical_full_m_lt_n", CANONICAL_FULL, True, "(m,n)->(m,m),(m),(n,n)",
     _CANONICAL_DOC.format("Full", "M < N")),
    ("nearest_rotation", ROTATION, False, "(n,n)->(n,n)",
     "The rotation (det = +1) nearest each square matrix: U·Vh of its signed SVD "
     "(fastsvd kernels, N ≤ 32)."),
    ("polar_right_m_ge_n", POLAR_RIGHT, False, "(m,n)->(m,n),(n,n)",
     _POLAR_DOC.format("M ≥ N", "R·P")),
    ("polar_right_m_lt_n", POLAR_RIGHT, True, "(m,n)->(m,n),(n,n)",
     _POLAR_DOC.format("M < N", "R·P")),
    ("polar_left_m_ge_n", POLAR_LEFT, False, "(m,n)->(m,n),(m,m)",
     _POLAR_DOC.format("M ≥ N", "P·R")),
    ("polar_left_m_lt_n", POLAR_LEFT, True, "(m,n)->(m,n),(m,m)",
     _POLAR_DOC.format("M < N", "P·R")),
    ("nearest_rotation_with_factors", ROTATION_FACTORS, False, "(n,n)->(n,n),(n,n),(n),(n,n)",
     "The nearest rotation R of each square matrix, and the signed SVD (U, S, Vh) it is "
     "U·Vh of (fastsvd kernels, N ≤ 32)."),
    ("polar_right_with_factors", POLAR_RIGHT_FACTORS, False,
     "(m,n)->(m,n),(n,n),(m,n),(n),(n,n)",
     "Polar factors (R, P) of each M ≥ N matrix, a = R·P, and its thin SVD (U, S, Vh) "
     "(fastsvd kernels, M, N ≤ 32)."),
    ("polar_left_with_factors", POLAR_LEFT_FACTORS, True,
     "(m,n)->(m,n),(m,m),(m,m),(m),(m,n)",
     "Polar factors (R, P) of each M ≤ N matrix, a = P·R, and its thin SVD (U, S, Vh) "
     "(fastsvd kernels, M, N ≤ 32)."),
    ("pinv_m_ge_n", PINV, False, "(m,n),()->(n,m)",
     "Moore–Penrose pseudo-inverse of each M ≥ N matrix, singular values up to rcond·σ₁ "
     "cut off (fastsvd kernels, M, N ≤ 32)."),
    ("pinv_m_lt_n", PINV, True, "(m,n),()->(n,m)",
     "Moore–Penrose pseudo-inverse of each M < N matrix, singular values up to rcond·σ₁ "
     "cut off (fastsvd kernels, M, N ≤ 32)."),
    ("low_rank_m_ge_n", LOW_RANK, False, "(m,n),()->(m,n)",
     "Best rank-k approximation of each M ≥ N matrix, 0 ≤ k (fastsvd kernels, M, N ≤ 32)."),
    ("low_rank_m_lt_n", LOW_RANK, True, "(m,n),()->(m,n)",
     "Best rank-k approximation of each M < N matrix, 0 ≤ k (fastsvd kernels, M, N ≤ 32)."),
    ("kabsch", KABSCH, False, "(k,d),(k,d),(k)->(d,d),(d),(),()",
     _POINT_SETS_DOC.format("rigid", "", "R a rotation")),
    ("kabsch_reflection", KABSCH, True, "(k,d),(k,d),(k)->(d,d),(d),(),()",
     _POINT_SETS_DOC.format("rigid", "", "R orthogonal, a reflection where that fits better")),
    ("umeyama", UMEYAMA, False, "(k,d),(k,d),(k)->(d,d),(d),(),()",
     _POINT_SETS_DOC.format("similarity", "scale·", "R a rotation")),
    ("umeyama_reflection", UMEYAMA, True, "(k,d),(k,d),(k)->(d,d),(d),(),()",
     _POINT_SETS_DOC.format("similarity", "scale·",
                            "R orthogonal, a reflection where that fits better")),
    ("eigvalsh_lower", EIGVALS, False, "(n,n)->(n)", _EIGVALS_DOC.format("lower")),
    ("eigvalsh_upper", EIGVALS, True, "(n,n)->(n)", _EIGVALS_DOC.format("upper")),
    ("eigh_lower", EIGH, False, "(n,n)->(n),(n,n)", _EIGH_DOC.format("lower")),
    ("eigh_upper", EIGH, True, "(n,n)->(n),(n,n)", _EIGH_DOC.format("upper")),
)

# The derivatives' gufuncs (fastsvd.gradients, _kernel_gradients.pxd): from
# the forward call's factors (U, S, Vh thin, M ≥ N: fastsvd.gradients hands
# them Aᵀ's for M < N; or Q, λ) and the outputs' cotangents (reverse mode,
# *_vjp) or dA (forward mode, *_jvp), with eps, the relative threshold under
# which a gap between σ (λ) counts as none, and a flag of where that dropped a
# term.  (name, kernel, signature, operand types: "r" the matrices' dtype,
# "i" an intp, "b" a bool; docstring)
_VJP_DOC = "Reverse mode of {}: the cotangent of each M ≥ N matrix (fastsvd kernels)."
_JVP_DOC = "Forward mode of {}: its outputs' tangents (fastsvd kernels)."
_FACTORS = "(m,n),(n),(n,n)"
GRADIENT_GUFUNCS = (
    ("svd_vjp", "svd-vjp", f"{_FACTORS},(m,n),(n),(n,n),()->(m,n),()", "rrrrrrr->rb",
     _VJP_DOC.format("the thin SVD, from those of U, S, Vh; and the eps flag")),
    ("svdvals_vjp", "svdvals-vjp", f"{_FACTORS},(n)->(m,n)", "rrrr->r",
     _VJP_DOC.format("the singular values")),
    ("polar_vjp", "polar-vjp", f"{_FACTORS},(m,n),(n,n),()->(m,n),()", "rrrrrr->rb",
     _VJP_DOC.format("the right polar factors R = U·Vh, P = V·S·Vh; and the eps flag")),
    ("rotation_vjp", "rotation-vjp", "(n,n),(n),(n,n),(n,n),()->(n,n),()", "rrrrr->rb",
     _VJP_DOC.format("the nearest rotation, from the signed SVD; and the eps flag")),
    ("pinv_vjp", "pinv-vjp", f"{_FACTORS},(),(n,m)->(m,n)", "rrrrr->r",
     _VJP_DOC.format("the pseudo-inverse with cutoff rcond")),
    # (Also low_rank's forward mode: that derivative is self-adjoint.)
    ("low_rank_vjp", "low-rank-vjp", f"{_FACTORS},(),(m,n),()->(m,n),()", "rrrirr->rb",
     _VJP_DOC.format("the best rank-k approximation, and its forward mode (the map is "
                     "self-adjoint); and the eps flag")),
    ("eigh_vjp", "eigh-vjp", "(n,n),(n),(n),(n,n),()->(n,n),()", "rrrrr->rb",
     _VJP_DOC.format("eigh, symmetric; and the eps flag")),
    ("eigvalsh_vjp", "eigvalsh-vjp", "(n,n),(n),(n)->(n,n)", "rrr->r",
     _VJP_DOC.format("eigvalsh, symmetric")),
    ("svd_jvp", "svd-jvp", f"{_FACTORS},(m,n),()->(m,n),(n),(n,n),()", "rrrrr->rrrb",
     _JVP_DOC.format("the thin SVD (M ≥ N): dU, dS, dVh; and the eps flag")),
    ("svdvals_jvp", "svdvals-jvp", f"{_FACTORS},(m,n)->(n)", "rrrr->r",
     _JVP_DOC.format("the singular values (M ≥ N)")),
    ("polar_jvp", "polar-jvp", f"{_FACTORS},(m,n),()->(m,n),(n,n),()", "rrrrr->rrb",
     _JVP_DOC.format("the right polar factors (M ≥ N): dR, dP; and the eps flag")),
    ("rotation_jvp", "rotation-jvp", "(n,n),(n),(n,n),(n,n),()->(n,n),()", "rrrrr->rb",
     _JVP_DOC.format("the nearest rotation, from the signed SVD; and the eps flag")),
    ("pinv_jvp", "pinv-jvp", f"{_FACTORS},(),(m,n)->(n,m)", "rrrrr->r",
     _JVP_DOC.format("the pseudo-inverse with cutoff rcond (M ≥ N)")),
    ("eigh_jvp", "eigh-jvp", "(n,n),(n),(n,n),()->(n),(n,n),()", "rrrr->rrb",
     _JVP_DOC.format("eigh, dA taken symmetric: dλ, dQ; and the eps flag")),
    ("eigvalsh_jvp", "eigvalsh-jvp", "(n,n),(n),(n,n)->(n)", "rrr->r",
     _JVP_DOC.format("eigvalsh, dA taken symmetric")),
)

NAMES = tuple(row[0] for row in GUFUNCS) + tuple(row[0] for row in GRADIENT_GUFUNCS)


def flavour_of(compute_uv, full_matrices, canonical=False):
    """The flavour numpy.linalg.svd's arguments (and svd's signs=) ask for."""
    if not compute_uv:
        return VALUES
    if canonical:
        return CANONICAL_FULL if full_matrices else CANONICAL_THIN
    return FULL if full_matrices else THIN
