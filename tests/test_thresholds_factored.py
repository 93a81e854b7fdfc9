"""Thresholds of products of one-variable factors: derive.factor_laws, derive.thresholds_factored.

alpha_c = 1/nu_1, nu_1 the top eigenvalue of F(M) = E_y[G(y) M G(y)], G = E[z z^T - I | y]
(Troiani et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5). The references are other
engines and independent integrals:

* z1 z2 = 0.59375 (Defilippis et al. 2025, arXiv:2502.02545), z1 z2 z3 from the monomial
  engine (derive.thresholds_product, log|z| convolutions written for monomials alone);
* relu(z1^2 - 1) relu(z2^2 - 1) from the region engine (derive.thresholds_clipped: radial
  level sets, no product structure used);
* relu(z1^2 - 1) z2 z3 and min(z1 z3, 0) z2^2 by nested scipy quadrature in other
  coordinates: the Bessel law of t = z2 z3 (p(t) = K_0(|t|)/pi, p(t) E[z2^2 | t] =
  |t| K_1(|t|)/pi, E[z2 z3 | t] = t) mixed over the third factor, the atom in closed form;
* staircase steps by the augmented-label identity F_S = P(c != 0) F_rest, checked against
  1/(2 erfc(1/sqrt 2)) for relu(z1^2 - 1) z2^2 (given z1, the label fixes z2^2: nu = 2 on
  {|z1| > 1}).
"""

import math

import numpy as np
import pytest
import sympy
from scipy import integrate, special

from derive import analyze
from derive.factor_laws import FactorDeclined, factor_law, factor_pieces
from derive.thresholds_clipped import clipped_recovery
from derive.thresholds_factored import (
    factored_form,
    factored_later_step,
    factored_recovery,
)
from derive.thresholds_product import product_threshold

z, z1, z2, z3 = sympy.symbols("z z1 z2 z3", real=True)
relu = lambda u: sympy.Max(0, u)  # noqa: E731


@pytest.mark.parametrize("factor", [z, z**2, z**3, relu(z**2 - 1), sympy.Min(0, z),
                                    sympy.exp(z), (z - sympy.Rational(3, 10))**2,
                                    z**2 * relu(z - 1)])
def test_factor_law_integrates_the_gaussian_moments(factor):
    # E[1] = 1, E[z] = 0, E[z^2] = 1 from the trapezoid sums in log|f| and the exact atom
    law = factor_law(factor_pieces(factor, z), 0.02)
    assert np.max(np.abs(law.total() - [1.0, 0.0, 1.0])) < 1e-13


def test_factor_law_atom_is_the_zero_set():
    law = factor_law(factor_pieces(relu(z**2 - 1), z), 0.04)
    assert abs(law.atom[0] - special.erf(1 / math.sqrt(2))) < 1e-15     # P(|z| <= 1)
    # E[z^2 1{|z| <= 1}] = erf(1/sqrt2) - 2 phi(1)
    assert abs(law.atom[2] - (law.atom[0] - 2 * math.exp(-0.5) / math.sqrt(2 * math.pi))) < 1e-15


@pytest.mark.parametrize("factor", [z**2 - 1, sympy.Max(z, 1), sympy.sin(z), sympy.sign(z)])
def test_factor_with_a_critical_value_away_from_zero_is_declined(factor):
    # the log-modulus density would have an integrable singularity (or a point mass) at a
    # finite l, which the trapezoid sums do not integrate
    with pytest.raises(FactorDeclined):
        factor_pieces(factor, z)


def test_factored_form_reads_products_clips_and_affine_maps():
    form = factored_form(3 * relu(z1**2 - 1) * z2 * z3 + 1, (z1, z2, z3))
    assert form.clip is None and [f for _, f in form.factors] == [relu(z1**2 - 1), z2, z3]
    form = factored_form(z2**2 * sympy.Min(z1 * z3, 0), (z1, z2, z3))   # min(z1 z2^2 z3, 0)
    assert form.clip == "min" and [f for _, f in form.factors] == [z1, z2**2, z3]
    assert factored_form(z1 * z2 + z3, (z1, z2, z3)) is None
    assert factored_form(sympy.Max(z1 * z2, 1), (z1, z2)) is None       # clip away from 0
    # z2^2 - 1 has a critical value, tanh saturates (its law is not resolved): other engines
    assert factored_recovery(relu(z1**2 - 1) * (z2**2 - 1), (z1, z2)) is None
    assert factored_recovery(sympy.tanh(z1) * z2, (z1, z2)) is None


