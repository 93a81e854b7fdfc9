"""Time the later grand-staircase step (one direction left) against two outer rules over s.

What is measured, per target (noiseless, one learned direction e1 or (1, 1)/sqrt 2, and one
r = 3 target with two learned directions):

* engine: :func:`derive.grand_staircase_general.later_step`, best of ``--repeat`` calls
  (sympy cache cleared before each), with its error bound; the value is compared with a
  reference known independently (1/2 where y and s fix t^2, THEORY.md §5; the flat-core
  integrals of tests/test_grand_staircase_general.py for max(z1, z2^2) and relu(z1) +
  relu(z2), by scipy.quad);
* baseline 1, the rule the polynomial path uses (derive.grand_staircase._second_step):
  probabilists' Gauss-Hermite in s with orders 24, 48, 96, 192, ... over the same inner
  conditional moments, until within 1e-9 alpha_c of the reference (about the engine's
  accuracy) or the budget is spent; the time at which it first got 4 digits is printed too.
  Where A2(s) has a kink or a sqrt(s) edge (a flat piece appearing) it converges slowly;
* baseline 2, Monte Carlo over s (s ~ N(0, I_k), numpy PCG64 from SeedSequence) with the same
  exact inner moments: the estimate of nu_1 and its standard error after the budget, and the
  time a run to 1e-4 alpha_c would take (SE ~ N^-1/2, time ~ N).

Both baselines run in this process after the engine; the ratios are baseline time / engine
time. Nothing is asserted; the numbers are printed for a person to read.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
import sympy

from derive.grand_staircase_general import (
    RestrictedLink,
    _basis,
    conditional_moments,
    later_step,
)
from derive.target import parse_expression

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

RELATIVE_ACCURACY = 1e-4
#: the engine's typical accuracy: Gauss-Hermite is also run until it gets there
FINE_ACCURACY = 1e-9
FULL_BUDGET = 20.0
QUICK_BUDGET = 8.0
SEED = 2025


def _flat_core(fold_kind: str) -> float:
    """1/nu_1 of max(z1, z2^2) ('sqrt') or relu(z1) + relu(z2) ('abs'), by scipy.quad."""
    from scipy import integrate, stats

    phi, Phi = stats.norm.pdf, stats.norm.cdf

    def a2(a):
        core = 4 * a * a * phi(a) ** 2 / (2 * Phi(a) - 1) if a > 0 else 0.0
        return core + 2 * integrate.quad(lambda t: (t * t - 1) ** 2 * phi(t), a, np.inf,
                                         epsabs=1e-14, epsrel=1e-13)[0]

    if fold_kind == "sqrt":
        nu = 1 + integrate.quad(lambda s: phi(s) * a2(np.sqrt(s)), 0, np.inf, epsabs=1e-14,
                                epsrel=1e-13, limit=200)[0]
    else:
        nu = 2 * integrate.quad(lambda s: phi(s) * a2(s), 0, np.inf, epsabs=1e-14,
                                epsrel=1e-13, limit=200)[0]
    return 1 / nu


#: (name, expression, learned directions, reference alpha_c or how to get it)
TARGETS = (
    ("tanh+sq", "tanh(z1) + z2**2", [(1, 0)], 0.5),
    ("max-flat", "max(z1, z2**2)", [(1, 0)], "sqrt"),
    ("relu-sum", "relu(z1) + relu(z2)", [(1, 1)], "abs"),
    ("z1|z2|", "z1*abs(z2)", [(1, 0)], 0.5),
    ("r3", "z1**3 + z2**2*z3", [(1, 0, 0), (0, 0, 1)], 0.5),
)
QUICK = ("max-flat", "relu-sum")


@dataclass
class Case:
    name: str
    text: str
    learned: list
    reference: float
    seconds: float | None = None
    alpha_c: float | None = None
    error_bound: float | None = None
    hermite: dict | None = None
    monte_carlo: dict | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "expression": self.text, "reference": self.reference,
                "engine": {"seconds": self.seconds, "alpha_c": self.alpha_c,
                           "error_bound": self.error_bound},
                "gauss_hermite": self.hermite, "monte_carlo": self.monte_carlo}


def _link(case: Case) -> RestrictedLink:
    expr = parse_expression(case.text)
    variables = sympy.symbols(" ".join(f"z{i + 1}" for i in range(len(case.learned[0]))),
                              real=True)
    basis, v = _basis(case.learned, len(variables))
    return RestrictedLink(expr, variables, basis, v)


def _hermite(case: Case, budget: float) -> dict:
    """Orders 24, 48, ... until within FINE_ACCURACY of the reference or the budget; the
    times (cumulative, as run) at which 1e-4 and FINE_ACCURACY were first reached."""
    link = _link(case)
    start = time.perf_counter()
    order, out = 24, {"to_4_digits": None, "to_fine": None, "orders": []}
    while time.perf_counter() - start < budget and order <= (192 if link.k == 1 else 48):
        x, w = np.polynomial.hermite_e.hermegauss(order)
        w = w / math.sqrt(2 * math.pi)
        grid = np.meshgrid(*([x] * link.k), indexing="ij")
        weights = np.prod(np.meshgrid(*([w] * link.k), indexing="ij"), axis=0).ravel()
        nodes = np.stack([g.ravel() for g in grid], axis=1)
        nu = sum(weight * conditional_moments(link, tuple(node))[1]
                 for node, weight in zip(nodes, weights) if weight > 1e-18)
        error = abs(1 / nu - case.reference) / case.reference
        now = time.perf_counter() - start
        out["orders"].append({"order": order, "relative_error": error, "seconds": now})
        if error <= RELATIVE_ACCURACY and out["to_4_digits"] is None:
            out["to_4_digits"] = now
        if error <= FINE_ACCURACY:
            out["to_fine"] = now
            break
        order *= 2
    out["seconds"] = time.perf_counter() - start
    return out


def _monte_carlo(case: Case, budget: float) -> dict:
    link = _link(case)
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    start = time.perf_counter()
    values = []
    while time.perf_counter() - start < budget:
        s = rng.standard_normal(link.k)
        values.append(conditional_moments(link, tuple(s))[1])
    spent = time.perf_counter() - start
    values = np.array(values)
    nu, se_nu = values.mean(), values.std(ddof=1) / math.sqrt(len(values))
    alpha, se = 1 / nu, se_nu / nu**2
    goal = RELATIVE_ACCURACY * alpha
    return {"samples": len(values), "alpha_c": alpha, "se": se, "seconds": spent,
            "reached": se <= goal,
            "extrapolated_seconds": spent * max(1.0, (se / goal) ** 2)}


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    later_step(parse_expression("z1 + z2**2"), sympy.symbols("z1 z2", real=True), [(1, 0)])
    cases = []
    for name, text, learned, reference in TARGETS:
        if quick and name not in QUICK:
            continue
        value = _flat_core(reference) if isinstance(reference, str) else float(reference)
        case = Case(name, text, learned, value)
        variables = sympy.symbols(" ".join(f"z{i + 1}" for i in range(len(learned[0]))),
                                  real=True)
        print_progress(progress, f"engine    {name}")
        case.seconds, step = best_of(
            lambda text=text, variables=variables, learned=learned:
            later_step(parse_expression(text), variables, learned), repeat)
        case.alpha_c, case.error_bound = step.alpha_c, step.error_bound
        print_progress(progress, f"baselines {name}")
        case.hermite = _hermite(case, budget)
        case.monte_carlo = _monte_carlo(case, budget)
        cases.append(case)
    summary = {"targets": len(cases)}
    settings = {"repeat": repeat, "quick": quick, "budget_seconds": budget, "seed": SEED}
    return bench_result("staircase", settings, cases, summary)


def render(result: dict) -> str:
    rows = []
    for c in result["_cases"]:
        h, m = c.hermite, c.monte_carlo
        last = h["orders"][-1]
        mc_seconds = m["seconds"] if m["reached"] else m["extrapolated_seconds"]
        rows.append([
            c.name, f"{c.alpha_c:.10f}", f"{c.error_bound:.1e}",
            f"{abs(c.alpha_c - c.reference):.1e}", format_seconds(c.seconds),
            format_seconds(h["to_4_digits"]) if h["to_4_digits"] is not None else "-",
            f"{last['order']}: {last['relative_error']:.1e}",
            format_seconds(h["to_fine"]) if h["to_fine"] is not None
            else format_seconds(h["seconds"], True),
            format_ratio((h["to_fine"] or h["seconds"]) / c.seconds, h["to_fine"] is None),
            f"{m['se'] / m['alpha_c']:.1e} ({m['samples']})",
            ("" if m["reached"] else "~") + format_seconds(mc_seconds),
            format_ratio(mc_seconds / c.seconds, False),
        ])
    settings = result["settings"]
    out = [
        (f"Later staircase step, engine best of {settings['repeat']}; baselines over the same "
        f"inner moments, budget {settings['budget_seconds']:g} s each"),
        "",
        table(["target", "alpha_c", "bound", "|eng - ref|", "engine", "GH to 1e-4",
               "GH last order: rel err", "GH to 1e-9", "GH/eng", "MC rel SE (N)", "MC to 1e-4",
               "MC/eng"], rows, right=set(range(1, 12))),
        "",
        ("- GH: Gauss-Hermite in s, orders doubled from 24 (cumulative times, as run) until "
         "within 1e-9 alpha_c of the reference, about the engine's accuracy ('>': not reached "
         "in the budget or by order 192; GH/eng then a lower bound)."),
        "- MC: s sampled, exact inner moments; '~' time extrapolated to SE = 1e-4 alpha_c.",
        "- references: 1/2 where y and s fix t^2; flat-core integrals by scipy.quad.",
    ]
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser, repeat_help="engine calls per target, best one counts",
        budget_help="time budget of each baseline per target", quick_budget=QUICK_BUDGET,
        full_budget=FULL_BUDGET, quick_help="two targets with flat pieces, shorter budget")


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)
