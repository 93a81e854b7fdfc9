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
