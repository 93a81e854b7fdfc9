"""The r = 3 slice engine (derive.levelsets_sliced, entered through derive.thresholds_radial).

Sources of the reference values:
- generalised chi-square laws (derive.thresholds_quadratic, its docstring): for
  y = sum_i lambda_i w_i^2 (w = V^T z), p(y) E[w_a^2 | y] is the density of
  lambda_a X_a' + sum_{i != a} lambda_i X_i with X_a' ~ chi2_3, X_i ~ chi2_1, and the
  off-diagonal w-moments vanish (sign flips), so p(y) E[z z^T | y] = V diag(...) V^T;
- z1*z2 + tanh(z3)^2 = X + tanh(a)^2 with X = z1 z2 independent of a = z3: X has the density
  K0(|x|) / pi (product of two independent standard Gaussians) and E[z1^2 | X = x] =
  |x| K1(|x|) / K0(|x|), E[z1 z2 | X = x] = x, so every conditional moment is a 1-d
  convolution integral (scipy.integrate.quad);
- rotation invariance: z -> Q z (Q orthogonal) maps the conditional moments of g(Q z) to
  Q^T (...) Q of those of g;
- Troiani et al. AISTATS 2025 (arXiv:2405.15480), THEORY.md §5: alpha_c = 1 / nu_1; the
  reference thresholds are computed live by the engines that own those targets
  (derive.thresholds_quadratic; z1 z2 z3 against derive.thresholds_product is
  tests/test_thresholds_radial.py::test_r3_product_engine, which now runs these slices).
"""

from functools import cache

import numpy as np
import pytest
import sympy
from scipy import integrate, special

from derive.levelsets_radial import critical_values, label_scale
from derive.levelsets_sliced import (
    GENERIC_AXIS,
    SliceRule,
    _Derivatives,
    slice_moments,
    slice_nodes,
    slicing_frame,
)
from derive.thresholds_quadratic import _density
from derive.thresholds_radial import radial_recovery

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)
#: the fine rule's inner and outer accuracy at a handful of labels (cheap)
RULE = SliceRule(ts_level=3, coarse_rays=40, slice_level=2, inner_piece=np.pi / 2)


def moments(g, ys, axis=GENERIC_AXIS, gradient=None):
    _, points = critical_values(g, 3, 9.5)
    return slice_moments(g, np.asarray(ys, dtype=float), RULE, slicing_frame(axis),
                         _Derivatives(g, gradient), (), points, label_scale(g, 3))


def second_moments(row):
    """p E[z z^T - I | y] from a row of the sums (columns 1, z, pairs a <= b)."""
    out = np.zeros((3, 3))
    k = 4
    for a in range(3):
        for b in range(a, 3):
            out[a, b] = out[b, a] = row[k]
            k += 1
    return out


def quadratic(z):
    return z[..., 0] ** 2 + 2 * z[..., 1] * z[..., 2] - z[..., 2] ** 2


def test_slice_nodes_gaussian_moments():
    s, w = slice_nodes(np.array([0.7, -1.2]), SliceRule(slice_level=2))
    assert abs(np.sum(w) - 1) < 1e-12 and abs(np.sum(w * s**4) - 3) < 1e-8   # E[s^4] = 3


@pytest.mark.parametrize("ys", [[-6.0, -0.5, 0.02], [0.5, 3.0]])
def test_quadratic_form_moments_against_generalised_chi_square(ys):
    """Every column of p(y) E[h | y] at labels on both sides of the critical value 0, with
    slices that have a saddle (y > 0: the outer rule is split where y is the slice's
    critical value)."""
    A = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, -1.0]])
    lam, V = np.linalg.eigh(A)
    sums = moments(quadratic, ys, axis=0)     # z1 separates: derive.thresholds_radial.slicing_axis
    for y, row in zip(ys, sums):
        terms = [(float(x), 1) for x in lam]
        p = _density(np.array([y]), tuple(terms), 5)[0]
        D = [_density(np.array([y]), tuple(terms[:a] + [(terms[a][0], 3)] + terms[a + 1:]), 5)[0]
             for a in range(3)]
        reference = V @ np.diag(D) @ V.T - p * np.eye(3)
        assert abs(row[0] - p) < 2e-5 * p
        assert np.max(np.abs(row[1:4])) < 2e-5 * max(p, 0.1)       # E[z | y] = 0
        assert np.max(np.abs(second_moments(row) - reference)) < 2e-5 * max(p, 0.1)


