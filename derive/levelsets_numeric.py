"""Double-precision conditional moments of a polynomial link, vectorised over many links.

For y = h(t), t ~ N(0, 1), h a real polynomial, the label y determines t up to the roots
t_i(y) of h(t) = y, weighted by w_i = phi(t_i) / |h'(t_i)| (the level-set formula of
THEORY.md §3). The two quantities the weak-recovery analysis needs are

    A1 = E_y[ E[t | y]^2 ],   A2 = E_y[ (E[t^2 | y] - 1)^2 ]

(A1 > 0: the direction is trivially learned; otherwise alpha_c = 1/A2, Troiani et al. 2025).
As in derive.levelsets, the integral over y on a label cell is written on one reference
branch r, int (sum_i a_i u_i)^2 / sum_i u_i dt_r with u_i = phi(t_i) |h'(t_r)| / |h'(t_i)|, whose
only singularities (1/sqrt, where another branch meets a critical point) sit at the ends of
the sub-interval; composite Gauss-Legendre panels graded towards both ends integrate them.
The error estimate is the change when every panel's order doubles.

This is the fast, float counterpart of derive.levelsets (which works in mpmath with
certificates): the grand staircase evaluates it for each node of an outer quadrature.

>>> import numpy as np
>>> a1, a2, err = conditional_square_moments(np.array([1.0, 0.0, 0.0]))  # h(t) = t^2
>>> round(a1, 12), round(a2, 10)   # E[t^2|y] = y: E[(t^2 - 1)^2] = 2 exactly
(0.0, 2.0)
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

#: |t| <= T_MAX: the Gaussian mass beyond is below 1e-32
T_MAX = 12.0
_GRADING = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10)


def _real_roots(coefficients: np.ndarray, lower: float, upper: float) -> list[float]:
    coefficients = np.trim_zeros(coefficients, "f")
    if coefficients.size <= 1:
        return []
    roots = np.roots(coefficients)
    scale = max(1.0, float(np.max(np.abs(roots)))) if roots.size else 1.0
    real = sorted(float(r.real) for r in roots if abs(r.imag) <= 1e-9 * scale)
    return [r for r in real if lower < r < upper]


def _graded_panels(a: float, b: float) -> np.ndarray:
    """Panel edges on [a, b], geometric towards both ends."""
    length = b - a
    cuts = {a, b}
    for g in _GRADING:
        cuts.add(a + g * length)
        cuts.add(b - g * length)
    for k in range(1, 8):
        cuts.add(a + k * length / 8)
    return np.array(sorted(cuts))


def _nodes(a: float, b: float, order: int):
    edges = _graded_panels(a, b)
    x, w = np.polynomial.legendre.leggauss(order)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()


def refine_sign_changes(function, a, b, fa, iterations: int = 100):
    """Vectorised bisection of the brackets [a_i, b_i] on which the vectorised ``function``
    changes sign (``fa``: its values at a_i); a midpoint where it is exactly 0 closes its
    bracket. Returns the midpoints of the final brackets.

    >>> import numpy as np
    >>> found = refine_sign_changes(np.cos, [1.0, 4.0], [2.0, 5.0], np.cos([1.0, 4.0]))
    >>> bool(np.allclose(found, [np.pi / 2, 3 * np.pi / 2], rtol=0, atol=1e-14))
    True
    """
    a = np.array(a, dtype=float)
    b = np.array(b, dtype=float)
    sign_a = np.sign(np.asarray(fa, dtype=float))
    for _ in range(iterations):
        m = 0.5 * (a + b)
        with np.errstate(all="ignore"):
            sign_m = np.sign(np.broadcast_to(np.asarray(function(m), dtype=float), m.shape))
        zero = sign_m == 0
        left = sign_m == sign_a
        a = np.where(zero | left, m, a)
        b = np.where(zero | ~left, m, b)
    return 0.5 * (a + b)


def invert_monotone(value, slope, lo, hi, increasing, y):
    """Vectorised bisection-safeguarded Newton for value(t) = y on a branch (lo, hi) where
    value is monotone (``increasing`` or not), ``slope`` its derivative; every y in the
    branch's range. Stops when no Newton step moves or the bracket has collapsed (Newton is
    only linear next to a critical point).

    >>> import numpy as np
    >>> invert_monotone(lambda t: t**3, lambda t: 3 * t**2, 0.0, 2.0, True, np.array([1.0, 8.0]))
    array([1., 2.])
    """
    sign = 1.0 if increasing else -1.0
    a = np.full_like(y, lo)
    b = np.full_like(y, hi)
    t = 0.5 * (a + b)
    for _ in range(200):
        with np.errstate(all="ignore"):
            g = sign * (np.asarray(value(t), dtype=float) - y)
            a = np.where(g < 0, t, a)
            b = np.where(g > 0, t, b)
            newton = t - g / (sign * np.asarray(slope(t), dtype=float))
        inside = (newton > a) & (newton < b) & np.isfinite(newton)
        new = np.where(inside, newton, 0.5 * (a + b))
        tolerance = 1e-15 * np.maximum(1.0, np.abs(t))
        if np.all((np.abs(new - t) <= tolerance) | (b - a <= 4 * tolerance)):
            return new
        t = new
    return t


def _solve_on_branch(coefficients, derivative, lo, hi, increasing, y):
    """h(t) = y on the monotone branch (lo, hi) of the polynomial h (:func:`invert_monotone`)."""
    return invert_monotone(lambda t: np.polyval(coefficients, t),
                           lambda t: np.polyval(derivative, t), lo, hi, increasing, y)


def _moments(coefficients: np.ndarray, order: int) -> tuple[float, float]:
    coefficients = np.trim_zeros(np.asarray(coefficients, dtype=float), "f")
    if coefficients.size <= 1:
        return 0.0, 0.0  # constant link: y says nothing, E[t|y] = 0 and E[t^2|y] = 1
    derivative = np.polyder(coefficients)
    points = [-T_MAX, *_real_roots(derivative, -T_MAX, T_MAX), T_MAX]
    branches = []
    for lo, hi in pairwise(points):
        ylo, yhi = np.polyval(coefficients, lo), np.polyval(coefficients, hi)
        branches.append((lo, hi, yhi > ylo, min(ylo, yhi), max(ylo, yhi)))
    ends = sorted({b[3] for b in branches} | {b[4] for b in branches})
    a1 = a2 = 0.0
    for u, v in pairwise(ends):
        if v - u <= 1e-14 * max(1.0, abs(u), abs(v)):
            continue
        active = [b for b in branches if b[3] <= u + 1e-12 * max(1, abs(u))
                  and b[4] >= v - 1e-12 * max(1, abs(v))]
        if not active:
            continue
        ref = active[0]
        # the reference branch's sub-interval mapping onto the label cell (u, v)
        end_lo = _solve_on_branch(coefficients, derivative, ref[0], ref[1], ref[2],
                                  np.array([u if ref[2] else v]))[0]
        end_hi = _solve_on_branch(coefficients, derivative, ref[0], ref[1], ref[2],
                                  np.array([v if ref[2] else u]))[0]
        t_ref, weight = _nodes(end_lo, end_hi, order)
        y = np.polyval(coefficients, t_ref)
        slope_ref = np.abs(np.polyval(derivative, t_ref))
        total = np.exp(-t_ref**2 / 2)
        first = t_ref * total
        second = (t_ref**2 - 1) * total
        for other in active[1:]:
            t = _solve_on_branch(coefficients, derivative, other[0], other[1], other[2], y)
            with np.errstate(divide="ignore", invalid="ignore"):
                u_i = np.exp(-t**2 / 2) * slope_ref / np.abs(np.polyval(derivative, t))
            u_i = np.where(np.isfinite(u_i), u_i, 0.0)
            total = total + u_i
            first = first + t * u_i
            second = second + (t**2 - 1) * u_i
        keep = total > 0
        norm = weight[keep] / np.sqrt(2 * np.pi)
        a1 += float(np.sum(norm * first[keep] ** 2 / total[keep]))
        a2 += float(np.sum(norm * second[keep] ** 2 / total[keep]))
    return a1, a2


def conditional_square_moments(coefficients) -> tuple[float, float, float]:
    """(A1, A2, error estimate) for the polynomial with ``coefficients`` (highest first)."""
    coarse = _moments(coefficients, 10)
    fine = _moments(coefficients, 20)
    error = max(abs(fine[0] - coarse[0]), abs(fine[1] - coarse[1]), 1e-14)
    return fine[0], fine[1], error
