"""The optimal spectral preprocessing T*(y) = 1 - 1/E[z^2|y] (THEORY.md §5).

Checks: closed forms where y determines z^2; the tower property E_y[E[z^2|y]] = E[z^2] = 1;
and the identity alpha_c = 1 / E_y[(E[z^2|y] - 1)^2] (Troiani et al. 2025), which ties the
callable to the independent level-set computation of derive.thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import derive
from derive.errors import DeriveError
from derive.preprocessing import Y, optimal_preprocessing
from derive.thresholds import weak_recovery


def _samples(text: str, n: int = 400_000, seed: int = 0):
    analysis = derive.analyze(text)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    link = sympy.lambdify(analysis.hermite.variable, analysis.hermite.expression,
                          modules=["numpy", "scipy"])
    y = np.broadcast_to(np.asarray(link(z), dtype=float), z.shape).copy()
    noise = float(analysis.target.noise)
    if noise:
        y += np.sqrt(noise) * rng.standard_normal(n)
    return analysis, y


def _conditional_second_moment(transform, y):
    return 1.0 / (1.0 - transform(y))


def test_phase_retrieval_closed_form():
    # y = z^2 determines z^2: E[z^2|y] = y, T*(y) = 1 - 1/y (Mondelli-Montanari 2018)
    t = optimal_preprocessing(derive.analyze("z**2"))
    assert t.expression == 1 - 1 / Y
    assert t(np.array([2.0]))[0] == pytest.approx(0.5, abs=1e-12)


def test_absolute_value_closed_form():
    t = optimal_preprocessing(derive.analyze("abs(z)"))
    assert sympy.simplify(t.expression - (1 - 1 / Y**2)) == 0


def test_relu_atom_is_exact():
    # y = 0 exactly when z < 0, and E[z^2 | z < 0] = 1, so T*(0) = 0; y > 0 means z = y
    t = optimal_preprocessing(derive.analyze("relu(z)"))
    values = t(np.array([0.0, 2.0]))
    assert values[0] == 0.0
    assert values[1] == pytest.approx(1 - 1 / 4, abs=1e-9)


def test_discrete_link_exact_value():
    # y = 1{|z| > 1}: E[z^2 | |z| > 1] = 1 + 2 phi(1) / P(|z| > 1) (integration by parts)
    t = optimal_preprocessing(derive.analyze("step(abs(z) - 1)"))
    from scipy.stats import norm
    moment = 1 + 2 * norm.pdf(1) / (2 * norm.sf(1))
    assert t(np.array([1.0]))[0] == pytest.approx(1 - 1 / moment, rel=1e-12)
    assert np.isnan(t(np.array([0.5]))[0])  # not a label of this link


@pytest.mark.parametrize("text", ["He4(z)", "z**2 + z**4/10 - 1", "exp(-z**2)",
                                  "z**2; noise = 0.5"])
def test_tower_property_and_threshold_identity(text):
    analysis, y = _samples(text)
    moment = _conditional_second_moment(optimal_preprocessing(analysis), y)
    assert np.isfinite(moment).all()
    n = len(y)
    # tower property: E_y[E[z^2 | y]] = E[z^2] = 1
    assert abs(moment.mean() - 1) < 5 * moment.std() / np.sqrt(n)
    # alpha_c = 1 / E_y[(E[z^2|y] - 1)^2] against the level-set / quadrature threshold
    square = (moment - 1) ** 2
    recovery = weak_recovery(analysis)
    assert recovery.klass == "easy"
    assert abs(square.mean() - 1 / recovery.alpha_c) < 5 * square.std() / np.sqrt(n)


def test_multi_index_refused():
    with pytest.raises(DeriveError, match="single-index"):
        optimal_preprocessing(derive.analyze("z1*z2"))
