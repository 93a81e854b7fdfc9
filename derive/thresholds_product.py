"""Noiseless weak-recovery thresholds of monomial products y = c z_1 z_2 ... z_r, r = 2, 3.

Signs and moduli separate: with L_i = log|z_i| (independent, density f(l) = 2 phi(e^l) e^l,
smooth with exponentially decaying tails) the label's modulus is exp(sum_i L_i), and its sign
is an independent fair coin. Tilting one factor by z_1^2 = e^{2 L_1} gives

    p(y) E[z_1^2 | y]  <->  (f~ * f * ... * f)(log|y|),   f~(l) = e^{2l} f(l),

a convolution of smooth densities on the line: on a uniform grid the trapezoid sum (a
discrete convolution) converges geometrically in 1/h, and the error estimate is the change
when h halves. By the symmetries of the monomial (permuting the z_i; flipping the signs of
two of them) E[z | y] = 0 and

- r = 3: G(y) = c(y) I with c = E[z_1^2 | y] - 1 (the off-diagonal E[z_1 z_2 | y] vanishes
  under z_1, z_3 -> -z_1, -z_3), so F = E[c^2] Id and nu_1 = E_y[c(y)^2], all three
  directions at once;
- r = 2: G(y) = c(y) I + y sigma_x (E[z_1 z_2 | y] = y), and since c is even in y,
  nu_1 = E[c^2] + E[y^2] = E[c^2] + 1, with the eigen-matrices I +- sigma_x: both directions.

(Troiani et al. AISTATS 2025, arXiv:2405.15480, THEORY.md §5.) For r = 2 this is an
independent route to alpha_c(z1 z2) = 0.59375 (Defilippis et al. 2025, arXiv:2502.02545).

>>> r = product_threshold(2)
>>> round(r.alpha_c, 6), r.dimension   # 0.59375 to the published five digits
(0.593751, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

#: log-modulus grid: below L_LOW the density f(l) ~ e^l is under 1e-22; above L_HIGH the
#: Gaussian factor phi(e^l) is under 1e-300
L_LOW, L_HIGH = -50.0, 3.4
STEPS = (0.04, 0.02)


@dataclass(frozen=True)
class ProductThreshold:
    order: int
    nu_1: float
    alpha_c: float
    error_bound: float
    dimension: int
    why: str


def _convolved(h: float, order: int):
    l = np.arange(L_LOW, L_HIGH + h / 2, h)
    f = 2 * np.exp(-np.exp(2 * l) / 2 + l) / np.sqrt(2 * np.pi)
    tilted = f * np.exp(2 * l)
    plain, weighted = f, tilted
    for _ in range(order - 1):
        plain = np.convolve(plain, f) * h
        weighted = np.convolve(weighted, f) * h
    return plain, weighted


def _nu(order: int, h: float) -> tuple[float, float]:
    p, d = _convolved(h, order)
    keep = p > 1e-280
    ratio = np.where(keep, d / np.where(keep, p, 1.0), 0.0)
    c_square = float(np.sum(p[keep] * (ratio[keep] - 1) ** 2) * h)
    mass = float(np.sum(p) * h)
    return c_square, mass


def product_threshold(order: int) -> ProductThreshold:
    """alpha_c of y = z_1 ... z_order (order 2 or 3), with its error estimate."""
    if order not in (2, 3):
        raise ValueError("monomial products are implemented for r = 2, 3")
    (coarse, _), (fine, mass) = (_nu(order, h) for h in STEPS)
    error = max(abs(fine - coarse), abs(mass - 1), 1e-14)
    nu = fine + (1.0 if order == 2 else 0.0)
    alpha = 1 / nu
    why = (f"E[c(y)^2] = {fine:.12g}, c = E[z_1^2 | y] - 1"
           + (" ; nu_1 = E[c^2] + E[y^2]" if order == 2 else " ; G = c I"))
    return ProductThreshold(order, nu, alpha, alpha * error / nu * 1.01, order, why)


def product_preprocessing(order: int, h: float = STEPS[-1]):
    """y -> T*(y) = I - E[z z^T | y]^{-1} for y = z_1 ... z_order (the monomial's own scale;
    a coefficient c rescales y): with c(y) = E[z_1^2 | y] - 1 evaluated by the same trapezoid
    sums at u = log|y|, G = c I (r = 3) or c I + y sigma_x (r = 2)."""
    l = np.arange(L_LOW, L_HIGH + h / 2, h)
    f = 2 * np.exp(-np.exp(2 * l) / 2 + l) / np.sqrt(2 * np.pi)
    plain, weighted = f, f * np.exp(2 * l)
    for _ in range(order - 2):
        plain = np.convolve(plain, f) * h
        weighted = np.convolve(weighted, f) * h
    start = (order - 1) * L_LOW  # grid origin of the (order-1)-fold convolution

    def factor(u):
        # the last convolution evaluated at u exactly: sum_l conv(l) f(u - l) h
        grid = start + h * np.arange(plain.size)
        shifted = np.exp(-np.exp(2 * (u[:, None] - grid)) / 2 + (u[:, None] - grid))
        shifted *= 2 / np.sqrt(2 * np.pi)
        return (shifted @ plain) * h, (shifted @ weighted) * h

    def preprocessing(y):
        ys = np.atleast_1d(np.asarray(y, dtype=float))
        out = np.zeros((ys.size, order, order))
        nonzero = ys != 0
        p, d = factor(np.log(np.abs(ys[nonzero])))
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(p > 0, d / p - 1, 0.0)
        G = np.zeros((c.size, order, order))
        G[:, range(order), range(order)] = c[:, None]
        if order == 2:
            G[:, 0, 1] = G[:, 1, 0] = ys[nonzero]
        out[nonzero] = np.eye(order) - np.linalg.inv(np.eye(order) + G)
        return out[0] if np.ndim(y) == 0 else out

    return preprocessing


def monomial_order(expr, variables) -> int | None:
    """r when expr = c z_1 ... z_r (each used variable once), else None."""
    expr = sympy.expand(expr)
    coefficient, rest = expr.as_coeff_Mul()
    if coefficient == 0 or not coefficient.is_number:
        return None
    factors = sympy.Mul.make_args(rest)
    if sorted(map(str, factors)) != sorted(map(str, variables)) or len(factors) != len(variables):
        return None
    return len(variables)


__all__ = ["ProductThreshold", "monomial_order", "product_preprocessing", "product_threshold"]
