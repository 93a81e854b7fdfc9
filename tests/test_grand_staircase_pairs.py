"""Second staircase step of r = 3 targets when one direction is learned and two remain.

Source: the grand staircase of Troiani et al. (AISTATS 2025, arXiv:2405.15480; THEORY.md
§5): with s = <u, z> learned, the step is the two-index problem of t -> g(u s + V t) for
every s, its F operator averaged over s (derive.grand_staircase_pairs).
"""

from __future__ import annotations

import pytest
import sympy

from derive.grand_staircase_pairs import later_step_two_left

Z = sympy.symbols("z1 z2 z3", real=True)
z1, z2, z3 = Z


@pytest.mark.slow
def test_label_and_learned_coordinate_fix_the_product():
    # (y, z1) determines z2 z3 = y - tanh(z1) for every z1: the z1 z2 problem at each s,
    # alpha_c = 0.59375 (Defilippis et al. 2025, arXiv:2502.02545), in the plane of z2, z3
    step = later_step_two_left(sympy.tanh(z1) + z2 * z3, Z, [(1, 0, 0)], nodes=(2, 4))
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(0.59375, abs=1e-5)
    assert step.error_bound < 1e-5
    assert step.dimension_added == 2
    assert all(abs(d[0]) < 1e-9 for d in step.directions)


@pytest.mark.slow
def test_learned_scale_leaves_the_norm():
    # y / z1 = z2^2 + z3^2: the label fixes |t|^2 given s != 0, G = (|t|^2/2 - 1) I and
    # nu_1 = Var(|t|^2)/4 = 1 (chi-square with 2 degrees of freedom): alpha_c = 1.
    # Gauss-Hermite with an even number of nodes never samples s = 0, where g is constant.
    step = later_step_two_left(z1 * (z2**2 + z3**2), Z, [(1, 0, 0)], nodes=(2, 4))
    assert step.klass == "easy"
    assert step.alpha_c == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_cli_staircase_completes_through_the_pair_step(cli):
    result = cli("threshold", "tanh(z1) + z2*z3")
    assert result.returncode == 0, result.stderr
    assert "every direction is learned for alpha > 0.59375" in result.stdout


@pytest.mark.slow
def test_outer_clip_keeps_its_atom_at_every_s():
    # min(z1 z3, 0) z2^2 = min(z1 z2^2 z3, 0): at fixed s = z2 != 0 the restricted link is
    # min(s^2 t1 t2, 0), the same F for every s. Reference: the convolution engine's later
    # step (derive.thresholds_factored, F_S = P(z2 != 0) F(min(z1 z3, 0)) = 1/0.5947545579)
    from derive.thresholds_factored import factored_later_step

    expr = z2**2 * sympy.Min(z1 * z3, 0)
    reference = factored_later_step(expr, Z, [(0.0, 1.0, 0.0)])
    step = later_step_two_left(expr, Z, [(0, 1, 0)], nodes=(2, 4))
    assert abs(reference.alpha_c - 0.5947545579) < 1e-9
    assert step.klass == "easy" and step.dimension_added == 1
    assert abs(step.alpha_c - reference.alpha_c) <= step.error_bound + reference.error_bound
    assert step.error_bound < 1e-6
    (direction,) = step.directions                    # (e1 - e3)/sqrt 2: z1 z3 < 0 on y < 0
    assert abs(direction[1]) < 1e-9 and direction[0] * direction[2] < 0
