"""Conversions between sympy and mpmath numbers without losing precision."""

from __future__ import annotations

import mpmath
import sympy


def to_mpf(value, digits: int = 50) -> mpmath.mpf:
    """``value`` (sympy expression or number) as an mpf carrying ``digits`` digits.

    mpmath rounds to the *current* working precision on conversion, so the conversion is
    done inside ``workdps(digits)``; the result keeps its precision afterwards.

    >>> x = to_mpf(sympy.sqrt(2), 40)
    >>> mpmath.nstr(x, 35)
    '1.4142135623730950488016887242096981'
    """
    with mpmath.workdps(digits):
        number = sympy.N(value, digits)
        return mpmath.mpf(sympy.re(number))
