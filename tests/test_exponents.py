"""Information and generative exponents: public values, theorems as identities, certificates."""

from __future__ import annotations

import json
import math

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derive import analyze, hermite_expansion, parse_target
from derive.exponents import conditional_moments, generative_exponent, information_exponent

from conftest import analysis_of


# THEORY.md §2-3: Ben Arous et al. 2021 (IE), Damian, Pillaud-Vivien, Lee, Bruna 2024 (GE)
@pytest.mark.parametrize(
    "text, ie, ge",
    [
        ("He3(z)", 3, 1),
        ("He2(z)", 2, 2),
        ("z**2", 2, 2),
        ("abs(z)", 2, 2),
        ("sign(z)", 1, 1),
        ("relu(z)", 1, 1),
        ("tanh(z)", 1, 1),
        # even polynomial: GE <= 2 for polynomials (DPLB 2024), odd orders vanish by parity
        ("He4(z)", 4, 2),
    ],
)
def test_public_exponents(text, ie, ge):
    a = analysis_of(text)
    assert a.information_exponent.value == ie
    assert a.generative_exponent.value == ge


@pytest.mark.parametrize("k", range(1, 11))
def test_information_exponent_of_hermite_polynomials(k):
    assert analysis_of(f"He{k}(z)").information_exponent.value == k


@pytest.mark.parametrize("k", range(1, 9))
def test_generative_exponent_of_hermite_polynomials(k):
    """Polynomials have GE <= 2 (DPLB 2024): GE(He_k) = 1 for odd k, 2 for even k."""
    assert analysis_of(f"He{k}(z)").generative_exponent.value == (1 if k % 2 else 2)


def test_every_zero_below_the_exponent_is_certified():
    for text in ["He3(z)", "abs(z)", "z**2*exp(-z**2)", "tanh(z) - z/2"]:
        a = analysis_of(text)
        for result in (a.information_exponent, a.generative_exponent):
            zeros = [e for e in result.evidence if e.status == "zero"]
            assert len(zeros) == result.value - 1
            for e in zeros:
                assert e.certificate.kind in {"exact-symbolic", "symmetry", "numeric"}
                if e.certificate.kind == "numeric":
                    assert e.certificate.bound is not None and e.certificate.bound <= 1e-19


def test_annulus_has_generative_exponent_four():
    """y = 1{a < |z| < b} with a phi(a) = b phi(b): E[He_2 1_A] = 2(a phi(a) - b phi(b)) = 0.

    With a^2 = log 2 and b^2 = 2 log 2: a phi(a) = sqrt(log 2) / (2 sqrt(pi)) = b phi(b).
    A discrete label, so every lambda_k^2 is a closed form: GE = IE = 4 exactly.
    """
    a = analysis_of("step(z**2 - log(2)) * step(2*log(2) - z**2)")
    assert a.generative_exponent.value == 4
    assert a.information_exponent.value == 4
    assert {e.certificate.kind for e in a.generative_exponent.evidence[:3]} <= {"exact-symbolic", "symmetry"}


def test_smooth_link_with_generative_exponent_four():
    """y = z^2 exp(-z^2): the two roots t1 < 1 < t2 of t e^{-t} = y (t = z^2) carry weights
    proportional to 1 / |1 - t_i|, so E[z^2 | y] = (t2 - t1)/(t2 - t1) = 1 for every y and
    lambda_2^2 = 0; odd orders vanish by parity and c_4 != 0, so GE = 4 (not rounded to 2).
    """
    a = analysis_of("z**2*exp(-z**2)")
    assert a.information_exponent.value == 4
    assert a.generative_exponent.value == 4
    second = a.generative_exponent.evidence[1]
    assert second.status == "zero" and second.certificate.kind == "numeric"
    assert second.certificate.bound <= 1e-19


@pytest.mark.parametrize(
    "link",
    ["He3(z)", "relu(z)", "abs(z)", "He2(z)", "sign(z)", "He4(z)",
     "step(z**2 - log(2)) * step(2*log(2) - z**2)", "z**2*exp(-z**2)"],
)
@pytest.mark.parametrize("transform", ["({})**3", "exp({})", "({}) + ({})**3", "tanh({})"])
def test_generative_exponent_invariant_under_injective_label_maps(link, transform):
    """GE depends on the sigma-algebra of y only (DPLB 2024): y -> T(y) injective keeps it."""
    if transform == "exp({})" and link in ("He3(z)", "He2(z)", "He4(z)"):
        pytest.skip("exp of a polynomial of degree >= 2 is not square-integrable")
    base = analysis_of(link).generative_exponent.value
    mapped = analysis_of(transform.format(link, link)).generative_exponent.value
    assert mapped == base


@pytest.mark.parametrize("text", ["He3(z)", "relu(z)", "z**2*exp(-z**2)", "abs(z) - tanh(z)",
                                  "sign(He3(z))", "max(z, z**2 - 1)"])
def test_generative_at_most_information(text):
    a = analysis_of(text)
    assert a.generative_exponent.value <= a.information_exponent.value


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=6))
def test_polynomials_have_generative_exponent_at_most_two(coefficients):
    """DPLB 2024: every polynomial link has GE <= 2; and GE <= IE always."""
    z = parse_target("z").expression
    poly = sum(c * sympy.hermite_prob(i, z) for i, c in enumerate(coefficients))
    if sympy.Poly(poly, z).degree() < 1:
        return
    e = hermite_expansion(sympy.expand(poly), 8)
    ie = information_exponent(e).value
    ge = generative_exponent(e, None).value
    assert ge in (1, 2)
    assert ie is None or ge <= ie


