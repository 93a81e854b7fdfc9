"""The numeric layer of the scaling laws: LASSO state evolution (solvers/lasso_se.py) against
Monte Carlo and scikit-learn, the phases it reproduces, the quadratic network
(solvers/weight_decay.py) and the hierarchical simulation (solvers/hierarchical.py)."""

from __future__ import annotations

import numpy as np
import pytest

from solvers.hierarchical import crossing_alphas, fit_slope, simulate_hierarchical
from solvers.lasso_se import lasso_simulation, lasso_state_evolution, soft_threshold_mse
from solvers.weight_decay import quadratic_network


def test_soft_threshold_closed_form_equals_monte_carlo():
    # identity: the Gaussian averages of the state evolution in closed form
    rng = np.random.default_rng(0)
    z = rng.standard_normal(2_000_000)
    for x0, tau, t in [(0.0, 1.0, 0.5), (1.3, 0.7, 0.4), (-2.0, 0.5, 1.5)]:
        mse, active = soft_threshold_mse(np.array([x0]), tau, t)
        w = x0 + tau * z
        eta = np.sign(w) * np.maximum(np.abs(w) - t, 0)
        assert abs(mse[0] - np.mean((eta - x0) ** 2)) < 4e-3
        assert abs(active[0] - np.mean(np.abs(w) > t)) < 2e-3


@pytest.mark.slow
def test_state_evolution_matches_scikit_learn_at_finite_d():
    # Bayati-Montanari state evolution vs LASSO on sampled data, d = 200, teacher k^-1:
    # agreement within 3 standard errors plus 5% (finite-d corrections; see bench scaling)
    pytest.importorskip("sklearn")
    teacher = np.arange(1, 201, dtype=float) ** -1.0
    for n, lam in [(100, 0.2), (400, 0.5), (1000, 1.0)]:
        fixed_point = lasso_state_evolution(teacher, n, lam, 0.1)
        sim = lasso_simulation(teacher, n, lam, 0.1, seed=3, replicas=6)
        assert fixed_point.converged
        assert abs(fixed_point.risk - sim["risk"]) <= 3 * sim["stderr"] + 0.05 * sim["risk"]


def test_state_evolution_slow_phase_slope():
    # derive.scaling.weight_decay: slow phase R ~ (lambda sqrt(d)/n)^(2 - 1/gamma);
    # gamma = 1: slope 1 in lambda, inside the phase (s << t << 1, K_t << d)
    d, n = 4000, 16000
    teacher = np.arange(1, d + 1, dtype=float) ** -1.0
    lams = np.geomspace(4, 40, 6)
    risks = [lasso_state_evolution(teacher, n, lam, 0.1).risk for lam in lams]
    slope, _ = fit_slope(lams, risks, 1, 1e9)
    assert abs(slope - 1) < 0.05


def test_state_evolution_parametric_phase_and_interpolation_peak():
    # lambda -> 0, n > d: R = Delta d / (n - d) (least squares); the peak at n = d
    d = 200
    teacher = np.arange(1, d + 1, dtype=float) ** -1.0
    for n in (400, 800):
        risk = lasso_state_evolution(teacher, n, 1e-6, 0.5).risk
        assert abs(risk - 0.5 * d / (n - d)) < 0.02 * risk
    assert lasso_state_evolution(teacher, 220, 1e-6, 0.5).risk > 4.0


@pytest.mark.slow
def test_quadratic_network_parametric_phase_slope():
    # quadratic network (nuclear-norm form), lambda -> 0, n >> d^2: R ~ d^2 / n, slope -1 in n
    d = 16
    ns = np.array([4, 8, 16, 32]) * d * d
    risks = [quadratic_network(d, int(n), 1e-3, 1.0, 0.5, seed=1)["risk"] for n in ns]
    slope, _ = fit_slope(ns, risks, 1, 1e9)
    assert abs(slope + 1) < 0.2


def test_quadratic_network_weight_decay_zeroes_the_spectrum_tail():
    # the penalty kills the eigenvalues below its threshold: more zeros as lambda grows
    small = quadratic_network(12, 600, 0.3, 1.0, 0.1, seed=0)
    large = quadratic_network(12, 600, 3.0, 1.0, 0.1, seed=0)
    assert small["converged"] and large["converged"]
    assert np.sum(large["eigenvalues"] != 0) < np.sum(small["eigenvalues"] != 0)


