"""State evolution of nuclear-norm matrix sensing (quadratic networks with weight decay) at
finite d, for a teacher with a given spectrum.

Problem (the convex form of the weight-decayed quadratic network, Defilippis et al. ICLR 2026,
arXiv:2509.24882, abstract; the same conventions as solvers/weight_decay.py):

    y_i = <S*, Z_i> + sqrt(Delta) xi_i,   Z_i = (x_i x_i^T - I) / sqrt(d),  x_i ~ N(0, I_d),
    S_hat = argmin_S 1/2 sum_i (y_i - <S, Z_i>)^2 + mu |S|_*,   mu = lambda sqrt(d),
    excess risk R = E_x[<S_hat - S*, Z>^2] = 2 |S_hat - S*|_F^2 / d.

Reduction to a Gaussian design. In an orthonormal basis of the D = d(d+1)/2 symmetric
matrices (Frobenius inner product) the functional x^T S x - tr S has variance 2 |S|_F^2 and
uncorrelated coordinates, so <S, Z_i> = sqrt(2/d) g_i . c(S) with g_i of unit covariance;
replacing g_i by a standard Gaussian vector is the Gaussian-universality step used for
quadratic networks by Maillard et al. and Erba, Troiani, Zdeborova, Krzakala 2025
(arXiv:2505.17958, "The Nuclear Route"). With A = G / sqrt(n) (G_ij ~ N(0, 1)) and the
rescaled unknown S' = sqrt(2 n / d) S the problem reads y = A c(S') + w,
min 1/2 |y - A c|^2 + kappa |S'|_*, kappa = lambda d / sqrt(2 n).

State evolution (approximate message passing with a non-separable denoiser: Donoho,
Johnstone, Montanari 2013, arXiv:1111.1041, and Donoho, Gavish, Montanari 2013,
arXiv:1302.2331, for singular-value soft thresholding; proof for non-separable denoisers by
Berthier, Montanari, Nguyen 2020, arXiv:1708.03950). The denoiser is the eigenvalue soft
threshold eta(X; t) = U diag(sign(s)(|s| - t)_+) U^T of a symmetric X = U diag(s) U^T (the
proximal map of t |.|_*), applied to the effective observation S'* + tau W, W = (B + B^T)/2
with B_ab ~ N(0, 1) (unit variance per orthonormal coordinate). The fixed point (tau, t) solves

    tau^2 = Delta + E |eta(S'* + tau W; t) - S'*|_F^2 / n,
    kappa = t (1 - E[div eta(S'* + tau W; t)] / n),

with div eta = sum_i f'(s_i) + sum_{i<j} (f(s_i) - f(s_j)) / (s_i - s_j) (the divergence of a
spectral function, Daleckii-Krein formula; Candes, Sing-Long, Trzasko 2013, arXiv:1210.4139
for singular-value thresholding), and the excess risk is R = tau^2 - Delta (because
E<S_hat - S*, Z>^2 = |c(S'_hat) - c(S'*)|^2 / n). The expectation over W is taken at the
finite d of the problem with ``samples`` fixed draws of W (common random numbers, so the
equations are smooth in (tau, t)); this is the finite-d evaluation of the state evolution
that Defilippis et al. conjecture to be accurate non-asymptotically (their section
"Non-asymptotic state evolution").

Plain numpy/scipy; never imports ``derive``.

>>> import numpy as np
>>> teacher = np.arange(1, 21) ** -1.0
>>> p = matrix_sensing_state_evolution(teacher, n=400, lam=0.05, noise=0.1, seed=0)
>>> bool(0 < p.risk < 2 * np.sum(teacher**2) / 20) and p.converged
True
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class MatrixSensingFixedPoint:
    """One state-evolution fixed point: the excess risk, tau, the threshold t (in S' units)
    and in eigenvalue units of S (t sqrt(d / (2n))), the mean rank of eta (the number of
    nonzero eigenvalues of the estimate), df = E[div eta] / n and whether it converged.

    With finitely many noise draws E[div eta] jumps where an eigenvalue crosses the
    threshold, so the calibration equation can only be met up to that jump:
    ``calibration_error`` is log(achieved lambda / lambda) (converged means the tau equation
    holds to 1e-6 and |calibration_error| <= CALIBRATION_TOLERANCE)."""

    n: int
    lam: float
    risk: float
    tau: float
    threshold: float
    eigenvalue_threshold: float
    rank: float
    dof_fraction: float
    converged: bool
    calibration_error: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


#: largest |log(achieved lambda / lambda)| accepted as converged (finite-sample jumps of df)
CALIBRATION_TOLERANCE = 1e-2


def symmetric_noise(d: int, samples: int, seed: int = 0) -> np.ndarray:
    """``samples`` draws of W = (B + B^T)/2, B with i.i.d. N(0, 1) entries (diagonal variance
    1, off-diagonal variance 1/2: unit variance per orthonormal coordinate)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    b = rng.standard_normal((samples, d, d))
    return (b + np.swapaxes(b, 1, 2)) / 2


def denoiser_moments(teacher_scaled: np.ndarray, tau: float, t: float, draws: np.ndarray):
    """E|eta(S'* + tau W; t) - S'*|_F^2, E[div eta] and E[rank eta] over the given draws of W,
    S'* = diag(teacher_scaled) (the eigenbasis of the teacher is immaterial: W is invariant).

    >>> w = symmetric_noise(3, 2)
    >>> mse, div, rank = denoiser_moments(np.zeros(3), 1e-12, 1.0, w)
    >>> float(mse), float(div), float(rank)
    (0.0, 0.0, 0.0)
    """
    s = np.asarray(teacher_scaled, dtype=float)
    x = tau * draws + np.diag(s)[None, :, :]
    values, vectors = np.linalg.eigh(x)
    shrunk = np.sign(values) * np.maximum(np.abs(values) - t, 0.0)
    # |U f U^T - S|^2 = |f|^2 - 2 sum_i f_i sum_a U_ai^2 s_a + |s|^2
    weights = np.einsum("mai,a->mi", vectors**2, s)
    mse = np.sum(shrunk**2, axis=1) - 2 * np.sum(shrunk * weights, axis=1) + np.sum(s**2)
    active = np.abs(values) > t
    gap = values[:, :, None] - values[:, None, :]
    jump = shrunk[:, :, None] - shrunk[:, None, :]
    same = np.abs(gap) < 1e-12
    ratio = np.where(same, 0.0, jump / np.where(same, 1.0, gap))
    iu = np.triu_indices(s.size, 1)
    pairs = ratio[:, iu[0], iu[1]]
    # coincident eigenvalues (probability zero) take the derivative limit
    coincide = same[:, iu[0], iu[1]]
    pairs = np.where(coincide, active[:, iu[0]].astype(float), pairs)
    div = active.sum(axis=1) + pairs.sum(axis=1)
    return float(np.mean(mse)), float(np.mean(div)), float(np.mean(active.sum(axis=1)))


def _residuals(log_vars, scaled, n, noise, kappa, w):
    """Both equations in the variables (log tau^2, log theta), theta = t / tau, as log-ratios
    (zero at the fixed point)."""
    if not np.all(np.abs(log_vars) < 60):          # outside any plausible fixed point
        return np.full(2, 1e3)
    tau2, theta = np.exp(log_vars)
    tau = np.sqrt(tau2)
    mse, div, _ = denoiser_moments(scaled, tau, theta * tau, w)
    second = np.log(theta * tau * (1 - div / n) / kappa) if div < n else 1e3
    return np.array([np.log((noise + mse / n) / tau2), second])


def _nested(scaled, n, noise, kappa, w):
    """Robust solve: for a ratio theta = t / tau, tau^2 solves the first equation by Brent's
    method (None when it has no finite solution: the effective degrees of freedom reach n);
    theta then solves the second equation by Brent's method, its left side increasing with
    theta on the branch df < n (as for the LASSO, Bayati-Montanari 2012)."""
    floor = np.log(noise + 1e-300) if noise > 0 else np.log(1e-30)
    top = np.log(noise + np.sum(scaled**2) / n + 1e-300)

    def gap(log_tau2, theta):
        tau = np.sqrt(np.exp(log_tau2))
        mse, _, _ = denoiser_moments(scaled, tau, theta * tau, w)
        return np.log(noise + mse / n + 1e-300) - log_tau2

    def log_tau2_of(theta):
        lo = floor
        if gap(lo, theta) <= 0:
            return lo
        hi = top
        for _ in range(12):
            if gap(hi, theta) < 0:
                return optimize.brentq(gap, lo, hi, args=(theta,), xtol=1e-11)
            lo, hi = hi, hi + 3.0
        return None

    def calibration(log_theta):
        theta = np.exp(log_theta)
        log_tau2 = log_tau2_of(theta)
        if log_tau2 is None:
            return -kappa
        tau = np.sqrt(np.exp(log_tau2))
        _, div, _ = denoiser_moments(scaled, tau, theta * tau, w)
        return theta * tau * (1 - div / n) - kappa

    lo, hi = np.log(1e-6), np.log(1e3)
    while calibration(lo) > 0 and lo > np.log(1e-300):     # lambda below theta = 1e-6
        lo -= 8.0
    log_theta = optimize.brentq(calibration, lo, hi, xtol=1e-11)
    log_tau2 = log_tau2_of(np.exp(log_theta))
    if log_tau2 is None:
        return np.array([np.inf, np.inf])
    return np.array([log_tau2, log_theta])


def _limit_threads():
    """One BLAS/LAPACK thread: the d x d eigendecompositions are small, and multithreading
    them costs more than it saves (threadpoolctl ships with scikit-learn; without it this
    is a no-op)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                                  # pragma: no cover
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1)


def matrix_sensing_state_evolution(teacher, n: int, lam: float, noise: float,
                                   samples: int = 16, seed: int = 0, start=None,
                                   noise_draws: np.ndarray | None = None
                                   ) -> MatrixSensingFixedPoint:
    """Fixed point of the state evolution for penalty lambda sqrt(d) |S|_* (module docstring).

    ``teacher`` holds the eigenvalues of S* (length d); ``samples`` draws of W (from
    SeedSequence(seed), or ``noise_draws``) average the finite-d expectations; ``start``
    (log tau^2, log theta) warm-starts a Powell hybrid solve (risk curves pass the previous
    point's); where it does not converge the nested Brent solve (_nested) is used.
    """
    s = np.asarray(teacher, dtype=float)
    d = s.size
    if n < 1 or lam <= 0 or noise < 0:
        raise ValueError("need n >= 1, lambda > 0 and noise >= 0")
    w = symmetric_noise(d, samples, seed) if noise_draws is None else noise_draws
    scaled = np.sqrt(2 * n / d) * s
    kappa = lam * d / np.sqrt(2 * n)
    with _limit_threads():
        log_vars, ok = None, False
        if start is not None:
            solution = optimize.root(_residuals, start, args=(scaled, n, noise, kappa, w),
                                     method="hybr", options={"xtol": 1e-10})
            log_vars = solution.x
            ok = bool(solution.success) and np.max(np.abs(
                _residuals(log_vars, scaled, n, noise, kappa, w))) < 1e-8
        if not ok:
            log_vars = _nested(scaled, n, noise, kappa, w)
        residual = (_residuals(log_vars, scaled, n, noise, kappa, w)
                    if np.all(np.isfinite(log_vars)) else np.full(2, np.inf))
        ok = bool(abs(residual[0]) < 1e-6 and abs(residual[1]) <= CALIBRATION_TOLERANCE)
        tau2, theta = np.exp(log_vars)
        t = theta * np.sqrt(tau2)
        _, div, rank = denoiser_moments(scaled, np.sqrt(tau2), t, w)
    return MatrixSensingFixedPoint(int(n), float(lam), float(tau2 - noise), float(np.sqrt(tau2)),
                                   float(t), float(t * np.sqrt(d / (2 * n))), float(rank),
                                   float(div / n), bool(ok), float(residual[1]))


def matrix_sensing_risk_curve(teacher, ns, lam: float, noise: float, samples: int = 16,
                              seed: int = 0) -> list[MatrixSensingFixedPoint]:
    """The state-evolution risk at every sample size in ``ns`` (fixed lambda), warm-started
    along the curve with one fixed set of noise draws (common random numbers).

    >>> import numpy as np
    >>> curve = matrix_sensing_risk_curve(np.arange(1, 11) ** -1.0, [50, 200, 800], 0.05, 0.1)
    >>> risks = [p.risk for p in curve]
    >>> risks[0] > risks[1] > risks[2] and all(p.converged for p in curve)
    True
    """
    d = np.asarray(teacher).size
    w = symmetric_noise(d, samples, seed)
    out, start = [], None
    for n in ns:
        point = matrix_sensing_state_evolution(teacher, int(n), lam, noise, start=start,
                                               noise_draws=w)
        out.append(point)
        start = (np.array([np.log(point.tau**2), np.log(point.threshold / point.tau)])
                 if point.converged else None)
    return out


def versions() -> dict:
    return {"numpy": np.__version__, "python": platform.python_version()}
