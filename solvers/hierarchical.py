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


def _features(x: np.ndarray, basis: np.ndarray, sigma) -> np.ndarray:
    """Readout features on the learned subspace: sigma(+-u_j . x) for each eigenvector and
    every degree-2 Hermite feature u_i.x u_j.x - delta_ij. The second family represents the
    He_2 part of the target on the subspace exactly even when eigenvectors of nearly equal
    eigenvalues mix (the eigen-gap lambda_k - lambda_{k+1} closes long before the subspace
    is lost)."""
    projections = x @ basis
    columns = [np.ones((x.shape[0], 1))]
    m = basis.shape[1]
    if m:
        columns += [sigma(projections), sigma(-projections)]
        i, j = np.triu_indices(m)
        columns.append(projections[:, i] * projections[:, j] - (i == j))
    return np.hstack(columns)


def _samples(rng, sigma, lambdas, d, n, noise, chunk):
    """The n samples in chunks of at most ``chunk`` rows (memory O(chunk d), not O(n d)).
    Each chunk's generator is the same across passes, so a second pass sees the same data."""
    directions = lambdas.size
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        x = rng.standard_normal((rows, d))
        y = sigma(x[:, :directions]) @ lambdas + np.sqrt(noise) * rng.standard_normal(rows)
        yield x, y


def _accumulate(total: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
    """total += x^T diag(t) x, upper triangle only, as two symmetric rank-k updates
    (BLAS dsyrk) on the rows with t > 0 and t < 0 scaled by sqrt|t|: n d^2 flops instead of
    the 2 n d^2 of a general product. ``total`` is Fortran-ordered; symmetrise at the end."""
    from scipy.linalg.blas import dsyrk

    positive, negative = np.flatnonzero(t > 0), np.flatnonzero(t < 0)
    order = np.concatenate([positive, negative])
    scaled = np.take(x, order, axis=0)           # one copy, rows grouped by sign
    scaled *= np.sqrt(np.abs(t[order]))[:, None]
    split = positive.size
    for sign, block in ((1.0, scaled[:split]), (-1.0, scaled[split:])):
        if block.shape[0]:
            # the C-ordered (rows x d) block is the Fortran d x rows matrix block^T
            dsyrk(sign, block.T, beta=1.0, c=total, trans=0, lower=0, overwrite_c=1)


def _symmetric(upper: np.ndarray) -> np.ndarray:
    return np.triu(upper) + np.triu(upper, 1).T


def _one_point(sigma, lambdas, d, n, noise, ridge, stream, x_test, f_test, chunk, keep):
    directions = lambdas.size
    data_seed, shuffle_seed = stream.spawn(2)

    def passes():
        return _samples(np.random.default_rng(data_seed), sigma, lambdas, d, n, noise, chunk)

    # pass 1: label mean; pass 2: signal and label-shuffled (null) matrices
    mean = sum(float(y.sum()) for _, y in passes()) / n
    shuffle = np.random.default_rng(shuffle_seed)
    signal = np.zeros((d, d), order="F")
    null = np.zeros((d, d), order="F")
    t_sum = 0.0
    for x, y in passes():
        t = y - mean
        _accumulate(signal, x, t)
        shuffled = shuffle.permutation(t)     # shuffled within the chunk: a null copy
        _accumulate(null, x, shuffled)
        t_sum += float(t.sum())
    signal = _symmetric(signal) / n - (t_sum / n) * np.eye(d)
    null = _symmetric(null) / n - (t_sum / n) * np.eye(d)
    edge = np.max(np.abs(np.linalg.eigvalsh(null)))
    values, vectors = np.linalg.eigh(signal)
    if keep == "edge":
        basis = vectors[:, np.abs(values) > edge]
    else:
        basis = vectors[:, np.argsort(np.abs(values))[::-1][:int(keep)]]
    overlap = np.sum(basis[:directions, :] ** 2, axis=1)
    # pass 3: ridge readout on the learned features
    m = basis.shape[1]
    width = 1 + 2 * m + m * (m + 1) // 2
    gram = np.zeros((width, width))
    moment = np.zeros(width)
    for x, y in passes():
        features = _features(x, basis, sigma)
        gram += features.T @ features
        moment += features.T @ y
    weights = np.linalg.solve(gram / n + ridge * np.eye(width), moment / n)
    prediction = _features(x_test, basis, sigma) @ weights
    return (float(np.mean((prediction - f_test) ** 2)), int(np.sum(overlap > 0.5)),
            tuple(float(v) for v in overlap))


def simulate_hierarchical(sigma, gamma: float, d: int, directions: int, alphas,
                          noise: float = 0.0, seed: int = 0, ridge: float = 1e-3,
                          test_size: int = 4000, chunk: int = 20000,
                          keep="edge") -> HierarchicalRun:
    """Learning curve of the spectral estimator + ridge readout at the given alpha = n/d.

    ``sigma`` is a vectorised callable, lambda_k = k^-gamma for k = 1..directions, label noise
    of variance ``noise``. Each alpha uses its own child of SeedSequence(seed). ``keep`` is
    "edge" (eigenvalues beyond the label-shuffled bulk: target-agnostic) or a number m (the
    m eigenvalues largest in magnitude, for measuring per-direction overlaps without the
    finite-d fluctuations of the bulk edge).
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
        n = max(round(alpha * d), 2)
        risk, count, overlap = _one_point(sigma, lambdas, d, n, noise, ridge, stream,
                                          x_test, f_test, chunk, keep)
        risks.append(risk)
        learned.append(count)
        overlaps.append(overlap)
    return HierarchicalRun(tuple(float(a) for a in alphas), tuple(risks), tuple(learned),
                           tuple(overlaps), float(gamma), d, directions, float(noise), seed,
                           {"numpy": np.__version__, "python": platform.python_version()})


def crossing_alphas(run: HierarchicalRun, level: float = 0.5) -> list[float | None]:
    """Per direction, the alpha at which its overlap^2 first reaches ``level`` (log-linear
    interpolation between grid points; None if it never does on the grid).

    >>> run = HierarchicalRun((1.0, 10.0), (1.0, 0.5), (0, 1), ((0.0, 0.0), (1.0, 0.2)),
    ...                       1.0, 10, 2, 0.0, 0, {})
    >>> [None if a is None else round(a, 3) for a in crossing_alphas(run)]
    [3.162, None]
    """
    out = []
    for k in range(run.directions):
        values = [o[k] for o in run.overlaps]
        found = None
        for i in range(1, len(values)):
            if values[i - 1] < level <= values[i]:
                la, lb = np.log(run.alphas[i - 1]), np.log(run.alphas[i])
                w = (level - values[i - 1]) / (values[i] - values[i - 1])
                found = float(np.exp(la + w * (lb - la)))
                break
        if found is None and values and values[0] >= level:
            found = float(run.alphas[0])
        out.append(found)
    return out


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
    coef, *_ = np.linalg.lstsq(design, ly, rcond=None)
    dof = max(mask.sum() - 2, 1)
    sigma2 = float(np.sum((ly - design @ coef) ** 2)) / dof
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))
