"""Time a 50-point LASSO state-evolution risk curve against simulations of equal accuracy.

The engine side solves the LASSO state evolution (solvers/lasso_se.py) of the diagonal
network with weight decay at every point of a 50-point curve in n (d = 1000, teacher
k^-1, noise 1/2, lambda = 1). The baseline simulates the same problem with scikit-learn's
LASSO, replica after replica, until the standard error of the mean risk is 1% of the risk
(the accuracy one would need to draw the curve as well); on a sample of the points it
measures the time per replica and the replicas needed, and extrapolates to the 50 points.
It also prints how far the state evolution lies from the simulated mean, in standard errors.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from .common import (
    add_standard_arguments,
    bench_result,
    format_seconds,
    print_progress,
    replicas_to_accuracy,
    standard_main,
)

QUICK_BUDGET = 20.0
FULL_BUDGET = 120.0
#: relative standard error the simulation must reach
TARGET_ACCURACY = 0.01
POINTS = 50


def _curve_settings(quick: bool) -> dict:
    d = 400 if quick else 1000
    return {"d": d, "gamma": 1.0, "noise": 0.5, "lam": 1.0, "points": POINTS,
            "n_min": d // 10, "n_max": 20 * d, "target_accuracy": TARGET_ACCURACY}


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    from solvers.lasso_se import lasso_risk_curve, lasso_simulation

    s = _curve_settings(quick)
    teacher = np.arange(1, s["d"] + 1, dtype=float) ** (-s["gamma"])
    ns = np.unique(np.geomspace(s["n_min"], s["n_max"], s["points"]).astype(int))
    best, curve = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        curve = lasso_risk_curve(teacher, ns, s["lam"], s["noise"])
        best = min(best, time.perf_counter() - start)
    print_progress(progress, f"state evolution: {POINTS} points in {best:.2f} s")
    sample = [0, len(ns) // 4, len(ns) // 2, 3 * len(ns) // 4, len(ns) - 1]
    if quick:
        sample = sample[::2]
    per_point = []
    deadline = time.perf_counter() + budget
    for index in sample:
        n = int(ns[index])
        def simulate(seed, n=n):
            return lasso_simulation(teacher, n, s["lam"], s["noise"], seed=seed,
                                    tol=1e-6)["risk"]

        run = replicas_to_accuracy(simulate, TARGET_ACCURACY, deadline, minimum=5)
        mean, stderr, needed = run["mean"], run["stderr"], run["replicas_needed"]
        se = curve[index].risk
        per_point.append({"n": n, "state_evolution_risk": se, "simulated_risk": mean,
                          "stderr": stderr, "replicas_run": run["replicas_run"],
                          "replicas_needed": needed,
                          "seconds_per_replica": run["seconds_per_replica"],
                          "extrapolated_seconds": needed * run["seconds_per_replica"],
                          "deviation_in_stderr": (se - mean) / stderr if stderr else None})
        print_progress(progress, f"simulation n = {n}: {run['replicas_run']} replicas, "
                       f"{needed:.0f} needed")
    mean_seconds = float(np.mean([p["extrapolated_seconds"] for p in per_point]))
    simulation_total = mean_seconds * len(ns)
    summary = {"state_evolution_seconds": best, "simulation_seconds_extrapolated":
               simulation_total, "ratio": simulation_total / best,
               "under_30_seconds": best < 30.0}
    return bench_result("scaling", {**s, "repeat": repeat, "budget": budget}, [], summary,
                        points=per_point)


def render(result: dict) -> str:
    s = result["settings"]
    lines = [(f"LASSO risk curve, d = {s['d']}, {s['points']} points in n from {s['n_min']} "
              f"to {s['n_max']}, lambda = {s['lam']}, noise = {s['noise']}, "
              f"teacher k^-{s['gamma']}"),
             (f"  {'n':>7} {'SE risk':>10} {'sim risk':>10} {'stderr':>9} {'dev/se':>7} "
              f"{'replicas needed':>16} {'s/replica':>10}")]
    for p in result["points"]:
        dev = "-" if p["deviation_in_stderr"] is None else f"{p['deviation_in_stderr']:.1f}"
        lines.append(f"  {p['n']:>7} {p['state_evolution_risk']:>10.5f} "
                     f"{p['simulated_risk']:>10.5f} {p['stderr']:>9.2g} {dev:>7} "
                     f"{p['replicas_needed']:>16.0f} {p['seconds_per_replica']:>10.3f}")
    m = result["summary"]
    lines += [(f"  state evolution, {s['points']} points: "
               f"{format_seconds(m['state_evolution_seconds'])}"
               f" ({'under' if m['under_30_seconds'] else 'OVER'} 30 s)"),
              (f"  simulation to {100 * s['target_accuracy']:.0f}% standard error, "
               f"{s['points']} points (extrapolated): "
               f"{format_seconds(m['simulation_seconds_extrapolated'])}"),
              f"  ratio simulation / state evolution: {m['ratio']:.0f}x"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="state-evolution curves timed, best one counts",
        budget_help="total time budget of the simulations",
        quick_budget=QUICK_BUDGET,
        full_budget=FULL_BUDGET,
        quick_help="d = 400, three sample points, short budget: under a minute",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)
