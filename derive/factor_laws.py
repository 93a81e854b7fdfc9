"""The signed log-modulus law of a one-variable factor u = f(z), z ~ N(0, 1), with tilts.

A product of functions of disjoint variables, y = f_1(z_1) ... f_k(z_k), has
log|y| = sum_i log|f_i(z_i)| with independent terms and sign(y) = prod_i sign(f_i(z_i)): its
law, tilted by any product of functions of the separate z_i, is a convolution of the
factors' laws in l = log|u| (:mod:`derive.thresholds_factored`). This module gives one
factor's law on a uniform l-grid: for each sign s of u and each tilt t(z) in (1, z, z^2),

    D_s^t(l) = sum over the roots z of log|f(z)| = l with sign f(z) = s of
               t(z) phi(z) |f(z) / f'(z)|,

(the density of l = log|u| on {sign u = s}, weighted by t), and the exact moments
E[(1, z, z^2) 1{f(z) = 0}] of the zero set of f when it has positive length (an atom of the
product at y = 0, e.g. relu(z^2 - 1) on |z| <= 1).

The structure of f comes from a scan of f and f' (sympy's exact derivative) on |z| <= Z_MAX
(the Gaussian mass beyond is below 2e-23): f is cut into runs where f has one sign and |f|
is strictly monotone, with run ends at the zeros of f (refined by bisection to machine
precision). Inside a run l -> z(l) is found by bisection, so D is smooth in l and decays at
both ends of the run's range (like e^{l/m} at a zero of order m, like the Gaussian at the
far end): the trapezoid sums of the convolution converge geometrically in 1/h. A critical
point of f with a nonzero value (z^2 - 1 at 0) or a constant piece with a nonzero value
(max(z, 1)) would give D an integrable singularity or a point mass at a finite l, which
these sums do not integrate: such a factor is declined with the reason.

>>> import sympy
>>> z = sympy.Symbol("z", real=True)
>>> law = factor_law(factor_pieces(sympy.Max(0, z**2 - 1), z), 0.02)
>>> round(float(law.atom[0]), 12)        # P(|z| <= 1) = erf(1/sqrt 2)
0.682689492137
>>> round(float(law.total()[0]), 12)      # the continuous part and the atom: mass 1
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy
from scipy.special import ndtr

#: the scan and the runs cover |z| <= Z_MAX (Gaussian mass beyond: 1.5e-23)
Z_MAX = 10.0
SCAN_POINTS = 40001
#: the l-grid starts where every run's density is below TAIL_RATIO times its peak
TAIL_RATIO = 1e-18
L_PROBE, L_FLOOR = -40.0, -800.0
#: a local minimum of |f| below this (relative to max |f|) is a zero touched, not a
#: critical value
TOUCH = 1e-30


_JUMPS = (sympy.sign, sympy.Heaviside, sympy.floor, sympy.ceiling, sympy.Piecewise, sympy.Mod,
          sympy.frac)


class FactorDeclined(ValueError):
    """f has a structure the log-modulus sums do not integrate (the message says which)."""


@dataclass(frozen=True)
class FactorPieces:
    """The runs (z_left, z_right, sign of f, direction of |f|: +1 increasing in z) and the
    zero intervals (a, b) of f on |z| <= Z_MAX (a = -inf / b = +inf at the ends)."""

    f: object
    derivative: object
    runs: tuple
    zero_intervals: tuple
    text: str


def _numeric(expr, z):
    function = sympy.lambdify(z, expr, modules=["numpy", "scipy"])

    def evaluate(x):
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(function(x), dtype=float), np.shape(x)).copy()

    return evaluate


def _bisect(predicate, inside, outside, steps: int = 80):
    """The boundary between a point where ``predicate`` holds and one where it does not."""
    for _ in range(steps):
        mid = 0.5 * (inside + outside)
        if mid in (inside, outside):
            break
        if predicate(mid):
            inside = mid
        else:
            outside = mid
    return inside


def factor_pieces(expr, z) -> FactorPieces:
    """Runs and zero intervals of u = expr(z) (module docstring); raises
    :class:`FactorDeclined` for a factor with a critical point or a constant piece at a
    nonzero value, or one that is not finite."""
    expr = sympy.sympify(expr)
    text = str(expr)
    if expr.has(*_JUMPS):
        raise FactorDeclined(f"{text}: a jump (its constant pieces are point masses in l)")
    derivative = sympy.diff(expr, z)
    if derivative.has(sympy.Derivative, sympy.Subs, sympy.DiracDelta):
        raise FactorDeclined(f"{text}: no closed-form derivative")
    f, df = _numeric(expr, z), _numeric(derivative, z)
    zs = np.linspace(-Z_MAX, Z_MAX, SCAN_POINTS)
    try:
        fv, dv = f(zs), df(zs)
    except (NameError, TypeError, ValueError) as exc:
        raise FactorDeclined(f"{text}: not evaluable in numpy ({exc})") from None
    if not (np.all(np.isfinite(fv)) and np.all(np.isfinite(dv))):
        raise FactorDeclined(f"{text}: not finite on |z| <= {Z_MAX:g}")
    scale = float(np.max(np.abs(fv)))
    if scale == 0:
        raise FactorDeclined(f"{text}: identically 0")
    sign = np.sign(fv)
    slope = np.sign(fv * dv)          # direction of |f|; 0 where f or f' vanishes
    if np.any((sign != 0) & (slope == 0)):
        at = float(zs[np.argmax((sign != 0) & (slope == 0))])
        raise FactorDeclined(f"{text}: f' = 0 at z = {at:.6g} where f != 0 (a critical or "
                             "constant value away from 0)")
    zero_intervals = _zero_intervals(f, zs, sign)
    runs = []
    i = 0
    n = zs.size
    while i < n:
        if sign[i] == 0:
            i += 1
            continue
        j = i
        while j + 1 < n and sign[j + 1] == sign[i] and slope[j + 1] == slope[i]:
            j += 1
        s, direction = int(sign[i]), int(slope[i])

        def member(x, s=s, direction=direction):
            value, d = f(np.array([x]))[0], df(np.array([x]))[0]
            return np.sign(value) == s and np.sign(value * d) == direction

        left = -Z_MAX if i == 0 else _bisect(member, zs[i], zs[i - 1])
        right = Z_MAX if j == n - 1 else _bisect(member, zs[j], zs[j + 1])
        # where the run ends inside the scan, |f| must go to 0 there (a zero or a sign
        # change of f), else the end is a critical value of |f|
        for end, inner, outer, edge in ((left, i, i - 1, i == 0), (right, j, j + 1, j == n - 1)):
            if edge or sign[outer] == 0 or sign[outer] != s:
                continue
            value = abs(f(np.array([end]))[0])
            if value > TOUCH * scale:
                raise FactorDeclined(f"{text}: |f| has a critical value {value:.6g} != 0 at "
                                     f"z = {end:.6g}")
        runs.append((float(left), float(right), s, direction))
        i = j + 1
    return FactorPieces(f, df, tuple(runs), zero_intervals, text)


def _zero_intervals(f, zs, sign) -> tuple:
    """Stretches of at least two scan points where f is exactly 0, ends refined."""
    out = []
    zero = sign == 0
    i, n = 0, zs.size
    while i < n:
        if not zero[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and zero[j + 1]:
            j += 1
        if j > i:

            def vanishes(x):
                return f(np.array([x]))[0] == 0

            a = -np.inf if i == 0 else _bisect(vanishes, zs[i], zs[i - 1])
            b = np.inf if j == n - 1 else _bisect(vanishes, zs[j], zs[j + 1])
            out.append((float(a), float(b)))
        i = j + 1
    return tuple(out)


def _gaussian_moments(a: float, b: float) -> np.ndarray:
    """E[(1, z, z^2) 1{a < z < b}] in closed form."""
    pdf = lambda x: 0.0 if np.isinf(x) else np.exp(-x * x / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    edge = lambda x: 0.0 if np.isinf(x) else x * pdf(x)  # noqa: E731
    m0 = float(ndtr(b) - ndtr(a))
    return np.array([m0, pdf(a) - pdf(b), m0 + edge(a) - edge(b)])


@dataclass(frozen=True)
class FactorLaw:
    """D_s^t on the grid l_i = start + h i (``positive`` / ``negative``: rows t = 1, z, z^2)
    and the zero set's exact moments ``atom`` = E[(1, z, z^2) 1{f = 0}]."""

    start: float
    h: float
    positive: np.ndarray
    negative: np.ndarray
    atom: np.ndarray

    def total(self) -> np.ndarray:
        """E[(1, z, z^2)] by the trapezoid sums and the atom (1, 0, 1 exactly)."""
        return self.h * (self.positive.sum(axis=1) + self.negative.sum(axis=1)) + self.atom


