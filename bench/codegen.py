"""Time the generated solvers: generation, integration, closed forms against Monte Carlo twins.

What is measured, per student activation (relu, erf, He2; --quick: relu), for the
three-direction polynomial target z1 + z1 z2 + z1 z2 z3 and a committee of width 4:

* generation: :func:`derive.codegen.generate.generate_solver` without the cache (derivation,
  CSE, printing, rendering), sympy's cache cleared before each call, best of ``--repeat``,
  against the goal of 10 s (ratio = goal / time);
* integration: the generated module's ``integrate(lr=0.5, time=100)`` from a random start
  at d = 1000 (scipy RK45, rtol 1e-6), best of ``--repeat``, against the goal of 5 s;
* closed forms against their Monte Carlo twins at equal accuracy: at a random point of
  (Q, M), the time of ``closed_form_arrays`` (best of 20) against the time the module's own
  ``monte_carlo_arrays`` needs to bring every closed-form entry to a standard error of
  1e-4 max(1, |value|) (4 digits), extrapolated from one run with ``MC_SAMPLES`` samples (standard error ~ N^-1/2,
  time ~ N). The closed forms are exact up to float64 round-off, so the ratio understates
  their advantage at any accuracy beyond 4 digits. Arrays without a closed form (relu with
  width 4: Xg, Xs, orthant probabilities of dimension >= 3) are left out of both sides.

Nothing here asserts a timing; the numbers are printed (and written as JSON with --json).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from derive.codegen.generate import generate_solver

from .common import (
    add_standard_arguments,
    bench_result,
    best_of,
    format_ratio,
    format_seconds,
    print_progress,
    standard_main,
    table,
)

TARGET = "z1 + z1*z2 + z1*z2*z3"
WIDTH = 4
GENERATION_GOAL = 10.0
INTEGRATION_GOAL = 5.0
ACCURACY = 1e-4
MC_SAMPLES = 20_000
QUICK_BUDGET = 60.0


class Case:
    def __init__(self, student: str):
        self.name = student
        self.generation = None
        self.integration = None
        self.rhs_evaluations = None
        self.closed_form = None
        self.mc_seconds = None
        self.mc_stderr = None
        self.mc_needed = None
        self.fallback = []

    def to_dict(self) -> dict:
        return {
            "student": self.name, "target": TARGET, "width": WIDTH,
            "generation_seconds": self.generation, "integration_seconds": self.integration,
            "rhs_evaluations": self.rhs_evaluations, "closed_form_seconds": self.closed_form,
            "monte_carlo_seconds_at_samples": self.mc_seconds, "monte_carlo_samples": MC_SAMPLES,
            "monte_carlo_max_stderr": self.mc_stderr,
            "monte_carlo_seconds_at_equal_accuracy": self.mc_needed,
            "arrays_without_closed_form": self.fallback,
        }


def _load(source: str, folder: Path, name: str):
    from derive.codegen import load_solver

    return load_solver(source, folder / f"{name}.py", name)


def _random_point(module, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((module.WIDTH, 16)) / 4.0
    W[:, : module.TEACHERS] += rng.uniform(-0.5, 0.5, (module.WIDTH, module.TEACHERS))
    return W @ W.T, W[:, : module.TEACHERS].copy()


def measure(case: Case, repeat: int, folder: Path) -> None:
    case.generation, source = best_of(
        lambda: generate_solver(TARGET, "sgd-ode", case.name, WIDTH, use_cache=False), repeat)
    module = _load(source, folder, f"bench_solver_{case.name}")
    case.fallback = [n for n, (_, _, closed) in module.ARRAYS.items() if not closed]
    case.integration, result = best_of(lambda: module.integrate(lr=0.5, time=100.0), repeat,
                                       clear=lambda: None)
    case.rhs_evaluations = result["rhs_evaluations"]
    Q, M = _random_point(module)
    case.closed_form, closed = best_of(lambda: module.closed_form_arrays(Q, M), 20,
                                       clear=lambda: None)
    normals = np.random.default_rng(1).standard_normal((MC_SAMPLES, WIDTH + module.TEACHERS))
    start = time.perf_counter()
    _, errors = module.monte_carlo_arrays(Q, M, normals, list(closed))
    case.mc_seconds = time.perf_counter() - start
    case.mc_stderr = max(float(np.max(errors[n] / np.maximum(1.0, np.abs(closed[n]))))
                         for n in errors)
    case.mc_needed = case.mc_seconds * (case.mc_stderr / ACCURACY) ** 2


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    students = ["relu"] if quick else ["relu", "erf", "He2"]
    cases = [Case(s) for s in students]
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            print_progress(progress, f"codegen   {case.name}")
            measure(case, repeat, Path(folder))
    summary = {
        "max_generation_seconds": max(c.generation for c in cases),
        "max_integration_seconds": max(c.integration for c in cases),
        "generation_goal_met": all(c.generation < GENERATION_GOAL for c in cases),
        "integration_goal_met": all(c.integration < INTEGRATION_GOAL for c in cases),
    }
    settings = {"repeat": repeat, "quick": quick, "target": TARGET, "width": WIDTH,
                "accuracy": ACCURACY, "mc_samples": MC_SAMPLES}
    return bench_result("codegen", settings, cases, summary)


def render(result: dict) -> str:
    cases = result["_cases"]
    rows = []
    for c in cases:
        rows.append([
            c.name,
            format_seconds(c.generation), format_ratio(GENERATION_GOAL / c.generation, False),
            format_seconds(c.integration), format_ratio(INTEGRATION_GOAL / c.integration, False),
            str(c.rhs_evaluations),
            format_seconds(c.closed_form), format_seconds(c.mc_needed),
            format_ratio(c.mc_needed / c.closed_form, False),
            ", ".join(c.fallback) or "-",
        ])
    headers = ["student", "generate", "10 s/gen", "integrate 100", "5 s/int", "rhs calls",
               "closed form", f"MC to {ACCURACY:g}", "MC/closed", "Monte Carlo arrays"]
    lines = [
        (f"sgd-ode for {TARGET}, width {WIDTH} (goals: generate < 10 s, integrate 100 time "
        f"units < 5 s)"),
        "",
        table(headers, rows, right={1, 2, 3, 4, 5, 6, 7, 8}),
        "",
        (f"MC to {ACCURACY:g}: time for the Monte Carlo twin to reach a standard error of "
        f"{ACCURACY:g} max(1, |value|) on every closed-form entry, extrapolated from "
        f"{MC_SAMPLES} samples."),
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="timed calls of generation and integration per student",
        budget_help="unused by this bench (kept for a uniform command line)",
        quick_budget=QUICK_BUDGET,
        quick_help="relu only, one repeat",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET)
