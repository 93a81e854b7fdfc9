"""Weak-recovery thresholds of clipped targets (labels with atoms): derive.thresholds_clipped.

References are independent closed forms (THEORY.md §5, Troiani et al. AISTATS 2025,
arXiv:2405.15480: alpha_c = 1/nu_1, nu_1 the top eigenvalue of F(M) = E_y[G(y) M G(y)]):

* relu(z1^2 + z2^2 - 1) depends on z only through s = |z|^2 ~ chi^2_2 (density e^{-s/2}/2),
  so G(y) = (E[s | y]/2 - 1) I and nu_1 = E_y[(E[s|y]/2 - 1)^2]: s itself above 1, one atom
  {s < 1} below.
* functions of t = z1 z2: p(t) = K_0(|t|)/pi, E[z1^2 | t] = E[z2^2 | t] = |t| K_1(|t|)/K_0(|t|),
  E[z1 z2 | t] = t (the Bessel law of a product of Gaussians; the unclipped z1 z2 gives
  0.59375, Defilippis et al. 2025), and an atom's moments are the integrals of p G over its
  t-range.
"""

import math

import numpy as np
import pytest
import sympy
from scipy import integrate, special, stats

from derive import analyze
from derive.thresholds_clipped import clip_form, clipped_recovery, region_form

z1, z2 = sympy.symbols("z1 z2", real=True)


def test_clip_form_composes_the_layers():
    h = z1 * z2
    assert clip_form(sympy.Max(1, h)) == (h, 1, sympy.oo)
    assert clip_form(sympy.Min(1, sympy.Max(-1, h))) == (h, -1, 1)
    # a decreasing affine layer turns a lower clip into an upper one: -max(h, 1) = min(-h, -1)
    assert clip_form(-3 * sympy.Max(1, h) + 2) == (h, 1, sympy.oo)
    assert clip_form(sympy.Max(0, 2 - h)) == (h, -sympy.oo, 2)
    assert clip_form(h) is None                                  # no clip, no atom
    assert clip_form(sympy.Max(1, sympy.Min(0, h))) is None      # constant label


def _chi2_nu():
    density = lambda s: math.exp(-s / 2) / 2
    continuous = integrate.quad(lambda s: (s / 2 - 1) ** 2 * density(s), 1, np.inf,
                                epsabs=1e-14)[0]
    mass = 1 - math.exp(-0.5)
    mean = integrate.quad(lambda s: s * density(s), 0, 1, epsabs=1e-15)[0] / mass
    return continuous + mass * (mean / 2 - 1) ** 2


def test_relu_of_squared_radius_against_chi_squared_law():
    found = clipped_recovery(sympy.Max(0, z1**2 + z2**2 - 1), (z1, z2),
                             conditional_mean_zero=True)
    reference = 1 / _chi2_nu()
    assert found.klass == "easy" and found.easy_dimension == 2     # F = nu_1 * identity
    assert abs(found.alpha_c - reference) <= max(found.error_bound, 1e-12) + 1e-10
    assert abs(found.alpha_c - reference) < 1e-8 * reference


def _product_G(t):
    a = abs(t)
    q = a * special.k1e(a) / special.k0e(a)        # scaled Bessel: the e^-a cancel
    return np.array([[q - 1, t], [t, q - 1]])


def _product_density(t):
    return special.k0(abs(t)) / math.pi


_BASIS = [np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]]),
          np.array([[0.0, 1.0], [1.0, 0.0]]) / math.sqrt(2)]


def _F_block(G):
    return np.array([[np.sum(Bi * (G @ Bj @ G)) for Bj in _BASIS] for Bi in _BASIS])


def _pieces(low, high):
    return [(low, 0.0), (0.0, high)] if low < 0 < high else [(low, high)]


def _product_nu(inside, atoms):
    """nu_1 for y = clip(z1 z2): the continuous t-range ``inside``, the atoms' t-ranges."""
    F = np.zeros((3, 3))
    for low, high in _pieces(*inside):
        F += integrate.quad_vec(lambda t: _product_density(t) * _F_block(_product_G(t)),
                                low, high, epsabs=1e-13, epsrel=1e-12)[0]
    for low, high in atoms:
        mass = sum(integrate.quad(_product_density, a, b, epsabs=1e-14)[0]
                   for a, b in _pieces(low, high))
        moment = sum(integrate.quad_vec(lambda t: _product_density(t) * _product_G(t), a, b,
                                        epsabs=1e-14)[0] for a, b in _pieces(low, high))
        F += mass * _F_block(moment / mass)
    return float(np.linalg.eigvalsh(F)[-1])


@pytest.mark.parametrize("expression, inside, atoms", [
    (sympy.Max(1, z1 * z2), (1.0, np.inf), [(-np.inf, 1.0)]),
    (sympy.Min(1, sympy.Max(-1, z1 * z2)), (-1.0, 1.0), [(-np.inf, -1.0), (1.0, np.inf)]),
])
def test_clipped_product_against_bessel_law(expression, inside, atoms):
    found = clipped_recovery(expression, (z1, z2), conditional_mean_zero=True)
    reference = 1 / _product_nu(inside, atoms)
    assert found.klass == "easy"
    assert abs(found.alpha_c - reference) <= found.error_bound + 1e-9
    assert abs(found.alpha_c - reference) < 1e-7 * reference


