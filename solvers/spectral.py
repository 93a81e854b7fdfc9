"""Spectral estimator with a label preprocessing T(y): overlap with the teacher direction.

D = (1/n) sum_i T(y_i) x_i x_i^T with n = alpha d; the estimate is the top eigenvector of D
(largest algebraic eigenvalue) and the measurement its overlap |v.w*| with w* = e_1.
Mondelli & Montanari (FoCM 2019, arXiv:1708.05932) and Luo, Alghamdi, Lu (2019) give the
preprocessing that weakly recovers w* down to the optimal threshold alpha_c; for noiseless
phase retrieval y = z^2, alpha_c = 1/2 and T*(y) = 1 - 1/E[z^2 | y] = 1 - 1/y (THEORY.md
sect. 5, Troiani et al. 2025). Below alpha_c the overlap tends to 0 as d grows; above it
stays positive.

D is formed with one matrix product (O(n d^2), BLAS) and only its top eigenpair computed
(LAPACK ``syevr`` through ``scipy.linalg.eigh(subset_by_index=...)``). A matrix-free Lanczos
iteration is slower here: preprocessings such as 1 - 1/y are unbounded below, so the
spectrum is wide compared with the gap at its top and Lanczos needs very many iterations.

>>> import numpy as np
>>> run = spectral_overlaps(lambda nu: nu[:, 0] ** 2, lambda y: 1 - 1 / y, d=200,
...                         alphas=[4.0], replicas=2, seed=0)
>>> bool(run.overlaps.min() > 0.5)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh

from .backend import Backend, get_backend


@dataclass(frozen=True)
class SpectralRun:
    """``overlaps[a, k]``: |v.w*| at ``alphas[a]`` for replica k."""

    d: int
    alphas: tuple[float, ...]
    replicas: int
    seed: int
    overlaps: np.ndarray
    backend: str

    def to_dict(self) -> dict:
        return {"d": self.d, "alphas": list(self.alphas), "replicas": self.replicas,
                "seed": self.seed, "backend": self.backend, "overlaps": self.overlaps.tolist()}


def top_eigenvector(x, weights, backend: Backend):
    """Top eigenvector of X^T diag(weights) X / n (largest algebraic eigenvalue)."""
    n, d = x.shape
    matrix = (x.T * weights) @ x / n
    if backend.name == "torch":
        _, vectors = backend.xp.linalg.eigh(matrix)
        return backend.to_numpy(vectors[:, -1])
    _, vectors = eigh(matrix, subset_by_index=[d - 1, d - 1])
    return vectors[:, 0]


def spectral_overlaps(link: Callable[[np.ndarray], np.ndarray],
                      preprocessing: Callable[[np.ndarray], np.ndarray], d: int, alphas,
                      replicas: int, seed: int, r: int = 1, noise: float = 0.0,
                      backend: str | Backend = "numpy") -> SpectralRun:
    """Overlap of the spectral estimate with e_1 at each n = alpha d (module docstring).

    ``link`` maps teacher fields (n, r) to labels (n,); ``preprocessing`` maps labels to
    T(y). Each (alpha, replica) draws a fresh data set from the replica's stream.
    """
    alphas = tuple(float(a) for a in alphas)
    if d < 2 or replicas < 1 or not alphas or min(alphas) <= 0:
        raise ValueError("need d >= 2, replicas >= 1 and alphas > 0")
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    streams = be.streams(seed, replicas)
    overlaps = np.empty((len(alphas), replicas))
    for a, alpha in enumerate(alphas):
        n = max(1, round(alpha * d))
        for k in range(replicas):
            x = be.normal(streams[k:k + 1], (n, d))[0]
            y = be.apply(link, x[:, :r])
            if noise:
                y = y + noise ** 0.5 * be.normal(streams[k:k + 1], (n,))[0]
            with np.errstate(divide="ignore", invalid="ignore"):
                weights = be.apply(preprocessing, y)
            vector = top_eigenvector(x, weights, be)
            overlaps[a, k] = abs(vector[0]) / np.linalg.norm(vector)
    return SpectralRun(d, alphas, replicas, seed, overlaps, be.name)
