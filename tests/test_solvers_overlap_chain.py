"""The exact overlap chain (solvers.overlap_chain) against the d-dimensional simulation.

Identity tested: for x ~ N(0, I_d) and an orthonormal pair (w, u), (w.x, u.x, |x_rest|^2) are
independent N(0, 1), N(0, 1), chi^2_{d-2}, so the overlap m_t of spherical SGD
(Ben Arous et al. 2021, arXiv:2003.10409; update of Tsiolis et al. 2025, arXiv:2510.21020)
has the same law as the chain (module docstring). The checks are two-sample
Kolmogorov-Smirnov tests (scipy.stats.ks_2samp) between the two simulations, with a
control showing the test would notice a chain for the wrong d.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from solvers.alternating import alternating_update, eta_sweep, tanh_student
from solvers.online import online_update, spherical_sgd
from solvers.overlap_chain import overlap_chain, start_overlaps


def he3(u):
    return u**3 - 3 * u


def test_one_step_law_matches_the_full_simulation():
    # a large step (lr / d = 0.75) so that the chi^2_{d-2} renormalisation matters
    update = online_update(lambda u: np.ones_like(u))
    d, replicas, lr = 8, 20000, 6.0
    full = spherical_sgd(lambda z: z, update, d, replicas, 1, lr=lr, max_samples=1,
                         start_overlap=0.3).overlaps[:, -1]
    chain = overlap_chain(lambda z: z, update, d, replicas, 2, lr=lr, max_samples=1,
                          start_overlap=0.3, block=1).overlaps[:, -1]
    assert stats.ks_2samp(full, chain).pvalue > 1e-3
    # control: the same step size lr / d but the chain of d + 4 (a wrong chi^2 degree)
    wrong = overlap_chain(lambda z: z, update, d + 4, replicas, 2, lr=lr * (d + 4) / d,
                          max_samples=1, start_overlap=0.3, block=1).overlaps[:, -1]
    assert stats.ks_2samp(full, wrong).pvalue < 1e-6


def test_hitting_times_of_alternating_sgd_match_the_full_simulation():
    # He3 target, tanh student, layer-wise update (Tsiolis et al. 2025) at d = 16
    student, derivative = tanh_student()
    update = alternating_update(student, derivative, eta=0.1)
    kwargs = {"lr": 0.5, "max_samples": 200_000, "start_overlap": 0.25}
    full = spherical_sgd(he3, update, 16, 300, 1, **kwargs).samples_to_recovery
    chain = overlap_chain(he3, update, 16, 300, 2, **kwargs).samples_to_recovery
    assert np.isfinite(full).all() and np.isfinite(chain).all()
    assert stats.ks_2samp(full, chain).pvalue > 1e-3


def test_default_start_is_the_first_coordinate_of_a_uniform_point():
    # E[m_0^2] = 1/d for a uniform point of the sphere (coordinates exchangeable, sum 1)
    d = 50
    generators = [np.random.default_rng(i) for i in range(20000)]
    m0 = start_overlaps(d, generators, None)
    assert (m0 > 0).all()
    mean = np.mean(m0**2)
    assert abs(mean - 1 / d) < 4 * np.std(m0**2) / np.sqrt(m0.size)


def test_lanes_with_their_own_rates_equal_separate_runs():
    # one chain over (eta, replica) lanes = the same lanes run one eta at a time (same
    # streams: SeedSequence(seed).spawn(lanes), lane i uses child i)
    student, derivative = tanh_student()
    etas = np.repeat([0.05, 0.2], 3)
    rates = np.repeat([0.4, 0.3], 3)
    joint = overlap_chain(he3, alternating_update(student, derivative, etas), 64, 6, 7,
                          rates, 3000, start_overlap=0.125, block=512)
    for k in range(6):
        single = overlap_chain(he3, alternating_update(student, derivative, etas[k]), 64, 6,
                               7, rates[k], 3000, start_overlap=0.125, block=512)
        n = min(joint.overlaps.shape[1], single.overlaps.shape[1])  # runs may stop apart
        assert n >= 2
        assert np.allclose(joint.overlaps[k, :n], single.overlaps[k, :n])


def test_eta_sweep_by_chain_records_one_array_per_eta():
    sweep = eta_sweep(he3, 32, [0.1, 0.2, 0.4], 4, 0, 100_000, method="chain",
                      start_overlap=32**-0.5, bootstrap=50)
    assert len(sweep.samples) == 3 and all(s.size == 4 for s in sweep.samples)
    assert all(np.isfinite(s).all() for s in sweep.samples)


def test_chain_concentrates_on_the_drift_ode_at_large_d():
    # psi = y = w*.x (a linear link): D(m) = E[y s g] = 1 - m^2 and E[psi^2] = 1, so the
    # drift ODE gives T = (d / lr) int_{m0}^{0.5} dm / (1 - m^2 - lr m / 2); at d = 4000 the
    # hitting time of the chain concentrates around it (relative spread ~ d^{-1/2})
    from scipy.integrate import quad

    from solvers.alternating import mean_field_samples

    d, lr, m0 = 4000, 0.5, 0.1
    update = online_update(lambda u: np.ones_like(u))
    exact = d / lr * quad(lambda m: 1 / (1 - m * m - lr * m / 2), m0, 0.5)[0]
    assert mean_field_samples(lambda z: z, update, d, lr, m0) == pytest.approx(exact, rel=1e-3)
    run = overlap_chain(lambda z: z, update, d, 16, 3, lr, 50_000, start_overlap=m0)
    assert np.median(run.samples_to_recovery) == pytest.approx(exact, rel=0.05)
