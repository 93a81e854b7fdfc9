"""Weak-recovery classes read off the generative filtration (derive.thresholds_leap).

Sources: the classification of Troiani et al. (AISTATS 2025, arXiv:2405.15480; THEORY.md
§5): a step is trivial when E[z | y, z_S] is not identically 0, easy when that vanishes and
G = E[z z^T - I | y, z_S] does not (alpha_c = 1/nu_1 finite), hard when both vanish; and the
generative filtration (Damian, Lee, Bruna 2025, arXiv:2506.05500, Def. 5), whose step orders
1, 2, >= 3 are exactly these three cases. Hand derivations in each test (Isserlis' theorem
for the moments).
"""

from __future__ import annotations

import json

import derive


def test_staircase_target_is_trivial_in_every_direction():
    # y = z1 + z1 z2 + z1 z2 z3: E[z1 y] = 1, and with y^2 = z1^2 (1 + z2 + z2 z3)^2,
    # E[z2 y^2] = E[z2 (1 + z2 + z2 z3)^2] = 2 E[z2^2] = 2 and E[z3 y^2] = 2 E[z2^2 z3^2] = 2:
    # E[z | y] spans all three directions, alpha_c = 0
    analysis = derive.analyze("z1 + z1*z2 + z1*z2*z3")
    recovery = analysis.recovery()
    assert recovery.klass == "trivial" and recovery.trivial_dimension == 3
    staircase = analysis.grand_staircase()
    assert staircase.complete and staircase.alpha_needed == 0.0


def test_trivial_then_easy():
    # y = z1^3 + z2^2 z3: E[z1 y] = 3, E[z3 y] = 1 (trivial along e1, e3); the flip of z2 keeps
    # y, z1, z3, so every order-1 moment along e2 vanishes, while given them
    # z2^2 = (y - z1^3)/z3 is known: G != 0 along e2, an easy second step, and since y and
    # (z1, z3) fix z2^2 it is phase retrieval in z2: alpha_c = 1/2 (THEORY.md §5; computed by
    # derive.grand_staircase_general), so the staircase is complete
    analysis = derive.analyze("z1**3 + z2**2*z3")
    staircase = analysis.grand_staircase()
    assert [s.klass for s in staircase.steps] == ["trivial", "easy"]
    assert [s.dimension_added for s in staircase.steps] == [2, 1]
    assert staircase.steps[1].directions == ((0.0, 1.0, 0.0),)
    assert staircase.complete
    assert abs(staircase.alpha_needed - 0.5) < 1e-8


def test_easy_without_alpha_and_hard(cli):
    # tanh(z1) tanh(z1 + z2) is even under z -> -z: E[z T(y)] = 0 for every T, and C_2 of y
    # is resolved non-zero (nested quadrature): easy; alpha_c then comes from the radial
    # level-set engine (tests/test_thresholds_radial.py)
    easy = derive.analyze("tanh(z1)*tanh(z1 + z2)").recovery()
    assert easy.klass == "easy" and easy.easy_dimension == 2
    assert abs(easy.alpha_c - 0.52559846) <= easy.error_bound + 1e-8
    # the Gaussian parity sign(z1 z2 z3 z4): every label transform has zero moments below
    # order 4 (generative exponent 4): hard
    hard = derive.analyze("sign(z1*z2*z3*z4)").recovery()
    assert hard.klass == "hard" and hard.alpha_c is None and hard.directions == ()
    result = cli("threshold", "z1 + z1*z2 + z1*z2*z3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["weak_recovery"]
    assert data["class"] == "trivial" and data["alpha_c"] == 0.0
    assert data["steps"] == [{"alpha_c": 0.0, "dimension_added": 3, "error_bound": 0.0}]
