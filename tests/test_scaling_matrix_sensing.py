"""State evolution of nuclear-norm matrix sensing (solvers/matrix_sensing_se.py), the convex
form of quadratic networks with weight decay (Defilippis et al. ICLR 2026, arXiv:2509.24882).

Sources of the asserted values: the divergence of a spectral function (Daleckii-Krein;
Candes, Sing-Long, Trzasko 2013, arXiv:1210.4139) checked against finite differences; the
least-squares limit lambda -> 0 of the state evolution, R = Delta D / (n - D) (ordinary least
squares with a Gaussian design of D = d(d+1)/2 unknowns); the plateau R = 2 |S*|_F^2 / d
(everything thresholded); the slow-phase rate (lambda sqrt(d)/n_eff)^(2 - 1/gamma) of the
phase diagram (derive.scaling.weight_decay); simulations by proximal gradient
(solvers/weight_decay.py) with the Gaussian design the state evolution assumes, and with
the network's own data x x^T - I, whose gap to the Gaussian design closes as d grows
(Gaussian universality, Erba et al. 2025, arXiv:2505.17958).
"""

from __future__ import annotations

import numpy as np
import pytest

from solvers.matrix_sensing_se import (
    denoiser_moments,
    matrix_sensing_risk_curve,
    matrix_sensing_state_evolution,
    symmetric_noise,
)
from solvers.weight_decay import quadratic_network


def _soft(x, t):
    values, vectors = np.linalg.eigh(x)
    return (vectors * (np.sign(values) * np.maximum(np.abs(values) - t, 0))) @ vectors.T


def test_divergence_of_eigenvalue_soft_thresholding_matches_finite_differences():
    # div eta = sum over an orthonormal basis E of <E, d eta[E]>, by central differences
    d, t, h = 5, 0.7, 1e-6
    w = symmetric_noise(d, 1, seed=3)
    s = np.array([3.0, 1.5, 0.4, 0.0, -2.0])
    x = w[0] + np.diag(s)
    numeric = 0.0
    for a in range(d):
        for b in range(a, d):
            e = np.zeros((d, d))
            if a == b:
                e[a, a] = 1.0
            else:
                e[a, b] = e[b, a] = 1 / np.sqrt(2)
            numeric += np.sum(e * (_soft(x + h * e, t) - _soft(x - h * e, t))) / (2 * h)
    _, div, _ = denoiser_moments(s, 1.0, t, w)
    assert div == pytest.approx(numeric, rel=1e-5)


def test_least_squares_limit_is_the_gaussian_design_ols_risk():
    # lambda -> 0 with n > D: tau^2 = Delta n / (n - D), R = Delta D / (n - D). The finite-d
    # expectation uses 32 noise draws: E|W|_F^2 = D up to a relative Monte Carlo error
    # sqrt(2 / (32 D)) = 1.7% at d = 20; tolerance 3 of those
    d, noise, samples = 20, 0.5, 32
    teacher = np.arange(1, d + 1) ** -1.0
    dim = d * (d + 1) // 2
    tolerance = 3 * np.sqrt(2 / (samples * dim))
    for n in (3 * dim, 10 * dim):
        p = matrix_sensing_state_evolution(teacher, n, 1e-6, noise, samples=samples)
        assert p.converged
        assert p.risk == pytest.approx(noise * dim / (n - dim), rel=tolerance)


def test_large_weight_decay_is_the_plateau():
    # every eigenvalue thresholded: the estimate is 0 and R = 2 |S*|_F^2 / d
    d = 10
    teacher = np.arange(1, d + 1) ** -0.75
    p = matrix_sensing_state_evolution(teacher, 200, 50.0, 0.1)
    assert p.converged and p.rank == 0
    assert p.risk == pytest.approx(2 * np.sum(teacher**2) / d, rel=1e-9)


def test_state_evolution_matches_the_gaussian_design_simulation():
    # the assumption of the state evolution: Gaussian sensing matrices. d = 20 (D = 210),
    # n = 2 D and 8 D, mean of 4 replicas; stated tolerance 10% (measured ratios
    # simulation / state evolution 0.93 - 1.05 at d = 10, 20, 40 for n from D/2 to 8 D;
    # n < D is not tested here: proximal gradient needs thousands of iterations there)
    d, gamma, noise, lam = 20, 1.0, 0.1, 0.05
    teacher = np.arange(1, d + 1) ** -gamma
    for n in (420, 1680):
        se = matrix_sensing_state_evolution(teacher, n, lam, noise, samples=32)
        sims = [quadratic_network(d, n, lam, gamma, noise, seed=s, design="gaussian")
                for s in range(4)]
        assert all(r["converged"] for r in sims)
        assert np.mean([r["risk"] for r in sims]) == pytest.approx(se.risk, rel=0.10)


@pytest.mark.slow
def test_state_evolution_against_the_quadratic_network_itself():
    # data x x^T - I instead of Gaussian matrices: at d = 20 the network's risk is above the
    # state evolution by 15-25% (measured 1.17-1.23); the gap is the non-Gaussianity of the
    # design and closes with d (d = 40: within 12%, tests not run at that size for time).
    # Stated tolerance at d = 20: 30%, one-sided gap.
    d, gamma, noise, lam = 20, 1.0, 0.1, 0.05
    teacher = np.arange(1, d + 1) ** -gamma
    n = 840
    se = matrix_sensing_state_evolution(teacher, n, lam, noise, samples=32)
    sims = [quadratic_network(d, n, lam, gamma, noise, seed=s) for s in range(3)]
    ratio = np.mean([r["risk"] for r in sims]) / se.risk
    assert 1.0 <= ratio <= 1.3
    ranks = np.mean([np.sum(np.abs(r["eigenvalues"]) > 1e-8) for r in sims])
    assert ranks == pytest.approx(se.rank, abs=1.5)


@pytest.mark.slow
def test_slow_phase_exponent_is_approached_as_d_grows():
    # slow phase of the phase diagram, gamma = 1: R ~ (lambda sqrt(d)/n_eff)^(2 - 1/gamma),
    # slope 1 in lambda at fixed n_eff = d (n = d^2), noise 1e-4, lambda inside the phase.
    # Finite d bends it (measured 0.86 at d = 30, 0.91 at d = 60): the slope must rise
    # toward 1 with d and be within 0.15 of it at d = 60.
    slopes = []
    for d in (30, 60):
        teacher = np.arange(1, d + 1) ** -1.0
        w = symmetric_noise(d, 8, 0)
        lams = np.geomspace(0.3, 2.5, 4) * np.sqrt(d / 30)
        risks = [matrix_sensing_state_evolution(teacher, d * d, lam, 1e-4, noise_draws=w).risk
                 for lam in lams]
        slopes.append(np.polyfit(np.log(lams), np.log(risks), 1)[0])
    assert slopes[0] < slopes[1] <= 1.0 and abs(slopes[1] - 1) < 0.15


def test_risk_curve_is_reproducible_and_converges():
    teacher = np.arange(1, 9) ** -1.0
    a = matrix_sensing_risk_curve(teacher, [20, 80, 320], 0.05, 0.1, seed=4)
    b = matrix_sensing_risk_curve(teacher, [20, 80, 320], 0.05, 0.1, seed=4)
    assert [p.risk for p in a] == [p.risk for p in b]
    assert all(p.converged for p in a)
    with pytest.raises(ValueError):
        matrix_sensing_state_evolution(teacher, 10, 0.0, 0.1)
