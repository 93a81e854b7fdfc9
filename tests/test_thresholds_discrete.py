"""Exact weak-recovery thresholds of multi-index targets with finitely many label values.

sign(z1 z2): E[z | y] = 0, E[z1^2 - 1 | y] = 0 and E[z1 z2 | y = s] = s E|z1 z2| = 2s/pi, so
G(+-1) = +-(2/pi) [[0, 1], [1, 0]], F(M) = (4/pi^2) X M X and alpha_c = pi^2/4 for both
directions at once (the definition of THEORY.md §5, Troiani et al. 2025). sign(z1 z2 z3) is a
Gaussian parity: G(v) = 0 (generative leap 3), hence hard. step(z1) step(z2) has
E[z | y = 1] along (1, 1): trivial.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import derive
from derive.target import parse_target
from derive.thresholds_discrete import weak_recovery_discrete


def _run(text):
    t = parse_target(text)
    return weak_recovery_discrete(t.expression, t.variables)


def test_sign_of_product_is_pi_squared_over_four():
    r = _run("sign(z1*z2)")
    assert r.klass == "easy" and r.easy_dimension == 2
    assert r.alpha_c_exact == sympy.pi**2 / 4
    assert r.alpha_c == pytest.approx(float(sympy.pi**2 / 4), rel=1e-14)


def test_parity_is_hard():
    assert _run("sign(z1*z2*z3)").klass == "hard"


def test_product_of_steps_is_trivial_along_the_diagonal():
    r = _run("step(z1)*step(z2)")
    assert r.klass == "trivial" and r.trivial_dimension == 1
    assert np.allclose(np.abs(r.directions[0]), [2**-0.5, 2**-0.5], atol=1e-12)


def test_analysis_and_cli_use_it(cli):
    assert derive.analyze("sign(z1*z2)").recovery().alpha_c_exact == sympy.pi**2 / 4
    result = cli("threshold", "sign(z1*z2)")
    assert result.returncode == 0 and "pi**2/4" in result.stdout
