"""Exact Gaussian integrals: polynomial times exp(quadratic) over intervals.

With phi the standard normal density, every integral

    int_p^q z^m exp(a2 z^2 + a1 z + a0) phi(z) dz,   a2 < 1/2 on unbounded intervals,

has a closed form in exp and erf, obtained from the recursion (integration by parts)

    2 beta J_m = (m - 1) J_{m-2} + b J_{m-1} - [z^{m-1} e^{-beta z^2 + b z}]_p^q,
    J_m = int_p^q z^m e^{-beta z^2 + b z} dz,  beta = 1/2 - a2,  b = a1,

started from J_0 (erf) and J_1. This covers polynomials, relu-type and piecewise
polynomial links, and polynomial * exp(-a z^2) links. All arithmetic is sympy-exact.

>>> import sympy
>>> z = sympy.Symbol("z", real=True)
>>> piece_moments(z, z, 0, sympy.oo, 2)   # E[relu(z) z^m], m = 0, 1, 2
[sqrt(2)/(2*sqrt(pi)), 1/2, sqrt(2)/sqrt(pi)]
"""

from __future__ import annotations

from functools import lru_cache

import sympy

SQRT_2PI = sympy.sqrt(2 * sympy.pi)


@lru_cache(maxsize=None)
def hermite_monomials(k: int) -> tuple[sympy.Integer, ...]:
    """Coefficients of the probabilists' He_k in the monomials z^0 ... z^k.

    He_k(z) = sum_i (-1)^i k! / (i! (k - 2i)! 2^i) z^(k - 2i).

    >>> hermite_monomials(3)
    (0, -3, 0, 1)
    """
    coeffs = [sympy.Integer(0)] * (k + 1)
    for i in range(k // 2 + 1):
        coeffs[k - 2 * i] = sympy.Integer(
            (-1) ** i * sympy.factorial(k) / (sympy.factorial(i) * sympy.factorial(k - 2 * i) * 2**i)
        )
    return tuple(coeffs)


def gaussian_moment(m: int) -> sympy.Integer:
    """E[z^m] for z ~ N(0, 1): (m - 1)!! for even m, 0 for odd m.

    >>> [gaussian_moment(m) for m in range(7)]
    [1, 0, 1, 0, 3, 0, 15]
    """
    if m % 2:
        return sympy.Integer(0)
    return sympy.factorial2(m - 1) if m > 0 else sympy.Integer(1)


def polynomial_hermite_coefficients(poly: sympy.Poly, max_order: int) -> list[sympy.Expr]:
    """c_k = E[p(z) He_k(z)] / k! for a polynomial p, by Stein's identity E[p He_k] = E[p^(k)].

    No integration: c_k = sum_m a_m binom(m, k) E[z^(m-k)].

    >>> z = sympy.Symbol("z")
    >>> polynomial_hermite_coefficients(sympy.Poly(z**3, z), 4)
    [0, 3, 0, 1, 0]
    """
    coeffs = poly.all_coeffs()[::-1]  # a_0 ... a_n
    out = []
    for k in range(max_order + 1):
        total = sympy.Integer(0)
        for m in range(k, len(coeffs)):
            if coeffs[m] != 0 and (m - k) % 2 == 0:
                total += coeffs[m] * sympy.binomial(m, k) * gaussian_moment(m - k)
        out.append(sympy.expand(total))
    return out


def exp_poly_terms(expr: sympy.Expr, z: sympy.Symbol):
    """Write ``expr`` as sum of c * z^n * exp(a2 z^2 + a1 z), or return None.

    Returns a list of (c, n, a2, a1) with c free of z.

    >>> z = sympy.Symbol("z")
    >>> exp_poly_terms(z**2 * sympy.exp(-z**2) + 3, z)
    [(3, 0, 0, 0), (1, 2, -1, 0)]
    """
    expanded = sympy.expand(sympy.powsimp(sympy.expand(expr), combine="exp"))
    if expanded == 0:
        return []
    terms = []
    for term in sympy.Add.make_args(expanded):
        coeff, rest = term.as_independent(z, as_Add=False)
        n = 0
        exponent = sympy.Integer(0)
        for factor in sympy.Mul.make_args(rest):
            if factor == 1:
                continue
            if factor == z:
                n += 1
            elif factor.is_Pow and factor.base == z and factor.exp.is_Integer and factor.exp > 0:
                n += int(factor.exp)
            elif isinstance(factor, sympy.exp):
                exponent += factor.args[0]
            elif factor.is_Pow and isinstance(factor.base, sympy.exp) and not factor.exp.has(z):
                exponent += factor.base.args[0] * factor.exp
            else:
                return None
        exponent = sympy.expand(exponent)
        try:
            poly = sympy.Poly(exponent, z)
        except sympy.PolynomialError:
            return None
        if poly.degree() > 2 or any(c.free_symbols for c in poly.all_coeffs()):
            return None
        a2 = poly.coeff_monomial(z**2)
        a1 = poly.coeff_monomial(z)
        a0 = poly.coeff_monomial(1)
        terms.append((sympy.expand(coeff * sympy.exp(a0)), n, a2, a1))
    return terms


def _boundary(m: int, beta, b, point):
    if point in (sympy.oo, -sympy.oo):
        return sympy.Integer(0)
    return point ** (m - 1) * sympy.exp(-beta * point**2 + b * point) if m >= 1 else 0


def _j_table(beta, b, p, q, top: int) -> list[sympy.Expr]:
    """J_m = int_p^q z^m exp(-beta z^2 + b z) dz for m = 0..top (beta > 0)."""
    shift = b / (2 * beta)
    root = sympy.sqrt(beta)

    def erf_at(x):
        if x == sympy.oo:
            return sympy.Integer(1)
        if x == -sympy.oo:
            return sympy.Integer(-1)
        return sympy.erf(root * (x - shift))

    j0 = sympy.sqrt(sympy.pi / beta) / 2 * sympy.exp(b**2 / (4 * beta)) * (erf_at(q) - erf_at(p))
    table = [sympy.expand(j0)]
    for m in range(1, top + 1):
        boundary = _boundary(m, beta, b, q) - _boundary(m, beta, b, p)
        previous2 = table[m - 2] if m >= 2 else sympy.Integer(0)
        value = ((m - 1) * previous2 + b * table[m - 1] - boundary) / (2 * beta)
        table.append(sympy.expand(value))
    return table


def _j_table_flat(b, p, q, top: int) -> list[sympy.Expr]:
    """J_m with beta = 0 on a bounded interval: int_p^q z^m e^(b z) dz."""
    z = sympy.Dummy("z")
    return [sympy.integrate(z**m * sympy.exp(b * z), (z, p, q)) for m in range(top + 1)]


def piece_moments(expr: sympy.Expr, z: sympy.Symbol, p, q, top: int):
    """Exact E[f(z) z^m 1{p < z < q}] for m = 0..top, or None if f is outside the class."""
    terms = exp_poly_terms(expr, z)
    if terms is None:
        return None
    bounded = p not in (-sympy.oo, sympy.oo) and q not in (-sympy.oo, sympy.oo)
    moments = [sympy.Integer(0)] * (top + 1)
    tables: dict = {}
    for coeff, n, a2, a1 in terms:
        beta = sympy.Rational(1, 2) - a2
        key = (beta, a1)
        need = top + n
        if key not in tables or len(tables[key]) <= need:
            if beta.is_positive:
                tables[key] = _j_table(beta, a1, p, q, need)
            elif bounded and beta == 0:
                tables[key] = _j_table_flat(a1, p, q, need)
            else:
                return None
        table = tables[key]
        for m in range(top + 1):
            moments[m] += coeff * table[m + n]
    return [sympy.expand(m / SQRT_2PI) for m in moments]
