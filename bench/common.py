"""What every bench shares: timing, the budgeted worker process, formatting and the command line.

A bench module (:mod:`bench.analyze`, :mod:`bench.leap`) keeps what it measures and how it
reports it; the pieces here are the ones that must behave the same in every bench, so that
their numbers are taken and printed alike:

* :func:`best_of` times a call the same way everywhere (caches cleared first, best of N);
* :func:`supervise_worker` runs a baseline in a child process and stops it at its budget,
  :func:`worker_main` is that process's side of it;
* :func:`bench_result` is the shape of every bench's result (what ``--json`` writes);
* :func:`format_seconds`, :func:`format_ratio`, :func:`short` and :func:`table` lay out the
  printed tables;
* :func:`add_standard_arguments` and :func:`standard_main` are the options ``--repeat``,
  ``--quick``, ``--budget``, ``--json``, ``--quiet`` and what is done with them.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import queue as queue_module
import statistics
import sys
import time
from collections.abc import Callable

import mpmath
import sympy
from sympy.core.cache import clear_cache

import derive

#: Engine calls per target without --repeat (1 with --quick).
DEFAULT_REPEAT = 3
#: Per-target budget of each baseline without --budget, in seconds.
DEFAULT_BUDGET = 60.0
#: Time a worker may take to start and warm up before its budget starts to run.
WORKER_STARTUP_SECONDS = 120.0


# --------------------------------------------------------------------------- timing


def best_of(call, repeat: int, clear: Callable[[], None] = clear_cache) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last call's result.

    ``clear`` runs before every call, outside the timed part (by default sympy's global cache
    is cleared), so that repeats 2..N do not reuse the sub-results of repeat 1.
    """
    best, result = math.inf, None
    for _ in range(repeat):
        clear()
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_engines(cases: list, time_engine: Callable, repeat: int, progress: bool) -> list:
    """``time_engine(case, repeat)`` on every case, with a progress line each.

    Returns the cases whose engine did not fail (no ``engine_error``), those the baselines run on.
    """
    for case in cases:
        print_progress(progress, f"engine    {case.name}")
        time_engine(case, repeat)
    return [case for case in cases if not case.engine_error]


def describe(exc: BaseException) -> str:
    """An exception as the benches report it: ``TypeName: message``."""
    return f"{type(exc).__name__}: {exc}"


def ratio(run, engine_seconds: float | None) -> tuple[float | None, bool]:
    """baseline time / engine time, and whether it is a lower bound.

    ``run`` is a baseline record with ``seconds``, ``lower_bound`` and ``error`` (or None);
    no ratio where either time is missing or the baseline failed.
    """
    if run is None or run.seconds is None or not engine_seconds or run.error:
        return None, False
    return run.seconds / engine_seconds, run.lower_bound


def median(pairs: list[tuple[float, bool]]) -> tuple[float | None, bool]:
    """Median of values some of which are lower bounds; then the median is one too."""
    if not pairs:
        return None, False
    return statistics.median(v for v, _ in pairs), any(b for _, b in pairs)


def bench_result(bench: str, settings: dict, cases: list, summary: dict, **extra) -> dict:
    """The result of a bench's ``run``, as :func:`standard_main` writes it as JSON.

    Keys in order: bench, settings, environment, targets (each case's ``to_dict()``), the
    ``extra`` ones, summary; the case objects themselves under '_cases' (not written).
    """
    return {
        "bench": bench,
        "settings": settings,
        "environment": environment(),
        "targets": [c.to_dict() for c in cases],
        **extra,
        "summary": summary,
        "_cases": cases,
    }


def environment() -> dict:
    """Versions and machine, for the JSON result."""
    return {
        "derive": derive.__version__, "sympy": sympy.__version__,
        "mpmath": mpmath.__version__, "python": platform.python_version(),
        "platform": platform.platform(), "cpu_count": os.cpu_count(),
    }


