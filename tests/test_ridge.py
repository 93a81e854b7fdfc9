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


def test_relu_pair_staircase():
    """C_1 = (1, 1/2) reveals (2, 1) at order 1; given it, E[y h_1(z_perp) | z_S] != 0 along
    the remaining direction: information leap 1 in two steps, hence generative leap 1
    (generative <= information, Damian, Lee, Bruna 2025) and a complete batch-O(d)
    staircase; one step with batch d^2 learns both (range of C_2 has rank 2)."""
    m = analysis_of(RELU_PAIR).multi_index
    assert m.effective_dimension == 2
    assert [s.order for s in m.information.steps] == [1, 1]
    direction = sympy.Matrix(m.information.steps[0].basis[0])
    assert sympy.Matrix.hstack(direction, sympy.Matrix([2, 1])).rank() == 1
    second = sympy.Matrix(m.information.steps[1].basis[0])
    assert sympy.simplify(direction.dot(second)) == 0
    assert m.information.leap == 1 and m.generative.leap == 1
    assert m.linear_giant_steps.complete
    assert [(s.batch_exponent, s.dimension_learned) for s in m.one_step] == [(1, 1), (2, 2)]


def test_symmetric_ridges_need_order_two():
    """relu(z1) + relu(z1+z2) + relu(z1-z2) is even in z2: after e1 (C_1 = (3/2, 0)) the odd
    orders in z2 vanish by that symmetry and e2 comes at order 2: information leap 2, and the
    batch-O(d) staircase stops after e1."""
    m = derive.analyze("relu(z1) + relu(z1 + z2) + relu(z1 - z2)").multi_index
    assert [s.order for s in m.information.steps] == [1, 2]
    assert m.information.leap == 2
    assert m.linear_giant_steps.stopped and not m.linear_giant_steps.complete
    # generative: the flip z2 -> -z2 fixes y and z1, so E[T(y) z2 | z1] = 0 for every label
    # transform T; the ridge engine stops there, the nested quadrature (derive.cubature)
    # resolves E[y He_2(z2) | z1] != 0 and continues: generative leap 2, steps e1 then e2
    assert [s.order for s in m.generative.steps] == [1, 2]
    assert m.generative.steps[1].certificate.kind == "quadrature"
    assert m.generative.leap == 2


def test_three_tanh_units():
    m = derive.analyze("tanh(z1) + tanh(z1 + z2) + tanh(z1 + z2 + z3)").multi_index
    assert [(s.order, s.dimension_added) for s in m.information.steps] == [(1, 1), (1, 2)]
    assert m.information.leap == 1


def test_even_ridges_start_at_order_two():
    m = derive.analyze("abs(z1 + z2) + abs(z1 - 2*z2)").multi_index
    assert [s.order for s in m.information.steps] == [2]
    assert m.information.steps[0].dimension_added == 2  # the first step learns everything
    assert m.information.leap == 2
    assert m.one_step[0].dimension_learned == 0  # C_1 = 0: batch d learns nothing


def test_not_a_ridge_sum_goes_to_the_last_resort():
    # a product of two units is no ridge sum: nested quadrature (derive.cubature) for
    # r <= 3, Monte Carlo (derive.montecarlo) for r = 4, refused with a clear line beyond
    assert derive.analyze("tanh(z1)*tanh(z1 + z2)").multi_index.method.startswith("nested")
    with pytest.raises(DeriveError, match="ridge"):
        derive.analyze("tanh(z1)*tanh(z1 + z2)*z3*z4*z5")


def test_cli_json(cli):
    result = cli("analyze", RELU_PAIR, "--json")
    assert result.returncode == 0, result.stderr
    assert '"information_leap"' in result.stdout
