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


def block_spectral_overlaps(link: Callable[[np.ndarray], np.ndarray],
                            preprocessing: Callable[[np.ndarray], np.ndarray], d: int, alphas,
                            replicas: int, seed: int, r: int, noise: float = 0.0) -> SpectralRun:
    """Multi-index spectral estimator with a matrix preprocessing T(y) (r x r per label).

    The block matrix D = (1/n) sum_i T(y_i) (x) x_i x_i^T acts on d x r matrices W as
    W -> (1/n) sum_i x_i x_i^T W T(y_i); its top eigenvector W (largest algebraic eigenvalue)
    is the estimate and the measurement ||P W||_F / ||W||_F, P the projection on the
    teacher subspace span(e_1, ..., e_r). For r = 1 this is :func:`spectral_overlaps`. It is
    the natural matrix form of the scalar method (the preprocessing T*(y) = I - E[zz^T|y]^-1
    is the matrix analogue of Mondelli & Montanari's); its threshold is not asserted here.
    Dense eigendecomposition of the (r d) x (r d) matrix: meant for d up to a few hundred.

    >>> import numpy as np
    >>> run = block_spectral_overlaps(lambda nu: nu[:, 0] ** 2 + nu[:, 1] ** 2,
    ...     lambda y: (1 - 2 / y)[:, None, None] * np.eye(2), d=100, alphas=[8.0],
    ...     replicas=1, seed=0, r=2)
    >>> bool(run.overlaps.min() > 0.5)
    True
    """
    alphas = tuple(float(a) for a in alphas)
    if d < 2 or replicas < 1 or not alphas or min(alphas) <= 0 or r < 1:
        raise ValueError("need d >= 2, r >= 1, replicas >= 1 and alphas > 0")
    streams = np.random.SeedSequence(seed).spawn(replicas)
    overlaps = np.empty((len(alphas), replicas))
    for a, alpha in enumerate(alphas):
        n = max(1, round(alpha * d))
        for k in range(replicas):
            rng = np.random.default_rng(streams[k].spawn(len(alphas))[a])
            x = rng.standard_normal((n, d))
            y = np.asarray(link(x[:, :r]), dtype=float)
            if noise:
                y = y + noise ** 0.5 * rng.standard_normal(n)
            with np.errstate(divide="ignore", invalid="ignore"):
                weights = np.nan_to_num(np.asarray(preprocessing(y), dtype=float))
            blocks = np.einsum("nab,ni,nj->aibj", weights, x, x) / n
            matrix = blocks.reshape(r * d, r * d)
            _, vectors = eigh((matrix + matrix.T) / 2, subset_by_index=[r * d - 1, r * d - 1])
            W = vectors[:, 0].reshape(r, d)
            overlaps[a, k] = np.linalg.norm(W[:, :r]) / np.linalg.norm(W)
    return SpectralRun(d, alphas, replicas, seed, overlaps, "numpy")
