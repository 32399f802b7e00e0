"""``fastsvd explain``: the SVD of a 2×2 or 3×2 matrix worked by hand, step by step.

The method of the project's worked examples: the Gram matrix AᵀA, its
characteristic polynomial, the eigenvalues (exact, as surds, for rational
input), σᵢ = √λᵢ, the eigenvectors V, uᵢ = A vᵢ / σᵢ, the check A = UΣVᵀ, and
the rank-1 approximation σ₁u₁v₁ᵀ.  The numbers printed for V, U and the
checks come from fastsvd's own kernel.
"""
from __future__ import annotations

import decimal
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
    if any(len(row) != shape[1] for row in matrix):
        got = f"rows of lengths {[len(r) for r in matrix]}"
    elif shape not in ((2, 2), (3, 2)):
        got = f"a {shape[0]}×{shape[1]} matrix" + (
            " (explain its transpose: the same singular values)" if shape == (2, 3) else "")
    else:
        return matrix
    # Only these: their Gram matrix AᵀA is 2×2, whose eigenvalues a quadratic gives.
    raise ValueError(f"explain takes only a 2×2 or 3×2 matrix, got {got}")


# Trial divisors for the square factors of a radicand: enough for hand-sized
# numbers, and a bound on the time decimal input takes (its radicand can have
# fifty digits, whose factoring by trial division would never end).
_LARGEST_TRIAL_FACTOR = 10_000


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


def _eigenvalues(half: Fraction, disc4: Fraction, det: Fraction) -> tuple[float, float]:
    """λ₁ = half + √disc4 and λ₂ = det/λ₁ as floats (inf beyond float64's range).

    In decimal arithmetic of unbounded range: in floats, √disc4 can overflow
    while its coefficient underflows (0·inf).  λ₂ comes from the product of
    the roots, not from half − √disc4, whose difference would lose its digits.
    """
    with decimal.localcontext() as ctx:
        ctx.prec = 30
        ctx.Emax, ctx.Emin = decimal.MAX_EMAX, decimal.MIN_EMIN

        def dec(x):
            return decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)
        lam1 = dec(half) + dec(disc4).sqrt()
        lam2 = dec(det) / lam1 if lam1 else decimal.Decimal(0)
        return float(lam1), float(lam2) + 0.0


# Numerators and denominators from 10¹² up are shown rounded, in scientific
# notation: an entry of 1e300 is exact as a Fraction, but 301 digits tell no one
# anything.
_EXACT_BELOW = 10**12
_SHOWN_DIGITS = 10


class _Formatter:
    """Formats exact numbers, and remembers whether it had to round any."""

    def __init__(self):
        self.rounded = False

    def num(self, x: Fraction) -> str:
        if abs(x.numerator) < _EXACT_BELOW and x.denominator < _EXACT_BELOW:
            return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
        self.rounded = True
        with decimal.localcontext() as ctx:
            ctx.prec = _SHOWN_DIGITS
            ctx.Emax, ctx.Emin = decimal.MAX_EMAX, decimal.MIN_EMIN
            value = decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)
        return f"{value.normalize():g}"

    def coef(self, x: Fraction) -> str:
        """x as the coefficient of λ: none for 1, and a fraction in parentheses,
        "(1/10)λ", which "1/10λ" would not say."""
        if x == 1:
            return ""
        text = self.num(x)
        return text if text.lstrip("-").isdigit() else f"({text})"

    def surd(self, coef: Fraction, radicand: Fraction) -> str:
        """coef·√radicand, as "3√5/2"; √(value) where those parts are too long."""
        if radicand == 1 or coef == 0:
            return self.num(coef)
        if max(abs(coef.numerator), coef.denominator, radicand.numerator) >= _EXACT_BELOW:
            return f"√({self.num(coef * coef * radicand)})"
        root = f"√{self.num(radicand)}"
        head = "" if coef.numerator == 1 else str(coef.numerator)
        return head + root + ("" if coef.denominator == 1 else f"/{coef.denominator}")

    def polynomial(self, trace: Fraction, det: Fraction) -> str:
        """λ² − trace·λ + det = 0, without the terms that are zero."""
        text = "λ²"
        if trace:
            text += f" − {self.coef(trace)}λ"
        if det:
            text += f" + {self.num(det)}"
        return text + " = 0"


def _fmt_rows(a) -> str:
    # + 0.0 turns -0.0 into 0.0: "-0" in a printed V or U only puzzles.
    rows = np.asarray(a, dtype=float) + 0.0
    return "[" + "; ".join(" ".join(f"{x:.6g}" for x in row) for row in rows) + "]"


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
    lam = _eigenvalues(half, disc / 4, det)
    f = _Formatter()
    surd = f.surd(coef, radicand)
    lines = [
        f"A = [{'; '.join(' '.join(f.num(x) for x in row) for row in matrix)}]  ({m}×2)",
        "",
        "1. The Gram matrix",
        f"   AᵀA = [{f.num(p)} {f.num(q)}; {f.num(q)} {f.num(r)}]",
        "2. Its characteristic polynomial det(AᵀA − λI) = 0",
        f"   {f.polynomial(trace, det)}",
        "3. Its roots, the eigenvalues",
        f"   λ = {f.num(half)} ± {surd}  ≈ {lam[0]:.6g}, {lam[1]:.6g}",
        "4. The singular values σᵢ = √λᵢ",
        f"   σ₁ = √({f.num(half)} + {surd}) ≈ {s[0]:.6g}",
        f"   σ₂ = √({f.num(half)} − {surd}) ≈ {s[1]:.6g}",
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
    if f.rounded:
        lines.insert(1, f"(numbers of 13 digits or more are shown to {_SHOWN_DIGITS} "
                        "significant digits)")
    return "\n".join(lines)
