"""Noiseless non-polynomial two-index targets y = A(s) + B(s) t (derive.thresholds_affine).

Checks (Troiani et al. AISTATS 2025, arXiv:2405.15480; THEORY.md §5):
- z1 z2 reproduces the log-moduli route of derive.thresholds_product and 0.59375
  (Defilippis et al. 2025, arXiv:2502.02545);
- sign(z1) z2 in closed form, derived here: |y| = |z2| and sign(z1) = sign(y) sign(z2) with
  sign(z2) an independent fair coin given y, so E[z | y] = 0, E[z1^2 | y] = 1,
  E[z2^2 | y] = y^2 and E[z1 z2 | y] = E|z1| y = sqrt(2/pi) y; y ~ N(0, 1). Hence
  G(y) = [[0, c y], [c y, y^2 - 1]] and F is a matrix of Gaussian moments (exact with
  Gauss-Hermite nodes);
- the limit tanh(eps z1)/eps z2 -> z1 z2 (eps = 1/100: O(eps^2) away);
- the noisy route approaches tanh(z1) z2 from above as the noise vanishes;
- staircase after z2 for |z1| z2 and z2 + tanh(z1)^2: the augmented label gives |z1|
  (resp. z1^2), phase retrieval: alpha_c = 1/2 (Mondelli & Montanari 2018).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import derive
from derive.thresholds_affine import affine_recovery, affine_split
from derive.thresholds_product import product_threshold

z1, z2 = sympy.symbols("z1 z2", real=True)


def test_product_matches_the_log_moduli_route():
    r = affine_recovery(z1 * z2, (z1, z2))
    exact = product_threshold(2)
    assert r.alpha_c == pytest.approx(exact.alpha_c, abs=10 * r.error_bound + 1e-9)
    assert r.error_bound < 1e-5 and r.easy_dimension == 2


def _sign_times_linear_nu():
    c = np.sqrt(2 / np.pi)
    y, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / np.sqrt(2 * np.pi)
    G = np.zeros((y.size, 2, 2))
    G[:, 0, 1] = G[:, 1, 0] = c * y
    G[:, 1, 1] = y * y - 1
    basis = [np.array([[1.0, 0], [0, 0]]), np.array([[0, 0], [0, 1.0]]),
             np.array([[0, 1.0], [1.0, 0]]) / np.sqrt(2)]
    F = np.array([[np.sum(w * np.sum(Mj * (G @ Mi @ G), axis=(1, 2))) for Mi in basis]
                  for Mj in basis])
    return float(np.linalg.eigvalsh(F)[-1])


def test_sign_times_linear_matches_the_closed_form():
    r = affine_recovery(sympy.sign(z1) * z2, (z1, z2))
    assert r.klass == "easy"
    assert 1 / r.alpha_c == pytest.approx(_sign_times_linear_nu(), abs=1e-9)


def test_preprocessing_of_the_product_matches_the_bessel_form():
    """z1 z2: E[z1^2 | y] = |y| K1(|y|)/K0(|y|), E[z1 z2 | y] = y (see test_thresholds_structured)."""
    from scipy import special

    T = affine_recovery(z1 * z2, (z1, z2)).preprocessing_matrix
    for y in (-1.1, 0.3, 2.5):
        m = abs(y) * special.k1(abs(y)) / special.k0(abs(y))
        expected = np.eye(2) - np.linalg.inv(np.array([[m, y], [y, m]]))
        assert np.allclose(T(y), expected, atol=1e-7)


def test_small_tanh_is_the_product():
    r = affine_recovery(100 * sympy.tanh(z1 / 100) * z2, (z1, z2))
    assert r.alpha_c == pytest.approx(product_threshold(2).alpha_c, abs=1e-4)


def test_tanh_times_linear():
    r = affine_recovery(sympy.tanh(z1) * z2, (z1, z2))
    assert r.klass == "easy" and r.easy_dimension == 2
    assert r.error_bound < 1e-5
    from derive.thresholds_noisy import weak_recovery_noisy

    noisy = weak_recovery_noisy(sympy.tanh(z1) * z2, (z1, z2), 0.1)
    assert noisy.alpha_c > r.alpha_c


def test_trivial_and_the_step_after_it():
    r = affine_recovery(sympy.Abs(z1) * z2, (z1, z2))
    assert r.klass == "trivial" and r.directions == ((0.0, 1.0),)
    (second,) = r.following
    assert second.alpha_c == 0.5 and second.directions == ((1.0, 0.0),)
    r = affine_recovery(z2 + sympy.tanh(z1) ** 2, (z1, z2))
    assert r.following[0].alpha_c == 0.5
    both = affine_recovery(sympy.exp(z1) * z2, (z1, z2))
    assert both.klass == "trivial" and both.trivial_dimension == 2


def test_forms_outside_the_class():
    assert affine_split(sympy.Max(z1, z2) ** 2, (z1, z2)) is None
    # relu(z2) vanishes on a half line: the label has an atom at 0, refused
    assert affine_recovery(z1 * sympy.Max(z2, 0), (z1, z2)) is None


def test_cli_and_json(cli):
    import json

    result = cli("threshold", "tanh(z1)*z2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["weak_recovery"]
    api = affine_recovery(sympy.tanh(z1) * z2, (z1, z2))
    assert data["alpha_c"] == pytest.approx(api.alpha_c, rel=1e-12)
    assert data["steps"][0]["error_bound"] == pytest.approx(api.error_bound)
    steps = derive.analyze("abs(z1)*z2").to_dict()["weak_recovery"]["steps"]
    assert [s["dimension_added"] for s in steps] == [1, 1] and steps[1]["alpha_c"] == 0.5
