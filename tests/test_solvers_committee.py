"""Two-layer committee online SGD (solvers.committee) against the d -> infinity ODEs.

Source: the ODEs of Saad & Solla (1995) and Goldt et al. (NeurIPS 2019, arXiv:1906.08632)
in the shared conventions: dM/dt = lr E[(y - f) a sigma'(lambda) nu],
dQ/dt = 2 lr E[(y - f) a sigma'(lambda) lambda] + lr^2 E[(y - f)^2 a^2 sigma'(lambda)^2].
For K = r = 1, a = 1, sigma linear and y = nu + sqrt(noise) xi the expectations are
polynomials in (M, Q): dM/dt = lr (1 - M), dQ/dt = 2 lr (M - Q) + lr^2 (1 - 2M + Q + noise).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from solvers.committee import committee_sgd


def test_linear_committee_follows_the_ode():
    lr, noise, d = 0.5, 0.25, 400
    times = [0.0, 0.5, 1.0, 2.0, 4.0]
    run = committee_sgd(lambda nu: nu[..., 0], r=1, K=1, d=d, times=times,
                        activation="linear", lr=lr, noise=noise, replicas=16, seed=0,
                        a0=[1.0])
    m0, q0 = run.M[0, 0, 0], run.Q[0, 0, 0]
    assert abs(q0 - 1.0) < 1e-12 and abs(m0) < 4 / np.sqrt(d)

    def rhs(_, state):
        m, q = state
        return [lr * (1 - m), 2 * lr * (m - q) + lr**2 * (1 - 2 * m + q + noise)]

    ode = solve_ivp(rhs, (0, times[-1]), [m0, q0], t_eval=times, rtol=1e-10, atol=1e-12)
    # replicas' spread of M at finite d is O(d^-1/2); the mean is within a few 1e-2
    assert np.allclose(run.M[:, 0, 0], ode.y[0], atol=0.03)
    assert np.allclose(run.Q[:, 0, 0], ode.y[1], atol=0.05)
    assert np.allclose(run.a, 1.0)


def test_second_layer_learns_when_lr_a_is_positive_and_error_falls():
    run = committee_sgd(lambda nu: np.tanh(nu[..., 0]) + np.tanh(nu[..., 1]), r=2, K=2,
                        d=100, times=[0.0, 10.0], activation="tanh", lr=0.5, lr_a=0.5,
                        replicas=4, seed=1, test_samples=2000)
    assert not np.allclose(run.a[-1], run.a[0])
    assert run.eps_g[-1] < 0.5 * run.eps_g[0]


def test_bad_arguments():
    with pytest.raises(ValueError):
        committee_sgd(lambda nu: nu[..., 0], r=1, K=1, d=16, times=[1.0], activation="sin")
