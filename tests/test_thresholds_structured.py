"""Noiseless r = 3 thresholds: quadratic forms, monomial products, linear + even rest.

Sources and identities (Troiani et al. AISTATS 2025, arXiv:2405.15480, THEORY.md §5:
alpha_c = 1/nu_1, nu_1 the top eigenvalue of F(M) = E[G M G], G = E[z z^T - I | y]):

- chi-square: y = |z|^2 in r dimensions is rotation invariant, so E[z z^T | y] = (y/r) I,
  G = (y/r - 1) I and nu_1 = Var(y)/r^2 = 2r/r^2: alpha_c = r/2 (3/2 for r = 3), derived here
  by hand;
- z1 z2: alpha_c ~= 0.59375 (Defilippis et al. NeurIPS 2025, arXiv:2502.02545), reproduced by
  two independent routes (generalized chi-square densities after diagonalising; log-moduli
  convolutions) and by the level-curve engine of derive.thresholds;
- Bessel closed forms for z1 z2: p(y) = K0(|y|)/pi and E[z1^2 | y] = |y| K1(|y|)/K0(|y|)
  (from int_0^inf exp(-(t + y^2/t)/2) dt = 2|y| K1(|y|)), integrated here with scipy's
  adaptive quadrature;
- z1 z2 z3: E[z1^2 | y] from the one-dimensional integral p(y) E[h(z1) | y] =
  int phi(x) h(x) K0(|y/x|) / (pi |x|) dx (z2 z3 has density K0/pi);
- the tower property E_y[E[w_a^2 | y]] = 1 for the densities of the quadratic route;
- the noisy route (derive.thresholds_noisy) at vanishing noise approaches the noiseless value
  from above.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy import integrate, special

import derive
from derive.doubleexp import exp_sinh
from derive.thresholds import weak_recovery_two_index
from derive.thresholds_product import product_preprocessing, product_threshold
from derive.thresholds_quadratic import _density, quadratic_preprocessing, quadratic_recovery
from derive.thresholds_structured import structured_recovery

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
Z = (z1, z2, z3)


def _tolerance(*results):
    return 10 * sum(r.error_bound for r in results) + 1e-9


@pytest.mark.parametrize("r", [2, 3])
def test_chi_square_alpha_is_r_over_two(r):
    variables = Z[:r]
    q = quadratic_recovery(sum(v**2 for v in variables), variables)
    (step,) = q.steps
    assert step.alpha_c == pytest.approx(r / 2, abs=_tolerance(step))
    assert step.error_bound < 1e-5 and step.dimension_added == r


def test_chi_square_preprocessing_is_one_minus_r_over_y():
    q = quadratic_recovery(z1**2 + z2**2 + z3**2, Z)
    T = quadratic_preprocessing(q)
    for y in (0.3, 1.3, 7.0):
        assert np.allclose(T(y), (1 - 3 / y) * np.eye(3), atol=1e-9)


def test_tower_property_of_the_densities():
    """E_y[E[w_a^2 | y]] = 1 and E_y[1] = 1: the tilted and plain densities integrate to 1."""
    lambdas = (1.0, 0.5, -0.5)
    e, w = exp_sinh(np.array([2.0]), 4)
    ys = np.concatenate([e[0], -e[0]])
    ws = np.concatenate([w[0], w[0]])
    for a in (None, 0, 1, 2):
        terms = tuple((lam, 3 if i == a else 1) for i, lam in enumerate(lambdas))
        assert float(np.sum(ws * _density(ys, terms, 4))) == pytest.approx(1, abs=1e-9)


def test_product_of_two_three_routes_agree_with_the_published_value():
    by_form = quadratic_recovery(z1 * z2, (z1, z2)).steps[0]
    by_logs = product_threshold(2)
    by_curves = weak_recovery_two_index(z1 * z2, (z1, z2))
    assert by_form.alpha_c == pytest.approx(by_logs.alpha_c, abs=_tolerance(by_form, by_logs))
    assert by_curves.alpha_c == pytest.approx(by_logs.alpha_c, abs=_tolerance(by_curves, by_logs))
    assert round(by_logs.alpha_c, 5) == 0.59375  # Defilippis et al. 2025
    assert by_form.dimension_added == by_logs.dimension == 2


def _bessel_nu_product_of_two():
    def c(y):  # exponentially scaled Bessel functions: no 0/0 in the tail
        return y * special.k1e(y) / special.k0e(y) - 1

    def integrand(y):
        return special.k0e(y) * np.exp(-y) / np.pi * c(y) ** 2

    # both signs of y: twice the half line; split where the K0 log singularity sits
    head, _ = integrate.quad(integrand, 0, 1, limit=200, epsabs=1e-13)
    tail, _ = integrate.quad(integrand, 1, np.inf, limit=200, epsabs=1e-13)
    return 2 * (head + tail) + 1  # + E[y^2]


def test_product_of_two_matches_the_bessel_closed_form():
    nu = _bessel_nu_product_of_two()
    assert product_threshold(2).nu_1 == pytest.approx(nu, abs=1e-8)


def test_product_preprocessing_matches_bessel_closed_form():
    T = product_preprocessing(2)
    for y in (-2.0, 0.4, 1.7):
        c = abs(y) * special.k1(abs(y)) / special.k0(abs(y)) - 1
        G = np.array([[c, y], [y, c]])
        expected = np.eye(2) - np.linalg.inv(np.eye(2) + G)
        assert np.allclose(T(y), expected, atol=1e-8)


def test_product_of_three_preprocessing_matches_a_one_dimensional_integral():
    T = product_preprocessing(3)
    for y in (0.2, 1.5):
        def weight(x, power, y=y):
            return (np.exp(-x * x / 2) / np.sqrt(2 * np.pi) * x**power
                    * special.k0(y / x) / (np.pi * x))
        p = 2 * integrate.quad(weight, 0, np.inf, args=(0,), limit=200, epsabs=1e-14)[0]
        d = 2 * integrate.quad(weight, 0, np.inf, args=(2,), limit=200, epsabs=1e-14)[0]
        c = d / p - 1
        assert np.allclose(T(y), c / (1 + c) * np.eye(3), atol=1e-7)


def test_product_of_three_is_easy_and_learns_all_directions():
    r = structured_recovery(z1 * z2 * z3, Z)
    assert r.klass == "easy" and r.easy_dimension == 3
    assert r.error_bound < 1e-8
    # nu_1 = E[c^2] with c the 1-d integral above: independent of the log-grid sums
    assert 1 / r.alpha_c == pytest.approx(product_threshold(3).nu_1)
    assert 2.5 < r.alpha_c < 2.6


def test_weighted_squares_staircase_uses_the_two_index_engine_for_step_two():
    r = structured_recovery(z1**2 + 2 * z2**2 + 3 * z3**2, Z)
    assert r.easy_dimension == 1 and [s.dimension_added for s in r.following] == [1, 1]
    assert np.allclose(np.abs(r.directions[0]), (0, 0, 1))
    # after z3 is learned the augmented label leaves z1^2 + 2 z2^2: an independent engine
    second = weak_recovery_two_index(z1**2 + 2 * z2**2, (z1, z2))
    assert r.following[0].alpha_c == pytest.approx(second.alpha_c,
                                                   abs=_tolerance(r.following[0], second))
    assert r.following[1].alpha_c == 0.5  # z1^2 alone: phase retrieval
    assert r.alpha_c > r.following[0].alpha_c > 0.5


def test_rotation_invariance_of_a_mixed_form():
    plain = structured_recovery(z1 * z2 + z3**2, Z)
    u, v = (3 * z1 + 4 * z3) / 5, (-4 * z1 + 3 * z3) / 5
    rotated = structured_recovery(sympy.expand(u * z2 + v**2), Z)
    assert rotated.alpha_c == pytest.approx(plain.alpha_c, abs=_tolerance(plain, rotated))
    # the second step learns the z1 z2 pair at the product's threshold
    assert plain.following[0].alpha_c == pytest.approx(product_threshold(2).alpha_c, abs=1e-7)


def test_linear_plus_even_rest():
    r = structured_recovery(z1 + z2 * z3, Z)
    assert r.klass == "trivial" and r.trivial_dimension == 1
    assert r.directions == ((1.0, 0.0, 0.0),)
    (second,) = r.following
    assert second.alpha_c == pytest.approx(product_threshold(2).alpha_c, abs=1e-7)
    assert second.dimension_added == 2


def test_unstructured_targets_are_left_to_other_engines():
    assert structured_recovery(z1 * z2 * z3 + z1**3, Z) is None
    assert structured_recovery(z1 + z2 * z3 + z2, Z) is None


@pytest.mark.slow
def test_noisy_route_approaches_from_above():
    from derive.thresholds_noisy import weak_recovery_noisy

    noiseless = structured_recovery(z1**2 + z2**2 + z3**2, Z).alpha_c
    noisy = [weak_recovery_noisy(z1**2 + z2**2 + z3**2, Z, noise) for noise in (0.1, 0.03)]
    assert noisy[0].alpha_c > noisy[1].alpha_c > noiseless
    assert noisy[1].alpha_c - noiseless < 0.01
    mixed = weak_recovery_noisy(z1 * z2 + z3**2, Z, 0.2)
    assert mixed.klass == "easy"
    assert mixed.alpha_c > structured_recovery(z1 * z2 + z3**2, Z).alpha_c


def test_json_steps_and_cli(cli):
    import json

    result = cli("threshold", "z1**2 + 2*z2**2 + 3*z3**2", "--json")
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)["weak_recovery"]["steps"]
    api = structured_recovery(z1**2 + 2 * z2**2 + 3 * z3**2, Z)
    assert [s["dimension_added"] for s in steps] == [1, 1, 1]
    assert steps[0]["alpha_c"] == pytest.approx(api.alpha_c, rel=1e-12)
    assert all("error_bound" in s for s in steps)
    analysis = derive.analyze("z1*z2*z3").to_dict()["weak_recovery"]
    assert analysis["class"] == "easy" and analysis["steps"][0]["dimension_added"] == 3
