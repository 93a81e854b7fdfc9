"""Noiseless positively homogeneous two-index targets (derive.thresholds_homogeneous).

Identities and independent routes (Troiani et al. AISTATS 2025, arXiv:2405.15480, §5):
- z1 z2: nu_1 = E[c^2] + 1 and |z1 z2|: nu_1 = E[c^2] (|y| carries no sign, so
  E[z1 z2 | y] = 0 by z1 -> -z1 and G = c I), c = E[z1^2 | z1 z2] - 1, both from the
  log-moduli route of derive.thresholds_product; 0.59375 (Defilippis et al. 2025);
- |z| = sqrt(z1^2 + z2^2) determines |z|^2: alpha_c = r/2 = 1 (chi-square, derived in
  tests/test_thresholds_structured.py);
- z1 relu(z2): an atom at y = 0 of mass 1/2 with E[z2 | atom] = E[z2 | z2 < 0] = -sqrt(2/pi)
  != 0, and E[y z1] = E[relu(z2)] != 0: both directions are trivial;
- max(z1, z2) and max(z1, z2)^2: swapping z1, z2 keeps y, so E[z1 - z2 | y] = 0 and the
  trivial direction is exactly (1, 1)/sqrt 2;
- the noisy route (derive.thresholds_noisy) approaches max(|z1|, |z2|) from above.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import derive
from derive.thresholds_homogeneous import homogeneity_degree, homogeneous_recovery
from derive.thresholds_product import product_threshold

z1, z2 = sympy.symbols("z1 z2", real=True)


def test_degree():
    assert homogeneity_degree(sympy.Max(z1, z2) ** 2, (z1, z2)) == 2
    assert homogeneity_degree(sympy.sqrt(z1**2 + z2**2), (z1, z2)) == 1
    assert homogeneity_degree(sympy.tanh(z1) * z2, (z1, z2)) is None
    assert homogeneity_degree(sympy.sign(z1 * z2), (z1, z2)) is None  # degree 0


def test_product_and_its_modulus_match_the_log_moduli_route():
    c_square = product_threshold(2).nu_1 - 1
    plain = homogeneous_recovery(z1 * z2, (z1, z2))
    modulus = homogeneous_recovery(sympy.Abs(z1 * z2), (z1, z2))
    assert 1 / plain.alpha_c == pytest.approx(c_square + 1, abs=1e-8)
    assert 1 / modulus.alpha_c == pytest.approx(c_square, abs=1e-8)
    assert plain.error_bound < 1e-8 and modulus.error_bound < 1e-8
    assert round(plain.alpha_c, 5) == 0.59375


def test_norm_is_chi_square():
    r = homogeneous_recovery(sympy.sqrt(z1**2 + z2**2), (z1, z2))
    assert r.alpha_c == pytest.approx(1.0, abs=1e-9) and r.easy_dimension == 2


def test_relu_factor_has_an_atom_and_two_trivial_directions():
    r = homogeneous_recovery(z1 * sympy.Max(z2, 0), (z1, z2))
    assert r.klass == "trivial" and r.trivial_dimension == 2
    assert "mass 0.5" in r.reason


@pytest.mark.parametrize("power", [1, 2])
def test_max_learns_the_symmetric_direction(power):
    r = homogeneous_recovery(sympy.Max(z1, z2) ** power, (z1, z2))
    assert r.klass == "trivial" and r.trivial_dimension == 1
    assert np.allclose(np.abs(r.directions[0]), (2**-0.5, 2**-0.5), atol=1e-7)


def test_noisy_route_approaches_from_above():
    from derive.thresholds_noisy import weak_recovery_noisy

    target = sympy.Max(sympy.Abs(z1), sympy.Abs(z2))
    exact = homogeneous_recovery(target, (z1, z2))
    noisy = [weak_recovery_noisy(target, (z1, z2), noise) for noise in (0.2, 0.05)]
    assert exact.klass == noisy[0].klass == noisy[1].klass == "easy"
    assert noisy[0].alpha_c > noisy[1].alpha_c > exact.alpha_c


def test_cli(cli):
    import json

    result = cli("threshold", "max(z1, z2)**2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["weak_recovery"]
    assert data["class"] == "trivial" and data["steps"][0]["dimension_added"] == 1
    assert derive.analyze("z1*relu(z2)").recovery().trivial_dimension == 2
