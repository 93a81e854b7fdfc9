"""Spectral estimator + ridge readout on hierarchical targets y = sum_k lambda_k sigma(z_k).

The two-stage procedure of Defilippis, Krzakala, Loureiro, Maillard 2026 (arXiv:2602.05846,
abstract: "spectral initialization followed by ridge readout"): the top eigenvectors of

    M = (1/n) sum_i T(y_i) (x_i x_i^T - I),   T(y) = y - mean(y)   (target-agnostic),

whose eigenvalues leave the bulk of a label-shuffled copy of M (same spectrum without
signal), span the learned subspace; a ridge regression on the features
sigma(+-u_j . x) of those eigenvectors is the readout. The excess risk
E[(f_hat(x) - f*(x))^2] is measured on fresh samples without label noise. The directions
are the first P coordinate axes (x is isotropic, so this loses no generality).

Plain numpy; takes the link as a vectorised callable and never imports ``derive``.

>>> import numpy as np
>>> r = simulate_hierarchical(lambda z: z**2 - 1, gamma=1.0, d=60, directions=4,
...                           alphas=[20.0], seed=0)
>>> r.learned[0] >= 1
True
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HierarchicalRun:
    """One learning curve: per alpha = n/d, the excess risk, the number of directions learned
    (overlap^2 > 1/2 with the estimated subspace) and every direction's overlap^2."""

    alphas: tuple[float, ...]
    risk: tuple[float, ...]
    learned: tuple[int, ...]
    overlaps: tuple[tuple[float, ...], ...]
    gamma: float
    d: int
    directions: int
    noise: float
    seed: int
    versions: dict

    def to_dict(self) -> dict:
        return {"alphas": list(self.alphas), "risk": list(self.risk),
                "learned": list(self.learned), "overlaps": [list(o) for o in self.overlaps],
                "gamma": self.gamma, "d": self.d, "directions": self.directions,
                "noise": self.noise, "seed": self.seed, "versions": self.versions,
                "backend": "numpy"}


def _top_eigen(matrix: np.ndarray):
    values, vectors = np.linalg.eigh(matrix)
    return values, vectors


def _features(x: np.ndarray, basis: np.ndarray, sigma) -> np.ndarray:
    projections = x @ basis
    columns = [np.ones((x.shape[0], 1))]
    if basis.shape[1]:
        columns += [sigma(projections), sigma(-projections)]
    return np.hstack(columns)


def simulate_hierarchical(sigma, gamma: float, d: int, directions: int, alphas,
                          noise: float = 0.0, seed: int = 0, ridge: float = 1e-3,
                          test_size: int = 4000) -> HierarchicalRun:
    """Learning curve of the spectral estimator + ridge readout at the given alpha = n/d.

    ``sigma`` is a vectorised callable, lambda_k = k^-gamma for k = 1..directions, label noise
    of variance ``noise``. Each alpha uses its own child of SeedSequence(seed).
    """
    if directions > d:
        raise ValueError("more directions than dimensions")
    lambdas = np.arange(1, directions + 1, dtype=float) ** (-gamma)
    streams = np.random.SeedSequence(seed).spawn(len(alphas) + 1)
    test_rng = np.random.default_rng(streams[-1])
    x_test = test_rng.standard_normal((test_size, d))
    f_test = sigma(x_test[:, :directions]) @ lambdas
    risks, learned, overlaps = [], [], []
    for alpha, stream in zip(alphas, streams[:-1]):
        rng = np.random.default_rng(stream)
        n = max(int(round(alpha * d)), 2)
        x = rng.standard_normal((n, d))
        y = sigma(x[:, :directions]) @ lambdas + np.sqrt(noise) * rng.standard_normal(n)
        t = y - y.mean()
        signal = (x * t[:, None]).T @ x / n - t.mean() * np.eye(d)
        shuffled = rng.permutation(t)
        null = (x * shuffled[:, None]).T @ x / n - shuffled.mean() * np.eye(d)
        edge = np.max(np.abs(np.linalg.eigvalsh(null)))
        values, vectors = _top_eigen(signal)
        keep = np.abs(values) > edge
        basis = vectors[:, keep]
        overlap = np.sum(basis[:directions, :] ** 2, axis=1)
        features = _features(x, basis, sigma)
        gram = features.T @ features / n + ridge * np.eye(features.shape[1])
        weights = np.linalg.solve(gram, features.T @ y / n)
        prediction = _features(x_test, basis, sigma) @ weights
        risks.append(float(np.mean((prediction - f_test) ** 2)))
        learned.append(int(np.sum(overlap > 0.5)))
        overlaps.append(tuple(float(v) for v in overlap))
    return HierarchicalRun(tuple(float(a) for a in alphas), tuple(risks), tuple(learned),
                           tuple(overlaps), float(gamma), d, directions, float(noise), seed,
                           {"numpy": np.__version__, "python": platform.python_version()})


def fit_slope(alphas, risks, lower: float, upper: float) -> tuple[float, float]:
    """Least-squares slope of log risk against log alpha on lower <= alpha <= upper, with its
    standard error.

    >>> slope, err = fit_slope([1, 10, 100], [1, 0.1, 0.01], 1, 100)
    >>> round(slope, 6)
    -1.0
    """
    a = np.asarray(alphas, dtype=float)
    r = np.asarray(risks, dtype=float)
    mask = (a >= lower) & (a <= upper)
    if mask.sum() < 3:
        raise ValueError("need at least three points in the fitting window")
    lx, ly = np.log(a[mask]), np.log(r[mask])
    design = np.vstack([lx, np.ones_like(lx)]).T
    coef, residual, *_ = np.linalg.lstsq(design, ly, rcond=None)
    dof = max(mask.sum() - 2, 1)
    sigma2 = float(np.sum((ly - design @ coef) ** 2)) / dof
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))