def _second_step_reference():
    """max(z1 z2, 1) after u = (e1 + e2)/sqrt2: with s = u.z, t = v.z, z1 z2 = (s^2 - t^2)/2,
    so given s the label is continuous for t^2 < s^2 - 2 (E[t^2 | y, s] = s^2 - 2y exactly)
    and the atom is |t| >= a = sqrt(s^2 - 2); nu = E_s[int_{|t|<a} phi (t^2-1)^2
    + P_A (E[t^2|A] - 1)^2]."""
    phi = stats.norm.pdf

    def given(s):
        a = math.sqrt(s * s - 2)
        continuous = integrate.quad(lambda t: phi(t) * (t * t - 1) ** 2, -a, a,
                                    epsabs=1e-15)[0]
        mass = 2 * stats.norm.sf(a)
        if mass < 1e-300:
            return continuous
        second = 2 * (a * phi(a) + stats.norm.sf(a)) / mass
        return continuous + mass * (second - 1) ** 2

    return 2 * integrate.quad(lambda s: phi(s) * given(s), math.sqrt(2), 40, limit=400,
                              epsabs=1e-15)[0]


def test_staircase_of_clipped_product_learns_the_rest_later():
    staircase = analyze("max(z1*z2, 1)").grand_staircase()
    first, second = staircase.steps
    assert staircase.complete
    assert first.dimension_added == 1 and second.dimension_added == 1
    assert abs(abs(first.directions[0][0]) - math.sqrt(0.5)) < 1e-6
    assert np.sign(first.directions[0][0]) == np.sign(first.directions[0][1])
    reference = 1 / _second_step_reference()
    assert abs(second.alpha_c - reference) <= second.error_bound + 1e-9
    assert abs(second.alpha_c - reference) < 1e-7 * reference


def test_clip_factor_of_a_signed_product_becomes_an_outer_clip():
    # max(u, 0) v = max(u v, 0) for v >= 0, min for v <= 0 (pointwise identities)
    assert clip_form(sympy.Max(0, z1**2 - 1) * z2**2) == ((z1**2 - 1) * z2**2, 0, sympy.oo)
    assert clip_form(sympy.Max(0, z1) * -z2**2) == (z1 * z2**2, 0, sympy.oo)
    assert clip_form(sympy.Min(0, z1) * sympy.exp(z2)) == (z1 * sympy.exp(z2), -sympy.oo, 0)
    assert clip_form(sympy.Max(0, z1) * z2) is None       # v changes sign: no clip form


def _relu_times_square_nu():
    """relu(z1^2 - 1) z2^2: the atom {|z1| <= 1} (y = 0) and, for y > 0, z1^2 = 1 + y/s with
    s = z2^2, so with chi^2_1 density f: p(y) = int f(s) f(1 + y/s) ds / s,
    E[z1^2 - 1; y] = int f(s) f(1 + y/s) (y/s) ds / s. G is diagonal (sign flips), so
    F(e1 e1^T) = E[g_11^2] e1 e1^T; trapezoid in log y and log s (converged to ~1e-8)."""
    f = lambda w: np.exp(-w / 2) / np.sqrt(2 * np.pi * w)
    h = 0.025
    t = np.arange(-40, 6, h)[:, None]
    v = np.arange(-40, 8, h)[None, :]
    y, s = np.exp(t), np.exp(v)
    kernel = f(s) * f(1 + y / s) * h
    p = kernel.sum(axis=1)
    m = (kernel * (y / s)).sum(axis=1)
    mass = special.erf(1 / math.sqrt(2))
    inside = (mass - 2 * stats.norm.pdf(1.0)) / mass - 1           # E[z1^2 - 1 | |z1| <= 1]
    return mass * inside**2 + float(np.sum(y[:, 0] * h * m * m / p))


def test_relu_times_square_is_an_atom_of_a_product():
    staircase = analyze("relu(z1**2 - 1)*z2**2").grand_staircase()
    first, second = staircase.steps
    assert staircase.complete
    assert first.klass == "easy" and first.dimension_added == 1
    assert abs(abs(first.directions[0][0]) - 1) < 1e-5
    reference = 1 / _relu_times_square_nu()
    assert abs(first.alpha_c - reference) <= first.error_bound + 1e-7
    assert first.error_bound < 1e-4 * reference                   # at least 4 digits
    # given z1 (|z1| > 1) the label fixes z2^2; on the atom it says nothing about z2:
    # nu = E[(z2^2 - 1)^2] P(|z1| > 1) = 2 erfc(1/sqrt2)
    exact = 1 / (2 * special.erfc(1 / math.sqrt(2)))
    assert abs(second.alpha_c - exact) <= second.error_bound + 1e-9


