"""Giant steps and the spectral estimator (solvers.giant_step, solvers.spectral).

Sources: Dandi, Krzakala, Loureiro, Pesce, Stephan, JMLR 2024 (arXiv:2305.18270): with
n = O(d) per step, z1 + z1 z2 learns e1 at the first step and e2 at the second (the
staircase); Mondelli & Montanari, FoCM 2019 (arXiv:1708.05932): phase retrieval y = z^2
is weakly recovered by the optimal spectral method iff alpha > 1/2.
"""

from __future__ import annotations

import numpy as np
import pytest

from solvers.giant_step import giant_steps
from solvers.spectral import spectral_overlaps


def staircase(nu):
    return nu[:, 0] + nu[:, 0] * nu[:, 1]


def test_giant_steps_learn_the_staircase_one_direction_per_step():
    d = 256
    run = giant_steps(staircase, r=2, d=d, replicas=3, seed=0, steps=2, batch=4 * d)
    start, first, second = (np.median(run.overlaps[s], axis=0) for s in range(3))
    floor = 1 / np.sqrt(d)                         # RMS |cos| of a random direction
    assert np.all(start < 2 * floor)
    assert first[0] > 0.5 and first[1] < 2 * floor  # e1 learned, e2 not
    assert second[0] > 0.5 and second[1] > 0.25     # both after the second step


def test_giant_step_projections_are_the_overlaps():
    run = giant_steps(staircase, r=2, d=32, replicas=2, seed=1, steps=1, batch=64)
    assert run.projections.shape == (2, 2, 8, 2)
    assert np.allclose(run.overlaps, np.sqrt((run.projections ** 2).mean(axis=2)))


@pytest.mark.slow
def test_spectral_phase_retrieval_threshold_one_half():
    run = spectral_overlaps(lambda nu: nu[:, 0] ** 2, lambda y: 1 - 1 / y, d=1000,
                            alphas=[0.3, 1.2], replicas=2, seed=0)
    below, above = np.median(run.overlaps, axis=1)
    assert below < 0.25 and above > 0.45


def test_spectral_overlap_is_a_cosine():
    run = spectral_overlaps(lambda nu: nu[:, 0] ** 2, lambda y: y - 1, d=50, alphas=[2.0],
                            replicas=2, seed=3)
    assert np.all((0 <= run.overlaps) & (run.overlaps <= 1))


def test_ridge_readout_error_falls_as_the_staircase_is_learned():
    # z1 + z1 z2 has E[y^2] = 2, half of it the linear part z1: random relu features
    # (step 0) explain little of it, features along e1 (step 1) explain the linear part
    # (Dandi et al. 2024, Sect. 3). (After step 2 every neuron points along about
    # e1 + 0.5 e2 up to sign, one line, which cannot represent z1 z2: no further drop.)
    pytest.importorskip("sklearn")
    d = 128
    run = giant_steps(staircase, r=2, d=d, replicas=2, seed=2, steps=2, batch=4 * d,
                      width=32, readout_samples=2000)
    err = np.median(run.test_error, axis=1)
    assert err[0] > 0.8 and err[1] < err[0] - 0.2, err


def test_dandi_protocol_learns_the_staircase_one_direction_per_step():
    # Dandi et al. 2024 (arXiv:2305.18270, Sect. 4): with n = O(d) the first step of the
    # square-loss gradient learns the span of C_1 = E[y z] = e1 for z1 + z1 z2 (E[z1 z2 z] = 0),
    # the second step e2 (linearly coupled to e1 through z1 z2); protocol of their notebook:
    # fixed second layer +-1/sqrt(p), W ~ N(0, I/d), lr = 2p, no renormalisation
    d = 128
    run = giant_steps(staircase, r=2, d=d, replicas=2, seed=0, steps=2, batch=4 * d,
                      width=32, protocol="dandi2024")
    overlaps = np.median(run.overlaps, axis=1)          # (steps + 1, r)
    noise = 1 / np.sqrt(d)                              # a random direction: RMS 1/sqrt(d)
    assert overlaps[1, 0] > 0.4 and overlaps[1, 1] < 1.5 * noise
    assert overlaps[2, 1] > 2 * noise and overlaps[2, 1] > 2 * overlaps[1, 1]
    with pytest.raises(ValueError):
        giant_steps(staircase, r=2, d=16, replicas=1, seed=0, steps=1, batch=8,
                    protocol="unknown")
