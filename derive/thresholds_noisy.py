"""Weak-recovery thresholds of noisy multi-index targets, r <= 3, any link.

For y = g(z) + sqrt(Delta) xi the law of y given z is Gaussian, so every conditional
expectation the threshold needs is a smooth Gaussian-mixture ratio (Troiani et al. AISTATS
2025, arXiv:2405.15480; THEORY.md §5):

    p(y) = E_z[phi_D(y - g(z))],   p(y) E[z | y] = E_z[z phi_D(y - g(z))],
    p(y) G(y) = E_z[(z z^T - I) phi_D(y - g(z))],   phi_D the N(0, Delta) density.

Trivial directions span E_y[E[z|y] E[z|y]^T]; otherwise alpha_c = 1/nu_1 with nu_1 the top
eigenvalue of F(M) = E_y[G M G] on symmetric r x r matrices. The z-average is a
probabilists' Gauss-Hermite product rule (nodes of negligible weight dropped) and the
y-integral a trapezoid rule with spacing sqrt(Delta)/8 — spectrally accurate for the smooth
mixture; the error estimate is twice the change when both rules are refined (node ratio
1.5): a rule that converges at least like 1/n — the Gauss-Hermite z-rule is that slow when
sqrt(Delta) is small against its node spacing, e.g. z1*z2 at Delta = 0.01 — has an error
at most twice that change. Kinks of g only slow the z-rule down, and the estimate says so.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> r = weak_recovery_noisy(z1**2 + z2**2, (z1, z2), 0.5)
>>> r.klass, r.easy_dimension
('easy', 2)
"""

from __future__ import annotations

import numpy as np
import sympy

from .errors import DeriveError
from .thresholds import MultiWeakRecovery, symmetric_basis, top_eigenspace

#: Gauss-Hermite nodes per dimension (coarse, fine) for r = 1, 2, 3
_NODES = {1: (80, 120), 2: (48, 72), 3: (24, 36)}
_MAX_Y_NODES = 6000


def _grid(r: int, n: int):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / np.sqrt(2 * np.pi)
    mesh = np.meshgrid(*([x] * r), indexing="ij")
    weights = np.ones_like(mesh[0])
    for axis in range(r):
        shape = [1] * r
        shape[axis] = n
        weights = weights * w.reshape(shape)
    points = np.stack([m.ravel() for m in mesh], axis=1)
    weights = weights.ravel()
    keep = weights > 1e-18 * weights.max()
    return points[keep], weights[keep]


def _moments(link, r: int, noise: float, n: int, spacing: float):
    points, weights = _grid(r, n)
    values = np.asarray(link(*points.T), dtype=float)
    values = np.broadcast_to(values, weights.shape)
    if not np.all(np.isfinite(values)):
        raise DeriveError("the link is not finite on the quadrature grid")
    sd = np.sqrt(noise)
    low, high = values.min() - 9 * sd, values.max() + 9 * sd
    count = int(np.ceil((high - low) / spacing)) + 1
    if count > _MAX_Y_NODES:
        spacing = (high - low) / (_MAX_Y_NODES - 1)
        count = _MAX_Y_NODES
    ys = np.linspace(low, high, count)
    h = ys[1] - ys[0]
    trivial = np.zeros((r, r))
    basis = symmetric_basis(r)
    second = np.einsum("na,nb->nab", points, points) - np.eye(r)
    F = np.zeros((len(basis), len(basis)))
    total_mass = 0.0
    for start in range(0, count, 256):
        y = ys[start:start + 256]
        kernel = weights[None, :] * np.exp(-(y[:, None] - values[None, :]) ** 2 / (2 * noise))
        kernel /= np.sqrt(2 * np.pi * noise)
        p = kernel.sum(axis=1)
        first = kernel @ points  # (ny, r): p(y) E[z | y]
        S = np.einsum("yn,nab->yab", kernel, second)  # p(y) G(y)
        good = p > 1e-300
        p, first, S = p[good], first[good], S[good]
        total_mass += h * p.sum()
        trivial += h * np.einsum("ya,yb->ab", first / p[:, None], first)
        for i, Mi in enumerate(basis):
            SMS = S @ Mi @ S
            for j, Mj in enumerate(basis):
                F[j, i] += h * np.sum(np.sum(Mj * SMS, axis=(1, 2)) / p)
    return trivial, F, basis, total_mass


