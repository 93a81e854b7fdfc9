"""Strictly monotone outer functions of a noiseless label: y = phi(h(z)) has the level sets of h.

If phi is strictly monotone on the range of h, y and h generate the same sigma-algebra, so
E[f(z) | y] = E[f(z) | h] for every f: the conditional mean, G(y) = E[z z^T - I | y], the
weak-recovery class, alpha_c = 1/nu_1 and every later step of the grand staircase (Troiani
et al. AISTATS 2025, arXiv:2405.15480, THEORY.md §5: all are functionals of the conditional
law of z given y) are those of h. Only the optimal preprocessing changes, to
T*_h(phi^-1(y)). (With label noise this fails: phi(h) + noise is not a relabelling of
h + noise.)

The layers recognised are proofs, never guesses: affine maps u -> s u + t (s != 0);
exp, tanh, atan, sinh, asinh, erf, erfc (strictly monotone on R); log u where sympy proves
u > 0; u^p for odd integers p > 0 (on R), for p > 0 where sympy proves u >= 0 and for p < 0
where it proves u > 0; and a product of powers with a common odd exponent
(z1^3 z2^3 = (z1 z2)^3).

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> strip_monotone(sympy.tanh(z1 * z2))
(z1*z2, 'tanh')
>>> strip_monotone(sympy.exp(-z1**2 - z2**2))
(z1**2 + z2**2, 'exp')
>>> strip_monotone(z1**3 * z2**3)
(z1*z2, 'u^3')
>>> strip_monotone(1 / (1 + z1**2 + z2**2))
(z1**2 + z2**2, 'u^-1')
>>> strip_monotone(z1 * z2 + 1) is None    # affine only: nothing to gain
True
>>> strip_monotone(sympy.cos(z1 * z2)) is None
True
"""

from __future__ import annotations

from math import gcd

import sympy

#: strictly monotone on the whole real line
_MONOTONE_ON_R = (sympy.exp, sympy.tanh, sympy.atan, sympy.sinh, sympy.asinh, sympy.erf,
                  sympy.erfc)


def affine_layer(expr) -> tuple[tuple[sympy.Expr, sympy.Expr], sympy.Expr] | None:
    """((s, t), inner) with expr = s inner + t, a real constant t != 0 or s not in (0, 1)
    taken off the top of a sum or a product (also :mod:`derive.thresholds_clipped`'s affine
    layers), or None."""
    if isinstance(expr, sympy.Add):
        constant, inner = expr.as_independent(*expr.free_symbols, as_Add=True)
        if constant != 0 and constant.is_real:
            return (sympy.Integer(1), constant), inner
    if isinstance(expr, sympy.Mul):
        constant, inner = expr.as_independent(*expr.free_symbols, as_Add=False)
        if constant != 1 and constant.is_real and constant != 0:
            return (constant, sympy.Integer(0)), inner
    return None


def _layer(expr) -> tuple[sympy.Expr, str, bool] | None:
    """(inner, name, nonlinear) for one strictly monotone outer layer of expr, or None."""
    if (affine := affine_layer(expr)) is not None:
        return affine[1], "affine", False
    if isinstance(expr, sympy.Add) and expr.could_extract_minus_sign():
        return -expr, "affine", False
    if isinstance(expr, sympy.Mul):
        powers = [f.as_base_exp() for f in expr.args]
        exponents = [e for _, e in powers]
        if all(e.is_Integer and e > 0 for e in exponents):
            common = 0
            for e in exponents:
                common = gcd(common, int(e))
            if common > 1 and common % 2 == 1:
                inner = sympy.Mul(*(b ** (e / common) for b, e in powers))
                return inner, f"u^{common}", True
        return None
    if isinstance(expr, _MONOTONE_ON_R) and len(expr.args) == 1:
        return expr.args[0], type(expr).__name__, True
    if isinstance(expr, sympy.log) and len(expr.args) == 1 and expr.args[0].is_positive:
        return expr.args[0], "log", True
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        if not base.free_symbols or exponent.free_symbols or not exponent.is_real:
            return None
        odd = exponent.is_Integer and exponent > 0 and exponent % 2 == 1 and exponent != 1
        if (odd or (exponent.is_positive and base.is_nonnegative)
                or (exponent.is_negative and base.is_positive)):
            return base, f"u^{exponent}", True
    return None


def strip_monotone(expr) -> tuple[sympy.Expr, str] | None:
    """(h, phi's layers in words) with expr = phi(h), phi strictly monotone on the range of h
    (module docstring), or None when expr has no such layer other than affine maps."""
    inner = sympy.sympify(expr)
    names, nonlinear = [], False
    while (layer := _layer(inner)) is not None:
        inner, name, bent = layer
        names.append(name)
        nonlinear = nonlinear or bent
    if not nonlinear:
        return None
    shown = [n for n in names if n != "affine"]
    return inner, " o ".join(shown)


__all__ = ["affine_layer", "strip_monotone"]
