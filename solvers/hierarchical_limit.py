"""Proportional-limit learning curve of the spectral estimator + ridge readout
(solvers/hierarchical.py) for quadratic hierarchical targets y = sum_k w_k He_2(z_k) + noise.

The matrix is M = (1/n) sum_i T_i x_i x_i^T with T = y - E y (probabilists' He_2 = z^2 - 1;
the simulation centres on the sample mean, which changes M by O(n^-1/2) times I). Write
x = (z, w), z the P signal coordinates. For a spectral matrix with preprocessed labels T and
n/d -> a, the exact characterisation of its outlier eigenvalues and eigenvector overlaps
(Lu, Li 2017, arXiv:1702.06435, Theorem 1; Mondelli, Montanari 2019, arXiv:1708.05932,
Lemma 2; for p fixed directions Kovacevic, Zhang, Mondelli, COLT 2025, arXiv:2502.01583) is,
with the auxiliary variable l > sup T,

    psi(l)   = l (1/a + E[T / (l - T)])            (the bulk: its edge is psi at psi' = 0)
    phi_k(l) = l E[T z_k^2 / (l - T)]
    outlier k at eigenvalue psi(l_k), l_k the root of psi = phi_k beyond the edge's l, i.e.
              1/a = E[T (z_k^2 - 1) / (l_k - T)],
    squared overlap with v_k:  m_k = psi'(l_k) / (psi'(l_k) - phi_k'(l_k)),
    psi'(l) = 1/a - E[T^2/(l - T)^2],  phi_k'(l) = -E[T^2 z_k^2/(l - T)^2].

(Derivation, as in those papers: a Schur complement on the signal block and a leave-one-out
Sherman-Morrison step on the bulk (1/n) sum T_i w_i w_i^T, whose Stieltjes transform m obeys
rho = 1/m + E[T/(1 - T m/a)], i.e. rho = psi(a/m).) Here the signal block is diagonal:
z_j -> -z_j leaves T unchanged, so E[T z_j z_k / (l - T)] = 0 for j != k and each direction
has its own equation, and a = n / (bulk dimension).

**Many directions.** The theorem holds P fixed as d -> infinity, with a bulk of the d - P
coordinates orthogonal to the directions. When P grows with d, that count is wrong: a direction
without an outlier (its equation has no root beyond the edge) is bulk too. Its coordinate's
weight differs from a noise coordinate's by O(w_k): E[T z_k^2 g(T)] = E[T g(T)] + O(w_k).
The bulk therefore has dimension d - r, r the number of outliers, which ``spectral_limit``
solves by iterating from d (r only grows). For P/d -> 0, d - r and d - P give the same
limit. At finite P/d only d - r matches: at d = 300, n/d 50 to 400, gamma = 1, mean of
3 seeds, the ratio simulation / limit was

    P/d      bulk d - P     bulk d - r
    0.05     1.04-1.11      1.04-1.09
    0.25     1.15-1.27      1.01-1.08
    0.75     2.09-2.41      0.99-1.07

Everything reduces to one-dimensional laws because z^2 times the chi^2_1 density is the
chi^2_3 density: E[z_k^2 g(T)] = E[g(T + w_k E)], E ~ Exponential(mean 2) independent of T.
The law of T (a weighted chi-square plus Gaussian noise) and of T + w_k E are computed on a
grid by FFT inversion of their characteristic functions
prod_k (1 - 2 i w_k s)^-1/2 e^(-i w_k s) e^(-noise s^2/2) (times (1 - 2 i w_k s)^-1).
Directions beyond ``EXACT_TERMS`` enter T as a Gaussian of the same variance (their third
cumulant, 8 sum w_k^3, is below 1e-4 of T's for a k^-1 spectrum).

**Finite n.** He_2 labels are unbounded above, so sup T = infinity and, strictly, the
formulas have no outlier region; at finite n the labels lie below their maximum, whose typical
value is the (1 - 1/n) quantile t_n of T. The formulas are applied to the law of T truncated
at t_n (requiring l > t_n). This truncation is the only finite-n ingredient; it moves the
bulk edge above the semicircle radius 2 sqrt(Var(T)/a) when a is moderate
(tests/test_scaling_hierarchical_limit.py compares with simulated spectra).

**Readout.** A quadratic form on the learned subspace fits direction k's part w_k He_2(z_k)
up to 2 w_k^2 (1 - m_k^2) (m_k^2 = squared overlap squared: the projection of v v^T on
span(u) is (u.v)^2 u u^T); an undetected direction costs 2 w_k^2. The ridge readout on
p = 1 + 2 r + r(r+1)/2 features (r outliers) adds the least-squares variance
(bias + noise) p / (n - p - 1).

Plain numpy/scipy; never imports ``derive``.

>>> import numpy as np
>>> lim = spectral_limit(1 / np.arange(1, 21), 0.0, n=40000, d=400)
>>> [round(m, 2) for m in lim.overlaps[:3]]
[0.97, 0.95, 0.9]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

#: directions kept exactly in the law of T; the rest enter as a Gaussian of equal variance
EXACT_TERMS = 400
#: grid step of the densities, in units of the largest weight
GRID_STEP = 0.004
#: relative error allowed on Var(T) computed on the grid (checks the FFT inversion)
VARIANCE_CHECK = 1e-3


@dataclass(frozen=True)
class SpectralLimit:
    """Outliers of M at (n, d): the bulk edge, per direction its outlier eigenvalue (None if
    hidden in the bulk) and squared overlap (0 if hidden), and the truncation level t_n."""

    n: int
    d: int
    edge: float
    eigenvalues: tuple[float | None, ...]
    overlaps: tuple[float, ...]
    truncation: float

    @property
    def outliers(self) -> int:
        return sum(v is not None for v in self.eigenvalues)


class _Laws:
    """The grid, the characteristic function of T on it and the densities of T and of
    T + w_k E (computed once per weight vector and reused for every n)."""

    def __init__(self, weights, noise: float, step: float | None = None):
        w = np.asarray(weights, dtype=float)
        if w.size == 0 or np.any(w <= 0):
            raise ValueError("weights must be positive")
        exact, rest = w[:EXACT_TERMS], w[EXACT_TERMS:]
        var = float(noise) + 2.0 * float(np.sum(rest**2))
        top = float(w.max())
        self.h = GRID_STEP * top if step is None else float(step)
        lo = -float(np.sum(exact)) - 10.0 * np.sqrt(var) - top
        hi = 140.0 * top + 12.0 * np.sqrt(float(np.sum(w**2)) + var)
        size = int(2 ** np.ceil(np.log2((hi - lo) / self.h)))
        self.t = lo + self.h * np.arange(size)
        self.s = 2 * np.pi * np.fft.fftfreq(size, d=self.h)
        log_phi = -0.5 * var * self.s**2 - 1j * self.s * lo
        for wk in exact:
            log_phi += -0.5 * np.log(1 - 2j * wk * self.s) - 1j * wk * self.s
        self.log_phi = log_phi
        self.p = self._invert(log_phi)
        # a few dominant weights without noise leave the chi^2_1 singularity t^-1/2 in the
        # density, which the grid cannot resolve: refuse rather than return wrong overlaps
        grid_var = float(np.sum(self.t**2 * self.p) * self.h)
        true_var = 2.0 * float(np.sum(w**2)) + float(noise)
        if abs(grid_var - true_var) > VARIANCE_CHECK * true_var:
            raise ValueError(f"the label law is too singular for the grid (variance "
                             f"{grid_var:.4g} on the grid against {true_var:.4g}): too few "
                             "directions without noise")
        self.cdf = np.cumsum(self.p) * self.h
        self._extra: dict[float, np.ndarray] = {}

    def _invert(self, log_phi):
        return np.real(np.fft.fft(np.exp(log_phi))) / (self.s.size * self.h)

    def extra(self, wk: float) -> np.ndarray:
        """Density of T + w_k E on the same grid (E exponential of mean 2, i.e. z_k^2
        replaced by a chi^2_3 variable: the law of T under the weight z_k^2)."""
        key = float(wk)
        if key not in self._extra:
            self._extra[key] = self._invert(self.log_phi - np.log(1 - 2j * key * self.s))
        return self._extra[key]


def density(weights, noise: float, extra: float | None = None):
    """Grid and density of T = sum_k w_k (z_k^2 - 1) + sqrt(noise) xi (+ extra * E, E
    exponential of mean 2), by FFT of the characteristic function. Weights must be positive.

    >>> t, p = density([1.0, 0.5, 0.25, 0.125, 0.0625], 0.0)
    >>> h = t[1] - t[0]
    >>> round(float(np.sum(p) * h), 6), round(float(np.sum(t * t * p) * h), 4)
    (1.0, 2.6641)
    """
    laws = _Laws(weights, noise)
    return laws.t, laws.p if extra is None else laws.extra(extra)


def spectral_limit(weights, noise: float, n: int, d: int, laws: _Laws | None = None,
                   bulk: int | None = None) -> SpectralLimit:
    """Bulk edge, outlier eigenvalues and squared overlaps of M for T = sum_k w_k He_2(z_k)
    + noise (weights decreasing, positive), at n samples in dimension d (module docstring).

    ``bulk`` is the bulk's dimension. By default it is d - r, r the number of outliers, found
    by iterating from d (module docstring, "Many directions"); an int fixes it (d - P is the
    fixed-spike count of Lu-Li, exact when P << d)."""
    w = np.asarray(weights, dtype=float)
    if n < 2 or (bulk is not None and bulk < 1) or (bulk is None and d < 2):
        raise ValueError("need a bulk of at least one dimension and n >= 2")
    laws = _Laws(w, noise) if laws is None else laws
    if bulk is not None:
        return _outliers(w, laws, n, d, int(bulk))
    size = d
    for _ in range(d):
        lim = _outliers(w, laws, n, d, size)
        if d - lim.outliers == size:
            return lim
        if lim.outliers >= d:
            raise ValueError("every dimension is an outlier: no bulk left")
        size = d - lim.outliers      # more outliers shrink the bulk: r only grows, so this ends
    return lim


def _outliers(w: np.ndarray, laws: _Laws, n: int, d: int, bulk: int) -> SpectralLimit:
    """spectral_limit for a bulk of the given dimension."""
    P = w.size
    a = n / bulk
    t, h = laws.t, laws.h
    tn = float(t[min(np.searchsorted(laws.cdf, 1 - 1 / n), t.size - 1)])
    keep = t < tn
    T, mass = t[keep], laws.p[keep] * h

    def dpsi(lam):
        return 1 / a - float(np.sum(mass * T * T / (lam - T) ** 2))

    def psi(lam):
        return lam * (1 / a + float(np.sum(mass * T / (lam - T))))

    lo = tn + 1e-9 * max(1.0, abs(tn))
    hi = tn + 1.0
    while dpsi(hi) <= 0:
        hi = tn + 2 * (hi - tn)
    lbar = optimize.brentq(dpsi, lo, hi, xtol=1e-12) if dpsi(lo) < 0 else lo
    edge = psi(lbar)
    eigenvalues, overlaps = [], []
    for wk in w:
        massk = laws.extra(wk)[keep] * h

        def gap(lam, massk=massk):
            return float(np.sum((massk - mass) * T / (lam - T))) - 1 / a

        if gap(lbar) <= 0:
            break        # thresholds are monotone in w_k: no later direction is an outlier
        top = lbar + 1.0
        while gap(top) > 0:
            top = lbar + 2 * (top - lbar)
        root = optimize.brentq(gap, lbar, top, xtol=1e-12)
        dphi = -float(np.sum(massk * T * T / (root - T) ** 2))
        eigenvalues.append(psi(root))
        overlaps.append(dpsi(root) / (dpsi(root) - dphi))
    hidden = P - len(eigenvalues)
    return SpectralLimit(int(n), int(d), float(edge),
                         tuple(float(v) for v in eigenvalues) + (None,) * hidden,
                         tuple(float(v) for v in overlaps) + (0.0,) * hidden, tn)


def hierarchical_risk_limit(weights, noise: float, alphas, d: int, bulk: int | None = None):
    """Excess risk of the spectral estimator + ridge readout (module docstring) at
    n = round(alpha d), with the SpectralLimit of each point.

    >>> import numpy as np
    >>> risk, _ = hierarchical_risk_limit(1 / np.arange(1, 21), 0.0, [1.0], d=400)
    >>> null = 2 * np.sum(1 / np.arange(1, 21) ** 2.0)    # no outlier at n/d = 1
    >>> bool(abs(risk[0] - null * (1 + 1 / 398)) < 1e-12)
    True
    """
    w = np.asarray(weights, dtype=float)
    laws = _Laws(w, noise)
    risks, limits = [], []
    for alpha in alphas:
        n = max(round(float(alpha) * d), 2)
        lim = spectral_limit(w, noise, n, d, laws, bulk)
        m = np.asarray(lim.overlaps)
        bias = float(np.sum(2 * w**2 * (1 - m**2)))
        r = lim.outliers
        features = 1 + 2 * r + r * (r + 1) // 2 if r else 1
        variance = (bias + float(noise)) * features / max(n - features - 1, 1)
        risks.append(bias + variance)
        limits.append(lim)
    return np.array(risks), limits