def _convolution(y, k):
    """p(y) E[h_k | y] for z1 z2 + tanh(z3)^2, h = 1, z1^2 - 1, z1 z2, z3^2 - 1."""
    def f(a):
        x = y - np.tanh(a) ** 2
        ax = abs(x)
        density = special.k0(ax) / np.pi * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)
        return density * (1, ax * special.k1(ax) / special.k0(ax) - 1, x, a * a - 1)[k]

    points = [np.arctanh(np.sqrt(y)), -np.arctanh(np.sqrt(y))] if 0 < y < 1 else None
    return integrate.quad(f, -9, 9, points=points, limit=400, epsabs=1e-13)[0]


def test_tanh_target_moments_against_convolution():
    def g(z):
        return z[..., 0] * z[..., 1] + np.tanh(z[..., 2]) ** 2

    ys = [-1.0, 0.05, 0.3, 0.99, 2.5]
    sums = moments(g, ys, axis=2)
    for y, row in zip(ys, sums):
        G = second_moments(row)
        ref = [_convolution(y, k) for k in range(4)]
        scale = max(ref[0], 0.05)
        assert abs(row[0] - ref[0]) < 2e-5 * scale
        assert abs(G[0, 0] - ref[1]) < 2e-5 * scale and abs(G[1, 1] - ref[1]) < 2e-5 * scale
        assert abs(G[0, 1] - ref[2]) < 2e-5 * scale
        assert abs(G[2, 2] - ref[3]) < 2e-5 * scale
        assert max(abs(G[0, 2]), abs(G[1, 2])) < 2e-5 * scale      # 0: z3 -> -z3 keeps y


def test_rotation_maps_conditional_moments():
    Q = np.array([[1.0, 2, 2], [2, 1, -2], [2, -2, 1]]) / 3           # rational, orthogonal

    def rotated(z):
        return quadratic(z @ Q.T)                                      # g(Q z)

    ys = [-0.5, 0.7]
    # different slices of the same law: along z1 for g, along the generic axis for g(Q z)
    plain, turned = moments(quadratic, ys, axis=0), moments(rotated, ys)
    for a, b in zip(plain, turned):
        assert abs(a[0] - b[0]) < 2e-5 * a[0]
        assert np.max(np.abs(Q.T @ second_moments(a) @ Q - second_moments(b))) < 2e-5


@cache
def _sliced(expr):
    # E[z | y] = 0 for both targets (sign flips; see the owning engines' docstrings)
    return radial_recovery(expr, (z1, z2, z3), conditional_mean_zero=True)


@pytest.mark.slow
def test_quadratic_threshold_four_digits():
    from derive.thresholds_quadratic import quadratic_recovery

    expr = z1**2 + 2 * z2 * z3 - z3**2
    reference = quadratic_recovery(expr, (z1, z2, z3)).steps[0]
    assert abs(reference.alpha_c - 0.5782486) < 1e-7
    result = _sliced(expr)
    assert result.klass == "easy"
    assert abs(result.alpha_c - reference.alpha_c) <= result.error_bound + reference.error_bound
    assert result.error_bound < 1e-4 * result.alpha_c                 # 4 digits (issue 4)


def test_axis_kink_splits_the_outer_rule():
    """|z1| + z2 z3 sliced along z1: the kink plane z1 = 0 is a whole slice (axis_kinks)."""
    from derive.levelsets_sliced import axis_kinks, slicing_frame
    from derive.thresholds_homogeneous import _switches
    from derive.thresholds_radial import _wrap

    switches = [_wrap(f) for f in _switches(sympy.Abs(z1) + z2 * z3, (z1, z2, z3))]
    assert list(axis_kinks(switches, slicing_frame(0))) == [0.0]
    assert len(axis_kinks(switches, slicing_frame(2))) == 0     # z1 = 0 crosses z3-slices


