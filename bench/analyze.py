"""Time derive.analyze on the catalog against the baselines a researcher would otherwise use.

What is measured, per single-index catalog target (multi-index entries are skipped with a
line saying so), plus two extra exact links parsed with :func:`derive.parse_target`:

* engine, in process: :func:`derive.hermite_expansion` to order 12 (the probabilists'
  Hermite coefficients c_k = E[sigma(z) He_k(z)] / k!, He_k = ``sympy.hermite_prob``) and
  :func:`derive.analyze` (that expansion plus the information and generative exponents),
  each the best of ``--repeat`` calls timed with :func:`time.perf_counter`;
* baseline (a), exact links only (polynomial and piecewise-polynomial): one
  ``sympy.stats.E(sigma(Z) * hermite_prob(k, Z)) / k!`` per coefficient with
  ``Z = Normal('Z', 0, 1)``; where sympy.stats fails or runs out of budget, one
  ``sympy.integrate(sigma(x) He_k(x) exp(-x^2/2) / sqrt(2 pi), (x, -oo, oo)) / k!`` per
  coefficient instead (the table says which was used);
* baseline (b), every link: one plain ``mpmath.quad(lambda x: sigma(x) He_k(x) phi(x),
  [-inf, inf])`` per coefficient at ``mp.dps = 30``, with sigma from
  ``sympy.lambdify(z, expr, modules='mpmath')``. It does not split the interval at kinks
  (mpmath only splits at 0), so it is also less accurate; the table reports its largest
  deviation from the engine's ``coefficients[k].value``.

Fairness:

* imports and first-call set-up are excluded by warm-up calls of unrelated targets, for the
  engine and for each baseline alike;
* sympy's global cache is cleared before every timed call (engine and baselines), since
  otherwise repeats 2..N would reuse the sub-results of repeat 1 and time a cache lookup;
* baselines run once each (they are slow, so timer noise is negligible) in a worker process,
  timed inside the worker, so that a per-target budget (``--budget``, 60 s by default) can
  stop them; a stopped baseline is reported as a lower bound, marked ``>``.

Goals printed at the end: the median ``derive.analyze`` time over the catalog is under 1 s,
and the median speed-up of the engine's Hermite expansion over baseline (a) on the exact set
is at least 20x. Nothing here asserts a timing; the numbers are printed (and written as JSON
with ``--json``) for a person to read.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, field

import mpmath
import sympy

import derive
from derive.catalog import entries

from .common import (
    add_standard_arguments,
    bench_result,
    best_of,
    describe,
    format_baseline,
    format_ratio,
    format_seconds,
    median,
    print_progress,
    ratio,
    short,
    standard_main,
    supervise_worker,
    table,
    time_engines,
    worker_main,
)

#: Hermite order of every measurement (derive.analyze's default).
ORDER = 12
#: Working precision of the mpmath.quad baseline.
BASELINE_DPS = 30
#: Goals stated in the project plan.
ANALYSIS_GOAL_SECONDS = 1.0
SPEEDUP_GOAL = 20.0
#: Unrelated targets whose analysis loads every engine path (polynomial basis change, closed
#: forms, quadrature, the parity proof, whose sympy.simplify imports sympy.physics on first
#: use) before anything is timed.
WARMUP_TARGETS = ("z**3 + 2*z", "relu(z - 1)*cos(z)", "sign(z)*exp(-z**2)")
#: Exact links for baseline (a): catalog names (those that exist) and extra expressions.
EXACT_CATALOG = ("He3", "He4", "phase_retrieval", "relu", "abs", "sign")
EXACT_EXTRA = ("relu(z)**3", "He2(z)+He3(z)")
#: --quick: a subset that still reaches every engine path, one repeat, a shorter budget.
QUICK_CATALOG = ("He3", "phase_retrieval", "relu", "sign", "abs", "tanh", "erf", "annulus", "sign_He3")
QUICK_EXACT_EXTRA = ("He2(z)+He3(z)",)
QUICK_BUDGET = 10.0
#: A baseline coefficient that differs from the engine's exact one by more than this is flagged.
EXACT_AGREEMENT = 1e-25

STATS = "sympy.stats.E"
INTEGRATE = "sympy.integrate"
QUAD = "mpmath.quad"


# --------------------------------------------------------------------------- data


@dataclass
class BaselineRun:
    """One baseline on one target: time for all coefficients c_0..c_ORDER, or a lower bound."""

    method: str
    seconds: float | None = None
    lower_bound: bool = False  # stopped at the budget: the true time is larger
    orders_done: int = 0
    max_deviation: float | None = None  # largest |baseline c_k - engine c_k| over orders done
    error: str | None = None  # why the baseline could not finish (not a timeout)
    note: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and not self.lower_bound and self.orders_done == ORDER + 1


@dataclass
class Case:
    """A target and everything measured on it."""

    name: str
    expression: str
    in_catalog: bool
    exact_set: bool
    target: derive.Target = field(repr=False)
    engine_method: str | None = None
    information_exponent: int | None = None
    generative_exponent: int | None = None
    hermite_seconds: float | None = None
    analyze_seconds: float | None = None
    engine_error: str | None = None
    exact_baseline: BaselineRun | None = None
    quad_baseline: BaselineRun | None = None
    coefficients: tuple = field(default=(), repr=False)  # engine values, for deviations

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "expression": self.expression,
            "in_catalog": self.in_catalog,
            "exact_set": self.exact_set,
            "engine": {
                "method": self.engine_method,
                "information_exponent": self.information_exponent,
                "generative_exponent": self.generative_exponent,
                "hermite_seconds": self.hermite_seconds,
                "analyze_seconds": self.analyze_seconds,
                "error": self.engine_error,
            },
            "exact_baseline": None if self.exact_baseline is None else asdict(self.exact_baseline),
            "quad_baseline": None if self.quad_baseline is None else asdict(self.quad_baseline),
            "exact_speedup": ratio(self.exact_baseline, self.hermite_seconds)[0],
            "quad_speedup": ratio(self.quad_baseline, self.hermite_seconds)[0],
        }


# --------------------------------------------------------------------------- engine


def _time_engine(case: Case, repeat: int) -> None:
    try:
        case.hermite_seconds, expansion = best_of(
            lambda: derive.hermite_expansion(case.target, ORDER), repeat
        )
        case.analyze_seconds, analysis = best_of(
            lambda: derive.analyze(case.target, max_order=ORDER), repeat
        )
    except Exception as exc:  # noqa: BLE001 - reported, the bench goes on
        case.engine_error = describe(exc)
        return
    case.engine_method = analysis.hermite.method
    case.information_exponent = analysis.information_exponent.value
    case.generative_exponent = analysis.generative_exponent.value
    case.coefficients = tuple(c.value for c in expansion.coefficients)


# --------------------------------------------------------------------------- baselines
# Everything below _worker runs in a child process, so that a budget can stop it.


def _lambdify_link(expr, z):
    """sigma as an mpmath function; Piecewise rewriting where plain lambdify fails."""
    for candidate in (expr, expr.rewrite(sympy.Piecewise)):
        try:
            sigma = sympy.lambdify(z, candidate, modules="mpmath")
            for point in ("-1.7", "0.3", "2.9"):  # away from the usual kinks
                complex(sigma(mpmath.mpf(point)))
            return sigma
        except Exception:  # noqa: BLE001, S112 - any failure means: try the next candidate
            continue
    raise RuntimeError("sympy.lambdify(..., modules='mpmath') fails, also after Piecewise")


def _unevaluated(value) -> bool:
    from sympy.stats import Expectation

    return (
        not isinstance(value, sympy.Basic)
        or value.has(sympy.Integral, Expectation)
        or not value.is_number
    )


def _coefficients_stats(expr, z):
    """c_k as a user of sympy.stats would write it."""
    from sympy.stats import E, Normal

    Z = Normal("Z", 0, 1)
    sigma_of_Z = expr.subs(z, Z)
    for k in range(ORDER + 1):
        value = E(sigma_of_Z * sympy.hermite_prob(k, Z)) / sympy.factorial(k)
        if _unevaluated(value):
            raise RuntimeError(f"sympy.stats.E left c_{k} unevaluated")
        yield k, value


def _coefficients_integrate(expr, z):
    """c_k by sympy.integrate against the Gaussian density."""
    density = sympy.exp(-(z**2) / 2) / sympy.sqrt(2 * sympy.pi)
    for k in range(ORDER + 1):
        value = sympy.integrate(
            expr * sympy.hermite_prob(k, z) * density, (z, -sympy.oo, sympy.oo)
        ) / sympy.factorial(k)
        if _unevaluated(value):
            raise RuntimeError(f"sympy.integrate left c_{k} unevaluated")
        yield k, value


def _coefficients_quad(expr, z):
    """c_k by plain mpmath.quad over the real line, no splitting at kinks."""
    mpmath.mp.dps = BASELINE_DPS
    sigma = _lambdify_link(expr, z)
    for k in range(ORDER + 1):
        hermite = sympy.lambdify(z, sympy.hermite_prob(k, z), modules="mpmath")
        value = mpmath.quad(
            lambda x, hermite=hermite: sigma(x) * hermite(x) * mpmath.npdf(x),
            [-mpmath.inf, mpmath.inf],
        ) / mpmath.factorial(k)
        yield k, value


_METHODS = {
    STATS: _coefficients_stats,
    INTEGRATE: _coefficients_integrate,
    QUAD: _coefficients_quad,
}


def _warm_up_baseline(method: str) -> None:
    """Load what the method loads lazily, on an unrelated integrand."""
    x = sympy.Symbol("x", real=True)
    if method == STATS:
        from sympy.stats import E, Normal

        W = Normal("W", 0, 1)
        E(sympy.Max(W - 1, 0) * W**2)
    elif method == INTEGRATE:
        integrand = sympy.Max(x - 1, 0) * x**2 * sympy.exp(-(x**2) / 2)
        sympy.integrate(integrand, (x, -sympy.oo, sympy.oo))
    else:
        sigma = _lambdify_link(sympy.Max(x - 1, 0) * sympy.cos(x), x)
        with mpmath.workdps(BASELINE_DPS):
            mpmath.quad(lambda t: sigma(t) * mpmath.npdf(t), [-mpmath.inf, mpmath.inf])


def _worker(method: str, expr, z, budget: float, out) -> None:
    """Compute c_0..c_ORDER by ``method``, reporting each coefficient as it is done.

    Messages: ("start",), ("coefficient", k, seconds, str(value)), ("budget", seconds),
    ("done", seconds), ("error", seconds, message).
    """

    def body(start: float):
        for k, value in _METHODS[method](expr, z):
            elapsed = time.perf_counter() - start
            out.put(("coefficient", k, elapsed, str(value)))
            if elapsed > budget and k < ORDER:
                return ("budget", elapsed)
        return ("done", time.perf_counter() - start)

    worker_main(out, lambda: _warm_up_baseline(method), body)


def _deviation(method: str, text: str, engine_value) -> float | None:
    if engine_value is None:
        return None
    with mpmath.workdps(BASELINE_DPS + 10):
        if method == QUAD:
            value = mpmath.mpmathify(text)
        else:
            value = mpmath.mpmathify(str(sympy.N(sympy.sympify(text), BASELINE_DPS + 10)))
        return float(abs(value - engine_value))


def run_baseline(method: str, case: Case, budget: float) -> BaselineRun:
    """Run one baseline on one target in a worker process, stopped after ``budget`` seconds."""
    run = BaselineRun(method)
    z = case.target.variables[0]
    deviations = []

    def handle(message) -> bool:
        kind = message[0]
        if kind == "coefficient":
            _, k, run.seconds, text = message
            run.orders_done = k + 1
            engine = case.coefficients[k] if k < len(case.coefficients) else None
            deviations.append(_deviation(method, text, engine))
        elif kind == "budget":
            run.seconds, run.lower_bound = message[1], True
            return True
        elif kind == "done":
            run.seconds = message[1]
            return True
        return False

    overrun = supervise_worker(_worker, (method, case.target.expression, z, budget), budget,
                               run, handle)
    if overrun is not None:  # one coefficient ran past the budget: a lower bound
        run.seconds, run.lower_bound = overrun, True
    known = [d for d in deviations if d is not None]
    run.max_deviation = max(known) if known else None
    return run


def exact_baseline(case: Case, budget: float) -> BaselineRun:
    """sympy.stats.E per coefficient; sympy.integrate per coefficient where that fails."""
    first = run_baseline(STATS, case, budget)
    if first.complete:
        return first
    why = first.error or f"over the {budget:g} s budget after {first.orders_done} coefficients"
    second = run_baseline(INTEGRATE, case, budget)
    second.note = f"{STATS}: {why}"
    if second.complete or first.error:
        return second
    # Both ran out of time: a user would take the faster, so the smaller lower bound holds.
    return second if (second.seconds or 0) <= (first.seconds or 0) else first


# --------------------------------------------------------------------------- formatting


def _format_baseline(run: BaselineRun | None) -> str:
    return format_baseline(
        run, lambda r: f"{format_seconds(r.seconds, True)} ({r.orders_done}/{ORDER + 1})")


def _agreement(run: BaselineRun | None) -> str:
    """Whether an exact baseline's coefficients equal the engine's (to 10^-25)."""
    if run is None or run.max_deviation is None:
        return "-"
    return "yes" if run.max_deviation <= EXACT_AGREEMENT else "NO"


# --------------------------------------------------------------------------- the bench


def _cases(quick: bool) -> tuple[list[Case], list[str]]:
    cases, skipped = [], []
    wanted = set(QUICK_CATALOG) if quick else None
    for entry in entries():
        target = entry.target
        if not target.is_single_index:
            skipped.append(
                f"skipped {entry.name} ({target.expression}): multi-index, r = "
                f"{target.index_dimension}; timed by `python -m bench leap`"
            )
            continue
        if wanted is not None and entry.name not in wanted:
            continue
        cases.append(Case(entry.name, str(target.expression), True,
                          entry.name in EXACT_CATALOG, target))
    for text in QUICK_EXACT_EXTRA if quick else EXACT_EXTRA:
        target = derive.parse_target(text)
        cases.append(Case(text, str(target.expression), False, True, target))
    return cases, skipped


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    """Measure everything; returns the JSON-ready result (with the Case objects under '_cases')."""
    for text in WARMUP_TARGETS:
        derive.analyze(text, max_order=ORDER)
    cases, skipped = _cases(quick)
    for case in time_engines(cases, _time_engine, repeat, progress):
        if case.exact_set:
            print_progress(progress, f"sympy     {case.name}")
            case.exact_baseline = exact_baseline(case, budget)
        print_progress(progress, f"mpmath    {case.name}")
        case.quad_baseline = run_baseline(QUAD, case, budget)

    catalog_times = [(c.analyze_seconds, False) for c in cases
                     if c.in_catalog and c.analyze_seconds is not None]
    exact_ratios = [r for c in cases if c.exact_set
                    for r in [ratio(c.exact_baseline, c.hermite_seconds)] if r[0] is not None]
    quad_ratios = [r for c in cases
                   for r in [ratio(c.quad_baseline, c.hermite_seconds)] if r[0] is not None]
    median_time, _ = median(catalog_times)
    median_exact, exact_bound = median(exact_ratios)
    median_quad, quad_bound = median(quad_ratios)
    summary = {
        "median_analyze_seconds": median_time,
        "analyze_targets": len(catalog_times),
        "analyze_goal_seconds": ANALYSIS_GOAL_SECONDS,
        "analyze_goal_met": None if median_time is None else median_time < ANALYSIS_GOAL_SECONDS,
        "median_exact_speedup": median_exact,
        "median_exact_speedup_is_lower_bound": exact_bound,
        "exact_targets": len(exact_ratios),
        "speedup_goal": SPEEDUP_GOAL,
        # A median of lower bounds below the goal decides nothing (None): raise --budget.
        "speedup_goal_met": (
            None if median_exact is None
            else True if median_exact >= SPEEDUP_GOAL
            else None if exact_bound
            else False
        ),
        "median_quad_speedup": median_quad,
        "median_quad_speedup_is_lower_bound": quad_bound,
    }
    settings = {"order": ORDER, "repeat": repeat, "quick": quick, "budget_seconds": budget,
                "baseline_dps": BASELINE_DPS, "warmup_targets": list(WARMUP_TARGETS)}
    return bench_result("analyze", settings, cases, summary, skipped=skipped)


def render(result: dict) -> str:
    """The printed report: an engine table, a baseline table, the goals and notes."""
    cases: list[Case] = result["_cases"]
    settings, summary = result["settings"], result["summary"]
    out = [
        (f"derive.analyze benchmark (order {ORDER}; engine best of {settings['repeat']}, "
         f"sympy cache cleared before each call; baselines once, budget "
         f"{settings['budget_seconds']:g} s per target{'; --quick' if settings['quick'] else ''})"),
        "",
        "Engine, in process",
    ]
    rows = []
    for c in cases:
        name = c.name if c.in_catalog else f"{c.name} *"
        if c.engine_error:
            rows.append([name, short(c.expression), "error", "", "", "", ""])
            continue
        rows.append([
            name, short(c.expression), c.engine_method or "-",
            "-" if c.information_exponent is None else str(c.information_exponent),
            "-" if c.generative_exponent is None else str(c.generative_exponent),
            format_seconds(c.hermite_seconds), format_seconds(c.analyze_seconds),
        ])
    out.append(table(["target", "expression", "Hermite path", "IE", "GE",
                      "hermite_expansion", "analyze"], rows, right={3, 4, 5, 6}))
    out.append("* not in the catalog; not counted in the catalog median")
    out += ["", ("Baselines: c_0..c_12 one coefficient at a time (ratios are baseline time / "
                 "engine hermite_expansion time)")]
    rows = []
    for c in cases:
        if c.engine_error:
            continue
        exact, quad = c.exact_baseline, c.quad_baseline
        rows.append([
            c.name if c.in_catalog else f"{c.name} *",
            format_seconds(c.hermite_seconds),
            "-" if exact is None else exact.method,
            _format_baseline(exact),
            format_ratio(*ratio(exact, c.hermite_seconds)),
            _agreement(exact),
            _format_baseline(quad),
            format_ratio(*ratio(quad, c.hermite_seconds)),
            "-" if quad is None or quad.max_deviation is None else f"{quad.max_deviation:.1e}",
        ])
    out.append(table(["target", "engine", "exact baseline", "time", "ratio", "= engine",
                      f"mpmath.quad dps={BASELINE_DPS}", "ratio", "quad max|dc_k|"],
                     rows, right={1, 3, 4, 6, 7, 8}))

    out.append("")
    t, n = summary["median_analyze_seconds"], summary["analyze_targets"]
    if t is not None:
        verdict = "meets" if summary["analyze_goal_met"] else "MISSES"
        out.append(f"median derive.analyze time over {n} single-index catalog targets: "
                   f"{format_seconds(t)} -- {verdict} the < {ANALYSIS_GOAL_SECONDS:g} s goal")
    s = summary["median_exact_speedup"]
    if s is not None:
        verdict = {True: "meets", False: "MISSES", None: "cannot tell whether it meets"}[
            summary["speedup_goal_met"]]
        bound = " (a lower bound)" if summary["median_exact_speedup_is_lower_bound"] else ""
        out.append(f"median speed-up of derive.hermite_expansion over the exact sympy baseline "
                   f"({summary['exact_targets']} polynomial / relu-type targets): "
                   f"{format_ratio(s, False)}{bound} -- {verdict} the >= {SPEEDUP_GOAL:g}x goal")
    q = summary["median_quad_speedup"]
    if q is not None:
        out.append(f"median speed-up over plain mpmath.quad (all targets, for information): "
                   f"{format_ratio(q, summary['median_quad_speedup_is_lower_bound'])}")

    notes = [
        ("mpmath.quad integrates [-inf, inf] without splitting at the link's kinks (mpmath "
         "only splits at 0), so it is also less accurate; max|dc_k| is its largest deviation "
         "from the engine over k = 0..12."),
        ("'>' marks a baseline stopped at the budget (coefficients done / 13 in brackets): "
         "its time and ratio are lower bounds."),
    ]
    for c in cases:
        if c.engine_error:
            notes.append(f"{c.name}: engine failed: {c.engine_error}")
        for run in (c.exact_baseline, c.quad_baseline):
            if run is None:
                continue
            if run.note:
                notes.append(f"{c.name}: {run.method} used because {run.note}")
            if run.error:
                notes.append(f"{c.name}: {run.method} failed: {run.error}")
            if (run.method != QUAD and run.max_deviation is not None
                    and run.max_deviation > EXACT_AGREEMENT):
                notes.append(f"{c.name}: {run.method} and the engine DISAGREE "
                             f"(max |dc_k| = {run.max_deviation:.1e})")
    notes += result["skipped"]
    out += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="engine calls per target, best one counts",
        budget_help="per-target time budget of each baseline",
        quick_budget=QUICK_BUDGET,
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET)
