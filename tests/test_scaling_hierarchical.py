"""Scaling laws of hierarchical targets (derive.scaling.hierarchical, derive.scaling.sums).

Sources: Defilippis, Krzakala, Loureiro, Maillard 2026 (arXiv:2602.05846) as digested in
THEORY.md section 7 (threshold n/d ~ k^(2 gamma) for links with a He_2 component,
k* ~ (n/d)^(1/(2 gamma)), error (n/d)^-(1 - 1/(2 gamma))); Ren, Nichani, Wu, Lee 2025
(arXiv:2504.19983, abstract: even link, IE > 2, sum a_p^2 = 1). Hermite identities are
for probabilists' polynomials.
"""

from __future__ import annotations

import json

import mpmath
import pytest
import sympy

from derive.errors import DeriveError
from derive.scaling.hierarchical import cascade_exponents, hierarchical_scaling, spectral_order
from derive.scaling.sums import head_order, tail_order
from derive.target import parse_target

R = sympy.Rational


@pytest.mark.parametrize("p", [R(3, 2), 2, R(5, 2), 4])
def test_tail_order_matches_the_sum_numerically(p):
    # integral test: sum_{k > K} k^-p ~ K^(1-p)/(p-1); the ratio tends to 1 (Hurwitz zeta)
    order = tail_order(p)
    assert order.exponent == 1 - p and not order.log_factor
    big = 10**6
    ratio = mpmath.zeta(float(p), big + 1) / (big ** float(1 - p) / float(p - 1))
    assert abs(ratio - 1) < 1e-5


def test_head_orders_including_the_logarithm():
    assert head_order(1).exponent == 0 and head_order(1).log_factor     # harmonic sum
    assert head_order(R(1, 2)).exponent == R(1, 2)
    assert head_order(-2).exponent == 3                                  # sum k^2 ~ K^3/3
    assert head_order(3).exponent == 0                                   # converges


def test_he2_gamma_one_is_the_papers_example():
    # THEORY.md section 7 / issue 8: gamma = 1, He_2: error slope -1/2 in n/d
    s = hierarchical_scaling("He2(z)", 1)
    assert (s.threshold_exponent, s.directions_learned_exponent, s.error_exponent) == (
        2, R(1, 2), R(-1, 2))
    assert s.spectral_order.value == 1
    assert [r.name for r in s.regimes] == ["plateau", "cascade", "saturation"]
    cascade = s.regimes[1]
    assert cascade.status == "paper" and "2602.05846" in cascade.source


@pytest.mark.parametrize("gamma", [R(3, 4), R(1), R(3, 2), R(2), R(7, 3)])
def test_error_exponent_for_links_with_a_he2_component(gamma):
    # digest: error ~ (n/d)^-(1 - 1/(2 gamma)), k* ~ (n/d)^(1/(2 gamma))
    threshold, learned, error = cascade_exponents(gamma, 1)
    assert threshold == 2 * gamma
    assert learned == 1 / (2 * gamma)
    assert error == -(1 - 1 / (2 * gamma))


@pytest.mark.parametrize("gamma, j", [(R(1), 2), (R(3, 2), 3), (R(3, 4), 2)])
def test_tail_and_learned_cost_have_the_same_order(gamma, j):
    # identity behind the cascade: the unlearned tail and the cost of the learned directions
    # are of the same order, so the exponent is -(2 gamma - 1)/(2 gamma j*)
    _, learned, error = cascade_exponents(gamma, j)
    assert error == -(2 * sympy.nsimplify(gamma) - 1) * learned


def test_spectral_order_of_he3_from_the_product_formula():
    # He_3^2 = He_6 + 9 He_4 + 18 He_2 + 6 (product formula sum_r r! C(3,r)^2 He_{6-2r}):
    # c_2(He_3) = 0 and c_2(He_3^2) = 18, so j* = 2 and the threshold is k^(4 gamma)
    order = spectral_order(parse_target("He3(z)"))
    assert order.value == 2
    assert order.evidence[0][1] == "zero" and order.evidence[1][1] == "nonzero"
    from derive.hermite import hermite_expansion
    assert hermite_expansion(parse_target("He3(z)**2"), 6).coefficient(2).exact == 18
    s = hierarchical_scaling("He3(z)", 1)
    assert (s.threshold_exponent, s.error_exponent) == (4, R(-1, 4))
    assert s.regimes[1].status == "derived"


def test_relu_has_a_he2_component_and_tanh_does_not():
    # THEORY.md section 1: relu c_2 = 1/(2 sqrt(2 pi)) != 0; tanh is odd (c_2 = 0)
    assert hierarchical_scaling("relu(z)", R(3, 4)).spectral_order.value == 1
    tanh = hierarchical_scaling("tanh(z)", 1)
    assert tanh.spectral_order.value == 2
    assert any("aggregate direction" in note for note in tanh.notes)   # IE = 1


def test_sign_has_no_second_moment_signal_and_the_engine_says_so():
    # sign(z)^j is 1 or sign(z): c_2 = 0 exactly for every j, so no exponent is claimed
    s = hierarchical_scaling("sign(z)", 1)
    assert s.spectral_order.value is None
    assert s.error_exponent is None and s.threshold_exponent is None
    assert all(status == "zero" for _, status, _ in s.spectral_order.evidence)


