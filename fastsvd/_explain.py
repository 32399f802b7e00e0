"""``fastsvd explain``: the SVD of a 2×2 or 3×2 matrix worked by hand, step by step.

The method of the project's worked examples: the Gram matrix AᵀA, its
characteristic polynomial, the eigenvalues (exact, as surds, for rational
input), σᵢ = √λᵢ, the eigenvectors V, uᵢ = A vᵢ / σᵢ, the check A = UΣVᵀ, and
the rank-1 approximation σ₁u₁v₁ᵀ.  The numbers printed for V, U and the
checks come from fastsvd's own kernel.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ._linalg import low_rank, svd


def parse_matrix(text: str) -> list[list[Fraction]]:
    """'4 0; 3 -5; 0 2' (rows separated by ';' or newlines) → rows of Fractions."""
    rows = [row.replace(",", " ").split() for row in text.replace("\n", ";").split(";")]
    rows = [row for row in rows if row]
    try:
        matrix = [[Fraction(x) for x in row] for row in rows]
    except ValueError as err:
        raise ValueError(f"not a matrix of numbers: {text!r} ({err})") from None
    for token, x in zip((t for row in rows for t in row), (x for row in matrix for x in row)):
        if not _fits_float64(x):
            raise ValueError(f"{token} is outside float64's range, which fastsvd works in")
    shape = (len(matrix), len(matrix[0]) if matrix else 0)
    if any(len(row) != shape[1] for row in matrix) or shape not in ((2, 2), (3, 2)):
        raise ValueError(f"explain takes a 2×2 or 3×2 matrix, got rows of lengths "
                         f"{[len(r) for r in matrix]}")
    return matrix


# Trial divisors for the square factors of a radicand: enough for hand-sized
# numbers, and a bound on the time decimal input takes (its radicand can have
# fifty digits, whose factoring by trial division would never end).
_LARGEST_TRIAL_FACTOR = 10_000


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _surd(value: Fraction) -> tuple[Fraction, Fraction]:
    """√value = c·√r (for value ≥ 0): returns (c, r), r free of square factors
    up to _LARGEST_TRIAL_FACTOR², and 1 for a perfect square."""
    # √(n/d) = √(n·d)/d
    num, den = value.numerator * value.denominator, value.denominator
    outside, inside = 1, num
    factor = 2
    while factor <= _LARGEST_TRIAL_FACTOR and factor * factor <= inside:
        while inside % (factor * factor) == 0:
            inside //= factor * factor
            outside *= factor
        factor += 1
    root = math.isqrt(inside)
    if root * root == inside:
        outside, inside = outside * root, 1
    return Fraction(outside, den), Fraction(inside)


def _fits_float64(x: Fraction) -> bool:
    try:
        return (float(x) != 0) == (x != 0)
    except OverflowError:
        return False


def _approx(x: Fraction) -> float:
    """x as a float, ±inf beyond float64's range (a Gram matrix can be)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _fmt_surd(coef: Fraction, radicand: Fraction) -> str:
    if radicand == 1 or coef == 0:
        return _fmt(coef)
    root = f"√{_fmt(radicand)}"
    head = "" if coef.numerator == 1 else str(coef.numerator)
    return head + root + ("" if coef.denominator == 1 else f"/{coef.denominator}")


def _fmt_rows(a) -> str:
    return "[" + "; ".join(" ".join(f"{x:.6g}" for x in row) for row in np.asarray(a)) + "]"


def explain(text: str) -> str:
    matrix = parse_matrix(text)
    m = len(matrix)
    cols = list(zip(*matrix))
    gram = [[sum(x * y for x, y in zip(ci, cj)) for cj in cols] for ci in cols]
    p, q, r = gram[0][0], gram[0][1], gram[1][1]
    trace, det = p + r, p * r - q * q
    disc = trace * trace - 4 * det            # ≥ 0: AᵀA is symmetric
    coef, radicand = _surd(disc / 4)
    half = trace / 2
    a = np.array([[float(x) for x in row] for row in matrix])
    u, s, vh = svd(a)
    root = _approx(coef) * math.sqrt(_approx(radicand))
    lam = (_approx(half) + root, max(_approx(half) - root, 0.0))
    if math.isinf(root):  # beyond float64, where only σ₂² tells λ₂
        lam = (lam[0], float(s[1]) ** 2)
    lines = [
        f"A = [{'; '.join(' '.join(_fmt(x) for x in row) for row in matrix)}]  ({m}×2)",
        "",
        "1. The Gram matrix",
        f"   AᵀA = [{_fmt(p)} {_fmt(q)}; {_fmt(q)} {_fmt(r)}]",
        "2. Its characteristic polynomial det(AᵀA − λI) = 0",
        f"   λ² − {_fmt(trace)}λ + {_fmt(det)} = 0",
        "3. Its roots, the eigenvalues",
        f"   λ = {_fmt(half)} ± {_fmt_surd(coef, radicand)}"
        f"  ≈ {lam[0]:.6g}, {lam[1]:.6g}",
        "4. The singular values σᵢ = √λᵢ",
        f"   σ₁ = √({_fmt(half)} + {_fmt_surd(coef, radicand)}) ≈ {s[0]:.6g}",
        f"   σ₂ = √({_fmt(half)} − {_fmt_surd(coef, radicand)}) ≈ {s[1]:.6g}",
        "   (fastsvd computes σ₂ as |det A|/σ₁ or ‖a₁ × a₂‖/σ₁: the difference of",
        "   step 3 would lose the digits of a small σ₂)",
        "5. The eigenvectors of AᵀA, (AᵀA − λᵢI)vᵢ = 0, normalised: the columns of V",
        f"   V = {_fmt_rows(vh.T)}",
        "6. The left singular vectors uᵢ = A vᵢ / σᵢ"
        + (" (u₃ completes an orthonormal basis)" if m == 3 else ""),
        f"   U = {_fmt_rows(u)}",
        "7. The check A = UΣVᵀ",
        f"   UΣVᵀ = {_fmt_rows((u[:, :2] * s) @ vh)}",
        f"   max |A − UΣVᵀ| = {np.abs((u[:, :2] * s) @ vh - a).max():.1e}",
        "8. The best rank-1 approximation σ₁u₁v₁ᵀ",
        f"   {_fmt_rows(low_rank(a, 1))}",
    ]
    return "\n".join(lines)
