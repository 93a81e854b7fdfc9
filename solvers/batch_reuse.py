"""Batch-reuse SGD: two gradient steps on each sample, the first a look-ahead.

Tsiolis, Mousavi-Hosseini, Erdogdu (NeurIPS 2025, arXiv:2510.21020) write batch reuse (Lee,
Oko, Suzuki, Wu, NeurIPS 2024, arXiv:2406.01581; Dandi et al., ICML 2024, arXiv:2402.03220;
Arnaboldi et al. 2024, arXiv:2405.15459) as the spherical update of :mod:`solvers.online`
with the non-correlational

    psi_eta(y, lambda) = y sigma'(lambda + eta y sigma'(lambda) |P_w^perp x|^2 / d):

the gradient at the point reached by a first step of size eta / d on the same sample
(w' = w + (eta / d) y sigma'(lambda) P_w^perp x, so w'.x = lambda + (eta / d) y sigma'(lambda)
|P_w^perp x|^2), applied from w with the step lr / d. In our lr / d convention their
"eta >~ 1/d" (the generative regime) is eta of order 1; small eta stays in the
information-exponent regime. Expanding in eta, psi_eta contains y^2, y^3, ... times
derivatives of sigma: the label transforms that lower the information exponent to the
generative one, so n ~ d^{max(1, GE - 1)} (up to logs) with lr of order 1.

Student activation: the defaults use sigma = tanh (``student="tanh"``). With a polynomial
student such as sigma = He3 the look-ahead field grows like y sigma'(lambda) and psi_eta has
enormous moments (E[psi^2] of order 1e11 eta^4 for y = He3(z)); the retraction they cause
swamps the drift for any lr that is not astronomically small. A bounded sigma' keeps
|psi| <= |y| sup|sigma'|. Weak recovery is measured on |m| (the sign the dynamics pick
depends on sigma and is irrelevant to recovery).

>>> import numpy as np
>>> psi = reuse_update(lambda u: 1 / np.cosh(u) ** 2, eta=1.0)
>>> round(float(psi(np.array([1.0]), np.array([0.0]), np.array([1.0]))[0]), 6)
0.419974
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .online import RecoveryRun, Update, spherical_sgd

#: Defaults that reach weak recovery of He3 in about 40 d samples (d = 32 ... 256).
DEFAULT_ETA = 1.0
DEFAULT_LR = 0.1


def reuse_update(student_derivative: Callable[[np.ndarray], np.ndarray],
                 eta: float = DEFAULT_ETA) -> Update:
    """psi_eta(y, lambda, s) = y sigma'(lambda + eta y sigma'(lambda) s) (module docstring)."""

    def psi(y, field_, spread):
        return y * student_derivative(field_ + eta * y * student_derivative(field_) * spread)

    return psi


def tanh_derivative(u: np.ndarray) -> np.ndarray:
    """sigma'(u) for sigma = tanh.

    >>> float(tanh_derivative(np.array([0.0]))[0])
    1.0
    """
    return 1.0 / np.cosh(u) ** 2


def batch_reuse_sgd(link, d: int, replicas: int, seed: int, max_samples: int,
                    lr: float = DEFAULT_LR, eta: float = DEFAULT_ETA,
                    student_derivative=tanh_derivative, **options) -> RecoveryRun:
    """Batch-reuse SGD (module docstring) on the label y = link(w*.x) (+ noise).

    ``options`` go to :func:`solvers.online.spherical_sgd` (threshold, noise, backend, ...).
    """
    run = spherical_sgd(link, reuse_update(student_derivative, eta), d, replicas, seed, lr,
                        max_samples, algorithm="batch-reuse", **options)
    run.extra.update({"eta": float(eta)})
    return run