def _invert(pieces: FactorPieces, run, ls):
    """z(l) on the run for the labels ls: log|f(z)| = l by bisection between the run's zero
    end (log|f| = -inf) and its far end (log|f| >= l), to the last bit of z."""
    left, right, s, direction = run
    f = pieces.f
    lo = np.full(ls.shape, left if direction > 0 else right)
    hi = np.full(ls.shape, right if direction > 0 else left)
    for _ in range(90):
        mid = 0.5 * (lo + hi)
        value = f(mid)
        with np.errstate(divide="ignore"):
            logs = np.where(np.sign(value) == s, np.log(np.abs(value)), -np.inf)
        below = logs < ls
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _density(pieces: FactorPieces, run, ls):
    """t(z) phi(z) |f / f'| at z = z(l), with |f(z)| = e^l by construction: near a simple
    zero z0 != 0 the computed f(z) is quantised (z - z0 is a few ulps) but z and f'(z) are
    not, so e^l / |f'(z)| keeps the density's relative accuracy."""
    z = _invert(pieces, run, ls)
    d = pieces.derivative(z)
    with np.errstate(all="ignore"):
        weight = np.exp(-z * z / 2 + ls) / np.sqrt(2 * np.pi) / np.abs(d)
    weight = np.where(np.isfinite(weight), weight, 0.0)
    return np.stack([weight, weight * z, weight * z * z])


