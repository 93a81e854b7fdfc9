"""Nested quadrature for multi-index targets that are neither polynomial, separable nor ridge
sums (derive.cubature), and the filtration steps its numbers decide (derive.numeric_leap).

Sources of the reference values:

- Stein's identity (Stein, Ann. Statist. 1981, Lemma 1; THEORY.md §4 for Hermite tensors):
  c_{e_i} = E[g z_i] = E[d g / d z_i], with the distributional derivative of a jump
  (d sign(z)/dz = 2 delta(z));
- the exact engines of this package on targets they also handle (Stein's identity for
  polynomials, derive.tensors; products of one-coordinate expansions, derive.separable);
- Parseval's identity for the orthogonal basis He_alpha / sqrt(alpha!):
  sum_alpha alpha! c_alpha^2 = E[g^2], so every truncation is <= E[g^2];
- E[max(z1, z2, z3)] = 3 / (2 sqrt(pi)), the expected maximum of three standard normals,
  by Stein: 3 E[z1 1{z1 > z2, z1 > z3}] = 3 E[delta(z1 - z2) 1{z1 > z3} + delta(z1 - z3)
  1{z1 > z2}] = 6 int phi(t)^2 Phi(t) dt = 6 / (2 sqrt(pi)) * E_{t ~ N(0, 1/2)}[Phi(t)]
  = 6 / (4 sqrt(pi));
- rotation covariance of Hermite tensors: for g'(z) = g(Q z), C_k' = C_k x_1 Q ... x_k Q
  (He_k(Q^T z) = Q^T-rotated He_k(z) for orthogonal Q), so orders are invariant and learned
  subspaces rotate by Q^T (Damian, Lee, Bruna 2025, arXiv:2506.05500, Def. 5 is
  basis-free).

Hand derivations of the expected leaps (information leap l, generative leap l*):

- max(z1, z2^2): even in z2 (flip z2 -> -z2 leaves g unchanged), so every c_alpha with
  alpha_2 odd is exactly 0 and C_1 = (c_(1,0), 0). By Stein c_(1,0) = E[1{z1 > z2^2}] =
  P(z1 > z2^2) > 0: the first step is order 1 along e1. Given z1, the flip of z2 (a
  perpendicular coordinate, y unchanged) kills every odd order in z2 for every function of z1
  and every label transform, while E[y He_2(z2) | z1] != 0 (resolved numerically): l = l* = 2
  with steps (1, e1), (2, e2).
- tanh(z1) tanh(z1 + z2): g(-z) = g(z), so C_1 = 0 exactly (for y and for every T(y));
  C_2 is resolved with full rank 2: l = l* = 2 in one step of dimension 2.
- z1 / (1 + z1^2 + z2^2): odd in z1, even in z2: C_1 = (c_(1,0), 0) with
  c_(1,0) = E[(1 + z2^2 - z1^2) / (1 + |z|^2)^2] != 0; given z1 the flip of z2 kills order 1,
  order 2 is resolved: l = l* = 2, steps (1, e1), (2, e2).
- sign(z1) relu(z2 - z1): by Stein c_(0,1) = E[sign(z1) 1{z2 > z1}] = E[sign(z1) Phi^c(z1)]
  = -1/4 and c_(1,0) = 2 phi(0) E[relu(z2)] - E[sign(z1) 1{z2 > z1}] = 1/pi + 1/4; no
  symmetry, every step is order 1 (which needs no zero): l = 1 in two steps, the first along
  C_1; l* = 1 (E[z T(y)] for T = y, y^2 spans the plane at once).
- relu(z1 + z2) z1: c_(1,0) = E[relu(s)] + E[z1 1{s > 0}] = 1/sqrt(pi) + 1/(2 sqrt(pi)),
  c_(0,1) = E[z1 1{s > 0}] = 1/(2 sqrt(pi)) (s = z1 + z2 ~ N(0, 2)): the first step is along
  (3, 1)/sqrt(10), the second again order 1: l = 1.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import sympy
from scipy import integrate, stats

import derive
from derive.cubature import NONZERO_FACTOR, hermite_table, kink_arguments
from derive.montecarlo import monte_carlo_coefficients
from derive.numeric_leap import filtrations, flip_symmetries, one_giant_step
from derive.separable import hermite_coefficients_separable, separate
from derive.tensors import hermite_coefficients

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
RELU = sympy.Max


def _table(expr, variables, order=4):
    return hermite_table(expr, variables, order)


def _honest(value, error, exact):
    """The reported error covers the true error, and is small."""
    assert abs(value - exact) <= error + 1e-15, (value, exact, error)
    assert error < 1e-8


def test_stein_values_of_a_jump_times_a_kink():
    g = sympy.sign(z1) * RELU(z2 - z1, 0)
    t = _table(g, (z1, z2))
    _honest(t.values[(1, 0)], t.errors[(1, 0)], 1 / math.pi + 0.25)
    _honest(t.values[(0, 1)], t.errors[(0, 1)], -0.25)
    # E[sign(z1) (phi(z1) - z1 Phi^c(z1))] = -E[|z1| Phi^c(z1)] = -1/sqrt(2 pi)
    _honest(t.values[(0, 0)], t.errors[(0, 0)], -1 / math.sqrt(2 * math.pi))


def test_stein_value_of_max_against_a_one_dimensional_integral():
    t = _table(sympy.Max(z1, z2**2), (z1, z2))
    exact, _ = integrate.quad(lambda s: stats.norm.pdf(s) * stats.norm.sf(s * s), -30, 30,
                              epsabs=1e-14, epsrel=1e-13)
    _honest(t.values[(1, 0)], t.errors[(1, 0)], exact)


def test_expected_maximum_of_three_normals():
    t = _table(sympy.Max(z1, z2, z3), (z1, z2, z3), order=2)
    _honest(t.values[(0, 0, 0)], t.errors[(0, 0, 0)], 3 / (2 * math.sqrt(math.pi)))
    # Stein: c_(0,0,1) = E[1{z3 is the largest}] = 1/3
    _honest(t.values[(0, 0, 1)], t.errors[(0, 0, 1)], 1 / 3)


def test_agrees_with_the_polynomial_engine():
    g = z1**2 * z2 + z2**3 - 3 * z1 * z2 + z1**4
    t = _table(g, (z1, z2), order=6)
    exact = hermite_coefficients(g, (z1, z2), 6)
    for alpha, value in t.values.items():
        reference = float(exact.get(alpha, 0))
        assert abs(value - reference) <= t.errors[alpha] + 1e-15
        assert abs(value - reference) < 1e-10


def test_agrees_with_the_separable_engine():
    g = sympy.sign(z1 * z2) + RELU(z1, 0) * z2
    t = _table(g, (z1, z2), order=5)
    exact = hermite_coefficients_separable(separate(g, (z1, z2)), 5)
    for alpha, value in t.values.items():
        reference = float(exact[alpha].value) if alpha in exact else 0.0
        assert abs(value - reference) <= t.errors[alpha] + 1e-15
        assert abs(value - reference) < 1e-9


def test_error_estimate_is_honest_when_a_kink_is_not_located():
    # |sin(z1 + z2)|: the argument is polynomial in neither variable, so no split; the
    # reference E|sin(s)|, s ~ N(0, 2), is a one-dimensional integral split at k pi
    g = sympy.Abs(sympy.sin(z1 + z2))
    t = _table(g, (z1, z2), order=0)
    assert t.unlocated and "not located" in t.method
    sigma = math.sqrt(2)
    cuts = [k * math.pi for k in range(-12, 13)]
    exact = sum(integrate.quad(lambda s: abs(math.sin(s)) * stats.norm.pdf(s, scale=sigma),
                               a, b, epsabs=1e-15)[0] for a, b in itertools.pairwise(cuts))
    assert abs(t.values[(0, 0)] - exact) <= t.errors[(0, 0)]


def test_parseval():
    g = sympy.tanh(z1) * sympy.tanh(z1 + z2)
    t = _table(g, (z1, z2), order=6)
    second_moment = t.square_values[(0, 0)]
    deficits = []
    for order in (2, 4, 6):
        partial = sum(math.prod(math.factorial(a) for a in alpha) * value**2
                      for alpha, value in t.values.items() if sum(alpha) <= order)
        assert partial <= second_moment + 1e-9
        deficits.append(second_moment - partial)
    # the truncations approach E[g^2]: the deficit shrinks with the order
    assert deficits[0] > deficits[1] > deficits[2] >= -1e-9


def test_parseval_equality_for_a_finite_expansion():
    # a degree-4 polynomial has no Hermite coefficient beyond order 4: equality at order 4
    g = z1**2 * z2 + z2**3 - 3 * z1 * z2 + z1**4
    t = _table(g, (z1, z2), order=4)
    partial = sum(math.prod(math.factorial(a) for a in alpha) * value**2
                  for alpha, value in t.values.items())
    assert abs(partial - t.square_values[(0, 0)]) <= 1e-9 * t.square_values[(0, 0)]


def test_agrees_with_monte_carlo_within_its_interval():
    # only the numeric paths handle max(z1, z2^2); 3.9 standard errors is the two-sided
    # 99.99% interval, a 0.1% family-wise level over the 10 coefficients (Bonferroni)
    g = sympy.Max(z1, z2**2)
    t = _table(g, (z1, z2), order=3)
    mc = monte_carlo_coefficients(g, (z1, z2), 3, samples=100_000, seed=1)
    for alpha, (mean, se) in mc.items():
        assert abs(t.values[alpha] - mean) <= 3.9 * se + t.errors[alpha], alpha


def _rotated(expr):
    q = sympy.Matrix([[sympy.Rational(3, 5), -sympy.Rational(4, 5)],
                      [sympy.Rational(4, 5), sympy.Rational(3, 5)]])
    image = q * sympy.Matrix([z1, z2])
    return expr.xreplace({z1: image[0], z2: image[1]}), np.array(q, dtype=float)


@pytest.mark.parametrize("expr", [sympy.sign(z1) * RELU(z2 - z1, 0),
                                  sympy.tanh(z1) * sympy.tanh(z1 + z2)])
def test_rotation_invariance(expr):
    rotated, q = _rotated(expr)
    results = []
    for g in (expr, rotated):
        t = _table(g, (z1, z2), order=4)
        info, gen = filtrations(t, flip_symmetries(g, (z1, z2)))
        results.append((t, info, gen))
    (t, info, gen), (t_r, info_r, gen_r) = results
    assert [s.order for s in info.steps] == [s.order for s in info_r.steps]
    assert info.leap == info_r.leap is not None and gen.leap == gen_r.leap is not None
    # C_1' = Q^T C_1
    c1 = np.array([t.values[(1, 0)], t.values[(0, 1)]])
    c1_r = np.array([t_r.values[(1, 0)], t_r.values[(0, 1)]])
    assert np.allclose(q.T @ c1, c1_r, atol=1e-9)
    # the first learned subspace rotates by Q^T (compared as projectors)
    first = np.array([[float(x) for x in v] for v in info.steps[0].basis])
    first_r = np.array([[float(x) for x in v] for v in info_r.steps[0].basis])
    rotated_first = first @ q  # rows v^T Q = (Q^T v)^T
    assert np.allclose(rotated_first.T @ rotated_first, first_r.T @ first_r, atol=1e-9)


def _steps(filtration):
    return [(s.order, [tuple(float(x) for x in v) for v in s.basis]) for s in filtration.steps]


def test_expected_leaps_of_the_examples():
    e1, e2 = (1.0, 0.0), (0.0, 1.0)
    for text, steps in [("max(z1, z2**2)", [(1, [e1]), (2, [e2])]),
                        ("z1/(1 + z1**2 + z2**2)", [(1, [e1]), (2, [e2])]),
                        ("tanh(z1)*tanh(z1 + z2)", [(2, [e1, e2])])]:
        m = derive.analyze(text).multi_index
        assert m.method.startswith("nested quadrature"), text
        assert _steps(m.information) == steps, text
        assert _steps(m.generative) == steps, text
        assert m.information.leap == m.generative.leap == 2
        assert all(s.certificate.kind == "quadrature" for s in m.information.steps)
        # exact basis vectors: the symmetry decides the span
        assert all(isinstance(x, sympy.Integer) for s in m.information.steps
                   for v in s.basis for x in v)
    m = derive.analyze("sign(z1)*relu(z2 - z1)").multi_index
    assert [s.order for s in m.information.steps] == [1, 1] and m.information.leap == 1
    c1 = np.array([1 / math.pi + 0.25, -0.25])
    first = np.array([float(x) for x in m.information.steps[0].basis[0]])
    assert np.allclose(first, c1 / np.linalg.norm(c1), atol=1e-9)
    assert m.generative.leap == 1 and m.generative.steps[0].dimension_added == 2
    assert m.linear_giant_steps.leap == 1  # two steps with batch n = Theta(d)
    assert [s.dimension_learned for s in m.one_step] == [1, 2]


def test_relu_sum_times_coordinate_through_quadrature():
    # also handled exactly by the rotated separable path, which stops after its first step
    g = RELU(z1 + z2, 0) * z1
    t = _table(g, (z1, z2))
    _honest(t.values[(1, 0)], t.errors[(1, 0)], 1.5 / math.sqrt(math.pi))
    _honest(t.values[(0, 1)], t.errors[(0, 1)], 0.5 / math.sqrt(math.pi))
    info, _ = filtrations(t, flip_symmetries(g, (z1, z2)))
    assert info.leap == 1 and len(info.steps) == 2
    first = [float(x) for x in info.steps[0].basis[0]]
    assert np.allclose(first, np.array([3, 1]) / math.sqrt(10), atol=1e-9)


def test_exact_filtration_continued_by_quadrature():
    # relu(z1 + z2) z1 is separable after a rotation; the exact engine learns C_1's direction
    # (3, 1)/sqrt(10) and stops (the rotated step breaks its product structure). The
    # quadrature filtration repeats that step and finds the rest at order 1; in the plane the
    # last step is the orthogonal complement of an exact vector, hence exact too.
    m = derive.analyze("relu(z1 + z2)*z1").multi_index
    assert m.method is None  # the coefficients stay those of the exact engine
    steps = m.information.steps
    assert [(s.order, s.certificate.kind) for s in steps] == [(1, "exact-symbolic"),
                                                              (1, "quadrature")]
    root10 = sympy.sqrt(10)
    assert steps[0].basis == ((3 * root10 / 10, root10 / 10),)
    assert steps[1].basis == ((-root10 / 10, 3 * root10 / 10),)
    assert m.information.leap == 1 and m.linear_giant_steps.leap == 1


def test_undetermined_rather_than_a_guess():
    # Gaussian parity: E[h_2(z_perp) | y] = 0 holds (y is independent of |z_i|), but no sign
    # flip proves it and T(y) = y^2 = 1 carries nothing: the generative leap is undetermined
    # (the separable engine decides it exactly: 3); the information leap is 3 (C_1 = C_2 = 0
    # by flips, C_3 resolved).
    g = sympy.sign(z1 * z2 * z3)
    t = _table(g, (z1, z2, z3), order=3)
    info, gen = filtrations(t, flip_symmetries(g, (z1, z2, z3)))
    assert info.leap == 3 and info.steps[0].dimension_added == 3
    assert gen.leap is None and gen.undetermined
    # C_3 = E[sign(z1 z2 z3) z1 z2 z3] = (2/pi)^(3/2) (Stein per coordinate: E|z| = sqrt(2/pi))
    _honest(t.values[(1, 1, 1)], t.errors[(1, 1, 1)], (2 / math.pi) ** 1.5)
    assert [s.dimension_learned for s in one_giant_step(t, flip_symmetries(g, (z1, z2, z3)))] \
        == [0, 0, 3]


def test_nonzero_needs_ten_errors():
    t = _table(sympy.Max(z1, z2**2), (z1, z2), order=3)
    for alpha, value in t.values.items():
        assert t.is_nonzero(alpha) == (abs(value) > NONZERO_FACTOR * t.errors[alpha])
    assert not t.is_nonzero((0, 1))  # 0 by the flip of z2, numerically ~1e-17


def test_kink_arguments():
    args, problems = kink_arguments(sympy.Max(z1, z2**2) + sympy.Abs(z1 - 1), (z1, z2))
    assert set(map(sympy.expand, args)) == {z1 - z2**2, z1 - 1} and not problems


def test_cli_json_and_staircase(cli):
    result = cli("analyze", "max(z1, z2**2)", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    rows = data["hermite"]["coefficients"]
    assert data["hermite"]["method"].startswith("nested quadrature")
    assert all("error" in row and row["method"] == "nested quadrature" for row in rows)
    assert all(row["certificate"].startswith("quadrature(err=") for row in rows
               if row["status"] == "nonzero")
    assert data["information_leap"]["value"] == 2 and data["generative_leap"]["value"] == 2
    assert [s["order"] for s in data["information_leap"]["steps"]] == [1, 2]
    graph = cli("staircase", "max(z1, z2**2)", "--format", "json")
    assert graph.returncode == 0, graph.stderr
    assert any(edge["order"] == 2 for edge in json.loads(graph.stdout)["edges"])


def test_four_variables_without_kinks():
    # g = z1 z2 exp(-(z3^2 + z4^2)/2) by the four-variable rule (separable, so the exact value
    # is a product of one-dimensional Gaussian integrals): E[exp(-z^2/2)] = 1/sqrt(2) and
    # E[exp(-z^2/2) He_2(z)] / 2! = (1/(2 sqrt 2) - 1/sqrt 2) / 2 = -1/(4 sqrt 2), so
    # c_(1,1,0,0) = 1/2 and c_(1,1,2,0) = -1/8; c_(1,0,0,0) = 0 (odd in z1).
    z3, z4 = sympy.symbols("z3 z4", real=True)
    g = z1 * z2 * sympy.exp(-(z3**2 + z4**2) / 2)
    t = hermite_table(g, (z1, z2, z3, z4), 4)
    assert abs(t.values[(1, 1, 0, 0)] - 0.5) <= t.errors[(1, 1, 0, 0)] + 1e-12
    assert abs(t.values[(1, 1, 2, 0)] + 0.125) <= t.errors[(1, 1, 2, 0)] + 1e-12
    assert max(t.errors[(1, 1, 0, 0)], t.errors[(1, 1, 2, 0)]) < 1e-4
    assert abs(t.values[(1, 0, 0, 0)]) <= t.errors[(1, 0, 0, 0)] + 1e-12


def test_four_variables_dispatch():
    # tanh(z1 z2 + z3 z4) is unchanged by the flips of (z1, z2) and of (z3, z4), which kill
    # every order-1 coefficient for every label transform; C_2 has the blocks
    # c_(1,1,0,0) = c_(0,0,1,1) != 0, rank 4: l = l* = 2 in one step of dimension 4. With a
    # kink (sign) a four-variable target goes to Monte Carlo instead.
    m = derive.analyze("tanh(z1*z2 + z3*z4)").multi_index
    assert m.method.startswith("nested quadrature")
    assert m.information.leap == 2 and m.generative.leap == 2
    assert [s.dimension_added for s in m.information.steps] == [4]
    kinked = derive.analyze("tanh(z1)*sign(z1 + z2 + z3 + z4)").multi_index
    assert kinked.method.startswith("monte carlo")


def test_coordinate_leap_from_the_numeric_support():
    # Abbe, Boix-Adsera, Misiakiewicz 2023 (arXiv:2302.11055), leap of the Hermite support in
    # the given basis. max(z1, z2^2): c_(1,0) != 0 starts with new degree 1, but g is even in
    # z2, so z2 enters with alpha_2 >= 2: leap 2 (c_(0,2) != 0 reaches it). tanh(z1)
    # tanh(z1 + z2) is even under z -> -z, every |alpha| = 1 is 0, and C_2 has full support:
    # leap 2. sign(z1) relu(z2 - z1): c_(1,0) and c_(0,1) != 0 (Stein): leap 1.
    expected = {"max(z1, z2**2)": 2, "tanh(z1)*tanh(z1 + z2)": 2, "sign(z1)*relu(z2 - z1)": 1}
    for text, value in expected.items():
        coordinate = derive.analyze(text).multi_index.coordinate
        assert coordinate.value == value, (text, coordinate)
        assert coordinate.bounds == (value, value)
