"""The diagonal (LASSO) network below the noise line, checked with the LASSO state evolution
at large d (solvers/lasso_se_limit.py; Bayati, Montanari 2012, arXiv:1008.2581): the risk
tends to the minimum-l1 interpolator's R0 = Delta m/(n/d - m) ~ Delta/log(d/n) (Wang,
Donhauser, Yang 2022, arXiv:2111.05987, Thm 1), d-exponent 0, while the tuned lambda on the
noise line t ~ s sqrt(2 log(d/n)) reaches the fast rate n^(-(1 - 1/(2 gamma))).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from scipy import optimize, special

from derive.scaling.weight_decay import N_EFF, D, interpolation_leak, phase_diagram
from solvers.lasso_se import lasso_state_evolution, soft_threshold_mse
from solvers.lasso_se_limit import (
    WeightedTeacher,
    lasso_state_evolution_limit,
    pure_noise_interpolation_risk,
)


@pytest.mark.parametrize("d, n, lam", [(2000, 200, 0.0), (2000, 200, 0.05), (2000, 4000, 0.02)])
def test_large_d_evaluation_is_the_finite_d_state_evolution(d, n, lam):
    # same equations; only the average over k > 400 is a quadrature (Euler-Maclaurin)
    exact = lasso_state_evolution(np.arange(1, d + 1) ** -1.0, n, lam, 1.0).risk
    assert lasso_state_evolution_limit(1.0, d, n, lam, 1.0).risk == pytest.approx(exact, rel=1e-7)


def test_upper_tail_probability_is_exact():
    # P(|Z| > 9) = 2 Phi(-9) = 2.2571768e-19 (1 - Phi(9) rounds to 0 in double precision)
    _, active = soft_threshold_mse(np.zeros(1), 1.0, 9.0)
    assert active[0] == pytest.approx(2 * special.ndtr(-9.0), rel=1e-12)


@pytest.mark.parametrize("delta", [1e-2, 1e-6])
def test_zero_teacher_at_lambda_zero_is_the_min_l1_interpolation_identity(delta):
    d = 1e12
    zero = WeightedTeacher(np.zeros(1), np.array([d]))
    fp = lasso_state_evolution_limit(zero, d, delta * d, 0.0, 1.0)
    assert fp.risk == pytest.approx(pure_noise_interpolation_risk(delta, 1.0), rel=1e-8)
    # the active set fills the n equations: 2 Phi(-alpha) = delta
    assert fp.active == pytest.approx(delta * d, rel=1e-8)


def test_min_l1_interpolation_risk_is_delta_over_log():
    # R0 log(1/delta) -> 1 from above (alpha^2 ~ 2 log(1/delta), R0 ~ 2 Delta/alpha^2)
    values = [pure_noise_interpolation_risk(10.0**-k, 2.0) * np.log(10.0**k) / 2
              for k in (6, 12, 24, 48)]
    assert all(x > y > 1 for x, y in itertools.pairwise(values))
    assert values[-1] < 1.05


def test_below_the_noise_line_the_risk_is_the_interpolators_not_the_fast_rate():
    # a = 1/2, lambda = d^(a/2 - 3/4): t = s d^(-1/4); the earlier table said d^(-1/4)
    a, b = 0.5, -0.5
    risks = []
    for d in (1e20, 1e30):
        n = d**a
        fp = lasso_state_evolution_limit(1.0, d, n, d**b, 1.0)
        assert fp.risk == pytest.approx(pure_noise_interpolation_risk(n / d, 1.0), rel=5e-3)
        risks.append(fp.risk)
    slope = np.log(risks[1] / risks[0]) / np.log(1e10)
    assert -0.03 < slope < 0          # Delta/log(d^(1/2)): -1/ln d ~ -0.02, not -0.25
    pd = phase_diagram("diagonal", 1, noise=1)
    assert pd.locate(sympy.Rational(1, 2), sympy.Rational(-1, 2)).name == "interpolation"
    assert pd.exponent_at(sympy.Rational(1, 2), sympy.Rational(-1, 2)) == 0


def test_tuned_lambda_reaches_the_fast_rate_on_the_noise_line():
    # risk minimised over lambda at n = d^(1/2): slope -1/4 (gamma = 1) up to the
    # sqrt(log) factor (+1/(2 ln d) ~ +0.02)
    a, risks, ratios = 0.5, [], []
    for d in (1e8, 1e14):
        n = d**a
        s = np.sqrt(n / d)

        def log_risk(u, d=d, n=n, s=s):
            return np.log(lasso_state_evolution_limit(1.0, d, n, s * np.exp(u), 1.0).risk)

        best = optimize.minimize_scalar(log_risk, bounds=(-2, 4), method="bounded",
                                        options={"xatol": 1e-3})
        risks.append(np.exp(best.fun))
        ratios.append(np.exp(best.x) / np.sqrt(2 * np.log(d / n)))
    slope = np.log(risks[1] / risks[0]) / np.log(1e6)
    assert -0.25 < slope < -0.2
    assert all(0.9 < r < 1.5 for r in ratios)          # t_opt ~ s sqrt(2 log(d/n))
    fast = phase_diagram("diagonal", 1, noise=1).phase("fast")
    assert fast.contains(sympy.Rational(1, 2), sympy.Rational(-1, 4)) and fast.log_factor


@pytest.mark.parametrize("gamma", [0.75, 2.0])
def test_interpolation_phase_for_other_teachers(gamma):
    # the leak Delta/log(d/n) does not depend on the teacher; its signal part is a power
    d = 1e30
    fp = lasso_state_evolution_limit(gamma, d, d**0.5, d**-0.5, 1.0)
    assert fp.risk == pytest.approx(pure_noise_interpolation_risk(d**-0.5, 1.0), rel=1e-2)


def test_noiseless_fast_phase_holds_at_lambda_zero():
    # Delta = 0, gamma = 3/2, n = d^(1/2): table exponent -(2 gamma - 1) a = -1; log factors
    # make the local slope approach it from above (-0.938, -0.951 at d = 1e12-1e20)
    risks = [lasso_state_evolution_limit(1.5, d, d**0.5, 0.0, 0.0).risk for d in (1e16, 1e20)]
    slope = np.log(risks[1] / risks[0]) / np.log(1e4)
    assert -1.0 < slope < -0.93
    assert phase_diagram("diagonal", sympy.Rational(3, 2), noise=0).exponent_at(
        sympy.Rational(1, 2), -2) == -1


def test_just_above_the_noise_line_the_slow_phase_holds():
    # t = s d^(1/10) at n = d^(1/2): slow exponent b + 1/2 - a = -0.15 (gamma = 1); the
    # calibration must reach alpha = t/s ~ d^(1/10) >> 50
    risks = [lasso_state_evolution_limit(1.0, d, d**0.5, d**-0.15, 1.0) for d in (1e20, 1e30)]
    assert all(fp.converged and fp.alpha > 50 for fp in risks)
    slope = np.log(risks[1].risk / risks[0].risk) / np.log(1e10)
    assert slope == pytest.approx(-0.15, abs=5e-3)
    assert phase_diagram("diagonal", 1, noise=1).locate(
        sympy.Rational(1, 2), sympy.Rational(-3, 20)).name == "slow"


def test_sympy_leak_rate_matches_the_exact_fixed_point():
    # interpolation_leak derives R0 ~ Delta/log(d/n) from alpha^2 m/delta -> 2 and the Mills
    # ratio; the exact R0 = Delta m/(delta - m) approaches it (ratio -> 1 from above)
    rate, exponent = interpolation_leak(2)
    assert rate == 2 / sympy.log(D / N_EFF) and exponent == 0
    delta = 1e-40
    exact = pure_noise_interpolation_risk(delta, 2.0)
    predicted = float(rate.subs({D: 1, N_EFF: delta}))
    assert 1 < exact / predicted < 1.05
