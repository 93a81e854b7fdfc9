"""Spherical online SGD and batch reuse (solvers.online, solvers.batch_reuse).

Sources: Ben Arous, Gheissari, Jagannath, JMLR 2021 (arXiv:2003.10409), Thm. 1.3: samples to
weak recovery n ~ d^{max(1, k-1)} for information exponent k (He3: k = 3, n ~ d^2 with
lr ~ d^{-1/2}); Lee, Oko, Suzuki, Wu, NeurIPS 2024 (arXiv:2406.01581) and Tsiolis et al.
2025 (arXiv:2510.21020): batch reuse reaches the generative exponent (He3: GE = 1, n ~ d).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.batch_reuse import batch_reuse_sgd, tanh_derivative
from solvers.fit import fit_exponent, verdict
from solvers.online import ben_arous_learning_rate, online_update, spherical_sgd


def he3(z):
    return z**3 - 3 * z


def he3_prime(z):
    return 3 * z**2 - 3


def test_replicas_are_reproducible_and_independent():
    run = lambda seed: spherical_sgd(he3, online_update(he3_prime), d=16, replicas=3,
                                     seed=seed, lr=0.05, max_samples=300)
    a, b, c = run(5), run(5), run(6)
    assert np.array_equal(a.overlaps, b.overlaps)
    assert not np.array_equal(a.overlaps, c.overlaps)
    # replicas differ from each other (independent streams)
    assert len({round(float(v), 12) for v in a.overlaps[:, -1]}) == 3


def test_weights_stay_on_the_sphere_and_start_overlap_is_exact():
    run = spherical_sgd(he3, online_update(he3_prime), d=32, replicas=4, seed=0, lr=0.05,
                        max_samples=500, start_overlap=0.25)
    assert np.allclose(run.overlaps[:, 0], 0.25)
    assert np.all(np.abs(run.overlaps) <= 1 + 1e-12)


def test_linear_link_drift_matches_the_ode():
    # y = z, sigma' = 1: E[psi P x] = (w* - m w), so dm/dt = lr (1 - m^2) - lr^2 m / 2 in
    # t = samples / d (retraction from |P x|^2 / d ~ 1); from m0 = 0.1 at lr = 0.5 the
    # solution of m' = a (1 - m^2) - b m reaches 0.5 at t = 1.17 (closed form below)
    lr, m0 = 0.5, 0.1
    a, b = lr, lr**2 / 2
    # m' = -a (m - r1)(m - r2) with roots of a m^2 + b m - a = 0
    r1 = (-b + math.sqrt(b * b + 4 * a * a)) / (2 * a)
    r2 = (-b - math.sqrt(b * b + 4 * a * a)) / (2 * a)

    def time_to(m):
        return math.log(((m - r2) / (m - r1)) * ((m0 - r1) / (m0 - r2))) / (a * (r1 - r2))

    expected = time_to(0.5)
    d = 400
    run = spherical_sgd(lambda z: z, online_update(np.ones_like), d=d, replicas=16, seed=3,
                        lr=lr, max_samples=20 * d, start_overlap=m0)
    measured = np.median(run.samples_to_recovery) / d
    assert abs(measured - expected) < 0.1 * expected


def test_he3_online_sgd_needs_d_squared_samples():
    ds = [16, 32, 64]
    samples = []
    for d in ds:
        run = spherical_sgd(he3, online_update(he3_prime), d=d, replicas=32, seed=d,
                            lr=ben_arous_learning_rate(d, 3, 0.03), max_samples=50 * d * d,
                            start_overlap=1 / math.sqrt(d), stop_fraction=0.8)
        samples.append(run.samples_to_recovery)
    fit = fit_exponent(ds, samples, seed=1)
    assert fit.ci[0] <= 2 <= fit.ci[1], fit
    assert verdict(fit, 2.0) == "consistent"
    assert verdict(fit, 1.0) == "inconsistent"


def test_he3_batch_reuse_needs_order_d_samples_and_online_does_not():
    ds = [16, 32, 64, 128]
    samples = []
    for d in ds:
        run = batch_reuse_sgd(he3, d=d, replicas=32, seed=d, max_samples=int(50 * d * math.log(d)),
                              start_overlap=1 / math.sqrt(d), stop_fraction=0.8)
        samples.append(run.samples_to_recovery)
    fit = fit_exponent(ds, samples, log_factor=True, seed=1)
    assert verdict(fit, 1.0) == "consistent", fit
    assert verdict(fit, 2.0) == "inconsistent"
    # the same step size without the look-ahead (eta = 0: plain online SGD with a tanh
    # student, information exponent 3) needs several times more samples at d = 128
    # (measured: about 5.7x; the gap grows like d)
    d = 128
    control = batch_reuse_sgd(he3, d=d, replicas=16, seed=1, eta=0.0,
                              max_samples=int(200 * d * math.log(d)),
                              start_overlap=1 / math.sqrt(d), stop_fraction=0.8)
    assert np.median(control.samples_to_recovery) > 3 * np.median(samples[-1])


def test_tanh_derivative():
    assert tanh_derivative(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("bad", [{"d": 1}, {"replicas": 0}, {"max_samples": 0}])
def test_bad_arguments(bad):
    args = {"d": 8, "replicas": 2, "seed": 0, "lr": 0.1, "max_samples": 10} | bad
    with pytest.raises(ValueError):
        spherical_sgd(he3, online_update(he3_prime), **args)
