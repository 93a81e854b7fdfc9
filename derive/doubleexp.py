"""Double-exponential quadrature nodes (tanh-sinh and exp-sinh) for endpoint singularities.

Takahasi & Mori (1974): after x = c/2 (1 + tanh(pi/2 sinh t)) an integrand with algebraic or
logarithmic singularities at the ends of [0, c] decays doubly exponentially in t, and the
trapezoid rule in t converges geometrically in 1/h. Both rules return the distance of each
node to the singular end(s) computed without cancellation, so that callers can evaluate
x^(-1/2)-type factors accurately next to the end points.

>>> import numpy as np
>>> x, to_right, w = tanh_sinh(np.array([1.0]), 5)
>>> float(np.sum(w / np.sqrt(x)))          # int_0^1 x^(-1/2) dx = 2
2.0
>>> e, w = exp_sinh(np.array([1.0]), 5)
>>> round(float(np.sum(w * np.exp(-e) / np.sqrt(e))), 12)   # Gamma(1/2) = sqrt(pi)
1.772453850906
"""

from __future__ import annotations

import numpy as np

#: the t-ranges: beyond them the rules' weights times any integrable endpoint singularity of
#: order >= -1/2 contribute below 1e-17
_TANH_RANGE = 4.0
_EXP_RANGE = (-5.0, 2.4)


def _grid(low: float, high: float, level: int) -> np.ndarray:
    h = 2.0 ** -level
    return np.arange(np.ceil(low / h), np.floor(high / h) + 1) * h


def tanh_sinh(c: np.ndarray, level: int):
    """Nodes on [0, c_m] for each c_m: (x, c - x, weights), each of shape (m, n); h = 2^-level."""
    t = _grid(-_TANH_RANGE, _TANH_RANGE, level)
    u = 0.5 * np.pi * np.sinh(t)
    left = 1.0 / (1.0 + np.exp(-2 * u))   # x / c, accurate near 0
    right = 1.0 / (1.0 + np.exp(2 * u))   # (c - x) / c, accurate near c
    weight = (2.0 ** -level) * 0.5 * np.pi * np.cosh(t) / np.cosh(u) ** 2 * 0.5
    c = np.asarray(c, dtype=float)[:, None]
    return c * left, c * right, c * weight


def exp_sinh(scale: np.ndarray, level: int):
    """Nodes on [a, infinity) as offsets e = x - a (shape (m, n)) and weights, for a
    decay length ``scale`` per row; h = 2^-level."""
    t = _grid(*_EXP_RANGE, level)
    u = np.exp(0.5 * np.pi * np.sinh(t))
    weight = (2.0 ** -level) * 0.5 * np.pi * np.cosh(t) * u
    scale = np.asarray(scale, dtype=float)[:, None]
    return scale * u, scale * weight
