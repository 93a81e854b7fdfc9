"""Phase diagram of diagonal / quadratic networks with weight decay
(derive.scaling.weight_decay), checked as identities and against the rates of the project
digest THEORY.md section 7 (Defilippis et al. ICLR 2026, arXiv:2509.24882): fast phase
n_eff^(-1 + 1/(2 gamma)) on the noise line only (below it Delta/log(d/n_eff), the min-l1
interpolator's; tests/test_scaling_diagonal_phases.py), slow phase
(lambda sqrt(d)/n_eff)^(2 - 1/gamma), a phase lambda^2 d^2 / n_eff^2, a parametric phase d/n_eff, a plateau and an interpolation peak.
"""

from __future__ import annotations

import json

import pytest
import sympy

from derive.errors import DeriveError
from derive.scaling.weight_decay import LAM, N_EFF, A, B, D, phase_diagram

R = sympy.Rational


def _as_d_power(rate, a, b):
    """Exponent of d of a rate at n_eff = d^a, lambda = d^b."""
    d = sympy.Symbol("dd", positive=True)
    value = rate.subs({N_EFF: d**a, LAM: d**b, D: d})
    return sympy.simplify(sympy.expand_log(sympy.log(value), force=True) / sympy.log(d))


@pytest.mark.parametrize("gamma", [R(3, 4), R(1), R(2)])
def test_rates_are_the_digest_ones(gamma):
    pd = phase_diagram("diagonal", gamma, noise=1)
    assert pd.phase("fast").rate == N_EFF ** (-(1 - 1 / (2 * gamma)))
    assert pd.phase("slow").rate == (LAM * sympy.sqrt(D) / N_EFF) ** (2 - 1 / gamma)
    assert pd.phase("shrinkage").rate == LAM**2 * D**2 / N_EFF**2
    assert pd.phase("parametric").rate == D / N_EFF
    assert pd.phase("plateau").rate == 1


@pytest.mark.parametrize("gamma", [R(3, 4), R(1), R(5, 2)])
def test_exponents_are_the_rates_in_powers_of_d(gamma):
    # the (a, b) exponent of each phase is its rate evaluated at n_eff = d^a, lambda = d^b
    pd = phase_diagram("diagonal", gamma, noise=R(1, 2))
    for phase in pd.phases:
        if phase.name == "interpolation":   # Delta/log(d/n_eff): d-exponent 0 up to the log
            dd = sympy.Symbol("dd", positive=True)
            ratio = sympy.log(phase.rate.subs({N_EFF: dd**R(1, 2), D: dd})) / sympy.log(dd)
            assert sympy.limit(ratio, dd, sympy.oo) == phase.exponent == 0 and phase.log_factor
            continue
        assert sympy.simplify(_as_d_power(phase.rate, A, B) - phase.exponent) == 0, phase.name


@pytest.mark.parametrize("gamma, noise", [(R(3, 4), 1), (R(1), R(1, 2)), (R(2), 1),
                                          (R(1), 0), (R(3, 2), 0)])
def test_phases_partition_the_plane_and_rates_agree_on_boundaries(gamma, noise):
    import numpy as np

    from derive.scaling.figures import exponent_grid

    pd = phase_diagram("diagonal", gamma, noise=noise)
    h = 0.01
    a_values = np.arange(0.005, 5.0, h)           # avoids the line a = 1 itself
    b_values = np.arange(-4.0, 3.0, h) + 0.0031
    exponents, labels = exponent_grid(pd, a_values, b_values)
    # every point in exactly one phase (exponent_grid marks the last match; count them too)
    counts = np.zeros_like(labels)
    for phase in pd.phases:
        inside = sympy.lambdify((A, B), sympy.And(*phase.region), "numpy")
        aa, bb = np.meshgrid(a_values, b_values)
        counts += np.broadcast_to(inside(aa, bb), aa.shape)
    assert (counts == 1).all()
    # across a boundary the exponent moves by at most the grid step times the largest slope
    # (2 in these coordinates), except where the risk really jumps: at n_eff = d (a = 1:
    # interpolation peak with noise, exact l1 recovery without) and at the noise level for
    # 1 < a < 2 gamma (parametric | slow: d/n_eff below t ~ s, the fast rate just above)
    names = [p.name for p in pd.phases]
    # and at the noise level for a < 1 (slow | interpolation: the min-l1 interpolator's
    # Delta/log(d/n_eff) below t ~ s, the fast rate only on the line)
    exempt = {frozenset({"parametric", "slow"}), frozenset({"interpolation", "slow"})}
    for axis in (0, 1):
        jump = np.abs(np.diff(exponents, axis=axis))
        first = labels[:-1, :] if axis == 0 else labels[:, :-1]
        second = labels[1:, :] if axis == 0 else labels[:, 1:]
        for (i, j), value in np.ndenumerate(jump):
            if axis == 1 and a_values[j] < 1 < a_values[j + 1]:
                continue            # a = 1: interpolation peak (noisy), exact recovery (noiseless)
            if value > 4 * h:
                pair = frozenset({names[first[i, j]], names[second[i, j]]})
                assert pair in exempt, (pair, value)


def test_noiseless_fast_phase_is_the_best_n_term_approximation():
    # Delta = 0: R ~ sum_{k > n} k^-2gamma ~ n^(1 - 2 gamma) (integral test)
    pd = phase_diagram("diagonal", R(3, 2), noise=0)
    assert pd.phase("fast").exponent == -2 * A
    assert [p.name for p in pd.phases] == ["plateau", "slow", "shrinkage", "fast"]


def test_interpolation_peak_sits_at_n_eff_equal_d():
    pd = phase_diagram("diagonal", R(1), noise=1)
    below = pd.exponent_at(R(99, 100), -2)
    above = pd.exponent_at(R(101, 100), -2)
    assert below == 0 and above == R(-1, 100)          # Delta/log(d/n_eff) | d/n_eff


def test_quadratic_is_derived_with_n_eff_n_over_d():
    # derived from the nuclear-norm state evolution (tests/test_scaling_quadratic_phases.py)
    pd = phase_diagram("quadratic", 1, noise=1)
    assert pd.n_eff == "n/d"
    assert all(p.status == "derived" for p in pd.phases)
    assert "interpolation" in [p.name for p in pd.phases]


def test_json_shape_of_the_issue():
    data = json.loads(phase_diagram("diagonal", "0.75", noise="0.5").to_json())
    assert {"name", "rate", "region", "source"} <= set(data["phases"][0])
    assert [p["name"] for p in data["phases"]] == ["plateau", "slow", "shrinkage", "fast",
                                                   "interpolation", "parametric"]
    assert "2509.24882" in data["phases"][0]["source"]


@pytest.mark.parametrize("args", [("cubic", 1, 1), ("diagonal", R(1, 2), 1),
                                  ("diagonal", 1, -1), ("diagonal", "x", 1)])
def test_bad_input_is_a_clear_error(args):
    with pytest.raises(DeriveError):
        phase_diagram(*args)
