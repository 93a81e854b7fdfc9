"""Quadratic two-layer networks with weight decay, through the equivalent convex problem.

A quadratic network f(x) = (1/sqrt(d)) sum_j a_j ((w_j . x)^2 - |w_j|^2) with weight decay
(lambda sqrt(d) / 2)(|a|^2 + |W|_F^2)-type penalties is, at its global minimum, nuclear-norm
matrix sensing (Defilippis et al. ICLR 2026, arXiv:2509.24882, abstract):

    S_hat = argmin_S 1/2 sum_i (y_i - <S, Z_i>)^2 + mu |S|_*,   Z_i = (x_i x_i^T - I)/sqrt(d),

over symmetric S, with mu = lambda sqrt(d) here. The teacher is S* = diag(k^-gamma)
(x is isotropic, so the eigenbasis is immaterial), y_i = <S*, Z_i> + sqrt(Delta) xi_i, and
the excess risk E[<S_hat - S*, Z>^2] = 2 |S_hat - S*|_F^2 / d. Solved by FISTA with
eigenvalue soft-thresholding (the proximal map of the nuclear norm on symmetric matrices).

Plain numpy; never imports ``derive``.

>>> r = quadratic_network(d=12, n=600, lam=0.5, gamma=1.0, noise=0.1, seed=0)
>>> r["risk"] < r["null_risk"]
True
"""

from __future__ import annotations

import platform

import numpy as np


def _measure(x, s):
    if x.ndim == 3:                     # Gaussian design: x holds the sensing matrices Z_i
        return np.einsum("iab,ab->i", x, s)
    return (np.sum((x @ s) * x, axis=1) - np.trace(s)) / np.sqrt(x.shape[1])


def _adjoint(x, r):
    if x.ndim == 3:
        return np.einsum("iab,i->ab", x, r)
    d = x.shape[1]
    return ((x * r[:, None]).T @ x - r.sum() * np.eye(d)) / np.sqrt(d)


def gaussian_sensing_matrices(rng, n: int, d: int) -> np.ndarray:
    """Z_i = sqrt(2/d) (B_i + B_i^T)/2, B_i with i.i.d. N(0, 1) entries: the Gaussian design
    with the covariance of (x x^T - I)/sqrt(d) (E<S, Z>^2 = 2 |S|_F^2 / d for symmetric S),
    for separating the finite-d error of the state evolution from that of Gaussian
    universality."""
    b = rng.standard_normal((n, d, d))
    return (b + np.swapaxes(b, 1, 2)) / np.sqrt(2 * d)


def _prox_nuclear(s, threshold):
    values, vectors = np.linalg.eigh((s + s.T) / 2)
    shrunk = np.sign(values) * np.maximum(np.abs(values) - threshold, 0.0)
    return (vectors * shrunk) @ vectors.T, shrunk


def quadratic_network(d: int, n: int, lam: float, gamma: float, noise: float, seed: int = 0,
                      iterations: int = 3000, tol: float = 1e-9,
                      design: str = "quadratic") -> dict:
    """Global minimiser of the weight-decayed quadratic network (nuclear-norm form).

    Returns the excess risk, the risk of the zero predictor, the eigenvalues of S_hat (the
    network's weight spectrum: outliers following the teacher, zeros from the penalty),
    the number of iterations and whether FISTA met ``tol`` (relative change of S).
    ``design`` "quadratic" samples x_i ~ N(0, I_d) (the network's data); "gaussian" uses
    i.i.d. Gaussian sensing matrices of the same covariance (gaussian_sensing_matrices).
    """
    if design not in ("quadratic", "gaussian"):
        raise ValueError(f"design must be 'quadratic' or 'gaussian', got {design!r}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    teacher = np.arange(1, d + 1, dtype=float) ** (-gamma)
    s_star = np.diag(teacher)
    x = (rng.standard_normal((n, d)) if design == "quadratic"
         else gaussian_sensing_matrices(rng, n, d))
    y = _measure(x, s_star) + np.sqrt(noise) * rng.standard_normal(n)
    # Lipschitz constant of the gradient: top eigenvalue of A^T A by power iteration
    v = rng.standard_normal((d, d))
    v = (v + v.T) / 2
    for _ in range(50):
        v = _adjoint(x, _measure(x, v))
        v /= np.linalg.norm(v)
    lipschitz = float(np.linalg.norm(_adjoint(x, _measure(x, v)))) * 1.05
    mu = lam * np.sqrt(d)
    s = np.zeros((d, d))
    z, t_k = s.copy(), 1.0
    converged = False
    eigenvalues = np.zeros(d)
    for step in range(1, iterations + 1):
        gradient = _adjoint(x, _measure(x, z) - y)
        new, eigenvalues = _prox_nuclear(z - gradient / lipschitz, mu / lipschitz)
        t_next = (1 + np.sqrt(1 + 4 * t_k * t_k)) / 2
        z = new + ((t_k - 1) / t_next) * (new - s)
        change = np.linalg.norm(new - s) / max(np.linalg.norm(new), 1e-300)
        s, t_k = new, t_next
        if change < tol:
            converged = True
            break
    return {"risk": float(2 * np.sum((s - s_star) ** 2) / d),
            "null_risk": float(2 * np.sum(teacher**2) / d),
            "eigenvalues": np.sort(eigenvalues)[::-1], "teacher": teacher,
            "iterations": step, "converged": converged, "seed": seed,
            "versions": {"numpy": np.__version__, "python": platform.python_version()},
            "design": design, "backend": "numpy"}