def _folded_plus_product_nu():
    """nu_1 of y = |z1| + z2 z3 by convolution: a = |z1| has density 2 phi(a) on a > 0 and
    b = z2 z3 the density K0(|b|)/pi with p E[z2^2 | b] = |b| K1(|b|)/pi, E[z2 z3 | b] = b
    (as for the tanh target above); G(y) is block-diagonal (z1 | z2, z3)."""
    def inner(y):
        parts = [(0.0, y), (y, np.inf)] if y > 0 else [(0.0, np.inf)]

        def weight(a):
            return 2 * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)

        def k0(b):
            return special.k0(abs(b)) / np.pi

        def k1(b):
            return abs(b) * special.k1(abs(b)) / np.pi if b != 0 else 1 / np.pi

        functions = (lambda a: weight(a) * k0(y - a), lambda a: weight(a) * a * a * k0(y - a),
                     lambda a: weight(a) * k1(y - a), lambda a: weight(a) * (y - a) * k0(y - a))
        return [sum(integrate.quad(f, lo, hi, limit=200, epsabs=1e-14, epsrel=1e-12)[0]
                    for lo, hi in parts) for f in functions]

    unit = np.eye(3)
    basis = [np.outer(unit[i], unit[j]) + np.outer(unit[j], unit[i]) for i in range(3)
             for j in range(i, 3)]
    basis = [b / np.linalg.norm(b) for b in basis]

    def integrand(y):
        p, m11, m22, m23 = inner(y)
        G = np.array([[m11 / p - 1, 0, 0], [0, m22 / p - 1, m23 / p],
                      [0, m23 / p, m22 / p - 1]])
        return p * np.array([[np.sum(bi * (G @ bj @ G)) for bj in basis] for bi in basis])

    F = sum(integrate.quad_vec(integrand, lo, hi, epsabs=1e-12, epsrel=1e-10, limit=400)[0]
            for lo, hi in ((-40.0, 0.0), (0.0, 40.0)))
    return float(np.linalg.eigvalsh(F)[-1])


@pytest.mark.slow
def test_kinked_target_four_digits_against_convolution():
    """|z1| + z2 z3 (a kink across the slices): 0.73941173 by convolution."""
    reference = 1 / _folded_plus_product_nu()
    result = _sliced(sympy.Abs(z1) + z2 * z3)
    assert abs(reference - 0.7394117) < 1e-6
    assert result.klass == "easy"
    assert abs(result.alpha_c - reference) <= result.error_bound + 1e-8
    assert result.error_bound < 1e-4 * result.alpha_c                 # 4 digits (issue 4)


def _cube_switches():
    from derive.thresholds_homogeneous import _switches
    from derive.thresholds_radial import _wrap

    expr = sympy.Max(sympy.Abs(z1), sympy.Abs(z2), sympy.Abs(z3))
    return [_wrap(f) for f in _switches(expr, (z1, z2, z3))]


def _cube(z):
    return np.max(np.abs(z), axis=-1)


def test_cube_corners_are_singular_slices():
    """max |z_i| = y is the surface of a cube: its corners are the 8 vertices (+-y)^3, and
    kink_slices finds exactly their slices (the switches z_i = 0 are not kinks there)."""
    from derive.levelsets_kinks import kink_slices

    frame = slicing_frame(GENERIC_AXIS)
    vertices = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
    ys = np.array([0.2, 0.741816, 1.5])
    for y, events in zip(ys, kink_slices(_cube, _cube_switches(), frame, ys)):
        expected = np.sort(y * vertices @ frame[:, 2])
        assert events.s.shape == (8,)
        assert np.max(np.abs(events.s - expected)) < 1e-9
        assert all(len(k) == 3 for k in events.kinks)          # three kink planes per vertex


@pytest.mark.parametrize("ys", [[0.418295, 0.741816, 1.168312]])
def test_oblique_kink_moments_against_order_statistics(ys):
    """max |z_i| = y: one coordinate is +-y, the other two are N(0, 1) conditioned on
    |z| < y, so p(y) = 6 phi(y) erf(y/sqrt2)^2 and E[z1^2 - 1 | y] = (y^2 + 2 m(y))/3 - 1,
    m(y) = 1 - 2 y phi(y) / erf(y/sqrt2) (order statistics of |z_i|). The slices through the
    cube's vertices and the angles of the corners next to them are cut; without them these
    labels were off by 5e-3, 2e-3 and 5e-3 (relative)."""
    ys = np.asarray(ys)
    gradient = None
    _, points = critical_values(_cube, 3, 9.5)
    sums = slice_moments(_cube, ys, RULE, slicing_frame(GENERIC_AXIS),
                         _Derivatives(_cube, gradient), _cube_switches(), points,
                         label_scale(_cube, 3))
    phi = np.exp(-ys**2 / 2) / np.sqrt(2 * np.pi)
    erf = special.erf(ys / np.sqrt(2))
    p = 6 * phi * erf**2
    g11 = (ys**2 + 2 * (1 - 2 * ys * phi / erf)) / 3 - 1
    error = np.max(np.abs(sums[:, 0] / p - 1))
    assert error < 1e-4, error
    for row, pk, gk in zip(sums, p, g11):
        assert np.max(np.abs(second_moments(row) - pk * gk * np.eye(3))) < 1e-4 * pk
