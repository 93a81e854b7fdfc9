"""Learning-rate phase diagrams (Tsiolis, Mousavi-Hosseini, Erdogdu, NeurIPS 2025; THEORY.md §6).

Reference values: He_3 with alternating layer-wise SGD, e(kappa) = min(2, 1 + 2 kappa) with the
transition at eta ~ d^{-1/2} (THEORY.md §6, the paper's He_3 example). Identities: for small
learning rates both rules fall back to online SGD, n ~ d^max(IE-1, 1) (Ben Arous et al. 2021);
the alternating rule's large-rate exponent is max(IE(sigma*^2) - 1, 1); batch reuse at
eta ~ 1/d reaches d^max(GE-1, 1) for polynomials (Lee et al. 2024, GE <= 2).
"""

from __future__ import annotations

import json

import pytest
import sympy
from conftest import analysis_of

import derive
from derive.errors import DeriveError
from derive.lr_phase import KAPPA, learning_rate_phase


def test_he3_alternating_reference():
    phase = learning_rate_phase(analysis_of("He3(z)"), "alternating")
    assert phase.exponent == sympy.Min(2, 1 + 2 * KAPPA)
    assert phase.transitions == (sympy.Rational(1, 2),)
    assert phase.valid_range == (0, sympy.oo)
    # the i = 2 line (d log d, as online SGD with IE 2) is active below the transition
    assert phase.log_intervals == ((0, sympy.Rational(1, 2)),)


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_alternating_matches_exponents_formula(k):
    """e(kappa) = min(max(p-1,1), 2 kappa + max(p2-1,1)), p = IE(He_k), p2 = IE(He_k^2)."""
    p = derive.analyze(f"He{k}(z)").information_exponent.value
    p2 = derive.analyze(f"He{k}(z)**2").information_exponent.value
    phase = learning_rate_phase(analysis_of(f"He{k}(z)"), "alternating")
    expected = sympy.Min(max(p - 1, 1), 2 * KAPPA + max(p2 - 1, 1))
    for kappa in [0, sympy.Rational(1, 4), sympy.Rational(1, 2), 1, 2, 5]:
        assert phase.at(kappa) == expected.subs(KAPPA, kappa)


@pytest.mark.parametrize("text", ["He3(z)", "He4(z)", "He3(z) + He5(z)"])
def test_small_rates_recover_online_sgd(text):
    analysis = analysis_of(text)
    online = max(analysis.information_exponent.value - 1, 1)
    for algorithm in ("alternating", "batch-reuse"):
        phase = learning_rate_phase(analysis, algorithm)
        assert phase.at(50) == online


@pytest.mark.parametrize("text", ["He3(z)", "He4(z)", "He2(z) + He4(z)"])
def test_batch_reuse_generative_regime_at_one_over_d(text):
    analysis = analysis_of(text)
    generative = analysis.generative_exponent.value
    phase = learning_rate_phase(analysis, "batch-reuse")
    assert phase.at(1) == max(generative - 1, 1)
    assert phase.at(sympy.Rational(1, 2)) == phase.at(1)  # kappa < 1: reported as e(1)


def test_he3_batch_reuse_interpolates():
    phase = learning_rate_phase(analysis_of("He3(z)"), "batch-reuse")
    assert phase.transitions == (sympy.Rational(3, 2),)
    assert phase.at(sympy.Rational(5, 4)) == sympy.Rational(3, 2)
    assert phase.piecewise.subs(KAPPA, sympy.Rational(1, 2)) == 1


@pytest.mark.parametrize("p", [3, 4, 5])
def test_batch_reuse_transition_matches_the_stated_condition(p):
    """Tsiolis et al. 2025, Algorithm 1 and Theorem 3.3 as quoted in a public summary of the
    paper (the paper's text itself was not available): batch reuse stays in the information
    regime for eta <= d^((A_j - A_i)/(2 (j - i)) - 1), A_k = max(IE(sigma*^k) - 1, 1), falls
    back to online SGD for eta <~ d^-(p+1)/2 and reaches the generative regime at eta ~ 1/d.
    For He_p: A_1 = p - 1, A_2 = 1 (IE(He_p^2) = 2), so kappa* = 1 + (p - 2)/2 = p/2."""
    phase = learning_rate_phase(analysis_of(f"He{p}(z)"), "batch-reuse")
    assert phase.transitions == (sympy.Rational(p, 2),)
    assert phase.at(sympy.Rational(p + 1, 2)) == p - 1
    assert phase.at(1) == 1


def test_label_noise_does_not_change_the_exponents():
    # E[(sigma + sqrt(D) xi)^m | a] differs from sigma^m by lower powers only
    clean = learning_rate_phase(analysis_of("He3(z)"), "alternating")
    noisy = learning_rate_phase(derive.analyze("He3(z); noise = 0.3"), "alternating")
    assert clean.exponent == noisy.exponent


def test_student_parity_kills_terms():
    """Odd student tanh and even target z^2 exp(-z^2): the y-term needs odd i, the target only
    has even ones, and E[sigma*^2 He_2] = 0 (the target's generative exponent is 4), so the
    first line is 2 kappa + 3 and only a bounded range of kappa is certified."""
    phase = learning_rate_phase(derive.analyze("z**2*exp(-z**2)"), "alternating",
                                student="tanh(z)")
    assert phase.exponent == 2 * KAPPA + 3
    assert phase.valid_range == (0, 2)


def test_errors():
    with pytest.raises(DeriveError, match="single-index"):
        learning_rate_phase(derive.analyze("z1*z2"), "alternating")
    with pytest.raises(DeriveError, match="smooth"):
        learning_rate_phase(analysis_of("relu(z)"), "batch-reuse")
    with pytest.raises(DeriveError, match="unknown algorithm"):
        learning_rate_phase(analysis_of("He3(z)"), "adam")


def test_cli_json_and_plot(cli, tmp_path):
    out = tmp_path / "phase.pdf"
    result = cli("lr-phase", "He3", "--algorithm", "alternating", "--json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["exponent"] == "Min(2, 2*kappa + 1)"
    assert data["transitions"] == ["1/2"]
    assert data["source"] == "Tsiolis2025"
    assert out.read_bytes().startswith(b"%PDF")
    bad = cli("lr-phase", "He3", "-o", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_registry_entry_uses_the_phase():
    predictions = {p.key: p for p in analysis_of("He3(z)").predictions}
    entry = predictions["alternating-sgd-constant-rate"]
    assert entry.applies and entry.d_exponent == 1 and entry.log_factor


@pytest.mark.parametrize("text", ["z", "He2(z)"])
def test_cli_table_for_a_constant_exponent(cli, text):
    # e(kappa) without a transition is a plain expression, not a Piecewise
    result = cli("lr-phase", text)
    assert result.returncode == 0, result.stderr
    assert "T = d" in result.stdout
