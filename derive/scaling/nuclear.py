"""Large-d limit of the nuclear-norm state evolution: which eigenvalues survive the threshold,
and what each costs, as sympy expressions (the quadratic network's phase diagram is built
from these in derive.scaling.weight_decay).

Setting (solvers/matrix_sensing_se.py; Defilippis et al. ICLR 2026, arXiv:2509.24882, for
the map quadratic network -> nuclear-norm matrix sensing). The state-evolution denoiser is
the eigenvalue soft threshold at t of Y = S* + s H, H a GOE matrix with spectrum [-2, 2].
In reduced units (teacher eigenvalues theta_k = k^-gamma; the target
y = sum_k theta_k He_2(v_k . x) + noise, probabilists' He_2(z) = z^2 - 1, has excess risk
R = 2 |S_hat - S*|_F^2 in these units) the state evolution reads

    s^2 = (Delta + R) / (4 n_eff),   t (1 - E[div eta] / n) = lambda sqrt(d) / (2 n_eff),

n_eff = n/d: the noise level s plays the role of the LASSO's tau/sqrt(n) and the threshold
that of lambda sqrt(d)/n. When the teacher eigenvalues above s are o(d) in number:

* the bulk of Y is the semicircle of radius 2 s (free convolution with a law concentrated
  at 0; Voiculescu), the teacher's eigenvalues below s are hidden in it (BBP transition:
  Baik, Ben Arous, Peche 2005; for the deformed Wigner matrix Peche 2006, Feral, Peche 2007,
  Capitaine, Donati-Martin, Feral 2009), and each theta > s gives an outlier at
  theta + s^2/theta whose eigenvector has squared overlap 1 - s^2/theta^2 with the
  teacher's (Benaych-Georges, Nadakuditi 2011, arXiv:0910.2120);
* a kept outlier costs |(l - t) u u^T - theta v v^T|^2 = (l - t - theta)^2 + 2 (l - t) s^2/theta,
  which tends to t^2 + 2 s^2 for theta >> t, s (:func:`outlier_cost`), a killed or hidden one
  theta^2: outliers play the LASSO coordinates' role with s in place of the noise level;
* the bulk costs d s^2 int f^2 rho and adds (d^2/2) int int (f(x)-f(y))/(x-y) rho rho to
  E[div eta] (divergence of a spectral function: Daleckii-Krein; Candes, Sing-Long, Trzasko
  2013, arXiv:1210.4139). Near the edge (threshold 2 - delta in units of s) these are
  c_F delta^(3/2), c_g delta^(7/2) and c_h delta^(5/2) (:func:`edge_laws`, sympy integrals).
  A threshold inside the bulk is only reachable while E[div eta] < n: for n_eff < d/2 and
  lambda below the noise line the calibration pins it at delta ~ (n_eff/d)^(2/5), and the
  bulk sliver above it carries d s^2 delta^(7/2) ~ (n_eff/d)^(2/5) -- a power law where the
  LASSO's minimum-l1 interpolator leaks Delta/log(d/n) (a log, not a power: the Gaussian
  tail has no hard edge).

>>> laws = edge_laws()
>>> laws.kept_exponent, laws.mse_exponent, laws.div_exponent
(3/2, 7/2, 5/2)
>>> interpolation_exponent()
2*a/5 - 2/5
>>> interpolation_onset(1)
4/9
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy

A = sympy.Symbol("a", real=True)          # n_eff = d^a
_x = sympy.Symbol("x", real=True)
_w = sympy.Symbol("w", nonnegative=True)
_delta = sympy.Symbol("delta", positive=True)


@dataclass(frozen=True)
class EdgeLaws:
    """Leading orders at the semicircle's edge for the threshold 2 - delta (units of s):
    kept fraction c_F delta^(3/2) (both edges), int f^2 rho = c_g delta^(7/2), and the bulk's
    E[div eta] / d^2 = c_h delta^(5/2); ``stieltjes_at_edge`` is int rho(y)/(2 - y) dy = 1,
    the factor the kept-killed pairs of the divergence carry."""

    kept: sympy.Expr
    kept_exponent: sympy.Rational
    mse: sympy.Expr
    mse_exponent: sympy.Rational
    div: sympy.Expr
    div_exponent: sympy.Rational
    stieltjes_at_edge: sympy.Expr


def _leading(expr) -> tuple[sympy.Expr, sympy.Rational]:
    """(coefficient, exponent) of c delta^e, read off by sympy (e = lim delta F'/F)."""
    expr = sympy.simplify(expr)
    exponent = sympy.nsimplify(sympy.limit(_delta * sympy.diff(expr, _delta) / expr, _delta, 0))
    return sympy.simplify(expr / _delta**exponent), exponent


@lru_cache(maxsize=1)
def edge_laws() -> EdgeLaws:
    """The edge integrals of the semicircle rho(x) = sqrt(4 - x^2)/(2 pi), by sympy: near
    x = 2 - w, rho = sqrt(w)/pi (1 + O(w)) (the leading term is the one that sets the
    orders; sympy checks it as the limit of rho(2 - w) / sqrt(w))."""
    rho = sympy.sqrt(4 - _x**2) / (2 * sympy.pi)
    edge = sympy.limit(rho.subs(_x, 2 - _w) / sympy.sqrt(_w), _w, 0)        # 1/pi
    density = edge * sympy.sqrt(_w)
    kept = 2 * sympy.integrate(density, (_w, 0, _delta))
    mse = 2 * sympy.integrate((_delta - _w) ** 2 * density, (_w, 0, _delta))
    stieltjes = sympy.integrate(rho / (2 - _x), (_x, -2, 2))
    # kept-killed pairs: (d^2/2) x 2 (orders) x 2 (edges) x int f(x) rho(x) G(x) dx
    div = 2 * stieltjes * sympy.integrate((_delta - _w) * density, (_w, 0, _delta))
    (ck, ek), (cg, eg), (ch, eh) = _leading(kept), _leading(mse), _leading(div)
    return EdgeLaws(ck, ek, cg, eg, ch, eh, sympy.simplify(stieltjes))


def outlier_cost(theta, s, t):
    """|(l - t) u u^T - theta v v^T|_F^2 for the outlier l = theta + s^2/theta with squared
    overlap 1 - s^2/theta^2 (kept when l > t).

    >>> th, s, t = sympy.symbols("theta s t", positive=True)
    >>> sympy.limit(outlier_cost(th, s, t), th, sympy.oo)
    2*s**2 + t**2
    """
    level = theta + s**2 / theta - t
    return sympy.expand(level**2 + theta**2 - 2 * level * theta * (1 - s**2 / theta**2))


def kept_outlier_threshold(s, t):
    """The smallest teacher eigenvalue whose outlier survives a threshold t > 2 s:
    theta + s^2/theta = t (the larger root); it tends to t for t >> s.

    >>> s, t = sympy.symbols("s t", positive=True)
    >>> sympy.limit(kept_outlier_threshold(s, t) / t, t, sympy.oo)
    1
    """
    th = sympy.Symbol("theta", positive=True)
    roots = sympy.solve(sympy.Eq(th + s**2 / th, t), th)
    return max(roots, key=lambda r: r.subs({s: 1, t: 3}))


def interpolation_exponent() -> sympy.Expr:
    """Exponent of d of the bulk leak d s^2 c_g delta^(7/2) at the pinned threshold
    d c_h delta^(5/2) = n_eff (E[div eta] = n), with s^2 ~ 1/n_eff and n_eff = d^a:
    (2/5)(a - 1), whatever gamma."""
    laws = edge_laws()
    e_delta = (A - 1) / laws.div_exponent          # delta = (n_eff / (c_h d))^(1/p_h)
    return sympy.expand(1 - A + laws.mse_exponent * e_delta)


def fast_exponent(gamma) -> sympy.Expr:
    """Exponent of d of s^(2 - 1/gamma) (outliers above the BBP threshold kept, hidden
    eigenvalues lost), s^2 ~ 1/n_eff."""
    from .sums import tail_order

    e_s = -A / 2
    e_k = -e_s / sympy.nsimplify(gamma)
    return sympy.expand(sympy.Max(tail_order(2 * sympy.nsimplify(gamma)).exponent * e_k,
                                  e_k + 2 * e_s))


def interpolation_onset(gamma) -> sympy.Expr:
    """a_c: for n_eff = d^a with a_c < a < 1 and lambda below the noise line the bulk leak
    (2/5)(a - 1) exceeds the outliers' s^(2 - 1/gamma); a_c = 4 gamma / (14 gamma - 5)."""
    return sympy.solve(sympy.Eq(fast_exponent(gamma), interpolation_exponent()), A)[0]
