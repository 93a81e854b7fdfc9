"""Fits, results store and sweeps (solvers.fit, solvers.store, solvers.sweep)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.fit import fit_exponent, median_points, verdict
from solvers.store import ResultStore, point_key
from solvers.sweep import run_sweep


def test_exact_power_law_is_recovered_exactly():
    ds = [16, 32, 64, 128]
    samples = [np.full(5, 3.0 * d ** 1.5) for d in ds]   # no spread: the bootstrap is a point
    fit = fit_exponent(ds, samples)
    assert math.isclose(fit.exponent, 1.5, rel_tol=1e-12)
    assert math.isclose(fit.ci[0], 1.5, rel_tol=1e-9) and math.isclose(fit.ci[1], 1.5,
                                                                       rel_tol=1e-9)
    assert math.isclose(math.exp(fit.intercept), 3.0, rel_tol=1e-9)


def test_log_factor_widens_the_interval_to_both_readings():
    ds = [16, 32, 64, 128]
    samples = [np.full(5, d * math.log(d)) for d in ds]
    fit = fit_exponent(ds, samples, log_factor=True)
    assert math.isclose(fit.exponent_over_log, 1.0, rel_tol=1e-9)
    assert fit.ci[0] <= 1.0 + 1e-9 and 1.0 < fit.exponent <= fit.ci[1] + 1e-9
    assert verdict(fit, 1.0) == "consistent"


def test_censored_majority_is_inconclusive():
    ds = [16, 32, 64]
    samples = [np.array([10.0, np.inf, np.inf]), np.array([20.0, 30.0, 40.0]),
               np.array([80.0, 90.0, 100.0])]
    fit = fit_exponent(ds, samples)
    assert verdict(fit, 1.0) == "inconclusive"
    assert median_points(ds, samples)[0].median == math.inf


def test_store_keys_are_content_hashes(tmp_path):
    assert point_key({"d": 1, "seed": 2}) == point_key({"seed": 2, "d": 1})
    assert point_key({"d": 1, "seed": 2}) != point_key({"d": 1, "seed": 3})
    store = ResultStore(tmp_path / "r.sqlite")
    store.put({"d": 1}, {"x": [1, 2]})
    assert ResultStore(tmp_path / "r.sqlite").get({"d": 1}) == {"x": [1, 2]}


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    path = tmp_path / "sweep.sqlite"
    calls = []

    def compute(params):
        calls.append(params["d"])
        if params["d"] == 3 and len(calls) < 4:
            raise KeyboardInterrupt  # the user stops the sweep at the third point
        return {"value": params["d"] ** 2}

    points = [{"d": d} for d in (1, 2, 3)]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(points, compute, store=path, progress=False)
    assert calls == [1, 2, 3] and len(ResultStore(path)) == 2
    results = run_sweep(points, compute, store=path, progress=False)
    assert calls == [1, 2, 3, 3]                     # only the unfinished point ran again
    assert [r["value"] for r in results] == [1, 4, 9]


def test_process_pool_gives_the_same_results():
    from solvers.sweep import _square

    points = [{"x": x} for x in range(4)]
    assert run_sweep(points, _square, workers=2, progress=False) == \
        run_sweep(points, _square, progress=False)
