"""Time the nested quadrature of multi-index Hermite coefficients against Monte Carlo at equal accuracy.

What is measured, per target (r = 2 and r = 3 targets that are neither polynomial, separable
nor ridge sums, so that before derive.cubature they went to Monte Carlo):

* engine, in process, best of ``--repeat`` calls (sympy's cache cleared before each):
  :func:`derive.cubature.hermite_table` (every c_alpha, |alpha| <= 4, of g and g^2 with its
  a-posteriori error), and the full ``derive.analyze`` (coefficients, symmetries and every
  filtration);
* the Monte Carlo baseline :func:`derive.montecarlo.monte_carlo_coefficients` (the previous
  path) on the same coefficients, in process, at growing sample sizes (``FIRST_SAMPLES``,
  x4 per level) until its largest standard error reaches ``GOAL`` or the budget
  (``--budget`` per target) is spent. Reported: the time of the last level, its largest
  standard error, and the time one run reaching ``GOAL`` would take, extrapolated with
  SE ~ N^(-1/2) and time ~ N from that level (marked '~'), or measured when reached; and the
  other way round, the standard error Monte Carlo would reach in the quadrature's time.

Equal accuracy: ``GOAL`` = 1e-6 on every coefficient (six decimals), which the quadrature
exceeds (its largest error is printed); the ratio is MC time at GOAL / quadrature time.
The quadrature's error is an estimate (see derive.cubature), the Monte Carlo one a standard
error; neither is a rigorous bound. Both are printed with the deviation between them.

Nothing here asserts a timing; the numbers are printed (and written as JSON with ``--json``)
for a person to read.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass

import numpy as np

import derive
from derive.cubature import hermite_table
from derive.montecarlo import monte_carlo_coefficients
from derive.target import parse_target

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

GOAL = 1e-6
ORDER = 4
FIRST_SAMPLES = 50_000
GROWTH = 4
SEED = 7
FULL_BUDGET = 20.0
QUICK_BUDGET = 8.0
TARGETS = (
    "max(z1, z2**2)",
    "tanh(z1)*tanh(z1 + z2)",
    "z1/(1 + z1**2 + z2**2)",
    "sign(z1)*relu(z2 - z1)",
    "max(z1, z2, z3)",
)
QUICK_TARGETS = ("max(z1, z2**2)", "sign(z1)*relu(z2 - z1)")


@dataclass
class Case:
    """One target's numbers (seconds, errors, Monte Carlo levels)."""

    target: str
    r: int
    quadrature_seconds: float
    analyze_seconds: float
    quadrature_max_error: float
    mc_samples: int
    mc_seconds: float
    mc_max_se: float
    mc_seconds_at_goal: float
    mc_extrapolated: bool
    ratio_at_goal: float
    max_deviation_in_se: float
    #: the largest standard error Monte Carlo would reach in the quadrature's time
    mc_se_in_quadrature_time: float

    def to_dict(self) -> dict:
        return asdict(self)


def _monte_carlo(expr, variables, budget: float) -> dict:
    samples, spent, last = FIRST_SAMPLES, 0.0, None
    while True:
        start = time.perf_counter()
        table_ = monte_carlo_coefficients(expr, variables, ORDER, samples=samples, seed=SEED)
        seconds = time.perf_counter() - start
        spent += seconds
        worst = max(se for _, se in table_.values())
        last = {"samples": samples, "seconds": seconds, "max_se": worst, "table": table_}
        if worst <= GOAL or spent + GROWTH * seconds > budget:
            break
        samples *= GROWTH
    needed = last["seconds"] * (last["max_se"] / GOAL) ** 2
    last["seconds_at_goal"] = last["seconds"] if last["max_se"] <= GOAL else needed
    last["extrapolated"] = last["max_se"] > GOAL
    return last


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    derive.analyze("max(z1, z2**3)")  # warm-up: imports, lambdify, first-call set-up
    cases = []
    for text in (QUICK_TARGETS if quick else TARGETS):
        print_progress(progress, f"cubature: {text}")
        target = parse_target(text)
        variables = tuple(v for v in target.variables if v in target.expression.free_symbols)
        seconds, quad = best_of(
            lambda expr=target.expression, v=variables: hermite_table(expr, v, ORDER), repeat)
        analyze_seconds, _ = best_of(lambda t=text: derive.analyze(t), repeat)
        mc = _monte_carlo(target.expression, variables, budget)
        deviation = max(abs(quad.values[a] - m) / se if se > 0 else 0.0
                        for a, (m, se) in mc["table"].items())
        cases.append(Case(
            target=text, r=len(variables),
            quadrature_seconds=seconds, analyze_seconds=analyze_seconds,
            quadrature_max_error=max(quad.errors.values()),
            mc_samples=mc["samples"], mc_seconds=mc["seconds"],
            mc_max_se=mc["max_se"], mc_seconds_at_goal=mc["seconds_at_goal"],
            mc_extrapolated=mc["extrapolated"],
            ratio_at_goal=mc["seconds_at_goal"] / seconds,
            max_deviation_in_se=deviation,
            mc_se_in_quadrature_time=mc["max_se"] * (mc["seconds"] / seconds) ** 0.5,
        ))
    ratios = [c.ratio_at_goal for c in cases]
    summary = {"median_ratio_at_goal": float(np.median(ratios)), "goal": GOAL, "order": ORDER}
    settings = {"repeat": repeat, "quick": quick, "budget_seconds": budget}
    return bench_result("cubature", settings, cases, summary)


def render(result: dict) -> str:
    rows = []
    for c in result["targets"]:
        rows.append([
            c["target"], str(c["r"]), format_seconds(c["quadrature_seconds"]),
            f"{c['quadrature_max_error']:.1e}", format_seconds(c["analyze_seconds"]),
            f"{c['mc_samples']:.1e}", format_seconds(c["mc_seconds"]), f"{c['mc_max_se']:.1e}",
            ("~" if c["mc_extrapolated"] else "") + format_seconds(c["mc_seconds_at_goal"]),
            ("~" if c["mc_extrapolated"] else "") + format_ratio(c["ratio_at_goal"], False),
            f"~{c['mc_se_in_quadrature_time']:.0e}",
            f"{c['max_deviation_in_se']:.1f}",
        ])
    s = result["settings"]
    out = [
        (f"Hermite coefficients |alpha| <= {ORDER} of non-separable multi-index targets: "
         f"nested quadrature vs Monte Carlo at equal accuracy (max error {GOAL:g}); best of "
         f"{s['repeat']}, Monte Carlo budget {s['budget_seconds']:g} s per target"),
        "",
        table(["target", "r", "quad", "quad err", "analyze", "MC N", "MC time", "MC se",
               "MC @goal", "ratio", "MC se @quad", "dev/se"],
              rows, right=set(range(1, 12))),
        "",
        (f"median ratio (MC time at {GOAL:g} / quadrature time): "
         f"{format_ratio(result['summary']['median_ratio_at_goal'], False)}"),
        "'~': extrapolated from the last Monte Carlo level with SE ~ N^-1/2, time ~ N.",
        "MC se @quad: the largest standard error Monte Carlo reaches in the quadrature's time.",
        "dev/se: largest |quadrature - MC mean| over the coefficients, in MC standard errors.",
    ]
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="engine calls per target, best one counts",
        budget_help="per-target time budget of the Monte Carlo baseline",
        quick_budget=QUICK_BUDGET,
        full_budget=FULL_BUDGET,
        quick_help="two targets, one repeat, shorter budget: under a minute",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)

