"""Steps after the first for noisy targets (derive.grand_staircase_noisy).

Identity used (Troiani et al. AISTATS 2025, arXiv:2405.15480, THEORY.md §5): for
y = a(z_S) + h(z_rest) + sqrt(Delta) xi the augmented label (y, z_S) carries exactly the
information of h(z_rest) + sqrt(Delta) xi, so the step after S has the threshold of the
noisy target h alone — computed independently by derive.thresholds (r = 1, mpmath level
sets) or derive.thresholds_noisy (r = 2, no outer average).
"""

from __future__ import annotations

import pytest
import sympy

import derive
from derive.grand_staircase_noisy import noisy_later_steps
from derive.thresholds_noisy import weak_recovery_noisy

z1, z2, z3 = sympy.symbols("z1 z2 z3", real=True)


def test_second_step_is_the_single_index_threshold():
    (step,) = noisy_later_steps(z1 + z2**2, (z1, z2), 0.5, [(1.0, 0.0)])
    single = derive.analyze("z**2; noise = 0.5").recovery()
    assert step.klass == "easy" and step.directions == ((0.0, 1.0),)
    assert step.alpha_c == pytest.approx(single.alpha_c, abs=10 * step.error_bound + 1e-6)
    assert step.error_bound < 1e-3


@pytest.mark.slow
def test_second_step_in_three_variables_is_the_two_index_threshold():
    (step,) = noisy_later_steps(z1 + z2**2 + z3**2, (z1, z2, z3), 0.5, [(1.0, 0.0, 0.0)])
    alone = weak_recovery_noisy(z2**2 + z3**2, (z2, z3), 0.5)
    assert step.dimension_added == 2
    tolerance = 10 * (step.error_bound + alone.error_bound) + 1e-6
    assert step.alpha_c == pytest.approx(alone.alpha_c, abs=tolerance)


def test_analysis_json_has_the_noisy_steps():
    recovery = derive.analyze("z1 + z2**2; noise = 0.5").to_dict()["weak_recovery"]
    assert [s["dimension_added"] for s in recovery["steps"]] == [1, 1]
    assert recovery["grand_staircase"]["complete"] is True
