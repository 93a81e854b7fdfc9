"""The grand staircase of noisy targets y = g(z) + sqrt(Delta) xi, r <= 3: steps after the first.

Troiani et al. (AISTATS 2025, arXiv:2405.15480; THEORY.md §5): once the subspace S is learned,
the next step is the weak-recovery problem with the augmented label (y, z_S). Writing
z = U s + V w (U an orthonormal basis of S, V of its complement), for each value of s the
pair (y, w) is again a noisy multi-index problem, with link w -> g(U s + V w), so

    E_(y, s)[E[w | y, s] E[w | y, s]^T] = E_s[T(s)],   F_S = E_s[F(s)],

with T(s), F(s) the trivial matrix and the operator F of that problem
(derive.thresholds_noisy._moments: Gauss-Hermite in w, trapezoid in y). The outer average
over s is a probabilists' Gauss-Hermite product rule; the error estimate is the change when
both the outer and the inner rules are refined.

>>> import sympy
>>> z1, z2 = sympy.symbols("z1 z2", real=True)
>>> steps = noisy_later_steps(z1 + z2**2, (z1, z2), 0.5, [(1.0, 0.0)])
>>> [(s.klass, s.dimension_added) for s in steps]
[('easy', 1)]
"""

from __future__ import annotations

import numpy as np
import sympy

from .certificates import NUMERIC, Certificate
from .grand_staircase import RecoveryStep
from .thresholds_noisy import _NODES, _moments

#: outer Gauss-Hermite nodes per learned dimension (coarse, fine)
_OUTER = {1: (24, 36), 2: (12, 18)}


def _complement(learned: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the complement of the columns of ``learned``."""
    r, k = learned.shape
    q, _ = np.linalg.qr(np.hstack([learned, np.eye(r)]))
    basis = q[:, k:r]
    return basis


def _averaged(link, U, V, noise, outer, inner):
    k, m = U.shape[1], V.shape[1]
    x, w = np.polynomial.hermite_e.hermegauss(outer)
    w = w / np.sqrt(2 * np.pi)
    mesh = np.meshgrid(*([x] * k), indexing="ij")
    nodes = np.stack([g.ravel() for g in mesh], axis=1)
    weights = np.ones(nodes.shape[0])
    for axis in range(k):
        weights = weights * w[np.searchsorted(x, nodes[:, axis])]
    keep = weights > 1e-14 * weights.max()
    trivial = F = None
    basis = None
    mass = 0.0
    for s, weight in zip(nodes[keep], weights[keep]):
        shift = U @ s

        def conditional(*ws, shift=shift):
            z = [shift[i] + sum(V[i, j] * ws[j] for j in range(m)) for i in range(len(shift))]
            return link(*z)

        t, f, basis, total = _moments(conditional, m, noise, inner, np.sqrt(noise) / 8)
        trivial = weight * t if trivial is None else trivial + weight * t
        F = weight * f if F is None else F + weight * f
        mass += weight * total
    return trivial, F, basis, mass


def _step(link, U, noise, r):
    V = _complement(U)
    k, m = U.shape[1], V.shape[1]
    outer = _OUTER[k]
    inner = _NODES[m]
    coarse = _averaged(link, U, V, noise, outer[0], inner[0])
    trivial, F, basis, mass = _averaged(link, U, V, noise, outer[1], inner[1])
    trivial_error = max(float(np.max(np.abs(trivial - coarse[0]))), abs(mass - 1), 1e-12)
    error = max(float(np.max(np.abs(F - coarse[1]))), abs(mass - 1), 1e-12)
    values, vectors = np.linalg.eigh((trivial + trivial.T) / 2)
    rank = int(np.sum(values > 100 * trivial_error))
    if rank:
        learned = [V @ vectors[:, i] for i in range(m) if values[i] > 100 * trivial_error]
        why = (f"E[w | y, z_S] spans {rank} direction(s) (noise {noise:g})")
        return RecoveryStep("trivial", 0.0, 0.0, rank, tuple(tuple(map(float, v)) for v in learned),
                            Certificate(NUMERIC, why, bound=trivial_error), why), learned
    eigen, modes = np.linalg.eigh((F + F.T) / 2)
    top = float(eigen[-1])
    if top <= 10 * error:
        klass = "hard" if error < 1e-6 else "undetermined"
        why = f"nu_1 = {top:.3g} +- {error:.1e} with the augmented label (noise {noise:g})"
        return RecoveryStep(klass, None, error, 0, (), Certificate(NUMERIC, why, bound=error),
                            why), []
    tops = [i for i in range(len(eigen)) if abs(eigen[i] - top) <= max(1e-6 * top, 10 * error)]
    stacked = np.hstack([sum(modes[j, i] * basis[j] for j in range(len(basis))) for i in tops])
    u, singular, _ = np.linalg.svd(stacked)
    dimension = int(np.sum(singular > 1e-6 * singular[0]))
    learned = [V @ u[:, i] for i in range(dimension)]
    alpha = 1 / top
    bound = alpha * error / top * 1.01
    why = f"nu_1 = {top:.10g} +- {error:.1e} with the augmented label (noise {noise:g})"
    return RecoveryStep("easy", alpha, bound, dimension,
                        tuple(tuple(map(float, v)) for v in learned),
                        Certificate(NUMERIC, why, bound=bound), why), learned


def noisy_later_steps(expr, variables, noise: float, learned) -> list[RecoveryStep]:
    """The steps after the first for a noisy target, given the first step's directions.
    Stops at a step that learns nothing (hard or undetermined) or when all are learned."""
    r = len(variables)
    link = sympy.lambdify(variables, expr, modules=["numpy", "scipy"])
    directions = [np.asarray(v, dtype=float) for v in learned]
    steps = []
    while directions and len(directions) < r:
        U, _ = np.linalg.qr(np.array(directions).T)
        step, new = _step(link, U, noise, r)
        steps.append(step)
        if not new:
            break
        directions += [np.asarray(v) for v in new]
    return steps


__all__ = ["noisy_later_steps"]
