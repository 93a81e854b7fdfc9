"""Parity of a single-index link, proved piece by piece.

A link is even (odd) when its breakpoints are symmetric about 0 and each piece f on
(p, q) matches the mirrored piece g on (-q, -p) as f(-z) = g(z) (resp. -g(z)), checked by
exact simplification. An even link has E[sigma He_k] = 0 for odd k, and its label is
unchanged by z -> -z, so E[h_k(z) | y] = 0 for odd k as well.

>>> import sympy
>>> from derive.piecewise import decompose
>>> z = sympy.Symbol("z", real=True)
>>> link_parity(decompose(sympy.Abs(z), z)), link_parity(decompose(sympy.sign(z) * z**2, z))
(0, 1)
>>> link_parity(decompose(sympy.Max(z, 0), z)) is None
True
"""

from __future__ import annotations

import sympy

from .piecewise import PiecewiseForm


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    if a.is_infinite or b.is_infinite:
        return a == b
    difference = sympy.expand(a - b)
    if difference == 0:
        return True
    return sympy.simplify(difference) == 0


def link_parity(form: PiecewiseForm) -> int | None:
    """0 if the link is even, 1 if odd, None if neither could be proved."""
    z = form.variable
    pieces = form.pieces
    n = len(pieces)
    for parity in (0, 1):
        sign = 1 if parity == 0 else -1
        ok = True
        for i, piece in enumerate(pieces):
            mirror = pieces[n - 1 - i]
            if not (_same(piece.lower, -mirror.upper) and _same(piece.upper, -mirror.lower)):
                ok = False
                break
            if not _same(piece.expr.subs(z, -z), sign * mirror.expr):
                ok = False
                break
        if ok:
            return parity
    return None