@pytest.mark.slow
def test_hierarchical_cascade_and_why_its_slope_is_not_yet_minus_one_half():
    # gamma = 1, He_2: -1/2 asymptotically (THEORY.md section 7). At d = 400, P = 20 the
    # cascade window (1 <= learned < P) gives a steeper slope (-0.638 +- 0.028, seed 0). The
    # engine's exact proportional-limit prediction at the same (d, P)
    # (derive.scaling.validate.exact_prediction: Lu-Li / Mondelli-Montanari outliers and
    # overlaps, arXiv:1702.06435, 1708.05932) has the same slope (-0.639) and the
    # simulation / prediction ratio stays at 1.07-1.08 across the window (no drift); the
    # prediction itself is not asymptotic there (finite P: -0.639; P -> infinity: -0.565),
    # so the verdict on -1/2 stays undecided instead of widening the tolerance.
    from derive.scaling.hierarchical import hierarchical_scaling
    from derive.scaling.validate import exact_prediction, validate_hierarchical

    v = validate_hierarchical(hierarchical_scaling("He2(z)", 1), d=400, directions=20,
                              points=10, seed=0)
    run = v.run
    assert list(run.learned) == sorted(run.learned) and run.learned[-1] >= 5
    first = crossing_alphas(run, 0.5)
    assert first[0] is not None and first[0] <= 20     # direction 1 learned early
    assert abs(v.slope - v.finite_slope) < 2 * v.stderr                # the exact limit
    assert max(v.ratio_ends) / min(v.ratio_ends) < 1.1 and 1 < min(v.ratio_ends) < 1.2
    assert v.finite_slope - v.asymptotic_window_slope < -0.05          # finite P
    assert v.asymptotic_window_slope < -0.55                           # k* not >> 1
    assert v.agrees is None and "not asymptotic" in v.reason
    # the prediction itself: P -> infinity slope -> -1/2 only once n/d >> (log n)^2
    # (the label maximum sets the bulk edge below that): -0.508 on [1.6e4, 1e5] at d = 400
    e = exact_prediction(1.0, 1.0, 20, 400, [1.6e4, 1e5], infinite=True)
    assert abs(np.log(e[1] / e[0]) / np.log(1e5 / 1.6e4) + 0.5) < 0.02


def test_hierarchical_simulation_records_seed_and_is_reproducible():
    args = (lambda z: z**2 - 1, 1.0, 40, 4, [5.0, 20.0])
    a = simulate_hierarchical(*args, seed=7)
    b = simulate_hierarchical(*args, seed=7)
    assert a.risk == b.risk and a.to_dict()["seed"] == 7 and "numpy" in a.versions


def test_hierarchical_limit_counts_hidden_directions_in_the_bulk():
    # Lu-Li 2017 / Mondelli-Montanari 2019 are fixed-P results: a bulk of the d - P
    # coordinates orthogonal to the directions. With P = 3d/4 the directions without an
    # outlier are bulk too (solvers/hierarchical_limit.py, "Many directions"): the limit with
    # a bulk of d - r (r outliers) tracks the simulation (d = 120, seed 0: 0.98-1.10), the
    # fixed-spike count d - P misses it by a factor 2.15-2.37 while the learned counts agree.
    from derive.scaling.hierarchical import hierarchical_scaling
    from derive.scaling.validate import RATIO_LEVEL, validate_hierarchical
    from solvers.hierarchical_limit import hierarchical_risk_limit

    v = validate_hierarchical(hierarchical_scaling("He2(z)", 1), d=120, directions=90,
                              points=4, seed=0, min_alpha=50, max_alpha=400)
    ratio = np.asarray(v.run.risk) / np.asarray(v.prediction)
    assert np.all((ratio > 0.9) & (ratio < 1.15)), ratio
    assert 1 / RATIO_LEVEL < min(v.ratio_ends) and max(v.ratio_ends) < RATIO_LEVEL
    assert "does not describe the simulation" not in v.reason
    fixed, _ = hierarchical_risk_limit(1 / np.arange(1, 91), 0.0, v.run.alphas, 120, bulk=30)
    assert np.all(np.asarray(v.run.risk) / fixed > 2.0)
    # the window is still not asymptotic at this size: undecided, never widened
    assert v.agrees is None and "not asymptotic" in v.reason
