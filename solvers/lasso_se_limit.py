"""LASSO state evolution for a power-law teacher at large d (d = 1e6 ... 1e12 in milliseconds).

Same problem, conventions and equations as solvers/lasso_se.py (Bayati, Montanari 2012,
arXiv:1008.2581; teacher theta*_k = k^-gamma, k = 1..d, penalty lambda sqrt(d) |theta|_1,
noise Delta), but the empirical average over the d teacher coordinates is replaced by a
weighted one: the first ``head`` coordinates exactly, the rest
sum_{k=head+1}^{d} f(k^-gamma) by composite Gauss-Legendre quadrature in log k
(Euler-Maclaurin: the sum is the integral over [head + 1/2, d + 1/2] up to O(f''), which is
negligible once k^-gamma varies slowly, i.e. for head >~ 100). Every per-coordinate average
is then O(head + nodes) instead of O(d). Plain numpy/scipy; never imports ``derive``.

Also the exact pure-noise value at lambda = 0 (minimum-l1 interpolation of pure noise, the
basis-pursuit fixed point): with 2 Phi(-alpha) = delta and
m(alpha) = E[eta(Z; alpha)^2] = 2 ((1 + alpha^2) Phi(-alpha) - alpha phi(alpha)),
R0 = Delta m / (delta - m) ~ Delta / log(1/delta) as delta = n/d -> 0
(the min-l1 interpolator's risk sigma^2 / log(d/n): Wang, Donhauser, Yang, AISTATS 2022,
arXiv:2111.05987, Theorem 1).

>>> fp = lasso_state_evolution_limit(1.0, d=10**20, n=10**10, lam=0.0, noise=1.0)
>>> round(fp.risk, 4), round(pure_noise_interpolation_risk(1e-10, 1.0), 4)
(0.045, 0.0449)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .lasso_se import calibrate


@dataclass(frozen=True)
class WeightedTeacher:
    values: np.ndarray    # teacher coordinates theta*_k (representatives)
    weights: np.ndarray   # how many coordinates each stands for (sums to d)

    @property
    def d(self) -> float:
        return float(self.weights.sum())


def power_law_teacher(gamma: float, d: int, head: int = 400, panels: int = 96,
                      order: int = 8) -> WeightedTeacher:
    """theta*_k = k^-gamma, k = 1..d: ``head`` coordinates exactly, the rest by
    Gauss-Legendre in log k over [head + 1/2, d + 1/2] (weights k du sum to d - head)."""
    d = int(d)
    head = min(head, d)
    ks = np.arange(1, head + 1, dtype=float)
    values, weights = [ks**-gamma], [np.ones(head)]
    if d > head:
        x, w = np.polynomial.legendre.leggauss(order)
        edges = np.linspace(np.log(head + 0.5), np.log(d + 0.5), panels + 1)
        mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
        u = (mid[:, None] + half[:, None] * x[None, :]).ravel()
        wu = (half[:, None] * w[None, :]).ravel()
        k = np.exp(u)
        values.append(k**-gamma)
        weights.append(wu * k)
    return WeightedTeacher(np.concatenate(values), np.concatenate(weights))


@dataclass(frozen=True)
class LimitFixedPoint:
    risk: float
    tau: float
    alpha: float
    threshold: float      # alpha tau / sqrt(n), theta units
    active: float         # expected number of active coordinates
    converged: bool


def lasso_state_evolution_limit(gamma_or_teacher, d: float, n: float, lam: float,
                                noise: float) -> LimitFixedPoint:
    """Fixed point of the LASSO state evolution (lasso_se.lasso_state_evolution's equations,
    solved by the same :func:`solvers.lasso_se.calibrate`) for the teacher k^-gamma (a
    number) or a WeightedTeacher, at any d.

    lam = 0 gives the minimum-l1 interpolator (n < d) / least squares (n > d) limit.
    """
    teacher = (gamma_or_teacher if isinstance(gamma_or_teacher, WeightedTeacher)
               else power_law_teacher(float(gamma_or_teacher), int(d)))
    d = teacher.d
    fit = calibrate(np.sqrt(n) * teacher.values, teacher.weights, n / d, noise,
                    lam * np.sqrt(d / n))
    tau = np.sqrt(fit.tau2)
    return LimitFixedPoint(float(fit.tau2 - noise), float(tau), fit.alpha,
                           float(fit.alpha * tau / np.sqrt(n)), float(fit.active_fraction * d),
                           fit.converged)


def pure_noise_interpolation_risk(delta: float, noise: float) -> float:
    """R0 = Delta m/(delta - m), 2 Phi(-alpha) = delta, m = E[eta(Z; alpha)^2]: the lambda = 0
    fixed point with a zero teacher (delta < 1).

    >>> round(pure_noise_interpolation_risk(0.01, 1.0), 4)
    0.2281
    """
    if not 0 < delta < 1:
        raise ValueError("delta = n/d must lie in (0, 1)")
    alpha = -special.ndtri(delta / 2)
    phi = np.exp(-alpha**2 / 2) / np.sqrt(2 * np.pi)
    m = 2 * ((1 + alpha**2) * special.ndtr(-alpha) - alpha * phi)
    return float(noise * m / (delta - m))