def _relu_times_sign_changing_nu():
    """relu(z1^2 - 1)(z2^2 - 1): atom y = 0 on {|z1| <= 1}; else y = a b with a = z1^2 - 1 > 0
    (z1^2 = 1 + a, chi^2_1 density f) and b = z2^2 - 1, so given z2 the label fixes
    a = y/b: p(y) = int 2 phi(z2) f(1 + y/b) / |b| dz2 over b y > 0, E[a; y] likewise with
    a inside. nu_1 = E[g_11^2] (G diagonal by sign flips; it is the largest diagonal
    entry): quad_vec in z2, trapezoid in log|y| on [e^-25, e^8] (h = 0.05 and 0.025 agree
    to 1e-13; the first version of this reference, |y| < e^6 and z2 < 12, gave 0.60749139,
    2.5e-8 high)."""
    f = lambda w: np.exp(-w / 2) / np.sqrt(2 * np.pi * w)

    def inner(y, lo, hi):
        def integrand(z):
            b = z * z - 1
            a = y / b
            ok = a > 0
            k = np.where(ok, 2 * stats.norm.pdf(z) * f(1 + np.where(ok, a, 1.0)) / np.abs(b), 0)
            return np.stack([k, k * np.where(ok, a, 0.0)])
        return integrate.quad_vec(integrand, lo, hi, epsabs=1e-15, epsrel=1e-11, limit=500)[0]

    h = 0.05
    t = np.arange(-25, 8, h)
    total = 0.0
    for sign, (lo, hi) in ((1, (1, 14)), (-1, (0, 1))):
        p, m = inner(sign * np.exp(t), lo, hi)
        ok = p > 0
        total += float(np.sum(np.exp(t[ok]) * h * m[ok] ** 2 / p[ok]))
    mass = special.erf(1 / math.sqrt(2))
    inside = (mass - 2 * stats.norm.pdf(1.0)) / mass - 1
    return mass * inside**2 + total


def test_clip_times_sign_changing_factor_restricts_the_level_sets():
    # max(u, 0) v with v of either sign: the level sets of u v on {u > 0}, the rest an atom
    assert clip_form(sympy.Max(0, z1**2 - 1) * (z2**2 - 1)) is None
    found = clipped_recovery(sympy.Max(0, z1**2 - 1) * (z2**2 - 1), (z1, z2),
                             conditional_mean_zero=True)
    reference = 1 / _relu_times_sign_changing_nu()
    assert abs(reference - 0.6074914) < 1e-6
    assert found.klass == "easy" and abs(abs(found.directions[0][0]) - 1) < 1e-6
    assert abs(found.alpha_c - reference) <= found.error_bound + 1e-8
    assert found.error_bound < 1e-5 * reference


def _relu_times_relu_nu():
    """relu(z1^2 - 1) relu(z2^2 - 1): y = u v on R = {|z1| > 1, |z2| > 1}, u = z1^2 - 1 and
    v = z2^2 - 1 independent with the chi^2_1 density f at 1 + u; off R the atom y = 0 (mass
    1 - P^2, P = erfc(1/sqrt2)) with E[z1^2 - 1 | atom] = -E[(z1^2 - 1) 1_R] / (1 - P^2)
    = -2 phi(1) P / (1 - P^2) (E[(z^2 - 1) 1{|z| > 1}] = 2 phi(1)). G = a(y) I by the swap
    and sign symmetries, so F = E[a^2] Id and nu_1 = E[a^2], with p(y) = int f(1 + s)
    f(1 + y/s) ds / s and a p = the same with s inside: trapezoid in log y and log s
    (h = 0.05 and 0.025 agree to 1e-15; scipy quad in both gives 0.36835635268874)."""
    f = lambda w: np.exp(-w / 2) / np.sqrt(2 * np.pi * w)
    h = 0.025
    t = np.arange(-40, 8, h)[:, None]
    v = np.arange(-40, 8, h)[None, :]
    y, s = np.exp(t), np.exp(v)
    kernel = f(1 + s) * f(1 + y / s) * h
    p = kernel.sum(axis=1)
    m = (kernel * s).sum(axis=1)
    outside = special.erfc(1 / math.sqrt(2))
    mass = 1 - outside**2
    atom = -2 * stats.norm.pdf(1.0) * outside / mass
    ok = p > 0
    return mass * atom**2 + float(np.sum(y[ok, 0] * h * m[ok] ** 2 / p[ok]))


def test_product_of_clips_is_one_region_with_an_atom():
    # relu(u) relu(v): both clips come out (region {u > 0, v > 0}); clip_form alone leaves
    # the atom of the second clip inside h and the radial engine refused it
    assert region_form(sympy.Max(0, z1**2 - 1) * sympy.Max(0, z2**2 - 1)) == (
        (z1**2 - 1) * (z2**2 - 1), sympy.Min(z1**2 - 1, z2**2 - 1))
    staircase = analyze("relu(z1**2 - 1)*relu(z2**2 - 1)").grand_staircase()
    (first,) = staircase.steps
    reference = 1 / _relu_times_relu_nu()
    assert abs(reference - 2.7147625) < 1e-7
    assert staircase.complete and first.klass == "easy" and first.dimension_added == 2
    assert abs(first.alpha_c - reference) <= first.error_bound + 1e-9
    assert first.error_bound < 1e-5 * reference
