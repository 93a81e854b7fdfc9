"""Weak-recovery thresholds of single-index targets (THEORY.md §5)."""

from __future__ import annotations

import json
import math

import pytest
import sympy

from derive import analyze, parse_target


def test_phase_retrieval_is_one_half():
    """Noiseless phase retrieval y = z^2: alpha_c = 1/2 (Mondelli-Montanari 2018; Troiani et al.
    2025), exactly: E[z^2|y] = y and E[(y - 1)^2] = 2."""
    w = analyze("z**2").weak_recovery
    assert w.klass == "easy" and w.alpha_c_exact == sympy.Rational(1, 2)
    for text in ("abs(z)", "exp(-z**2)", "tanh(z)**2"):
        assert analyze(text).weak_recovery.alpha_c_exact == sympy.Rational(1, 2)


def test_he3_is_trivial():
    w = analyze("He3(z)").weak_recovery
    assert w.klass == "trivial" and w.alpha_c == 0


def test_discrete_label_closed_form():
    """y = sign(z^2 - 1): lambda_2^2 = 2 phi(1)^2 / (P+ P-), P+ = P(|z| > 1), so
    alpha_c = pi e P+ P- / 2."""
    w = analyze("sign(He2(z))").weak_recovery
    p_in = math.erf(1 / math.sqrt(2))
    assert w.alpha_c == pytest.approx(math.pi * math.e * (1 - p_in) * p_in / 2, rel=1e-12)
    assert w.alpha_c_exact is not None


def test_hard_when_second_order_vanishes():
    """z^2 exp(-z^2) has GE = 4: E[z|y] = 0 and E[z^2|y] = 1, no first-order method at n ~ d."""
    assert analyze("z**2*exp(-z**2)").weak_recovery.klass == "hard"
    assert analyze("annulus").weak_recovery.alpha_c is None


def test_numeric_threshold_matches_conditional_moment():
    """alpha_c = 1/(2 lambda_2^2) with lambda_2^2 from the level sets (He4)."""
    a = analyze("He4(z)", max_order=2, conditional=True)
    second = a.conditional[1]
    assert a.weak_recovery.alpha_c == pytest.approx(1 / (2 * second.value), rel=1e-10)
    assert a.weak_recovery.error_bound < 1e-8


def test_noise_raises_the_threshold():
    """Noise loses information: alpha_c(z^2 + noise) > alpha_c(z^2) = 1/2."""
    noisy = analyze("z**2; noise = 0.5").weak_recovery
    assert noisy.klass == "easy" and noisy.alpha_c > 0.5


def test_threshold_cli(cli):
    result = cli("threshold", "z**2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["weak_recovery"]
    assert data["alpha_c"] == 0.5 and data["class"] == "easy"
    assert "1 - 1/" in data["optimal_preprocessing"]


def test_two_index_product_threshold():
    """z1 z2: alpha_c ~ 0.59375 (Defilippis et al. 2025, THEORY.md §5); G(y) has the Bessel
    closed form E[z1^2 | y] = |y| K1(|y|)/K0(|y|), E[z1 z2 | y] = y, whose F gives 0.593751."""
    from derive.thresholds import weak_recovery_two_index

    t = parse_target("z1*z2")
    w = weak_recovery_two_index(t.expression, t.variables)
    assert w.klass == "easy"
    assert w.alpha_c == pytest.approx(0.59375, abs=5e-6)
    assert w.error_bound < 1e-4


def test_two_index_identities():
    """y = z1^2 + z2^2: E[z z^T - I | y] = (y/2 - 1) I, F = Var(y/2) Id = Id, alpha_c = 1.
    z1^2 - z2^2 = 2 w1 w2 in the rotated basis: the same threshold as z1 z2 (rotation
    invariance). z1 z2 + z1: E[z1 | y] != 0, trivial."""
    from derive.thresholds import weak_recovery_two_index

    def alpha(text):
        t = parse_target(text)
        return weak_recovery_two_index(t.expression, t.variables)

    assert alpha("z1**2 + z2**2").alpha_c == pytest.approx(1.0, abs=1e-5)
    assert alpha("z1**2 - z2**2").alpha_c == pytest.approx(alpha("z1*z2").alpha_c, abs=1e-5)
    assert alpha("z1*z2 + z1").klass == "trivial"


def test_threshold_cli_two_index(cli):
    data = json.loads(cli("threshold", "z1*z2", "--json").stdout)["weak_recovery"]
    assert data["class"] == "easy" and abs(data["alpha_c"] - 0.59375) < 1e-4
    # r = 3 without a threshold engine: the class from the generative filtration
    # (E[z1 y] = E[z1^4] = 3 != 0: trivial along e1; derive.thresholds_leap)
    data = json.loads(cli("threshold", "z1*z2*z3 + z1**3", "--json").stdout)["weak_recovery"]
    assert data["class"] == "trivial" and data["alpha_c"] == 0.0
    bad = cli("threshold", "tanh(z1 + z2 + z3 + z4 + z1*z5)")  # r = 5, not analysable
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
