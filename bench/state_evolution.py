"""Time the generated state-evolution module: a 50-point overlap curve against the previous
implementation, run in the same process.

For z**2 (one index) and z1*z2 (two indices; --quick: z**2 only), label noise 0.01, the
generated module's ``curve`` on 50 alphas in (0, 3] (what ``python se.py --alphas 50`` runs,
threshold included) against the previous algorithm of the generated module, reproduced
here as the baseline: every alpha cold-started from q0 = 1e-3, at most 40 plain iterations,
the likelihood on the z grid recomputed at every iteration, an i.i.d. Monte Carlo outer
average (2000 samples for one index, 500 for two) on a uniform grid of 1001 (81 x 81)
nodes. The baseline runs on every fifth alpha (10 points) and its time is scaled by 5 to
50 points (stated in the output; its cost per alpha does not depend on the other alphas).
Also printed: how many of the baseline's points stopped at the 40-iteration cap (not
converged), and the largest difference of the mean overlap tr(q)/R between the two on the
shared alphas.

Nothing here asserts a timing; the numbers are printed (and written as JSON with --json).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from derive.codegen import generate_solver, load_solver

from .common import (
    add_standard_arguments,
    bench_result,
    format_ratio,
    format_seconds,
    print_progress,
    standard_main,
    table,
)

TARGETS = ["z**2", "z1*z2"]
NOISE = 0.01
ALPHAS = np.linspace(3.0 / 50, 3.0, 50)
BASELINE_EVERY = 5
QUICK_BUDGET = 120.0


def _square_root(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def previous_curve(module, alphas, q0=1e-3, iterations=40, tol=1e-6, seed=0):
    """The previous implementation (see the module docstring); returns (mean overlaps,
    number of points that stopped at the iteration cap)."""
    R = module.TEACHERS
    axis = np.linspace(-8.0, 8.0, 1001 if R == 1 else 81)
    z = np.stack([m.ravel() for m in np.meshgrid(*([axis] * R), indexing="ij")], axis=-1)
    g = module.target(z)
    samples = 2000 if R == 1 else 500
    rng = np.random.default_rng(seed)
    xi, eta, zeta = (rng.standard_normal((samples, R)), rng.standard_normal((samples, R)),
                     rng.standard_normal(samples))

    def channel_overlap(q, chunk=256):
        V = np.eye(R) - q
        Vinv = np.linalg.inv(V)
        omega = xi @ _square_root(q)
        y = module.target(omega + eta @ _square_root(V)) + np.sqrt(NOISE) * zeta
        Linv = np.linalg.cholesky(Vinv)
        zw = z @ Linv
        out = np.zeros((R, R))
        for start in range(0, samples, chunk):
            om = omega[start:start + chunk]
            quad = ((zw[None, :, :] - (om @ Linv)[:, None, :]) ** 2).sum(axis=2)
            log_joint = -0.5 * quad - 0.5 * (y[start:start + chunk, None] - g[None, :]) ** 2 / NOISE
            joint = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
            mean = joint @ z / joint.sum(axis=1, keepdims=True)
            gout = (mean - om) @ Vinv
            out += gout.T @ gout
        return out / samples

    overlaps, capped = [], 0
    for alpha in alphas:
        q = q0 * np.eye(R)
        for _ in range(iterations):
            q_hat = alpha * channel_overlap(q)
            q_new = q_hat @ np.linalg.inv(np.eye(R) + q_hat)
            values, vectors = np.linalg.eigh(0.5 * (q_new + q_new.T))
            q_new = (vectors * np.clip(values, 0.0, 1 - 1e-9)) @ vectors.T
            done = np.max(np.abs(q_new - q)) < tol
            q = q_new
            if done:
                break
        else:
            capped += 1
        overlaps.append(float(np.trace(q)) / R)
    return overlaps, capped


class Case:
    def __init__(self, target: str):
        self.name = target
        self.curve = None
        self.threshold = None
        self.iterations = None
        self.converged = None
        self.baseline = None
        self.baseline_capped = None
        self.difference = None

    def to_dict(self) -> dict:
        return {
            "target": self.name, "noise": NOISE, "alphas": len(ALPHAS),
            "curve_seconds": self.curve, "threshold_seconds": self.threshold,
            "iterations": self.iterations, "all_converged": self.converged,
            "baseline_seconds_extrapolated": self.baseline,
            "baseline_points_at_iteration_cap": self.baseline_capped,
            "max_mean_overlap_difference": self.difference,
        }


def measure(case: Case, quick: bool) -> None:
    source = generate_solver(f"{case.name}; noise = {NOISE}", "state-evolution",
                             use_cache=False)
    module = load_solver(source, name=f"bench_se_{len(case.name)}")
    start = time.perf_counter()
    module.threshold()
    case.threshold = time.perf_counter() - start
    start = time.perf_counter()
    result = module.curve(ALPHAS)
    case.curve = time.perf_counter() - start
    case.iterations = int(sum(result["iterations_used"]))
    case.converged = all(result["converged"])
    every = BASELINE_EVERY * (2 if quick else 1)
    subset = ALPHAS[every - 1::every]
    start = time.perf_counter()
    baseline, case.baseline_capped = previous_curve(module, subset)
    case.baseline = (time.perf_counter() - start) * len(ALPHAS) / len(subset)
    new = np.asarray(result["mean_overlap"])[every - 1::every]
    case.difference = float(np.max(np.abs(new - np.asarray(baseline))))


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    cases = [Case(t) for t in (TARGETS[:1] if quick else TARGETS)]
    for case in cases:
        print_progress(progress, f"state-evolution {case.name}")
        measure(case, quick)
    summary = {"max_curve_seconds": max(c.curve for c in cases),
               "min_speedup": min(c.baseline / c.curve for c in cases)}
    settings = {"quick": quick, "noise": NOISE, "alphas": len(ALPHAS),
                "baseline_every": BASELINE_EVERY * (2 if quick else 1)}
    return bench_result("state-evolution", settings, cases, summary)


def render(result: dict) -> str:
    cases = result["_cases"]
    every = result["settings"]["baseline_every"]
    rows = [[c.name, format_seconds(c.curve), format_seconds(c.threshold), str(c.iterations),
             "yes" if c.converged else "no", format_seconds(c.baseline),
             format_ratio(c.baseline / c.curve, False),
             f"{c.baseline_capped}/{len(ALPHAS) // every}", f"{c.difference:.3f}"]
            for c in cases]
    headers = ["target", "curve (50 alphas)", "of which threshold", "iterations", "converged",
               "previous (x50)", "previous/new", "previous capped", "max |diff|"]
    return "\n".join([
        f"generated state evolution, label noise {NOISE}, 50 alphas in (0, 3]",
        "",
        table(headers, rows, right={1, 2, 3, 5, 6, 7, 8}),
        "",
        (f"previous: the former algorithm (cold starts, 40 plain iterations at most, likelihood "
         f"recomputed per iteration, i.i.d. Monte Carlo outer average) on every {every}th "
         f"alpha, time scaled to 50 alphas; 'previous capped': its points stopped at the "
         f"iteration cap (not converged), which also explains most of max |diff|."),
    ])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="unused (one timed curve per target: the baseline takes minutes)",
        budget_help="unused by this bench (kept for a uniform command line)",
        quick_budget=QUICK_BUDGET,
        quick_help="z**2 only, baseline on every tenth alpha",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET)