def test_monomials_agree_with_the_product_engine():
    pair = factored_recovery(z1 * z2, (z1, z2))
    assert abs(pair.alpha_c - 0.59375) < 5e-6          # Defilippis et al. 2025, 5 digits
    assert abs(pair.alpha_c - product_threshold(2).alpha_c) < 1e-10
    triple = factored_recovery(z1 * z2 * z3, (z1, z2, z3))
    assert triple.klass == "easy" and triple.easy_dimension == 3
    assert abs(triple.alpha_c - product_threshold(3).alpha_c) < 1e-10
    assert triple.error_bound < 1e-10


@pytest.mark.slow
def test_product_of_relus_agrees_with_the_region_engine():
    expr = relu(z1**2 - 1) * relu(z2**2 - 1)
    factored = factored_recovery(expr, (z1, z2))
    region = clipped_recovery(expr, (z1, z2), conditional_mean_zero=True)
    assert factored.easy_dimension == region.easy_dimension == 2
    assert abs(factored.alpha_c - region.alpha_c) <= region.error_bound + factored.error_bound
    # the convolution reference of tests/test_thresholds_clipped.py: 2.714762464935
    assert abs(factored.alpha_c - 2.714762464935) < 1e-10


def _k(t):
    """p(t), p(t) E[z^2 | t] for t = z z' (Bessel law), scaled-Bessel evaluation."""
    x = np.abs(t)
    return special.k0e(x) * np.exp(-x) / np.pi, x * special.k1e(x) * np.exp(-x) / np.pi


def _top_symmetric(FF):
    """Top eigenvalue of E[G (x) G] (9 x 9, acting on vec M) on symmetric matrices M."""
    swap = np.zeros((9, 9))
    for a in range(3):
        for b in range(3):
            swap[3 * a + b, 3 * b + a] = 1
    sym = (np.eye(9) + swap) / 2
    return float(np.max(np.linalg.eigvalsh(sym @ FF @ sym)))


def _outer(G_of_y, ls, atom_mass, atom_G):
    """E_y[G (x) G]: trapezoid in l = log|y| over the nodes ls (y > 0 and y < 0 from
    G_of_y(sign)), plus the atom."""
    total = atom_mass * np.kron(atom_G, atom_G)
    h = ls[1] - ls[0]
    for sign in (1, -1):
        found = G_of_y(sign * np.exp(ls))
        if found is None:
            continue
        density, G = found
        for w, g in zip(density * np.exp(ls) * h, G):
            total += w * np.kron(g, g)
    return total


def _relu_times_pair_nu():
    """relu(z1^2 - 1) z2 z3: given z1 (|z1| > 1, u = z1^2 - 1 = e^v) the label fixes
    t = z2 z3 = y/u, so p(y) E[. | y] = int phi(z1) k(y/u) / u dz1 with dz1 = e^v / (2 z1) dv
    (quad_vec in v), the atom y = 0 on |z1| <= 1 with G = diag(E[z1^2 | |z1| <= 1] - 1, 0, 0)."""

    def inner(y):
        def integrand(v):
            u = np.exp(v)
            x = np.sqrt(1 + u)
            k, k2 = _k(y / u)
            w = 2 * np.exp(-x * x / 2) / np.sqrt(2 * np.pi) / (2 * x)   # both signs of z1
            return np.stack([w * k, w * x * x * k, w * k2, w * (y / u) * k])
        return integrate.quad_vec(integrand, -70, 5, epsabs=1e-300, epsrel=1e-12, limit=400)[0]

    def G_of_y(ys):
        rows = np.array([inner(y) for y in ys])
        p = rows[:, 0]
        G = np.zeros((ys.size, 3, 3))
        G[:, 0, 0] = rows[:, 1] / p - 1
        G[:, 1, 1] = G[:, 2, 2] = rows[:, 2] / p - 1
        G[:, 1, 2] = G[:, 2, 1] = rows[:, 3] / p
        return p, G

    mass = special.erf(1 / math.sqrt(2))
    atom = np.diag([(mass - 2 * math.exp(-0.5) / math.sqrt(2 * math.pi)) / mass - 1, 0, 0])
    # p(y) |y| ~ |y| log^2 |y| as y -> 0: the l-range goes down to -60 (and up to 7: stopping at 6 moved alpha_c by 5e-11)
    return _top_symmetric(_outer(G_of_y, np.arange(-60, 7, 0.1), mass, atom))


