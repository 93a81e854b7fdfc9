"""Admissibility of a single-index link: real-valued and square-integrable under N(0, 1).

Decided piece by piece on the smooth decomposition (:mod:`derive.piecewise`):

- real values: the link is evaluated at interior points of every piece;
- singular points (endpoints where the link blows up): the local power p in
  |g(z)| ~ |z - z0|^(-p) is measured at distances 1e-30 and 1e-60 in 60-digit arithmetic;
  square-integrable needs p < 1/2 (log singularities give p = 0);
- tails: with G(R) = 2 log|g(R)| - R^2/2 (the log of g^2 times the Gaussian weight, up to a
  constant), square-integrable needs G(R) < -(1 + eps) log R for large R; checked at
  R = 10^3, 10^4, 10^5, which separates exp(a z^2) with a < 1/4 (integrable) from a >= 1/4.

These are decisions about the user's input, stated in the error they raise.
"""

from __future__ import annotations

import mpmath
import sympy

from .errors import NotSquareIntegrableError, TargetSyntaxError
from .piecewise import PiecewiseForm, _interior_point

_DPS = 60


def _evaluate(expr, z, x):
    with mpmath.workdps(_DPS):
        f = sympy.lambdify(z, expr, modules="mpmath")
        try:
            return mpmath.mpmathify(f(mpmath.mpf(x)))
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.inf


def check_real_valued(form: PiecewiseForm, text: str) -> None:
    z = form.variable
    for piece in form.pieces:
        probes = [_interior_point(piece.lower, piece.upper)]
        if piece.lower != -sympy.oo and piece.upper != sympy.oo:
            probes += [piece.lower + (piece.upper - piece.lower) / 5,
                       piece.upper - (piece.upper - piece.lower) / 5]
        elif piece.upper == sympy.oo and piece.lower != -sympy.oo:
            probes += [piece.lower + 7]
        elif piece.lower == -sympy.oo and piece.upper != sympy.oo:
            probes += [piece.upper - 7]
        else:
            probes += [sympy.Integer(-3), sympy.Integer(3)]
        for point in probes:
            value = _evaluate(piece.expr, z, sympy.N(point, _DPS))
            if isinstance(value, mpmath.mpc) and abs(value.imag) > mpmath.mpf(10) ** -40:
                raise TargetSyntaxError(
                    f"'{text}' is not real-valued (e.g. at z = {float(sympy.N(point)):.3g}); "
                    f"use abs(...) inside log and sqrt"
                )


def _local_power(expr, z, x0, side: int) -> mpmath.mpf:
    with mpmath.workdps(_DPS):
        d1 = mpmath.mpf(10) ** -30
        d2 = mpmath.mpf(10) ** -60
        x0 = mpmath.mpf(sympy.N(x0, _DPS))
        v1 = abs(_evaluate(expr, z, x0 + side * d1))
        v2 = abs(_evaluate(expr, z, x0 + side * d2))
        if v1 == mpmath.inf or v2 == mpmath.inf:
            return mpmath.inf
        if v1 == 0 or v2 == 0:
            return mpmath.mpf(0)
        return (mpmath.log(v2) - mpmath.log(v1)) / (mpmath.log(d1) - mpmath.log(d2))


def check_square_integrable(form: PiecewiseForm, text: str) -> None:
    z = form.variable
    for piece in form.pieces:
        for end, side in ((piece.lower, 1), (piece.upper, -1)):
            if end in (-sympy.oo, sympy.oo):
                continue
            power = _local_power(piece.expr, z, end, side)
            if power >= mpmath.mpf("0.49"):
                raise NotSquareIntegrableError(
                    f"'{text}' is not square-integrable under the Gaussian: it blows up like "
                    f"|z - z0|^(-{mpmath.nstr(power, 3)}) at z0 = {float(sympy.N(end)):.6g}"
                )
        for end, sign in ((piece.upper, 1), (piece.lower, -1)):
            if end not in (-sympy.oo, sympy.oo):
                continue
            with mpmath.workdps(_DPS):
                worst = -mpmath.inf
                for radius in (mpmath.mpf(10) ** 3, mpmath.mpf(10) ** 4, mpmath.mpf(10) ** 5):
                    value = abs(_evaluate(piece.expr, z, sign * radius))
                    if value == mpmath.inf:
                        growth = mpmath.inf
                    elif value == 0:
                        growth = -mpmath.inf
                    else:
                        growth = 2 * mpmath.log(value) - radius**2 / 2 + mpmath.mpf("1.2") * mpmath.log(radius)
                    worst = max(worst, growth)
                if worst > 0:
                    raise NotSquareIntegrableError(
                        f"'{text}' is not square-integrable under the Gaussian: it grows too "
                        f"fast as z -> {'+' if sign > 0 else '-'}infinity "
                        f"(E[g(z)^2] diverges)"
                    )
