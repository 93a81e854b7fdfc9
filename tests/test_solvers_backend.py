"""The torch backend gives the numpy backend's results within statistical error.

Source of the expected value: both backends run the same algorithm (solvers.online) on the
same law of inputs; only the random streams differ, so the medians of samples to weak
recovery agree within their bootstrap intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.backend import get_backend
from solvers.fit import median_points
from solvers.giant_step import giant_steps
from solvers.online import ben_arous_learning_rate, online_update, spherical_sgd

torch = pytest.importorskip("torch")


def test_streams_follow_the_seed_sequence():
    b = get_backend("numpy")
    first = b.normal(b.streams(7, 3), (4,))
    again = b.normal(b.streams(7, 3), (4,))
    assert np.array_equal(first, again)
    child = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7).spawn(3)[1]))
    assert np.array_equal(first[1], child.standard_normal(4))


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError):
        get_backend("jax")


@pytest.mark.slow
def test_torch_and_numpy_agree_within_statistics():
    d = 32
    medians = {}
    for name in ("numpy", "torch"):
        run = spherical_sgd(lambda z: z**3 - 3 * z, online_update(lambda z: 3 * z**2 - 3), d,
                            32, 0, ben_arous_learning_rate(d, 3, 0.03), 50 * d * d,
                            start_overlap=1 / math.sqrt(d), stop_fraction=0.8, backend=name)
        assert run.backend == name
        medians[name] = median_points([d], [run.samples_to_recovery])[0]
    a, b = medians["numpy"], medians["torch"]
    assert a.low <= b.high and b.low <= a.high     # the 95% intervals overlap
    g = giant_steps(lambda nu: nu[:, 0] + nu[:, 0] * nu[:, 1], 2, 128, 2, 0, 2, 512,
                    backend="torch")
    assert np.median(g.overlaps[1, :, 0]) > 0.5 and np.median(g.overlaps[1, :, 1]) < 0.25


def test_dask_scheduler_sweep_matches_in_process():
    """The Dask path of solvers.sweep (an in-process LocalCluster stands in for a cluster)
    returns the same results, in the order of the points, as the in-process sweep."""
    distributed = pytest.importorskip("dask.distributed")
    from solvers.sweep import _square, run_sweep

    points = [{"x": i} for i in range(6)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = run_sweep(points, _square, scheduler=cluster.scheduler_address, progress=False)
    assert remote == run_sweep(points, _square, progress=False)
