"""Cost of the hierarchical-target simulation (solvers/hierarchical.py) and of its exact limit.

Three timings, each against a baseline measured in the same process:

* the spectral matrix's accumulation on one chunk, x^T diag(t) x, as two symmetric rank-k
  updates (BLAS dsyrk, n d^2 flops; the solver's way) against the general product
  (x * t)^T x (2 n d^2 flops; the solver's previous way);
* one simulated point (three streamed passes: label mean, signal and null matrices, ridge
  readout), reported per n d^2, the number that sets the cost of a learning curve;
* the exact proportional-limit curve (solvers/hierarchical_limit.py, 10 points) against
  the simulation of the same 10 points.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from .common import (
    add_standard_arguments,
    bench_result,
    best_of,
    format_seconds,
    print_progress,
    standard_main,
)

QUICK_BUDGET = 30.0
FULL_BUDGET = 300.0


def _settings(quick: bool) -> dict:
    return {"d": 300 if quick else 600, "directions": 15 if quick else 30, "gamma": 1.0,
            "chunk": 20000, "alphas": [5.0, 120.0] if quick else [5.0, 300.0], "points": 10}


def _best(call, repeat):
    """Best wall time of ``repeat`` calls (bench.common.best_of; nothing to clear)."""
    return best_of(call, repeat, clear=lambda: None)[0]


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    from solvers.hierarchical import _accumulate, simulate_hierarchical
    from solvers.hierarchical_limit import hierarchical_risk_limit

    s = _settings(quick)
    d, chunk = s["d"], s["chunk"]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((chunk, d))
    t = rng.standard_normal(chunk)
    total = np.zeros((d, d), order="F")
    syrk = _best(lambda: _accumulate(total, x, t), max(repeat, 3))     # cheap: always 3
    gemm = _best(lambda: (x * t[:, None]).T @ x, max(repeat, 3))
    print_progress(progress, f"accumulation: syrk {syrk:.3f} s, gemm {gemm:.3f} s")

    def link(z):
        return z**2 - 1

    alphas = np.geomspace(*s["alphas"], s["points"])
    point_alpha = float(alphas[len(alphas) // 2])
    one = _best(lambda: simulate_hierarchical(link, s["gamma"], d, s["directions"],
                                              [point_alpha], seed=0, chunk=chunk), 1)
    n = round(point_alpha * d)
    weights = np.arange(1, s["directions"] + 1, dtype=float) ** -s["gamma"]
    limit = _best(lambda: hierarchical_risk_limit(weights, 0.0, alphas, d), repeat)
    start = time.perf_counter()
    sim = simulate_hierarchical(link, s["gamma"], d, s["directions"], alphas, seed=0,
                                chunk=chunk)
    curve = time.perf_counter() - start
    risk, _ = hierarchical_risk_limit(weights, 0.0, alphas, d)
    ratios = np.asarray(sim.risk) / risk
    summary = {"syrk_seconds": syrk, "gemm_seconds": gemm, "accumulation_speedup": gemm / syrk,
               "point_seconds": one, "point_n": n,
               "seconds_per_n_d2": one / (n * d * d),
               "limit_curve_seconds": limit, "simulated_curve_seconds": curve,
               "curve_ratio": curve / limit,
               "simulation_over_limit": [float(r) for r in ratios]}
    return bench_result("hierarchical", {**s, "repeat": repeat, "budget": budget}, [], summary)


def render(result: dict) -> str:
    s, m = result["settings"], result["summary"]
    ratios = ", ".join(f"{r:.2f}" for r in m["simulation_over_limit"])
    return "\n".join([
        f"hierarchical He_2 targets, d = {s['d']}, P = {s['directions']}, gamma = {s['gamma']}",
        (f"  accumulation of one {s['chunk']} x {s['d']} chunk: dsyrk "
         f"{format_seconds(m['syrk_seconds'])}, general product "
         f"{format_seconds(m['gemm_seconds'])} (ratio {m['accumulation_speedup']:.2f}x)"),
        (f"  one simulated point, n = {m['point_n']}: {format_seconds(m['point_seconds'])}"
         f" = {1e9 * m['seconds_per_n_d2']:.2f} ns per n d^2"),
        (f"  {s['points']}-point curve, n/d in {s['alphas']}: exact limit "
         f"{format_seconds(m['limit_curve_seconds'])}, simulation "
         f"{format_seconds(m['simulated_curve_seconds'])} (ratio {m['curve_ratio']:.0f}x)"),
        f"  simulation / limit along the curve: {ratios}"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser, repeat_help="timed repeats of the accumulation and the limit, best counts",
        budget_help="unused (the bench runs a fixed set of points)",
        quick_budget=QUICK_BUDGET, full_budget=FULL_BUDGET,
        quick_help="d = 300, P = 15, n/d up to 120: about a minute")


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)
