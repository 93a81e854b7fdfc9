"""The Monte Carlo last resort for multi-index targets that are neither polynomial,
separable nor ridge sums (issue: Monte Carlo only with a confidence statement, never a zero).

References: c_(1,0) of max(z1, z2^2) is E[d/dz1 g] = P(z1 > z2^2) (Stein), computed here by
quadrature; sign symmetries give exact zeros (g even in z2: every odd power of z2 vanishes;
g(-z) = g(z): every odd order vanishes). Since r <= 3 targets go to nested quadrature
(derive.cubature) first, the dispatch tests use four-variable targets.
"""

from __future__ import annotations

import numpy as np
import sympy
from scipy import integrate, stats

import derive
from derive.montecarlo import SIGMAS, monte_carlo_coefficients


def test_stein_value_within_five_standard_errors():
    z1, z2 = sympy.symbols("z1 z2", real=True)
    table = monte_carlo_coefficients(sympy.Max(z1, z2**2), (z1, z2), 2, samples=200_000)
    exact, _ = integrate.quad(lambda t: stats.norm.pdf(t) * stats.norm.sf(t * t), -np.inf,
                              np.inf)
    mean, se = table[(1, 0)]
    assert abs(mean - exact) < 5 * se


def test_deterministic_with_a_seed():
    z1, z2 = sympy.symbols("z1 z2", real=True)
    a = monte_carlo_coefficients(sympy.tanh(z1) * sympy.tanh(z1 + z2), (z1, z2), 2, 10_000, 3)
    b = monte_carlo_coefficients(sympy.tanh(z1) * sympy.tanh(z1 + z2), (z1, z2), 2, 10_000, 3)
    assert a == b


def test_first_step_and_symmetry_zeros():
    # even in z2, z3 and z4 separately: C_1 = (P(z1 > z2^2 + z3^2 z4^2), 0, 0, 0) exactly
    m = derive.analyze("max(z1, z2**2 + z3**2*z4**2)").multi_index
    assert m.method.startswith("monte carlo")
    step = m.information.steps[0]
    assert step.order == 1 and [float(x) for x in step.basis[0]] == [1.0, 0.0, 0.0, 0.0]
    assert step.certificate.kind == "monte-carlo"
    assert m.information.leap is None and m.information.undetermined
    assert all(alpha[1] % 2 == 0 for alpha in m.coefficients)  # even in z2: exact zeros
    for alpha, value in m.coefficients.items():
        assert abs(float(value)) > SIGMAS * m.bounds[alpha]


def test_even_target_has_no_first_step():
    # tanh(z1) sign(z1 + z2 + z3 + z4) is invariant under z -> -z: C_1 = 0 exactly, and Monte
    # Carlo cannot certify the zeros a later order would need (its kink keeps it off the
    # four-variable quadrature, which takes kink-free targets only)
    m = derive.analyze("tanh(z1)*sign(z1 + z2 + z3 + z4)").multi_index
    assert m.method.startswith("monte carlo")
    assert not m.information.steps and m.information.undetermined
    assert all(sum(alpha) % 2 == 0 for alpha in m.coefficients)


def test_json_labels_monte_carlo(cli):
    result = cli("analyze", "max(z1, z2**2 + z3**2*z4**2)", "--json")
    assert result.returncode == 0, result.stderr
    assert "monte-carlo(se=" in result.stdout and '"method": "monte carlo' in result.stdout
    assert '"ci95"' in result.stdout
