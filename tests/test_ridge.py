"""Ridge sums g = P(z) + sum_j f_j(<w_j, z>) with non-orthogonal w_j (two-layer teachers).

Sources: Stein's identity E[f(<u,z>) He_alpha(z)] = E[f^(k)] u^alpha (THEORY.md §1, §4),
which gives C_1 = E[grad g] and C_2 = E[grad^2 g] in closed form for relu units
(E[1{<w,z> > 0}] = 1/2, E[delta(<w,z>)] = phi(0)/|w|); Parseval E[g^2] = sum alpha! c_alpha^2
with the arc-cosine kernel E[relu(a) relu(b)] = (sqrt(1 - rho^2) + (pi - arccos rho) rho)/(2 pi)
for unit-variance a, b of correlation rho (Cho & Saul 2009); one giant step with batch d^l
learns the ranges of C_1 ... C_l (Dandi et al. JMLR 2024).
"""

from __future__ import annotations

import math

import pytest
import sympy
from conftest import analysis_of

import derive
from derive.errors import DeriveError

RELU_PAIR = "relu(z1) + relu(z1 + z2)"


def test_relu_pair_tensors_in_closed_form():
    c = analysis_of(RELU_PAIR).multi_index.coefficients
    phi0 = 1 / sympy.sqrt(2 * sympy.pi)
    # C_1 = E[grad g] = (1, 1/2)
    assert sympy.simplify(c[(1, 0)] - 1) == 0
    assert sympy.simplify(c[(0, 1)] - sympy.Rational(1, 2)) == 0
    # C_2 = phi(0) (e1 e1^T + (1,1)(1,1)^T / sqrt 2); c_alpha = C_alpha / alpha!
    assert sympy.simplify(c[(2, 0)] - phi0 * (1 + 1 / sympy.sqrt(2)) / 2) == 0
    assert sympy.simplify(c[(1, 1)] - phi0 / sympy.sqrt(2)) == 0
    assert sympy.simplify(c[(0, 2)] - phi0 / (2 * sympy.sqrt(2))) == 0


def test_relu_pair_parseval():
    """sum_{|alpha| <= 6} alpha! c_alpha^2 = E[g^2] minus the kernel tail
    sum_{k > 6} sum_{j,l} k! c_k(f_j) c_k(f_l) <u_j, u_l>^k, computed here to order 100; what
    is left is the kernel tail beyond order 100: positive, about 2e-4 (it was 2.7e-4 beyond 60)."""
    c = analysis_of(RELU_PAIR).multi_index.coefficients
    partial = sum(math.prod(math.factorial(a) for a in alpha) * float(v) ** 2
                  for alpha, v in c.items())
    rho = 1 / math.sqrt(2)
    cross = math.sqrt(2) * (math.sqrt(1 - rho**2) + (math.pi - math.acos(rho)) * rho) / (2 * math.pi)
    second_moment = 0.5 + 1.0 + 2 * cross
    t = sympy.Symbol("t", real=True)
    units = [derive.hermite_expansion(sympy.Max(0, t), 100),
             derive.hermite_expansion(sympy.Max(0, sympy.sqrt(2) * t), 100)]
    overlap = [[1.0, rho], [rho, 1.0]]
    tail = sum(math.factorial(k) * float(units[j].coefficient(k).value)
               * float(units[l].coefficient(k).value) * overlap[j][l] ** k
               for k in range(7, 101) for j in range(2) for l in range(2))
    left = second_moment - tail - partial
    assert 0 < left < 3e-4


def test_relu_pair_first_steps():
    m = analysis_of(RELU_PAIR).multi_index
    assert m.effective_dimension == 2
    step = m.information.steps[0]
    assert step.order == 1
    direction = sympy.Matrix(step.basis[0])
    assert sympy.Matrix.hstack(direction, sympy.Matrix([2, 1])).rank() == 1
    assert m.information.undetermined  # later steps are not guessed
    assert m.information.leap is None
    assert [(s.batch_exponent, s.dimension_learned) for s in m.one_step] == [(1, 1), (2, 2)]
    assert m.generative.steps[0].order == 1
    assert m.linear_giant_steps.steps[0].dimension_added == 1


def test_even_ridges_start_at_order_two():
    m = derive.analyze("abs(z1 + z2) + abs(z1 - 2*z2)").multi_index
    assert [s.order for s in m.information.steps] == [2]
    assert m.information.steps[0].dimension_added == 2  # the first step learns everything
    assert m.information.leap == 2
    assert m.one_step[0].dimension_learned == 0  # C_1 = 0: batch d learns nothing


def test_not_a_ridge_sum_is_refused():
    with pytest.raises(DeriveError, match="ridge"):
        derive.analyze("tanh(z1)*tanh(z1 + z2)")


def test_cli_json(cli):
    result = cli("analyze", RELU_PAIR, "--json")
    assert result.returncode == 0, result.stderr
    assert '"information_leap"' in result.stdout
