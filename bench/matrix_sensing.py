"""Time a 50-point matrix-sensing state-evolution risk curve (quadratic networks with weight
decay) against simulations of the network run to the same statistical accuracy.

The engine side solves the finite-d state evolution of nuclear-norm matrix sensing
(solvers/matrix_sensing_se.py) at every point of a 50-point curve in n (d = 20 with --quick,
30 otherwise; teacher eigenvalues k^-1, noise 0.1, lambda = 0.05). Its own accuracy is set
by the Monte Carlo average over the 16 noise draws of the expectations: a relative error
about sqrt(2 / (16 D)), D = d(d+1)/2 (2.4% at d = 20). The baseline trains the quadratic
network through its convex form (solvers/weight_decay.py, proximal gradient) replica after
replica until the standard error of the mean risk reaches that same relative accuracy; on a
sample of the points it measures the time per replica and the replicas needed, and
extrapolates to the 50 points. It also prints simulation / state evolution per point (the
network's data x x^T - I are not Gaussian: at d = 20 the network's risk is 15-25% above the
Gaussian-design state evolution, tests/test_scaling_matrix_sensing.py). Last, it times the
large-d limit of the same state evolution (solvers/matrix_sensing_limit.py) on the same
points, and on 50 points at d = 1e12 (where the phase diagram's exponents are checked).
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

QUICK_BUDGET = 30.0
FULL_BUDGET = 180.0
POINTS = 50
SAMPLES = 16


def _curve_settings(quick: bool) -> dict:
    d = 20 if quick else 30
    dim = d * (d + 1) // 2
    return {"d": d, "gamma": 1.0, "noise": 0.1, "lam": 0.05, "points": POINTS,
            "n_min": dim // 4, "n_max": 16 * dim, "samples": SAMPLES,
            "target_accuracy": float(np.sqrt(2 / (SAMPLES * dim)))}


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    from solvers.matrix_sensing_se import matrix_sensing_risk_curve
    from solvers.weight_decay import quadratic_network

    s = _curve_settings(quick)
    teacher = np.arange(1, s["d"] + 1, dtype=float) ** (-s["gamma"])
    ns = np.unique(np.geomspace(s["n_min"], s["n_max"], s["points"]).astype(int))
    best, curve = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        curve = matrix_sensing_risk_curve(teacher, ns, s["lam"], s["noise"],
                                          samples=s["samples"])
        best = min(best, time.perf_counter() - start)
    print_progress(progress, f"state evolution: {len(ns)} points in {best:.2f} s")
    # the large-d limit (semicircle bulk + BBP outliers) on the same 50 points: its cost does
    # not grow with d (checked at d = 1e12 below, where the finite-d solver cannot go)
    from solvers.matrix_sensing_limit import matrix_sensing_limit

    limit_best, limit_far = np.inf, np.inf
    far_d = 1e12
    far_teacher = np.arange(1, 3001, dtype=float) ** (-s["gamma"])
    far_tail = 1 / 3000.5 if s["gamma"] == 1.0 else 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        for n in ns:
            matrix_sensing_limit(teacher, n, s["lam"], s["noise"])
        limit_best = min(limit_best, time.perf_counter() - start)
        start = time.perf_counter()
        for ne in np.geomspace(1e3, 1e6, s["points"]):
            matrix_sensing_limit(far_teacher, ne * far_d, 1e-9, 1 / far_d, d=far_d,
                                 tail=far_tail)
        limit_far = min(limit_far, time.perf_counter() - start)
    sample = [len(ns) // 4, len(ns) // 2, 3 * len(ns) // 4, len(ns) - 1]
    if quick:
        sample = sample[1::2]
    per_point = []
    deadline = time.perf_counter() + budget
    target = s["target_accuracy"]
    for index in sample:
        n = int(ns[index])
        def simulate(seed, n=n):
            return quadratic_network(s["d"], n, s["lam"], s["gamma"], s["noise"], seed=seed,
                                     tol=1e-7)["risk"]

        run = replicas_to_accuracy(simulate, target, deadline, minimum=4)
        mean, stderr, needed = run["mean"], run["stderr"], run["replicas_needed"]
        se = curve[index].risk
        per_point.append({"n": n, "state_evolution_risk": se, "simulated_risk": mean,
                          "stderr": stderr, "replicas_run": run["replicas_run"],
                          "replicas_needed": needed,
                          "seconds_per_replica": run["seconds_per_replica"],
                          "extrapolated_seconds": needed * run["seconds_per_replica"],
                          "simulation_over_state_evolution": mean / se})
        print_progress(progress, f"simulation n = {n}: {run['replicas_run']} replicas, "
                       f"{needed:.0f} needed")
    mean_seconds = float(np.mean([p["extrapolated_seconds"] for p in per_point]))
    simulation_total = mean_seconds * len(ns)
    summary = {"state_evolution_seconds": best, "simulation_seconds_extrapolated":
               simulation_total, "ratio": simulation_total / best,
               "under_30_seconds": best < 30.0, "limit_seconds": limit_best,
               "limit_over_state_evolution": limit_best / best,
               "limit_seconds_at_d_1e12": limit_far,
               "all_converged": all(p.converged for p in curve)}
    return bench_result("matrix-sensing", {**s, "repeat": repeat, "budget": budget}, [],
                        summary, points=per_point)


def render(result: dict) -> str:
    s = result["settings"]
    lines = [(f"nuclear-norm (quadratic network) risk curve, d = {s['d']}, {s['points']} "
              f"points in n from {s['n_min']} to {s['n_max']}, lambda = {s['lam']}, noise = "
              f"{s['noise']}, teacher eigenvalues k^-{s['gamma']}; accuracy "
              f"{100 * s['target_accuracy']:.1f}% ({s['samples']} noise draws)"),
             (f"  {'n':>7} {'SE risk':>10} {'sim risk':>10} {'stderr':>9} {'sim/SE':>7} "
              f"{'replicas needed':>16} {'s/replica':>10}")]
    for p in result["points"]:
        lines.append(f"  {p['n']:>7} {p['state_evolution_risk']:>10.5f} "
                     f"{p['simulated_risk']:>10.5f} {p['stderr']:>9.2g} "
                     f"{p['simulation_over_state_evolution']:>7.3f} "
                     f"{p['replicas_needed']:>16.0f} {p['seconds_per_replica']:>10.3f}")
    m = result["summary"]
    lines += [(f"  state evolution, {s['points']} points: "
               f"{format_seconds(m['state_evolution_seconds'])}"
               f" ({'under' if m['under_30_seconds'] else 'OVER'} 30 s; "
               f"{'all' if m['all_converged'] else 'NOT all'} points converged)"),
              (f"  simulation to the same accuracy, {s['points']} points (extrapolated): "
               f"{format_seconds(m['simulation_seconds_extrapolated'])}"),
              f"  ratio simulation / state evolution: {m['ratio']:.0f}x",
              (f"  large-d limit (solvers/matrix_sensing_limit.py), same points: "
               f"{format_seconds(m['limit_seconds'])} ({m['limit_over_state_evolution']:.2f} x "
               f"the finite-d state evolution); 50 points at d = 1e12: "
               f"{format_seconds(m['limit_seconds_at_d_1e12'])}")]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="state-evolution curves timed, best one counts",
        budget_help="total time budget of the simulations",
        quick_budget=QUICK_BUDGET,
        full_budget=FULL_BUDGET,
        quick_help="d = 20, two sample points, short budget: about a minute",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)