@pytest.mark.slow
def test_relu_times_pair_against_bessel_quadrature():
    staircase = analyze("relu(z1**2-1)*z2*z3").grand_staircase()
    first, second = staircase.steps
    reference = 1 / _relu_times_pair_nu()
    assert abs(reference - 0.72705118969735) < 1e-12
    assert first.klass == "easy" and first.directions == ((1.0, 0.0, 0.0),)
    assert abs(first.alpha_c - reference) <= first.error_bound + 1e-12
    assert first.error_bound < 1e-8
    # given z1 with |z1| > 1 the label is z2 z3 up to scale; on |z1| <= 1 it says nothing:
    # F_S = P(|z1| > 1) F(z1 z2), both remaining directions at once
    expected = product_threshold(2).alpha_c / special.erfc(1 / math.sqrt(2))
    assert staircase.complete and second.dimension_added == 2
    assert abs(second.alpha_c - expected) < 1e-9


def _clipped_cube_nu():
    """min(z1 z3, 0) z2^2 = min(z1 z2^2 z3, 0): for y < 0, t = z1 z3 = y/w with w = z2^2
    (chi^2_1 density f, w = e^v: p(y) = int f(w) k(y/w) dw / w = int f(w) k(y/w) dv), tilts |t| K_1 / pi for z1^2 (= z3^2),
    t k for z1 z3, w for z2^2; the atom {z1 z3 >= 0} (mass 1/2) has E[z1 z3 | atom] = 2/pi."""

    def inner(y):
        def integrand(v):
            w = np.exp(v)
            k, k2 = _k(y / w)
            f = np.exp(-w / 2) / np.sqrt(2 * np.pi * w)       # dw / w = dv
            return np.stack([f * k, f * k2, f * (y / w) * k, f * w * k])
        return integrate.quad_vec(integrand, -70, 6, epsabs=1e-300, epsrel=1e-12, limit=400)[0]

    def G_of_y(ys):
        if ys[0] > 0:
            return None
        rows = np.array([inner(y) for y in ys])
        p = rows[:, 0]
        G = np.zeros((ys.size, 3, 3))
        G[:, 0, 0] = G[:, 2, 2] = rows[:, 1] / p - 1
        G[:, 0, 2] = G[:, 2, 0] = rows[:, 2] / p
        G[:, 1, 1] = rows[:, 3] / p - 1
        return p, G

    atom = np.zeros((3, 3))
    atom[0, 2] = atom[2, 0] = 2 / np.pi
    # p(y) |y| ~ |y|^(1/2) as y -> 0 (the chi^2_1 factor): the l-range goes down to -70 (and
    # up to 7)
    return _top_symmetric(_outer(G_of_y, np.arange(-70, 7, 0.1), 0.5, atom))


@pytest.mark.slow
def test_clipped_cubic_product_against_bessel_quadrature():
    found = factored_recovery(z2**2 * sympy.Min(z1 * z3, 0), (z1, z2, z3))
    reference = 1 / _clipped_cube_nu()
    assert abs(reference - 1.2631135465) < 1e-10
    assert abs(found.alpha_c - reference) <= found.error_bound + 1e-12
    assert found.error_bound < 1e-8
    # on y < 0, z1 z3 < 0: the top eigenmatrix is (e1 - e3)(e1 - e3)^T
    (direction,) = found.directions
    assert np.allclose(np.abs(direction), [2**-0.5, 0, 2**-0.5], atol=1e-9)
    assert direction[0] * direction[2] < 0


def test_later_step_is_the_rest_weighted_by_the_sign_of_the_learned_factors():
    step = factored_later_step(relu(z1**2 - 1) * z2**2, (z1, z2), [(1.0, 0.0)])
    assert step.klass == "easy" and step.directions == ((0.0, 1.0),)
    assert abs(step.alpha_c - 1 / (2 * special.erfc(1 / math.sqrt(2)))) < 1e-10
    # once z1 and z2 are known (and relu(z1^2 - 1) z2 != 0) the sign of y is that of z3
    last = factored_later_step(relu(z1**2 - 1) * z2 * z3, (z1, z2, z3),
                               [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0)])
    assert last.klass == "trivial" and last.directions == ((0.0, 0.0, 1.0),)
    # a learned direction off the axes leaves the product structure: not this engine's
    assert factored_later_step(z1 * z2 * z3, (z1, z2, z3), [(2**-0.5, 2**-0.5, 0.0)]) is None
