"""Large-d limit of the nuclear-norm matrix-sensing state evolution (solvers/matrix_sensing_se.py)
for a teacher with a decaying spectrum: a semicircle bulk plus BBP outliers.

The effective observation of the state evolution is S* + s H (eigenvalue units of the
teacher; H a GOE matrix with spectrum [-2, 2]; in the finite-d solver's notation
s = tau d / (2 sqrt(n))). When the number of teacher eigenvalues
above s is o(d), the spectral law of S* is concentrated at 0 on the scale s, so the bulk of
S* + s H is the semicircle of radius 2 s (free additive convolution with a point mass), and a
teacher eigenvalue theta > s produces an outlier at theta + s^2/theta whose eigenvector has
squared overlap 1 - s^2/theta^2 with the teacher's (Baik, Ben Arous, Peche 2005; Peche 2006;
Benaych-Georges, Nadakuditi 2011, arXiv:0910.2120); eigenvalues theta <= s are hidden in the
bulk (lost: they cost theta^2). The eigenvalue soft threshold at t = u s then gives, with
rho the semicircle density on [-2, 2] and f(x) = sign(x) (|x| - u)_+,

    |eta - S*|_F^2 = sum_{outliers kept} [(lambda_k - t - theta_k)^2 + 2 (lambda_k - t) s^2/theta_k]
                     + sum_{theta_k killed or hidden} theta_k^2 + d s^2 int f^2 rho,
    div eta = sum_{outliers kept} [1 + d int (f(l_k) - f(y)) / (l_k - y) rho(y) dy]
              + (d^2/2) int int (f(x) - f(y)) / (x - y) rho(x) rho(y) dx dy

(l_k = lambda_k / s; terms O(d) in the divergence and O(s^2) in the error, e.g. the bulk's
own derivatives sum_i f'(x_i) and its eigenvectors' overlap with hidden eigenvalues, are
dropped: they vanish relative to the kept ones as d grows). The bulk integrals are Gauss-Legendre rules in phi (x = 2 cos phi) on
the pieces between the kinks of f, so nothing here depends on d except through the explicit
factors d and d^2: the limit can be evaluated at any d (10^20 included), which is how the exponents of derive/scaling/nuclear.py are checked over many decades.
Valid while the outliers are o(d) (s >> d^-gamma for a k^-gamma teacher); the finite-d
state evolution is the reference elsewhere.

Plain numpy/scipy; never imports ``derive``.

>>> import numpy as np
>>> p = matrix_sensing_limit(np.arange(1, 101) ** -2.0, n=800, lam=1e-6, noise=0.01)
>>> bool(0 < p.risk < 2 * np.sum(np.arange(1, 101) ** -4.0) / 100)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class LimitFixedPoint:
    """The large-d fixed point in the solver's units (as MatrixSensingFixedPoint): excess risk
    R = 2 |S_hat - S*|_F^2 / d, the bulk scale s (bulk edge 2 s), the threshold t (eigenvalue
    units), the number of kept outliers and of kept bulk eigenvalues, the degrees of freedom
    df = E[div eta] / n, and the split of |S_hat - S*|_F^2 into outliers (kept), lost teacher
    eigenvalues (killed or hidden below the BBP threshold) and bulk."""

    n: int
    lam: float
    risk: float
    s: float
    threshold: float
    outliers_kept: int
    hidden: int
    bulk_kept: float
    dof_fraction: float
    mse_outliers: float
    mse_lost: float
    mse_bulk: float
    converged: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


#: Gauss-Legendre nodes per smooth piece of the semicircle integrals
NODES = 96


@lru_cache(maxsize=1)
def _legendre():
    return np.polynomial.legendre.leggauss(NODES)


def _pieces(u: float):
    """Nodes y and weights w with sum_i w_i g(y_i) = int g(y) rho(y) dy over the three pieces
    [-2, -u], [-u, u], [u, 2] of the semicircle law (y = 2 cos phi: rho dy = (2/pi) sin^2 phi
    dphi, smooth in phi; Gauss-Legendre in phi on each piece, so the kinks of f at +-u fall on
    piece ends)."""
    x, w = _legendre()
    cut = np.arccos(min(u, 2.0) / 2)
    out = []
    for a, b in ((0.0, cut), (cut, np.pi - cut), (np.pi - cut, np.pi)):
        phi = (a + b) / 2 + (b - a) / 2 * x
        out.append((2 * np.cos(phi), (b - a) / 2 * w * (2 / np.pi) * np.sin(phi) ** 2))
    return out                                   # right edge, middle, left edge


def bulk_functionals(u: float):
    """(fraction kept, int f^2 rho, (1/2) int int (f(x)-f(y))/(x-y) rho(x) rho(y) dx dy) for the
    semicircle on [-2, 2] soft-thresholded at u >= 0 (f odd, rho even; product Gauss-Legendre
    rule of _pieces, relative error below 1e-6 for u <= 1.999).

    >>> [round(v, 6) for v in bulk_functionals(0.0)]
    [1.0, 1.0, 0.5]
    """
    u = float(u)
    if u >= 2:
        return 0.0, 0.0, 0.0
    (xr, wr), (xm, wm), _ = _pieces(u)
    plus = float(wr.sum())
    f2 = 2 * float(np.sum(wr * (xr - u) ** 2))
    mixed = float(np.sum(wr * (xr - u) * ((wm[None, :] / (xr[:, None] - xm[None, :])).sum(1))))
    opposite = float(wr @ (1 - 2 * u / (xr[:, None] + xr[None, :])) @ wr)
    # both kept: same edge (ratio 1) twice, opposite edges twice; kept-killed: 2 x 2 x mixed
    total = 2 * plus * plus + 2 * opposite + 4 * mixed
    return 2 * plus, f2, total / 2


def _outlier_divergence(ls, u):
    """int (f(l) - f(y)) / (l - y) rho(y) dy for outliers at l > 2 (units of s), vectorised."""
    ls = np.asarray(ls, dtype=float)[:, None]
    fl = ls - u
    total = np.zeros(ls.shape[0])
    for y, w in _pieces(min(u, 2.0)):
        fy = np.sign(y) * np.maximum(np.abs(y) - u, 0.0)
        total += ((fl - fy[None, :]) / (ls - y[None, :])) @ w
    return total


def _outlier_terms(theta, s, t, d):
    """Kept outliers' and lost eigenvalues' costs, the outliers' divergence, the number kept
    and the number hidden (|theta| <= s)."""
    theta = np.asarray(theta, dtype=float)
    mag = np.abs(theta)
    out = mag > s
    lam = np.where(out, mag + s * s / np.where(out, mag, 1.0), 0.0)
    kept = out & (lam > t)
    f = np.where(kept, lam - t, 0.0)
    safe = np.where(kept, mag, 1.0)
    cost = np.where(kept, (f - mag) ** 2 + 2 * f * s * s / safe, mag**2)
    k = int(kept.sum())
    div = float(k + d * _outlier_divergence(lam[kept] / s, t / s).sum()) if k else 0.0
    div += k * (k - 1) / 2                      # pairs of kept outliers: ratio 1
    return float(cost[kept].sum()), float(cost[~kept].sum()), div, k, int((~out).sum())


def limit_moments(teacher, s: float, t: float, d: int | None = None, tail: float = 0.0):
    """(|eta - S*|^2 split as (outliers kept, lost, bulk), E div eta, outliers kept, hidden,
    bulk eigenvalues kept) at bulk scale s and threshold t (module docstring). ``teacher`` holds
    the largest eigenvalues; the d - len(teacher) others (squares summing to ``tail``) must be
    hidden (below s)."""
    d = len(teacher) if d is None else int(d)
    frac, f2, pair = bulk_functionals(t / s)
    mse_out, mse_lost, div_out, k, hidden = _outlier_terms(teacher, s, t, d)
    hidden += d - len(teacher)
    # the bulk holds the d - (number of outliers) = hidden eigenvalues
    return ((mse_out, mse_lost + tail, d * s * s * f2), div_out + d * d * pair, k, hidden,
            hidden * frac)


def matrix_sensing_limit(teacher, n: float, lam: float, noise: float, d: int | None = None,
                         tail: float = 0.0) -> LimitFixedPoint:
    """Fixed point of the large-d state evolution, in the conventions of
    solvers.matrix_sensing_se.matrix_sensing_state_evolution (penalty lambda sqrt(d) |S|_*,
    label noise ``noise``, teacher eigenvalues ``teacher``, excess risk 2 |S_hat - S*|^2 / d):

        tau^2 = noise + 2 |eta - S*|^2 / d,   s = tau d / (2 sqrt(n)),
        lambda d^(3/2) / (2 n) = t (1 - E div eta / n)

    (the solver's equations with its S' = sqrt(2n/d) S written in eigenvalue units of S).
    ``d`` and ``tail`` let ``teacher`` hold only the largest eigenvalues of a larger teacher
    (the rest, with squares summing to ``tail``, must lie below s: checked, ValueError).
    Nested Brent solves as in the finite-d solver: tau for a given u = t/s, then u by the
    calibration equation.
    """
    teacher = np.asarray(teacher, dtype=float)
    d = teacher.size if d is None else int(d)
    if n < 1 or lam <= 0 or noise < 0 or d < teacher.size:
        raise ValueError("need n >= 1, lambda > 0, noise >= 0 and d >= len(teacher)")
    kappa = lam * d**1.5 / (2 * n)
    null = float(np.sum(teacher**2)) + tail
    scale = d / (2 * np.sqrt(n))                     # s = tau * scale

    def moments(s, u):
        parts, div, *_ = limit_moments(teacher, s, u * s, d, tail)
        return sum(parts), div

    def s_of(u):
        def gap(log_tau2):
            s = np.sqrt(np.exp(log_tau2)) * scale
            return np.log(noise + 2 * moments(s, u)[0] / d + 1e-300) - log_tau2
        lo = np.log(noise) if noise > 0 else np.log(1e-300)
        if gap(lo) <= 0:
            return np.sqrt(np.exp(lo)) * scale
        hi = np.log(noise + 2 * null / d + 1e-300)
        for _ in range(12):
            if gap(hi) < 0:
                return np.sqrt(np.exp(optimize.brentq(gap, lo, hi, xtol=1e-12))) * scale
            lo, hi = hi, hi + 3.0
        return None

    def calibration(log_u):
        u = np.exp(log_u)
        s = s_of(u)
        if s is None:
            return -kappa
        return u * s * (1 - moments(s, u)[1] / n) - kappa

    lo, hi = np.log(1e-6), np.log(1e4)
    while calibration(lo) > 0 and lo > np.log(1e-300):
        lo -= 8.0
    converged = calibration(hi) > 0
    log_u = optimize.brentq(calibration, lo, hi, xtol=1e-12) if converged else hi
    u = np.exp(log_u)
    s = s_of(u)
    if d > teacher.size and abs(teacher[-1]) > s:
        raise ValueError("the omitted teacher eigenvalues are not all below the BBP threshold "
                         f"s = {s:.3g}: pass more of them")
    parts, div, k, hidden, bulk_kept = limit_moments(teacher, s, u * s, d, tail)
    return LimitFixedPoint(int(n), float(lam), float(2 * sum(parts) / d), float(s),
                           float(u * s), k, hidden, float(bulk_kept), float(div / n),
                           float(parts[0]), float(parts[1]), float(parts[2]), bool(converged))
