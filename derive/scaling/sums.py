"""Asymptotic orders of power-law sums, derived with sympy by the integral test.

Every scaling law of this package reduces to sums of a decreasing power f(k) = k^(-p) over
a range of directions or coordinates: the tail sum_{k > K} f(k) (what is not learned) and
the head sum_{k <= K} f(k) (what the learned part costs). For f positive and decreasing,
the integral test brackets each sum between two integrals,

    int_{K+1}^oo f  <=  sum_{k > K} f(k)  <=  int_K^oo f,
    int_1^{K+1} f   <=  sum_{k <= K} f(k) <=  f(1) + int_1^K f,

so the order of the sum in K is the order of the integral, which sympy computes exactly.
The functions here return that order as a :class:`PowerOrder` (exponent of K, a sympy
Rational, and whether a logarithm appears), never a hard-coded formula.

>>> tail_order(2).exponent          # sum_{k > K} k^-2 ~ K^-1
-1
>>> head_order(sympy.Rational(1, 2)).exponent   # sum_{k <= K} k^(-1/2) ~ K^(1/2)
1/2
>>> head_order(1).log_factor        # sum_{k <= K} 1/k ~ log K
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

K = sympy.Symbol("K", positive=True)
_k = sympy.Symbol("k", positive=True)


@dataclass(frozen=True)
class PowerOrder:
    """A sum is Theta(K^exponent) (times log K when ``log_factor``); ``converges`` says the
    sum has a finite limit as K grows (then the order is of the remainder, for tails)."""

    exponent: sympy.Expr
    log_factor: bool
    integral: sympy.Expr

    def __str__(self) -> str:
        text = f"K^({self.exponent})"
        return text + " log K" if self.log_factor else text


def _order_of(expr: sympy.Expr) -> tuple[sympy.Expr, bool]:
    """Exponent of K (and a log flag) of an expression growing or decaying like K^e log^j K.

    e = lim K F'(K) / F(K); a logarithm is detected by lim F / (K^e) being infinite or 0.
    """
    expr = sympy.simplify(expr)
    exponent = sympy.limit(K * sympy.diff(expr, K) / expr, K, sympy.oo)
    ratio = sympy.limit(expr / K**exponent, K, sympy.oo)
    if not ratio.is_finite or ratio == 0:
        return sympy.nsimplify(exponent), True
    return sympy.nsimplify(exponent), False


def tail_order(p) -> PowerOrder:
    """Order in K of sum_{k > K} k^(-p) for p > 1 (integral test, sympy)."""
    p = sympy.nsimplify(p)
    if not p > 1:
        raise ValueError(f"the tail sum of k^-{p} diverges (needs p > 1)")
    integral = sympy.integrate(_k**(-p), (_k, K, sympy.oo), conds="none")
    exponent, log = _order_of(integral)
    # the lower bracket int_{K+1}^oo has the same order: check it, do not assume it
    lower = sympy.integrate(_k**(-p), (_k, K + 1, sympy.oo), conds="none")
    assert sympy.limit(lower / integral, K, sympy.oo) == 1
    return PowerOrder(exponent, log, integral)


def head_order(p) -> PowerOrder:
    """Order in K of sum_{k <= K} k^(-p) for p <= 1 (diverging head; integral test, sympy).

    For p > 1 the head converges and its order is K^0.
    """
    p = sympy.nsimplify(p)
    integral = sympy.integrate(_k**(-p), (_k, 1, K), conds="none")
    if p > 1:
        return PowerOrder(sympy.Integer(0), False, sympy.limit(integral, K, sympy.oo))
    exponent, log = _order_of(integral)
    upper = 1 + integral
    assert sympy.limit(upper / integral, K, sympy.oo) == 1
    return PowerOrder(exponent, log, integral)