def weak_recovery_noisy(expr, variables, noise: float) -> MultiWeakRecovery:
    """Class, alpha_c and learned directions for y = g(z) + sqrt(noise) xi, r <= 3."""
    r = len(variables)
    if r not in _NODES:
        raise DeriveError(f"noisy thresholds are implemented for r <= 3 (got r = {r})")
    if not noise > 0:
        raise DeriveError("weak_recovery_noisy needs label noise > 0")
    link = sympy.lambdify(variables, expr, modules=["numpy", "scipy"])
    coarse_n, fine_n = _NODES[r]
    spacing = np.sqrt(noise) / 8
    coarse = _moments(link, r, noise, coarse_n, spacing)
    fine = _moments(link, r, noise, fine_n, spacing / 1.5)
    trivial, F, basis, mass = fine
    # twice the change between the rules: the error of the finer one for any convergence
    # at least 1/n (see the module docstring)
    trivial_error = max(2 * float(np.max(np.abs(trivial - coarse[0]))), 1e-12)
    error = max(2 * float(np.max(np.abs(F - coarse[1]))), abs(mass - 1), 1e-12)
    names = tuple(variables)
    values, vectors = np.linalg.eigh((trivial + trivial.T) / 2)
    rank = int(np.sum(values > 100 * trivial_error))
    if rank:
        learned = tuple(tuple(float(x) for x in vectors[:, i])
                        for i in range(r) if values[i] > 100 * trivial_error)
        return MultiWeakRecovery("trivial", 0.0, 0.0, rank, 0,
                                 f"E[z|y] spans {rank} direction(s) (noise {noise:g})",
                                 learned, names)
    top, multiplicity, u = top_eigenspace(F, error, r)
    if top <= 10 * error:
        # a zero is claimed only when the quadrature resolves it; a coarse rule (large error
        # estimate, e.g. r = 3 at small noise) leaves the class open instead
        if error > 1e-6:
            return MultiWeakRecovery("undetermined", None, error, 0, 0,
                                     f"nu_1 = {top:.3g} +- {error:.1e} not resolved from 0 "
                                     f"(noise {noise:g})", (), names)
        return MultiWeakRecovery("hard", None, error, 0, 0,
                                 f"nu_1 = {top:.3g} +- {error:.1e}: F vanishes", (), names)
    dimension = u.shape[1]
    alpha = 1 / top
    return MultiWeakRecovery(
        "easy", alpha, alpha * error / top, 0, dimension,
        f"nu_1 = {top:.10g} (multiplicity {multiplicity}; noise {noise:g})",
        tuple(tuple(float(x) for x in u[:, i]) for i in range(dimension)), names,
        preprocessing_matrix=_preprocessing(link, r, noise, fine_n),
        preprocessing="T*(y) = I - E[z z^T | y]^(-1) (callable preprocessing_matrix)")


def _preprocessing(link, r: int, noise: float, n: int):
    """y -> T*(y) = I - E[z z^T | y]^{-1} from the same Gauss-Hermite sums as F."""
    points, weights = _grid(r, n)
    values = np.broadcast_to(np.asarray(link(*points.T), dtype=float), weights.shape)
    outer = np.einsum("na,nb->nab", points, points)

    def preprocessing(y):
        ys = np.atleast_1d(np.asarray(y, dtype=float))
        kernel = weights[None, :] * np.exp(-(ys[:, None] - values[None, :]) ** 2 / (2 * noise))
        p = kernel.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            moment = np.einsum("yn,nab->yab", kernel, outer) / p[:, None, None]
        good = p > 1e-300
        out = np.zeros((ys.size, r, r))
        out[good] = np.eye(r) - np.linalg.inv(moment[good])
        return out[0] if np.ndim(y) == 0 else out

    return preprocessing
