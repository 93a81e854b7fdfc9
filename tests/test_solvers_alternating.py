"""Alternating (layer-wise) SGD: solvers.alternating.

Sources: Tsiolis, Mousavi-Hosseini, Erdogdu, NeurIPS 2025 (arXiv:2510.21020), the layer-wise
update psi_eta(y, b) = y a sigma'(b) + eta y^2 sigma(b) sigma'(b) (THEORY.md §6) and the drift
coefficients mu_i(eta) = E[psi_eta(sigma*(u), v) He_i(u) He_{i-1}(v)]; the Hermite values
below follow from E[He_j He_k] = k! delta_jk (probabilists' Hermite polynomials).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.alternating import (
    alternating_sgd,
    alternating_update,
    best_gamma_search,
    drift_coefficients,
    escape_correction,
    escape_samples,
    eta_sweep,
    mean_field_samples,
    tanh_student,
)
from solvers.online import online_update, spherical_sgd


def he3(u):
    return u**3 - 3 * u


def he3_prime(u):
    return 3 * u**2 - 3


@pytest.mark.parametrize("eta", [0.0, 0.01, 0.3])
def test_drift_coefficients_of_he3_target_and_student(eta):
    c = drift_coefficients(he3, alternating_update(he3, he3_prime, eta), orders=3)
    # mu_1 = 0: E[He3 He1] = 0 and E[He3^2 He1] = 0 (odd moment of an even function)
    # mu_2 = eta E[He3^2 He2] E[He3 He3' He1] = eta * 36 * 18 (E[z^8] = 105, E[z^6] = 15)
    # mu_3 = E[He3 He3] E[He3' He2] / 2! = 6 * 6 / 2 (the eta-term: E[He3^2 He3] = 0)
    assert c.mu[0] == pytest.approx(0, abs=1e-9)
    assert c.mu[1] == pytest.approx(648 * eta, abs=1e-9)
    assert c.mu[2] == pytest.approx(18, rel=1e-12)
    if eta == 0:  # E[psi^2] = E[He3^2] E[He3'^2] = 6 * 9 * E[(z^2 - 1)^2] = 108
        assert c.second_moment == pytest.approx(108, rel=1e-12)


def test_update_is_the_layer_wise_step():
    rng = np.random.default_rng(0)
    y, b = rng.standard_normal(50), rng.standard_normal(50)
    s, ds = tanh_student()
    eta, a0 = 0.3, 0.7
    # correlation loss: a' = a0 + eta y sigma(b), psi = y a' sigma'(b)
    psi = alternating_update(s, ds, eta, a0)(y, b, None)
    assert np.allclose(psi, y * a0 * ds(b) + eta * y**2 * s(b) * ds(b))
    # square loss: a' = a0 + eta (y - a0 sigma) sigma, psi = (y - a' sigma) a' sigma'
    psi = alternating_update(s, ds, eta, a0, loss="square")(y, b, None)
    a = a0 + eta * (y - a0 * s(b)) * s(b)
    assert np.allclose(psi, (y - a * s(b)) * a * ds(b))
    with pytest.raises(ValueError):
        alternating_update(s, ds, eta, loss="hinge")


def test_best_gamma_scaling_in_d():
    # eta = 0: only mu_3, gamma ~ d^{-1/2}; eta large enough that the mu_2 term dominates at
    # both sizes: gamma independent of d (drift/noise balance, module docstring)
    small = drift_coefficients(he3, alternating_update(*tanh_student(), 0.0))
    assert small.gamma(256) / small.gamma(64) == pytest.approx(0.5)
    large = drift_coefficients(he3, alternating_update(*tanh_student(), 0.2))
    assert large.gamma(256) == pytest.approx(large.gamma(64))


def test_eta_zero_is_online_sgd():
    # with eta = 0 the second-layer step does nothing: psi = y a0 sigma'(b), online SGD on
    # the correlation loss (Ben Arous et al. 2021), same seed, same numbers
    _s, ds = tanh_student()
    run = alternating_sgd(he3, d=16, replicas=3, seed=5, max_samples=300, eta=0.0, gamma=0.4)
    ref = spherical_sgd(he3, online_update(ds), d=16, replicas=3, seed=5, lr=0.4,
                        max_samples=300)
    assert np.array_equal(run.overlaps, ref.overlaps)
    assert run.algorithm == "alternating" and run.extra["eta"] == 0.0


def test_second_layer_step_speeds_up_he3_recovery():
    # He3 at small eta needs ~ d^2 samples (mu_3 drift), at eta of order one ~ d log d (the
    # eta y^2 term has a He2 component, generative exponent 2): fewer samples
    d = 32
    kwargs = {"d": d, "replicas": 12, "seed": 1, "max_samples": 40 * d * d,
              "start_overlap": 1 / math.sqrt(d)}
    slow = alternating_sgd(he3, eta=0.0, **kwargs)
    fast = alternating_sgd(he3, eta=0.2, **kwargs)
    assert slow.recovered >= 9 and fast.recovered >= 9
    assert np.median(fast.samples_to_recovery) < 0.5 * np.median(slow.samples_to_recovery)


def test_search_keeps_the_best_factor():
    run = best_gamma_search(he3, d=16, replicas=4, seed=2, max_samples=4000, eta=0.1,
                            factors=(0.5, 1.0), start_overlap=0.25)
    medians = [v if v is not None else math.inf for v in run.extra["search"].values()]
    assert float(np.median(run.samples_to_recovery)) == min(medians)
    assert run.extra["gamma_factor"] in (0.5, 1.0)


def test_eta_sweep_records_every_rate_and_fits_the_upper_part():
    sweep = eta_sweep(he3, d=16, etas=(0.0, 0.1, 0.3), replicas=4, seed=3, max_samples=6000,
                      fit_from=1, bootstrap=200, start_overlap=0.25)
    assert sweep.etas == (0.0, 0.1, 0.3) and len(sweep.samples) == 3
    assert all(s.shape == (4,) for s in sweep.samples)
    # the slope is the two-point slope of the medians at eta = 0.1, 0.3
    medians = sweep.medians()
    assert all(math.isfinite(m) for m in medians)
    expected = math.log(medians[2] / medians[1]) / math.log(3)
    assert sweep.slope == pytest.approx(expected)
    assert sweep.ci[0] <= sweep.slope <= sweep.ci[1]


# ------------------------------------------------------- the theory's log and O(1) factor


def test_escape_samples_is_the_two_term_closed_form():
    # int dm / (a m + b m^2) = log(m / (a + b m)) / a (partial fractions), so with
    # a = mu_2 - gamma E[psi^2] / 2 (mean retraction) and b = mu_3 the escape from m_0 to m_th
    # takes (d / gamma) log(m_th (a + b m_0) / (m_0 (a + b m_th))) / a samples
    mu, moment, d, gamma, m0 = (0.0, 0.3, -0.7, 5.0), 2.5, 4096, 0.05, 1 / 64
    a, b = mu[1] - gamma * moment / 2, mu[2]
    threshold = 0.15                         # below the zero m = -a / b = 0.34 of the drift
    closed = d / gamma * math.log(threshold * (a + b * m0) / (m0 * (a + b * threshold))) / a
    found = escape_samples(mu, moment, d, gamma, m0, threshold, orders=(2, 3))
    assert found == pytest.approx(closed, rel=1e-6)
    # past the zero of the drift the escape never ends
    assert escape_samples(mu, moment, d, gamma, m0, 0.5, orders=(2, 3)) == math.inf


def _ode_over_correction(d, etas, order):
    s, ds = tanh_student()
    base = drift_coefficients(he3, alternating_update(s, ds, 0.0, a0=-1.0),
                              orders=3).second_moment
    ode, corrections = [], []
    for eta in etas:
        update = alternating_update(s, ds, eta, a0=-1.0)
        c = drift_coefficients(he3, update, orders=3)
        gamma = c.gamma(d)
        ode.append(mean_field_samples(he3, update, d, gamma, d**-0.5, 0.5, points=200))
        corrections.append(escape_correction(c.mu, c.second_moment, base, d, gamma, order,
                                             d**-0.5, 0.5, orders=(2, 3)))
    x = np.log(etas)
    return (np.polyfit(x, np.log(ode), 1)[0],
            np.polyfit(x, np.log(np.array(ode) / np.array(corrections)), 1)[0])


def test_correction_from_the_mus_turns_the_drift_ode_into_eta_to_the_minus_two():
    # Tsiolis et al. 2025 (arXiv:2510.21020): T(eta) = min_i mu_i(eta)^-2 d^max(i-1,1) up
    # to log factors; for He3 with tanh, mu_2(eta) = eta mu_2'(0) exactly (psi is linear in
    # eta), so mu_2^-2 ~ eta^-2 above the transition (eta_c = 0.0022 at d = 65536, E[psi^2]
    # within 2 E[psi_0^2] below eta = 0.105). The drift ODE (noise only through the mean
    # retraction) bends away from -2 through the escape log and E[psi^2]; divided by C(eta),
    # computed from the mu's alone, it has slope -2.
    raw, corrected = _ode_over_correction(65536, np.geomspace(0.004, 0.1, 6), order=2)
    assert raw > -1.6                                  # the bent raw slope (-1.52)
    assert corrected == pytest.approx(-2.0, abs=0.05)


def test_correction_keeps_the_flat_part_flat():
    # below the transition the i = 3 term leads: T_3 = d^2 E[psi_0^2] / mu_3^2 does not
    # depend on eta (mu_3 has no eta term: E[y^2 He_3] E[tanh tanh' He_2] = 0 by parity);
    # the mu_2 m term still shortens the escape (raw ODE slope -0.53 here), C removes it
    # and stays bounded as mu_2 -> 0
    raw, corrected = _ode_over_correction(65536, np.geomspace(1e-4, 1.5e-3, 4), order=3)
    assert raw < -0.3
    assert corrected == pytest.approx(0.0, abs=0.05)
