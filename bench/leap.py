"""Time derive.analyze on polynomial multi-index targets, and the first information-leap step against a naive baseline.

What is measured, per polynomial multi-index target (r <= 6 variables, degree <= 6; one of
them is z1*z2*z3 + z1 rotated by a rational orthogonal matrix, z -> Q^T z):

* engine, in process, each the best of ``--repeat`` calls timed with
  :func:`time.perf_counter`:

  - :func:`derive.analyze` on the target's text (parsing, exact Hermite coefficients,
    information / generative / giant-step filtrations, one-step subspaces, coordinate leap),
    against the goal of 2 s per target;
  - the first information-leap step alone, three ways: ``first step`` is the first
    iteration of the information filtration written out with
    :class:`derive.tensors.ConditionedPolynomial` (the like-for-like equivalent of the
    baseline), :func:`derive.leap.one_giant_step` (span of range(C_k), k <= l, for
    l = 1, 2, ... until the whole index space is found) and
    :func:`derive.leap.information_filtration` (every step, not only the first). The last
    two do more than the baseline, so ratios against them understate the engine's lead;

* the naive baseline a researcher would write, in a worker process: for k = 1, 2, ... the
  full Hermite tensor C_k = E[grad^k g(z)], entry by entry over all r^k index tuples
  (``itertools.product``, no symmetry), each entry ``sympy.diff`` of the expression followed
  by a Gaussian expectation, C_k unfolded to an r x r^(k-1) ``sympy.Matrix`` and its rank,
  stopping at the first k with non-zero rank. Two expectations, both measured:

  - ``sympy.stats.E`` of the entry with z_i replaced by independent ``Normal('Zi', 0, 1)``
    (what a user of sympy.stats writes); fine on small targets, hopeless on
    (z1 + ... + z6)**6, where it runs into the budget;
  - moment replacement: ``sympy.expand`` the entry and replace each monomial
    prod z_i^e_i by prod (e_i - 1)!! (0 for odd e_i).

Checks (exact, not timings): the naive first non-zero order k and rank equal the order and
dimension of the engine's first information step (from ``derive.analyze``), of
:func:`derive.leap.one_giant_step`'s first non-empty subspace and of the written-out first
step; and every entry of the naive C_k equals alpha! c_alpha from the engine's
``multi_index.coefficients`` (alpha the multiplicities of the index tuple), with no engine
coefficient of order 1..k-1.

Fairness:

* imports and first-call set-up are excluded by warm-up calls on unrelated targets, for the
  engine and for each baseline alike;
* sympy's global cache is cleared before every timed call (engine and baselines), and so are
  the engine's own ``lru_cache`` tables in :mod:`derive.tensors`, so that repeats 2..N
  do not reuse the sub-results of repeat 1;
* every method gets the same input, the target's expression as parsed (not pre-expanded);
* baselines run in a worker process, timed inside the worker, best of ``--repeat`` runs as
  long as the runs fit into the per-target budget (``--budget``, 60 s by default); a
  baseline stopped at the budget is reported as a lower bound, marked ``>``.

Goal printed at the end: every target's ``derive.analyze`` time is under 2 s (the maximum
over targets is shown). Nothing here asserts a timing; the numbers are printed (and written
as JSON with ``--json``) for a person to read.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from dataclasses import asdict, dataclass, field

import sympy
from sympy.core.cache import clear_cache

import derive
import derive.tensors
from derive.leap import information_filtration, one_giant_step
from derive.target import Target, index_variables, parse_target
from derive.tensors import ConditionedPolynomial

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

#: Goal per target stated in the project plan.
ANALYSIS_GOAL_SECONDS = 2.0
#: Highest order tried by the naive baseline and the written-out engine step (the engine's
#: default filtration order; every target here has degree <= 6, so C_k != 0 for some k <= 6).
MAX_ORDER = 8
#: The rotated target: ROTATED_SOURCE with z -> Q^T z, Q = ROTATION / 3 (orthogonal).
ROTATION = ((2, -2, 1), (1, 2, 2), (2, 1, -2))
ROTATION_DENOMINATOR = 3
ROTATED_SOURCE = "z1*z2*z3 + z1"
ROTATED_NAME = "rotated"
#: (name, text); the rotated target's text is built with sympy (see rotated_text).
TARGETS = (
    ("staircase", "z1 + z1*z2 + z1*z2*z3"),
    ("parity3", "z1*z2*z3"),
    ("parity2", "z1*z2"),
    ("z1+z2z3", "z1 + z2*z3"),
    ("parity6+z1^6", "z1*z2*z3*z4*z5*z6 + z1**6"),
    ("mixed6", "z1*z2 + z3*z4 + z5*z6*z1 + z2**3*z4**3"),
    ("ridge6", "(z1+z2+z3+z4+z5+z6)**6"),
    ("hermite6", "He3(z1)*He2(z2) + z3*z4*z5 + z6"),
    (ROTATED_NAME, None),
)
#: --quick: a subset with the slowest engine target (ridge6), the hardest baseline ones
#: and the rotated one; one repeat, a shorter budget.
QUICK_TARGETS = ("staircase", "parity3", "parity6+z1^6", "ridge6", "hermite6", ROTATED_NAME)
QUICK_BUDGET = 10.0
#: Unrelated targets that load every engine path (rings, Isserlis with a non-identity
#: covariance, the generative test functions) before anything is timed.
WARMUP_TARGETS = ("z1*z2 + z2**3", "z1 + z1*z2 + z2*z3**2", "(z1 + 2*z2)*(z1 - z2)*z3")
#: Unrelated target of the baselines' warm-up (loads sympy.stats, Poly, Matrix.rank).
BASELINE_WARMUP = "z1*z2**2 + z2*z3"

STATS = "sympy.stats.E"
MOMENTS = "moments"
BASELINES = (MOMENTS, STATS)


def rotated_text() -> str:
    """ROTATED_SOURCE with z -> Q^T z, expanded, as target text."""
    z = index_variables(3)
    q = sympy.Matrix(ROTATION) / ROTATION_DENOMINATOR
    if q.T * q != sympy.eye(3):  # pragma: no cover - a typo in ROTATION, not a timing
        raise ValueError("ROTATION / ROTATION_DENOMINATOR is not orthogonal")
    rotated = q.T * sympy.Matrix(z)
    source = parse_target(ROTATED_SOURCE).expression
    return str(sympy.expand(source.subs(dict(zip(z, rotated)), simultaneous=True)))


# --------------------------------------------------------------------------- data


@dataclass
class NaiveRun:
    """The naive first step on one target: best time over runs, or a lower bound."""

    method: str
    seconds: float | None = None
    lower_bound: bool = False  # stopped at the budget: the true time is larger
    runs: int = 0
    orders_done: int = 0  # tensors C_1..C_orders_done computed (in the first run)
    order: int | None = None  # first k with rank C_k > 0
    rank: int | None = None
    entries: dict = field(default_factory=dict, repr=False)  # index tuple -> str, non-zero
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.error is None and not self.lower_bound and self.order is not None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["entries"] = {",".join(map(str, idx)): value for idx, value in self.entries.items()}
        return out


@dataclass
class Case:
    """A target and everything measured on it."""

    name: str
    text: str
    target: Target = field(repr=False)
    degree: int | None = None
    analyze_seconds: float | None = None
    first_step_seconds: float | None = None
    one_step_seconds: float | None = None
    filtration_seconds: float | None = None
    information_leap: int | None = None
    information_steps: tuple = ()  # (order, dimension added) per step
    generative_leap: int | None = None
    generative_undetermined: str | None = None
    engine_first: tuple | None = None  # (order, dimension) of analyze's first information step
    one_step_first: tuple | None = None  # first (l, dimension) with dimension > 0
    written_first: tuple | None = None  # the written-out first step
    engine_error: str | None = None
    coefficients: dict = field(default_factory=dict, repr=False)
    baselines: dict = field(default_factory=dict)  # method -> NaiveRun

    @property
    def r(self) -> int:
        return self.target.index_dimension

    def meets_goal(self) -> bool | None:
        if self.analyze_seconds is None:
            return None
        return self.analyze_seconds < ANALYSIS_GOAL_SECONDS

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "expression": self.text,
            "r": self.r,
            "degree": self.degree,
            "engine": {
                "analyze_seconds": self.analyze_seconds,
                "analyze_goal_met": self.meets_goal(),
                "first_step_seconds": self.first_step_seconds,
                "one_giant_step_seconds": self.one_step_seconds,
                "information_filtration_seconds": self.filtration_seconds,
                "information_leap": self.information_leap,
                "information_steps": [list(s) for s in self.information_steps],
                "generative_leap": self.generative_leap,
                "generative_undetermined": self.generative_undetermined,
                "first_information_step": _pair(self.engine_first),
                "one_giant_step_first": _pair(self.one_step_first),
                "written_out_first_step": _pair(self.written_first),
                "error": self.engine_error,
            },
            "baselines": {m: run.to_dict() for m, run in self.baselines.items()},
            "ratios": {
                f"{m}/{e}": ratio(self.baselines.get(m), getattr(self, attr))[0]
                for m in BASELINES for e, attr in ENGINE_STEPS
            },
            "agreement": {m: _agreement(self, self.baselines.get(m)) for m in BASELINES},
        }


def _pair(value):
    return None if value is None else list(value)


#: engine timings of the first step: (label, Case attribute)
ENGINE_STEPS = (
    ("first step", "first_step_seconds"),
    ("one_giant_step", "one_step_seconds"),
    ("information_filtration", "filtration_seconds"),
)


# --------------------------------------------------------------------------- engine


def engine_first_step(expr, variables, max_order: int = MAX_ORDER) -> tuple[int | None, int]:
    """The first step of :func:`derive.leap.information_filtration`, alone.

    Nothing learned yet, so the conditional tensors are the plain Hermite tensors C_k; the
    step is the first k with C_k != 0 and the span of the unfolded C_k's columns.
    """
    cp = ConditionedPolynomial(expr, variables, None)
    for k in range(1, max_order + 1):
        tensor = cp.tensor(k)
        if tensor:
            return k, len(cp.directions(cp.columns(tensor, k)))
    return None, 0


def _clear_caches() -> None:
    """sympy's cache and the engine's own lru_cache tables."""
    clear_cache()
    for name in ("multi_indices", "_wick"):
        cached = getattr(derive.tensors, name, None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _time_engine(case: Case, repeat: int) -> None:
    expr, variables = case.target.expression, case.target.variables

    def timed(call):
        return best_of(call, repeat, clear=_clear_caches)

    try:
        case.analyze_seconds, analysis = timed(lambda: derive.analyze(case.text))
        case.first_step_seconds, written = timed(lambda: engine_first_step(expr, variables))
        case.one_step_seconds, one_step = timed(lambda: one_giant_step(expr, variables))
        case.filtration_seconds, _ = timed(lambda: information_filtration(expr, variables))
    except Exception as exc:  # noqa: BLE001 - reported, the bench goes on
        case.engine_error = describe(exc)
        return
    m = analysis.multi_index
    case.degree = sympy.Poly(sympy.expand(expr), *variables).total_degree()
    case.information_leap = m.information.leap
    case.information_steps = tuple((s.order, s.dimension_added) for s in m.information.steps)
    case.generative_leap = m.generative.leap
    case.generative_undetermined = m.generative.undetermined
    if m.information.steps:
        case.engine_first = (m.information.steps[0].order, m.information.steps[0].dimension_added)
    case.one_step_first = next(
        ((s.batch_exponent, s.dimension_learned) for s in one_step if s.dimension_learned), None)
    case.written_first = written if written[0] is not None else None
    case.coefficients = dict(m.coefficients)


# --------------------------------------------------------------------------- baseline
# Everything below _worker runs in a child process, so that a budget can stop it.


def _moments_expectation(variables):
    """E[p(z)], z ~ N(0, I): expand p and replace each monomial by its moment."""

    def expectation(p):
        total = sympy.Integer(0)
        for exponents, coeff in sympy.Poly(sympy.expand(p), *variables).terms():
            moment = 1
            for e in exponents:
                moment *= 0 if e % 2 else sympy.factorial2(e - 1)
            total += coeff * moment
        return total

    return expectation


def _stats_expectation(variables):
    """E[p(Z)] with sympy.stats and independent standard Normal random symbols."""
    from sympy.stats import E, Normal

    normals = {z: Normal(f"Z{i}", 0, 1) for i, z in enumerate(variables, start=1)}

    def expectation(p):
        value = E(p.subs(normals, simultaneous=True))
        if not isinstance(value, sympy.Basic) or not value.is_number:
            raise RuntimeError(f"sympy.stats.E left {value} unevaluated")
        return value

    return expectation


_EXPECTATIONS = {MOMENTS: _moments_expectation, STATS: _stats_expectation}


def naive_first_step(expr, variables, expectation, max_order: int = MAX_ORDER):
    """For k = 1, 2, ...: the full C_k entry by entry, unfolded, and its rank.

    Yields (k, rank, entries) per order, entries being the list over
    ``itertools.product(range(r), repeat=k)``; stops after the first k with rank > 0.
    """
    r = len(variables)
    for k in range(1, max_order + 1):
        entries = [
            expectation(sympy.diff(expr, *(variables[i] for i in index)))
            for index in itertools.product(range(r), repeat=k)
        ]
        rank = sympy.Matrix(r, r ** (k - 1), entries).rank()
        yield k, rank, entries
        if rank:
            return


def _run_once(method: str, expr, variables, report=None):
    expectation = _EXPECTATIONS[method](variables)
    result = (None, None, [])
    start = time.perf_counter()
    for k, rank, entries in naive_first_step(expr, variables, expectation):
        result = (k, rank, entries) if rank else (None, None, [])
        if report is not None:
            report(("order", k, time.perf_counter() - start, rank))
    return result


def _worker(method: str, expr, variables, budget: float, repeat: int, out) -> None:
    """Best of up to ``repeat`` runs of the naive first step, while the runs fit the budget.

    Messages: ("start",), ("order", k, seconds, rank) during the first run,
    ("result", k, rank, entries) after it, ("run", seconds) after every run, ("done",),
    ("error", seconds, message).
    """

    def warm_up():
        warm = parse_target(BASELINE_WARMUP)
        _run_once(method, warm.expression, warm.variables)

    def body(start: float):
        runs = 0
        while runs < repeat:
            clear_cache()
            begin = time.perf_counter()
            k, rank, entries = _run_once(method, expr, variables, out.put if runs == 0 else None)
            seconds = time.perf_counter() - begin
            runs += 1
            if runs == 1:
                r = len(variables)
                nonzero = {
                    index: str(value)
                    for index, value in zip(itertools.product(range(r), repeat=k or 0), entries)
                    if value != 0
                }
                out.put(("result", k, rank, nonzero))
            out.put(("run", seconds))
            if time.perf_counter() - start + seconds > budget:
                break  # another run would not fit the budget
        return ("done",)

    worker_main(out, warm_up, body)


def run_baseline(method: str, case: Case, budget: float, repeat: int) -> NaiveRun:
    """Run the naive first step on one target in a worker, stopped after ``budget`` seconds."""
    run = NaiveRun(method)

    def handle(message) -> bool:
        kind = message[0]
        if kind == "order":
            run.orders_done = message[1]
        elif kind == "result":
            _, run.order, run.rank, run.entries = message
        elif kind == "run":  # best of the runs so far
            run.seconds = message[1] if run.seconds is None else min(run.seconds, message[1])
            run.runs += 1
        return kind == "done"

    overrun = supervise_worker(
        _worker, (method, case.target.expression, case.target.variables, budget, repeat),
        budget, run, handle)
    if overrun is not None and run.runs == 0:  # the first run ran past the budget
        run.seconds, run.lower_bound = overrun, True
    # else: a repeat ran past the budget; the best complete run counts
    return run


# --------------------------------------------------------------------------- checks


def _agreement(case: Case, run: NaiveRun | None) -> str | None:
    """'yes', or what differs between the naive first step and the engine; None if unknown."""
    if run is None or not run.complete or case.engine_error:
        return None
    naive = (run.order, run.rank)
    problems = []
    for label, engine in (("analyze", case.engine_first), ("one_giant_step", case.one_step_first),
                          ("first step", case.written_first)):
        if engine != naive:
            problems.append(f"{label} gives (k, dim) = {engine}, naive {naive}")
    # entries of C_k against alpha! c_alpha
    k = run.order
    alphas = set()
    for index, text in run.entries.items():
        alpha = tuple(index.count(i) for i in range(case.r))
        alphas.add(alpha)
        expected = case.coefficients.get(alpha, 0) * math.prod(math.factorial(a) for a in alpha)
        if sympy.sympify(text) != expected:
            problems.append(f"C_{k}{list(index)} = {text}, engine alpha! c_alpha = {expected}")
            break
    engine_alphas = {a for a in case.coefficients if sum(a) == k}
    if engine_alphas != alphas:
        problems.append(f"non-zero C_{k} entries at {sorted(alphas)}, engine c_alpha != 0 at "
                        f"{sorted(engine_alphas)}")
    lower = sorted(a for a in case.coefficients if 0 < sum(a) < k)
    if lower:
        problems.append(f"C_1..C_{k - 1} vanish, but the engine has c_alpha != 0 at {lower}")
    return "yes" if not problems else "; ".join(problems)


# --------------------------------------------------------------------------- formatting


def _format_run(run: NaiveRun | None) -> str:
    return format_baseline(
        run, lambda r: f">budget ({format_seconds(r.seconds)}, k={r.orders_done})")


def _format_pair(value) -> str:
    return "-" if value is None else f"({value[0]}, {value[1]})"


def _format_steps(steps) -> str:
    return " ".join(f"{k}:{d}" for k, d in steps) or "-"


# --------------------------------------------------------------------------- the bench


def _cases(quick: bool) -> list[Case]:
    cases = []
    for name, text in TARGETS:
        if quick and name not in QUICK_TARGETS:
            continue
        text = text if text is not None else rotated_text()
        cases.append(Case(name, text, parse_target(text)))
    return cases


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    """Measure everything; returns the JSON-ready result (with the Case objects under '_cases')."""
    for text in WARMUP_TARGETS:
        warm = parse_target(text)
        derive.analyze(text)
        engine_first_step(warm.expression, warm.variables)
        one_giant_step(warm.expression, warm.variables)
        information_filtration(warm.expression, warm.variables)
    cases = _cases(quick)
    for case in time_engines(cases, _time_engine, repeat, progress):
        for method in BASELINES:
            print_progress(progress, f"{method:<9} {case.name}")
            case.baselines[method] = run_baseline(method, case, budget, repeat)

    timed = [c for c in cases if c.analyze_seconds is not None]
    slowest = max(timed, key=lambda c: c.analyze_seconds, default=None)
    ratios = {}
    for method in BASELINES:
        for label, attr in ENGINE_STEPS:
            pairs = [r for c in cases for r in [ratio(c.baselines.get(method), getattr(c, attr))]
                     if r[0] is not None]
            value, bound = median(pairs)
            ratios[f"{method}/{label}"] = {"median": value, "lower_bound": bound,
                                           "targets": len(pairs)}
    agreements = [_agreement(c, c.baselines.get(m)) for c in cases for m in BASELINES]
    summary = {
        "max_analyze_seconds": None if slowest is None else slowest.analyze_seconds,
        "slowest_target": None if slowest is None else slowest.name,
        "analyze_goal_seconds": ANALYSIS_GOAL_SECONDS,
        "targets_meeting_goal": sum(1 for c in timed if c.meets_goal()),
        "targets_timed": len(timed),
        "analyze_goal_met": None if slowest is None
        else slowest.analyze_seconds < ANALYSIS_GOAL_SECONDS,
        "median_ratios": ratios,
        "agreement_checked": sum(1 for a in agreements if a is not None),
        "agreement_failed": sum(1 for a in agreements if a not in (None, "yes")),
    }
    settings = {"repeat": repeat, "quick": quick, "budget_seconds": budget,
                "max_order": MAX_ORDER, "warmup_targets": list(WARMUP_TARGETS),
                "rotation": [list(row) for row in ROTATION],
                "rotation_denominator": ROTATION_DENOMINATOR,
                "rotated_source": ROTATED_SOURCE}
    return bench_result("leap", settings, cases, summary)


def render(result: dict) -> str:
    """The printed report: engine table, first-step timings, ratios and checks, goal, notes."""
    cases: list[Case] = result["_cases"]
    settings, summary = result["settings"], result["summary"]
    out = [
        (f"derive.analyze on polynomial multi-index targets (engine best of {settings['repeat']}, "
         f"caches cleared before each call; baselines best of up to {settings['repeat']} within "
         f"a budget of {settings['budget_seconds']:g} s per target and method"
         f"{'; --quick' if settings['quick'] else ''})"),
        "",
        ("Engine: derive.analyze(text), in process (IL/GL: information/generative leap; "
         "steps k:dim)"),
    ]
    rows = []
    for c in cases:
        if c.engine_error:
            rows.append([c.name, short(c.text, 40), str(c.r), "-", "error", "", "", "", ""])
            continue
        rows.append([
            c.name, short(c.text, 40), str(c.r), str(c.degree),
            "?" if c.information_leap is None else str(c.information_leap),
            _format_steps(c.information_steps),
            "?" if c.generative_leap is None else str(c.generative_leap),
            format_seconds(c.analyze_seconds),
            "yes" if c.meets_goal() else "NO",
        ])
    out.append(table(["target", "expression", "r", "deg", "IL", "information steps", "GL",
                      "analyze", f"< {ANALYSIS_GOAL_SECONDS:g} s"], rows, right={2, 3, 4, 6, 7}))

    out += ["", ("First information step: time (engine in process; naive C_k entry by entry in a "
                "worker)")]
    rows = []
    for c in cases:
        if c.engine_error:
            continue
        rows.append([
            c.name, format_seconds(c.first_step_seconds), format_seconds(c.one_step_seconds),
            format_seconds(c.filtration_seconds),
            _format_run(c.baselines.get(MOMENTS)), _format_run(c.baselines.get(STATS)),
        ])
    out.append(table(["target", "engine first step", "one_giant_step", "information_filtration",
                      "naive, moments", "naive, sympy.stats.E"], rows, right={1, 2, 3, 4, 5}))

    out += ["", ("Ratios naive time / engine time (first step | one_giant_step | "
                "information_filtration) and agreement of (k, rank)")]
    rows = []
    for c in cases:
        if c.engine_error:
            continue
        cells = [c.name]
        for method in BASELINES:
            run = c.baselines.get(method)
            cells.append(" | ".join(format_ratio(*ratio(run, getattr(c, attr)))
                                    for _, attr in ENGINE_STEPS))
        moments = c.baselines.get(MOMENTS)
        naive = None if moments is None or not moments.complete else (moments.order, moments.rank)
        cells += [_format_pair(naive), _format_pair(c.engine_first)]
        for method in BASELINES:
            verdict = _agreement(c, c.baselines.get(method))
            cells.append("-" if verdict is None else "yes" if verdict == "yes" else "NO")
        rows.append(cells)
    out.append(table(["target", "moments", "sympy.stats.E", "naive (k, rank)",
                      "engine (k, dim)", "= (moments)", "= (stats)"], rows, right=set()))

    out.append("")
    t = summary["max_analyze_seconds"]
    if t is not None:
        verdict = "meets" if summary["analyze_goal_met"] else "MISSES"
        out.append(
            f"max derive.analyze time over {summary['targets_timed']} targets: "
            f"{format_seconds(t)} ({summary['slowest_target']}) -- {verdict} the "
            f"< {ANALYSIS_GOAL_SECONDS:g} s goal; {summary['targets_meeting_goal']}/"
            f"{summary['targets_timed']} targets under it")
    for method in BASELINES:
        parts = []
        for label, _ in ENGINE_STEPS:
            entry = summary["median_ratios"][f"{method}/{label}"]
            if entry["median"] is not None:
                mark = " (lower bound)" if entry["lower_bound"] else ""
                parts.append(f"{label} {format_ratio(entry['median'], False)}{mark}")
        if parts:
            out.append(f"median ratio naive ({method}) / engine: " + ", ".join(parts))
    out.append(f"agreement checks: {summary['agreement_checked']} made, "
               f"{summary['agreement_failed']} failed")

    notes = [
        ("engine first step = the first iteration of derive.leap.information_filtration written "
         "out with derive.tensors.ConditionedPolynomial; one_giant_step and "
         "information_filtration compute more than the first step, so ratios against them "
         "understate the engine's lead."),
        ("naive, moments: each entry sympy.diff then sympy.expand and monomials replaced by "
         "Gaussian moments; naive, sympy.stats.E: each entry sympy.diff then sympy.stats.E with "
         "independent Normal('Zi', 0, 1). Both build all r^k entries of C_k (no symmetry) and "
         "take the rank of the r x r^(k-1) unfolding."),
        ("'>budget (t, k=j)': stopped at the budget after C_1..C_j; its time and ratios are "
         "lower bounds (marked '>')."),
        ("= : naive (k, rank) equals the (order, dimension) of derive.analyze's first "
         "information step, of one_giant_step's first non-empty subspace and of the written-out "
         "first step, and each naive C_k entry equals alpha! c_alpha from the engine's "
         "multi_index.coefficients."),
    ]
    for c in cases:
        if c.name == ROTATED_NAME:
            q = ", ".join(str(list(row)) for row in ROTATION)
            notes.append(f"{c.name}: {ROTATED_SOURCE} with z -> Q^T z, Q = [{q}] / "
                         f"{ROTATION_DENOMINATOR}")
        if c.engine_error:
            notes.append(f"{c.name}: engine failed: {c.engine_error}")
        elif c.generative_undetermined:
            notes.append(f"{c.name}: generative leap undetermined: {c.generative_undetermined}")
        for method in BASELINES:
            run = c.baselines.get(method)
            if run is None:
                continue
            if run.error:
                notes.append(f"{c.name}: naive {method} failed: {run.error}")
            verdict = _agreement(c, run)
            if verdict not in (None, "yes"):
                notes.append(f"{c.name}: naive {method} and the engine DISAGREE: {verdict}")
    out += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(out)


# --------------------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="calls per target, best one counts",
        budget_help="per-target time budget of each naive baseline",
        quick_budget=QUICK_BUDGET,
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET)