def test_flat_spectrum_gamma_below_one_half():
    # normalised sum_{k<=P} k^-2gamma = 1 with Z_P ~ P^(1 - 2 gamma) (integral test):
    # gamma = 1/4: first direction at n/d ~ P^(1/2), last at n/d ~ P^(2 gamma + 1/2) = P
    s = hierarchical_scaling("He2(z)", R(1, 4))
    assert s.error_exponent is None
    (regime,) = s.regimes
    assert regime.name == "flat spectrum" and regime.error_exponent is None
    assert "P^1/2" in regime.description and "P^1" in regime.description
    half = hierarchical_scaling("He2(z)", R(1, 2))
    assert half.regimes[0].log_factor          # gamma = 1/2: harmonic sum, log P


def test_online_sgd_rate_is_kept_apart_from_the_spectral_one():
    # Ren et al. 2025: even link, IE > 2; digest n_p ~ d^(IE-1) p^gamma
    he4 = hierarchical_scaling("He4(z)", 1)
    assert he4.online_sgd.applies
    assert he4.online_sgd.d_exponent == 3
    assert he4.online_sgd.error_exponent == -1          # -(2 gamma - 1)/gamma at gamma = 1
    assert he4.error_exponent == R(-1, 4)              # spectral: j* = 2 for He_4
    assert not hierarchical_scaling("He2(z)", 1).online_sgd.applies     # IE = 2
    assert not hierarchical_scaling("He3(z)", 1).online_sgd.applies     # odd


def test_json_has_the_fields_of_the_issue():
    data = json.loads(hierarchical_scaling("He2(z)", 1, noise="0.1").to_json())
    for key in ("error_exponent", "directions_learned_exponent", "threshold_exponent",
                "regimes", "source"):
        assert key in data
    assert data["error_exponent"] == "-1/2"
    assert sympy.Rational(data["directions_learned_exponent"]) == R(1, 2)
    assert data["noise"] == "1/10"
    assert {law["key"] for law in data["laws"]} == {"hierarchical-spectral",
                                                    "hierarchical-online-sgd"}


@pytest.mark.parametrize("gamma", ["0", "-1", "abc"])
def test_bad_gamma_is_a_clear_error(gamma):
    with pytest.raises(DeriveError):
        hierarchical_scaling("He2(z)", gamma)


def test_multi_index_link_is_refused():
    with pytest.raises(DeriveError, match="function of z only"):
        hierarchical_scaling("z1*z2", 1)


def test_link_moments_are_hermite_identities():
    # E[He_2^2] = 2 = Var He_2; relu: c_2 = E[relu He_2] = 1/sqrt(2 pi), Var = 1/2 - 1/(2 pi)
    import numpy as np

    from derive.scaling.validate import link_moments

    assert link_moments(lambda z: z**2 - 1) == pytest.approx((2.0, 2.0), abs=1e-9)
    c2, var = link_moments(lambda z: np.maximum(z, 0.0))
    assert c2 == pytest.approx(1 / np.sqrt(2 * np.pi), abs=1e-9)
    assert var == pytest.approx(0.5 - 1 / (2 * np.pi), abs=1e-9)


@pytest.mark.parametrize("gamma", [1, R(3, 4), R(3, 2)])
def test_finite_prediction_tends_to_the_derived_exponent(gamma):
    # with P -> infinity and 1 << k*, the engine's finite-P curve has the derived slope
    # -(1 - 1/(2 gamma)); with P = 20 on the same window it is steeper (truncated tail)
    import numpy as np

    from derive.scaling.validate import finite_prediction

    he2 = lambda z: z**2 - 1
    exponent = float(hierarchical_scaling("He2(z)", gamma).error_exponent)
    alphas = [1e4, 1e6]
    big = finite_prediction(he2, float(gamma), 10**6, alphas)
    assert np.log(big[1] / big[0]) / np.log(100) == pytest.approx(exponent, abs=0.02)
    small = finite_prediction(he2, float(gamma), 20, [10.0, 100.0])
    wide = finite_prediction(he2, float(gamma), 10**6, [10.0, 100.0])
    assert np.log(small[1] / small[0]) < np.log(wide[1] / wide[0])


def test_finite_prediction_is_continuous_for_he2_and_starts_at_the_null_risk():
    # below every threshold the predictor learns nothing: risk = Var(sigma) sum lambda_k^2
    import numpy as np

    from derive.scaling.validate import finite_prediction

    e = finite_prediction(lambda z: z**2 - 1, 1.0, 5, [1e-3])
    assert e[0] == pytest.approx(2 * sum(k**-2.0 for k in range(1, 6)))
    var_y = 2 * sum(k**-2.0 for k in range(1, 6))
    alpha_1 = var_y / 4                      # Var(y) / (c_2 lambda_1)^2, c_2 = 2
    below, above = finite_prediction(lambda z: z**2 - 1, 1.0, 5,
                                     [alpha_1 * (1 - 1e-9), alpha_1 * (1 + 1e-9)])
    assert below == pytest.approx(above, rel=1e-6) and np.isfinite(above)
