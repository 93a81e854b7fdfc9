"""The grand staircase of weak recovery (Troiani et al. AISTATS 2025, THEORY.md §5).

After a first step learns a direction u, the remaining direction t is recovered from the
augmented label (y, s = <z, u>). Reference values:
- when y and s determine t^2 (z1 + z2^2, z1^2 z2, z1^2 + 2 z2^2), the second step is noiseless
  phase retrieval in t: alpha_c = 1/2 (Mondelli-Montanari 2018);
- y = |z|^2 in r = 2: G(y) = (y/2 - 1) I, nu_1 = Var(y)/4 = 1, alpha_c = 1 for both at once;
- z1 z2: both directions at alpha_c = 0.59375 (Defilippis et al. 2025);
- z1 + h(z2): the second step is the single-index threshold of h, computed independently by
  the mpmath level sets of derive.thresholds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import analysis_of

import derive
from derive.grand_staircase import grand_staircase
from derive.levelsets_numeric import conditional_square_moments


@pytest.mark.parametrize("text,coefficients", [
    ("He4(z)", [1, 0, -6, 0, 3]),
    ("z**3 - 3*z", [1, 0, -3, 0]),
    ("z**3 + z**2", [1, 1, 0, 0]),
])
def test_float_level_sets_match_the_certified_engine(text, coefficients):
    """A1 = lambda_1^2 and A2 = 2 lambda_2^2 (h_2 = (t^2 - 1)/sqrt 2), two independent codes."""
    a1, a2, error = conditional_square_moments(np.array(coefficients, dtype=float))
    moments = derive.analyze(text, conditional=True).conditional
    assert a1 == pytest.approx(float(moments[0].value), abs=10 * error + 1e-9)
    assert a2 == pytest.approx(2 * float(moments[1].value), abs=10 * error + 1e-9)
    assert error < 1e-5


def _steps(text):
    staircase = grand_staircase(analysis_of(text))
    return staircase, [(s.klass, s.alpha_c, s.dimension_added) for s in staircase.steps]


def _quadratic_form_threshold(a: float, b: float) -> float:
    """alpha_c of y = a z1^2 + b z2^2, computed independently of the engine's level curves.

    By the sign flips G(y) = diag(g1, g2), g_i = E[z_i^2 - 1 | y], so F is diagonal on
    (e11, e22, (e12 + e21)/sqrt 2) with entries E[g1^2], E[g2^2], E[g1 g2] and alpha_c is one
    over the largest. The conditional law of (z1, z2) on the ellipse y is parametrised by
    z1 = sqrt(y/a) cos t, z2 = sqrt(y/b) sin t (Jacobian 1/(2 sqrt(ab))): a periodic
    trapezoid rule in t inside scipy's adaptive quadrature in y.
    """
    from scipy import integrate

    t = np.linspace(0, 2 * np.pi, 2001)[:-1]
    dt = t[1] - t[0]

    def inner(y):
        z1, z2 = np.sqrt(y / a) * np.cos(t), np.sqrt(y / b) * np.sin(t)
        w = np.exp(-(z1**2 + z2**2) / 2) / (2 * np.pi * 2 * np.sqrt(a * b))
        return w.sum() * dt, ((z1**2 - 1) * w).sum() * dt, ((z2**2 - 1) * w).sum() * dt

    def moment(i, j):
        def f(y):
            q = inner(y)
            return q[i] * q[j] / q[0]
        return integrate.quad(f, 0, 150 * max(a, b), limit=400, epsabs=1e-13,
                              epsrel=1e-12)[0]

    return 1 / max(moment(1, 1), moment(2, 2), moment(1, 2))


@pytest.mark.parametrize("text,first_alpha,first_direction", [
    ("z1 + z2**2", 0.0, (1, 0)),
    ("z1**2*z2", 0.0, (0, 1)),
    ("z1**2 + 2*z2**2", "quadratic form", (0, 1)),
])
def test_second_step_is_phase_retrieval(text, first_alpha, first_direction):
    if first_alpha == "quadratic form":
        first_alpha = _quadratic_form_threshold(1.0, 2.0)  # 0.61572001...
    staircase, steps = _steps(text)
    assert [s[0] for s in steps][1] == "easy"
    assert steps[0][1] == pytest.approx(first_alpha, abs=1e-6)
    assert np.allclose(np.abs(staircase.steps[0].directions[0]), first_direction, atol=1e-9)
    second = staircase.steps[1]
    assert second.alpha_c == pytest.approx(0.5, abs=max(10 * second.error_bound, 1e-8))
    assert second.error_bound < 1e-6
    assert staircase.complete


def test_norm_learns_both_directions_at_alpha_one():
    _, steps = _steps("z1**2 + z2**2")
    assert steps == [("easy", pytest.approx(1.0, abs=2e-5), 2)]


def test_product_learns_both_directions_at_once():
    _, steps = _steps("z1*z2")
    assert steps == [("easy", pytest.approx(0.59375, abs=1e-4), 2)]


def test_second_step_matches_single_index_threshold():
    """z1 + (z2^4 - 6 z2^2): E[z1|y] != 0 first; then y - s fixes h(t) = t^4 - 6 t^2, so the
    second threshold is that of the single-index link h (level sets in mpmath)."""
    staircase, steps = _steps("z1 + z2**4 - 6*z2**2")
    assert steps[0][:1] == ("trivial",) and steps[0][2] == 1
    single = derive.analyze("z**4 - 6*z**2").recovery()
    assert single.klass == "easy"
    second = staircase.steps[1]
    assert second.alpha_c == pytest.approx(single.alpha_c, rel=1e-4)


@pytest.mark.parametrize("text", ["z1 + z2**2", "z1**2*z2", "z1*z2", "z1 + z1*z2",
                                  "z1**2 + 2*z2**2"])
def test_trivial_directions_agree_with_the_generative_filtration(text):
    """Trivial directions = span E[z|y] = the order-1 first step of the generative leap
    filtration (Damian, Lee, Bruna 2025), which the engine computes exactly."""
    analysis = analysis_of(text)
    generative = analysis.multi_index.generative
    first = grand_staircase(analysis).steps[0]
    order_one = generative.steps[0].order == 1
    assert (first.klass == "trivial") == order_one
    if order_one:
        assert first.dimension_added == len(generative.steps[0].basis)


def test_json_carries_the_steps(cli):
    result = cli("analyze", "z1 + z2**2", "--json")
    assert result.returncode == 0, result.stderr
    recovery = json.loads(result.stdout)["weak_recovery"]
    assert [s["dimension_added"] for s in recovery["steps"]] == [1, 1]
    assert recovery["steps"][1]["alpha_c"] == pytest.approx(0.5, abs=1e-6)
    assert recovery["grand_staircase"]["complete"] is True