def _run_top(pieces: FactorPieces, run) -> float:
    left, right, _, direction = run
    far = right if direction > 0 else left
    return float(np.log(abs(pieces.f(np.array([far]))[0])))


def _run_bottom(pieces: FactorPieces, run, top: float) -> float:
    """Where the run's density falls below TAIL_RATIO of its peak (it decays like e^{l/m}
    towards the zero of f, with m the zero's order)."""
    probe = np.linspace(min(L_PROBE, top - 1.0), top, 400)
    density = _density(pieces, run, probe)[0]
    peak = float(np.max(density))
    if peak == 0 or density[0] <= TAIL_RATIO * peak:
        return float(probe[0])
    upper = _density(pieces, run, np.array([probe[0] + 10.0]))[0, 0]
    rate = np.log(upper / density[0]) / 10.0 if upper > density[0] > 0 else 0.0
    if rate <= 0:
        return L_FLOOR
    return max(L_FLOOR, float(probe[0] - (np.log(density[0] / peak) - np.log(TAIL_RATIO)) / rate))


def factor_law(pieces: FactorPieces, h: float) -> FactorLaw:
    """The factor's D_s^t on a uniform l-grid of step h (module docstring)."""
    tops = [_run_top(pieces, run) for run in pieces.runs]
    if not tops:
        atom = sum((_gaussian_moments(a, b) for a, b in pieces.zero_intervals), np.zeros(3))
        return FactorLaw(0.0, h, np.zeros((3, 1)), np.zeros((3, 1)), atom)
    bottom = min(_run_bottom(pieces, run, top) for run, top in zip(pieces.runs, tops))
    start = h * np.floor(bottom / h)
    ls = start + h * np.arange(int(np.ceil((max(tops) - start) / h)) + 2)
    positive, negative = np.zeros((3, ls.size)), np.zeros((3, ls.size))
    for run, top in zip(pieces.runs, tops):
        inside = ls <= top
        target = positive if run[2] > 0 else negative
        target[:, inside] += _density(pieces, run, ls[inside])
    atom = sum((_gaussian_moments(a, b) for a, b in pieces.zero_intervals), np.zeros(3))
    return FactorLaw(float(start), h, positive, negative, atom)


__all__ = ["FactorDeclined", "FactorLaw", "FactorPieces", "factor_law", "factor_pieces"]