def print_progress(enabled: bool, message: str) -> None:
    """A progress line on stderr, if enabled."""
    if enabled:
        print(f"  {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- worker process


def context():
    """The multiprocessing context of the baseline workers.

    fork shares the parent's imports (cheap start); spawn where fork does not exist.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def supervise_worker(target, args: tuple, budget: float, run, handle: Callable[[tuple], bool]):
    """Run ``target(*args, out)`` in a worker process and stop it after ``budget`` seconds.

    The worker (see :func:`worker_main`) puts tuples on the queue ``out``. Its first,
    ``("start",)``, says that its warm-up is over and starts the budget (until then it has
    :data:`WORKER_STARTUP_SECONDS`); ``("error", seconds, message)`` ends the run with
    ``run.seconds`` and ``run.error`` set. Every other message goes to ``handle``, which
    returns True when the run is over. A worker that does not start or dies sets
    ``run.error``. The worker is terminated in any case.

    Returns the time since the start message if the budget ran out before the run was over
    (the bench decides what that bounds), else None.
    """
    ctx = context()
    out = ctx.Queue()
    worker = ctx.Process(target=target, args=(*args, out), daemon=True)
    worker.start()
    deadline = time.monotonic() + WORKER_STARTUP_SECONDS
    started = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if started is None:
                    run.error = "worker did not start"
                    return None
                return time.monotonic() - started
            try:
                message = out.get(timeout=min(remaining, 1.0))
            except queue_module.Empty:
                if not worker.is_alive() and out.empty():
                    run.error = f"worker exited with code {worker.exitcode}"
                    return None
                continue
            kind = message[0]
            if kind == "start":
                started = time.monotonic()
                deadline = started + budget
            elif kind == "error":
                run.seconds, run.error = message[1], message[2]
                return None
            elif handle(message):
                return None
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join(5)
        if worker.is_alive():
            worker.kill()
            worker.join()
        out.close()


def worker_main(out, warm_up: Callable[[], None], body: Callable[[float], tuple | None]) -> None:
    """The worker side of :func:`supervise_worker`.

    Runs ``warm_up()`` (what the method loads lazily, on an unrelated input), clears sympy's
    cache, puts ``("start",)`` and calls ``body(start)``, ``start`` being
    :func:`time.perf_counter` at that moment. The message ``body`` returns, if any, is put
    last; an exception in ``body`` is put as ``("error", seconds since start, description)``.
    """
    warm_up()
    clear_cache()
    out.put(("start",))
    start = time.perf_counter()
    try:
        last = body(start)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the baseline's failure
        out.put(("error", time.perf_counter() - start, describe(exc)))
        return
    if last is not None:
        out.put(last)


# --------------------------------------------------------------------------- formatting


def replicas_to_accuracy(simulate: Callable[[int], float], accuracy: float, deadline: float,
                         minimum: int) -> dict:
    """Run ``simulate(seed)`` (one replica, returns the measured risk) until the standard
    error of the mean is ``accuracy`` times the mean (at least ``minimum`` replicas) or the
    ``deadline`` (time.perf_counter) passes; the replicas that accuracy needs follow from
    the sample standard deviation (stderr ~ std / sqrt(N))."""
    import time

    import numpy as np

    risks, spent, seed = [], 0.0, 0
    while True:
        start = time.perf_counter()
        risks.append(simulate(1000 + seed))
        spent += time.perf_counter() - start
        seed += 1
        if len(risks) >= minimum:
            mean = float(np.mean(risks))
            stderr = float(np.std(risks, ddof=1) / np.sqrt(len(risks)))
            if stderr <= accuracy * mean or time.perf_counter() > deadline:
                break
    std = float(np.std(risks, ddof=1))
    return {"mean": mean, "stderr": stderr, "replicas_run": len(risks),
            "replicas_needed": max(1.0, (std / (accuracy * mean)) ** 2),
            "seconds_per_replica": spent / len(risks)}


def format_seconds(seconds: float | None, lower_bound: bool = False) -> str:
    """A time in us, ms or s with 2-3 significant digits; '>' marks a lower bound, '-' none."""
    if seconds is None:
        return "-"
    mark = ">" if lower_bound else ""
    if seconds < 1e-3:
        return f"{mark}{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{mark}{seconds * 1e3:.1f} ms"
    return f"{mark}{seconds:.2f} s"


def format_ratio(value: float | None, lower_bound: bool) -> str:
    """A ratio as '123x' or '4.5x'; '>' marks a lower bound, '-' none."""
    if value is None:
        return "-"
    mark = ">" if lower_bound else ""
    return f"{mark}{value:.0f}x" if value >= 10 else f"{mark}{value:.2g}x"


def format_baseline(run, lower_bound: Callable[[object], str]) -> str:
    """A baseline record's time: '-' without one, 'failed' after an error, ``lower_bound(run)``
    where it was stopped at its budget, else its time."""
    if run is None:
        return "-"
    if run.error:
        return "failed"
    if run.lower_bound:
        return lower_bound(run)
    return format_seconds(run.seconds)


def short(text: str, width: int = 34) -> str:
    """``text`` cut to ``width`` characters, ending in '...' where cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A plain-text table: header, a rule, rows; the columns in ``right`` right-aligned."""
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


# --------------------------------------------------------------------------- CLI


def add_standard_arguments(
    parser: argparse.ArgumentParser, *, repeat_help: str, budget_help: str, quick_budget: float,
    full_budget: float = DEFAULT_BUDGET,
    quick_help: str = "fewer targets, one repeat, shorter budget: under a minute",
) -> None:
    """The options every bench has: --repeat, --quick, --budget, --json, --quiet.

    ``repeat_help`` and ``budget_help`` start the help of --repeat and --budget (the defaults
    are appended); ``quick_budget`` and ``full_budget`` are the budgets with and without
    --quick.
    """
    parser.add_argument("--repeat", type=int, default=None, metavar="N",
                        help=f"{repeat_help} (default {DEFAULT_REPEAT}; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help=f"{budget_help} (default {full_budget:g}; "
                             f"{quick_budget:g} with --quick)")
    parser.add_argument("--json", metavar="PATH", help="also write the numbers as JSON to PATH")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def standard_main(args: argparse.Namespace, run, render, quick_budget: float,
                  full_budget: float = DEFAULT_BUDGET) -> int:
    """Fill in the defaults, ``run(repeat, quick, budget, progress)``, print ``render(result)``.

    With --json the result's keys not starting with '_' are written as JSON. Returns the exit
    status: 2 for an invalid --repeat or --budget, else 0.
    """
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else DEFAULT_REPEAT)
    budget = args.budget if args.budget is not None else (
        quick_budget if args.quick else full_budget)
    if repeat < 1 or budget <= 0:
        print("error: --repeat must be >= 1 and --budget > 0", file=sys.stderr)
        return 2
    show_progress = not args.quiet and sys.stderr.isatty()
    result = run(repeat, args.quick, budget, show_progress)
    print(render(result))
    if args.json:
        data = {key: value for key, value in result.items() if not key.startswith("_")}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        print(f"\nwrote {args.json}")
    return 0