def test_noise_leaves_exponents_unchanged():
    """Additive Gaussian noise: convolution with N(0, Delta) is injective, zeros do not move."""
    for text in ["He3(z)", "z**2", "z**2*exp(-z**2)"]:
        clean = analysis_of(text)
        noisy = analyze(text, noise="0.5")
        assert noisy.information_exponent.value == clean.information_exponent.value
        assert noisy.generative_exponent.value == clean.generative_exponent.value
        assert "noise" in noisy.generative_exponent.summary


def test_undetermined_is_said_not_guessed():
    """A label that is a.s. constant (sign(z)^2 = 1 a.e.) has no exponent up to any K."""
    a = analyze("sign(z)**2 + 0*z", max_order=6)
    assert a.information_exponent.value is None
    assert a.generative_exponent.value is None
    assert "undetermined up to order 6" in a.generative_exponent.summary


def test_conditional_moments_closed_forms():
    """z^2 and |z| determine |z|: lambda_k^2 = E[h_k^2] = 1 for even k, 0 for odd k.
    sign: lambda_k^2 = 4 (He_{k-1}(0) phi(0))^2 / k!, so lambda_1^2 = 2/pi.
    Injective tanh: lambda_k^2 = 1 for all k (Parseval for h_k)."""
    for text in ["z**2", "abs(z)"]:
        values = [m.value for m in conditional_moments(hermite_expansion(parse_target(text), 6))]
        assert values == pytest.approx([0, 1, 0, 1, 0, 1], abs=1e-12)
    sign = conditional_moments(hermite_expansion(parse_target("sign(z)"), 5))
    phi0 = 1 / math.sqrt(2 * math.pi)
    for m in sign:
        he = float(sympy.hermite_prob(m.order - 1, 0))
        assert m.value == pytest.approx(4 * (he * phi0) ** 2 / math.factorial(m.order), abs=1e-15)
        assert m.exact is not None
    assert sign[0].value == pytest.approx(2 / math.pi)
    tanh = conditional_moments(hermite_expansion(parse_target("tanh(z)"), 4))
    assert [m.value for m in tanh] == pytest.approx([1, 1, 1, 1], abs=1e-15)


def test_conditional_moments_bounded_by_one_and_by_information():
    """Jensen: lambda_k^2 <= E[h_k^2] = 1; Cauchy-Schwarz: lambda_k^2 >= k! c_k^2 / E[y^2]."""
    e = hermite_expansion(parse_target("He4(z)"), 6)
    moments = conditional_moments(e)
    for m in moments:
        assert m.value <= 1 + 1e-12
        c = float(e.coefficient(m.order).value)
        assert m.value >= math.factorial(m.order) * c * c / float(e.norm_squared) - 1e-12


@pytest.mark.parametrize("noise", [0.25, 1.0, 3.0])
def test_noisy_conditional_moments_mehler(noise):
    """y = z + sqrt(Delta) xi: (z, y) Gaussian with correlation rho = (1 + Delta)^-1/2, so
    E[h_k(z) | y] = rho^k h_k(y / sqrt(1 + Delta)) (Mehler) and lambda_k^2 = (1 + Delta)^-k."""
    moments = analyze(f"z; noise = {noise}", max_order=5, conditional=True).conditional
    for m in moments:
        assert m.value == pytest.approx((1 + noise) ** -m.order, abs=1e-10)
        assert m.error_bound < 1e-9


def test_noise_shrinks_but_keeps_zeros():
    """Noise can only lose information (lambda_k^2 decreases); the zeros stay (convolution
    with a Gaussian is injective): z^2 exp(-z^2) keeps lambda_2^2 = 0."""
    clean = analyze("z**2", max_order=4, conditional=True).conditional
    noisy = analyze("z**2; noise = 0.5", max_order=4, conditional=True).conditional
    for a, b in zip(clean, noisy):
        assert b.value <= a.value + 1e-9
    bump = analyze("z**2*exp(-z**2); noise = 0.01", max_order=4, conditional=True).conditional
    assert abs(bump[1].value) <= 10 * bump[1].error_bound + 1e-12
    assert bump[3].value > 0.05


def test_cli_conditional_flag(cli):
    result = cli("analyze", "sign", "--conditional", "--max-order", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["conditional_moments"][0]["exact"] == "2/pi"


def test_high_degree_even_polynomial():
    """z^64 is even: odd orders vanish by parity whatever K is; GE = IE = 2 (polynomials have
    GE <= 2, DPLB 2024). Regression: parity must not depend on the degree being <= K."""
    a = analysis_of("z**64")
    assert a.information_exponent.value == 2 and a.generative_exponent.value == 2
    assert a.generative_exponent.evidence[0].certificate.kind == "symmetry"


def test_oscillating_link_keeps_its_exponents():
    """sin(z)^2: infinitely many level-set branches, yet IE = GE = 2 from c_2 != 0; the
    threshold, which needs lambda_2^2 itself, is reported undetermined (not an error)."""
    a = analysis_of("sin(z)**2")
    assert a.information_exponent.value == 2 and a.generative_exponent.value == 2
    assert a.weak_recovery.klass == "undetermined"
