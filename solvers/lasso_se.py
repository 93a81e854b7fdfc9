"""LASSO state evolution at finite d for a deterministic (power-law) teacher, and LASSO by
scikit-learn (an optional extra) for the same problem.

Problem (diagonal two-layer network with weight decay, Defilippis et al. ICLR 2026,
arXiv:2509.24882: theta = a * w / sqrt(d) and (lambda/2)(|a|^2 + |w|^2) >= lambda sqrt(d)
|theta|_1 with equality at the optimum):

    y = X theta* + sqrt(Delta) xi,  X in R^{n x d} with N(0, 1) entries,
    theta_hat = argmin 1/2 |y - X theta|^2 + lambda sqrt(d) |theta|_1,
    excess risk R = E_x[(x . (theta_hat - theta*))^2] = |theta_hat - theta*|^2.

State evolution (Bayati, Montanari 2012, arXiv:1008.2581, in their normalisation
A = X / sqrt(n), x0 = sqrt(n) theta*, penalty lambda_BM = lambda sqrt(d / n), delta = n/d):

    tau^2 = Delta + (1/delta) E[(eta(X0 + tau Z; alpha tau) - X0)^2],
    lambda_BM = alpha tau (1 - (1/delta) E[eta'(X0 + tau Z; alpha tau)]),

with eta the soft threshold, X0 uniform over the d teacher coordinates (the finite-d
empirical law) and the Gaussian average done in closed form. The risk is then
R = tau^2 - Delta. Plain numpy/scipy; never imports ``derive``.

>>> import numpy as np
>>> teacher = np.arange(1, 201) ** -1.0
>>> round(lasso_state_evolution(teacher, n=400, lam=0.5, noise=0.1).risk, 4) > 0
True
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special


@dataclass(frozen=True)
class LassoFixedPoint:
    risk: float           # |theta_hat - theta*|^2
    tau: float
    alpha: float          # threshold / tau
    threshold: float      # soft threshold in theta units: alpha tau / sqrt(n)
    active_fraction: float
    converged: bool


def _phi(u):
    return np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)


def _Phi(u):
    return special.ndtr(u)


def soft_threshold_mse(x0: np.ndarray, tau: float, t: float):
    """E[(eta(x0 + tau Z; t) - x0)^2] and P(|x0 + tau Z| > t), Z ~ N(0, 1), in closed form."""
    upper = (t - x0) / tau
    lower = (-t - x0) / tau
    q_upper = _Phi(-upper)          # not 1 - Phi(upper): exact far in the upper tail
    p_lower = _Phi(lower)
    above = (tau**2 * (upper * _phi(upper) + q_upper) - 2 * t * tau * _phi(upper)
             + t**2 * q_upper)
    below = (tau**2 * (p_lower - lower * _phi(lower)) - 2 * t * tau * _phi(lower)
             + t**2 * p_lower)
    middle = x0**2 * (_Phi(upper) - p_lower)
    return above + below + middle, q_upper + p_lower


@dataclass(frozen=True)
class Calibration:
    """The solved state evolution for one (n, lambda): tau^2, alpha (threshold / tau), the
    weighted active fraction E[P(|X0 + tau Z| > alpha tau)], and whether lambda was met."""

    tau2: float
    alpha: float
    active_fraction: float
    converged: bool


def _averages(x0, weights, tau, t):
    """Weighted means over the teacher coordinates (weights sum to d) of the soft-threshold
    MSE and of the activity probability."""
    mse, active = soft_threshold_mse(x0, tau, t)
    d = float(np.sum(weights))
    return float(weights @ mse) / d, float(weights @ active) / d


def _tau_squared(x0, weights, delta, noise, alpha):
    """Largest fixed point of tau^2 = Delta + mse(alpha tau, tau) / delta."""
    second = float(weights @ x0**2) / float(np.sum(weights))

    def gap(tau2):
        tau = np.sqrt(tau2)
        return noise + _averages(x0, weights, tau, alpha * tau)[0] / delta - tau2

    high = max(noise, second / delta, 1e-12) * 4 + 1.0
    while gap(high) > 0:
        high *= 4
        if high > 1e30:
            return np.inf
    low = high / 2
    while gap(low) < 0:
        low /= 2
        if low < 1e-300:
            return 0.0
    return optimize.brentq(gap, low, high, xtol=1e-300, rtol=1e-13, maxiter=300)


def calibrate(x0, weights, delta: float, noise: float, target: float) -> Calibration:
    """Solve the state evolution for the Bayati-Montanari penalty ``target`` = lambda_BM.

    ``x0`` are the (scaled) teacher values and ``weights`` how many coordinates each stands
    for (all ones for the finite-d empirical law; quadrature weights in lasso_se_limit). The
    calibration alpha -> lambda_BM is monotone on the branch where (1/delta) E[eta'] < 1
    (Bayati-Montanari); it is inverted by bisection in log alpha. For delta <= 1 the branch
    starts at alpha_min, where the active set fills the n equations; lambda_BM at or below
    the branch's start gives alpha_min (the minimum-l1 interpolator for lambda = 0). The
    upper end of the bracket grows until it passes the target (above the noise line alpha is
    a power of d, so no fixed cap).
    """
    x0 = np.asarray(x0, dtype=float)
    weights = np.asarray(weights, dtype=float)

    def calibrated(alpha):
        tau2 = _tau_squared(x0, weights, delta, noise, alpha)
        if not np.isfinite(tau2) or tau2 == 0:
            return tau2, np.nan, 0.0
        tau = np.sqrt(tau2)
        fraction = _averages(x0, weights, tau, alpha * tau)[1]
        return tau2, alpha * tau * (1 - fraction / delta), fraction

    low = 1e-8
    if delta <= 1:
        def excess(log_alpha):
            tau2 = _tau_squared(x0, weights, delta, noise, np.exp(log_alpha))
            if not np.isfinite(tau2) or tau2 == 0:   # no finite fixed point below alpha_min
                return 1.0
            tau = np.sqrt(tau2)
            return _averages(x0, weights, tau, np.exp(log_alpha) * tau)[1] / delta - 1
        lo, hi = np.log(1e-8), np.log(50.0)
        if excess(lo) > 0:
            lo = optimize.brentq(excess, lo, hi, xtol=1e-13)
        low = np.exp(lo) * (1 + 1e-10)
    high = 50.0
    while calibrated(high)[1] < target and high < 1e150:
        high *= 16
    lo, hi = np.log(low), np.log(high)
    if not target > calibrated(low)[1]:          # lambda below the branch: the lowest alpha
        alpha = low
    else:
        for _ in range(400):
            mid = 0.5 * (lo + hi)
            if calibrated(np.exp(mid))[1] < target:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-12:
                break
        alpha = np.exp(0.5 * (lo + hi))
    tau2, achieved, fraction = calibrated(alpha)
    converged = bool(np.isfinite(tau2)) and (
        alpha == low or abs(achieved - target) <= 1e-6 * max(target, 1e-300))
    return Calibration(float(tau2), float(alpha), float(fraction), converged)


def lasso_state_evolution(teacher, n: int, lam: float, noise: float) -> LassoFixedPoint:
    """Fixed point of the LASSO state evolution for penalty lambda sqrt(d) |theta|_1, with
    the finite-d empirical law of the teacher ``teacher`` = theta* (length d); solved by
    :func:`calibrate`."""
    theta = np.asarray(teacher, dtype=float)
    d = theta.size
    fit = calibrate(np.sqrt(n) * theta, np.ones(d), n / d, noise, lam * np.sqrt(d / n))
    tau = np.sqrt(fit.tau2)
    return LassoFixedPoint(float(fit.tau2 - noise), float(tau), fit.alpha,
                           float(fit.alpha * tau / np.sqrt(n)), fit.active_fraction,
                           fit.converged)


def lasso_risk_curve(teacher, ns, lam: float, noise: float) -> list[LassoFixedPoint]:
    """The state-evolution risk at every sample size in ``ns`` (fixed lambda)."""
    return [lasso_state_evolution(teacher, int(n), lam, noise) for n in ns]


def lasso_simulation(teacher, n: int, lam: float, noise: float, seed: int = 0,
                     replicas: int = 1, tol: float = 1e-8) -> dict:
    """LASSO on sampled data by scikit-learn (optional extra), replicas from SeedSequence.

    scikit-learn minimises (1/(2n)) |y - X w|^2 + a |w|_1, so a = lambda sqrt(d) / n.
    Returns the mean and standard error of the excess risk and the estimates.
    """
    from sklearn.linear_model import Lasso  # optional extra: only the simulation needs it

    theta = np.asarray(teacher, dtype=float)
    d = theta.size
    risks, estimates = [], []
    for stream in np.random.SeedSequence(seed).spawn(replicas):
        rng = np.random.default_rng(stream)
        x = rng.standard_normal((n, d))
        y = x @ theta + np.sqrt(noise) * rng.standard_normal(n)
        model = Lasso(alpha=lam * np.sqrt(d) / n, fit_intercept=False, tol=tol,
                      max_iter=100000)
        model.fit(x, y)
        estimates.append(model.coef_.copy())
        risks.append(float(np.sum((model.coef_ - theta) ** 2)))
    risks = np.asarray(risks)
    import sklearn
    return {"risk": float(risks.mean()),
            "stderr": float(risks.std(ddof=1) / np.sqrt(replicas)) if replicas > 1 else np.nan,
            "risks": risks.tolist(), "estimates": np.asarray(estimates), "seed": seed,
            "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__,
                         "python": platform.python_version()},
            "backend": "scikit-learn"}
