"""Time ``derive report`` per target, split into derivation, rendering, figures and LaTeX.

What is measured, per target (the six of the issue's quality bar: He3, relu, sign,
z1 + z1*z2 + z1*z2*z3, z1*z2*z3, sign(z1*z2); three with --quick), the best of ``--repeat``
runs, each stage timed with :func:`time.perf_counter` in this process:

* derivation: :func:`derive.analyze`, the weak-recovery threshold and the predictions (what
  the report reads; sympy's cache and the engine's lru_cache tables are cleared first, so
  nothing is reused between repeats);
* rendering: the data providers and the jinja2 templates (:func:`derive.report.render_report`);
* figures: matplotlib, every figure saved as PDF;
* LaTeX: latexmk (or pdflatex, bibtex, pdflatex twice), in a fresh folder each time.

Baselines, measured in the same run: the goal of the issue, a report without simulation in
under 20 s including compilation (printed as total / 20 s), and the floor of any LaTeX
document, the same toolchain on a one-line document with the report's preamble (printed as
LaTeX / floor: what the report's pages, TikZ and bibliography cost above it).

Nothing here asserts a timing; the numbers are printed (and written as JSON with ``--json``)
for a person to read.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from sympy.core.cache import clear_cache

from .common import (
    add_standard_arguments,
    environment,
    format_seconds,
    print_progress,
    standard_main,
    table,
)

TARGETS = ["He3", "relu(z)", "sign(z)", "z1 + z1*z2 + z1*z2*z3", "z1*z2*z3", "sign(z1*z2)"]
QUICK_TARGETS = ["He3", "relu(z)", "z1*z2*z3"]
GOAL_SECONDS = 20.0
QUICK_BUDGET = FULL_BUDGET = 600.0

FLOOR_DOCUMENT = r"""\documentclass[10pt]{article}
\usepackage[margin=1in]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage{tikz}
\usetikzlibrary{arrows.meta}
\usepackage[round]{natbib}
\usepackage[hidelinks]{hyperref}
\begin{document}
Floor.
\end{document}
"""


#: cached package data (registry, catalog), read once per process by any user as well
_DATA_CACHES = {"_data", "claims", "entries"}


def _clear_caches() -> None:
    """sympy's cache and every lru_cache of the engine (not the cached package data)."""
    import sys

    clear_cache()
    for name, module in list(sys.modules.items()):
        if not name.startswith("derive") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if attribute not in _DATA_CACHES and hasattr(value, "cache_clear"):
                value.cache_clear()


def _one_run(text: str) -> dict:
    from derive import analyze, latexmk
    from derive.figures import save_pdf
    from derive.report import render_report

    _clear_caches()
    times = {}
    start = time.perf_counter()
    analysis = analyze(text)
    analysis.recovery()
    _ = analysis.predictions
    times["derivation"] = time.perf_counter() - start
    start = time.perf_counter()
    source = render_report(analysis)
    times["rendering"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "report.tex").write_text(source.tex, encoding="utf-8")
        (folder / "refs.bib").write_text(source.bib, encoding="utf-8")
        (folder / "figures").mkdir()
        start = time.perf_counter()
        for path, build in sorted(source.figures.items()):
            save_pdf(build(), folder / path)
        times["figures"] = time.perf_counter() - start
        if latexmk.available():
            start = time.perf_counter()
            result = latexmk.compile_pdf(folder)
            times["latex"] = time.perf_counter() - start
            times["compiled"] = result.ok
        else:
            times["latex"] = None
            times["compiled"] = False
    stages = ("derivation", "rendering", "figures", "latex")
    times["total"] = sum(times[s] for s in stages if times[s] is not None)
    return times


def _floor(repeat: int) -> float | None:
    from derive import latexmk

    if not latexmk.available():
        return None
    best = math.inf
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "report.tex").write_text(FLOOR_DOCUMENT, encoding="utf-8")
            (Path(folder) / "refs.bib").write_text("", encoding="utf-8")
            start = time.perf_counter()
            latexmk.compile_pdf(Path(folder))
            best = min(best, time.perf_counter() - start)
    return best


def run(repeat: int, quick: bool, budget: float, progress: bool) -> dict:
    from derive import latexmk

    # warm-up: imports of sympy, matplotlib and jinja2 are not the report's cost
    print_progress(progress, "warm-up")
    _one_run("He2")
    floor = _floor(repeat)
    cases = []
    for text in QUICK_TARGETS if quick else TARGETS:
        print_progress(progress, f"report    {text}")
        runs = [_one_run(text) for _ in range(repeat)]
        best = min(runs, key=lambda r: r["total"])
        cases.append({"target": text, **best})
    return {
        "bench": "report",
        "settings": {"repeat": repeat, "quick": quick, "goal_seconds": GOAL_SECONDS,
                     "tex": latexmk.available()},
        "environment": environment(),
        "latex_floor": floor,
        "cases": cases,
    }


def render(result: dict) -> str:
    floor = result["latex_floor"]
    rows = []
    for c in result["cases"]:
        latex = c["latex"]
        rows.append([
            c["target"], format_seconds(c["derivation"]), format_seconds(c["rendering"]),
            format_seconds(c["figures"]), format_seconds(latex), format_seconds(c["total"]),
            f"{c['total'] / GOAL_SECONDS:.2f}",
            "-" if latex is None or not floor else f"{latex / floor:.1f}x",
            "yes" if c["compiled"] else "no",
        ])
    out = [
        (f"derive report: time per stage, best of {result['settings']['repeat']} "
         f"(TeX: {result['settings']['tex'] or 'none'})"),
        "",
        table(["target", "derivation", "rendering", "figures", "LaTeX", "total",
               "total/20 s", "LaTeX/floor", "PDF"], rows, right={1, 2, 3, 4, 5, 6, 7}),
        "",
        "Notes:",
        (f"- LaTeX floor (the same toolchain on a one-line document with the report's "
         f"preamble): {format_seconds(floor)}"),
        ("- total/20 s: the issue's goal is a report without simulation in under 20 s "
         "including compilation (below 1 meets it)."),
    ]
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_standard_arguments(
        parser,
        repeat_help="report runs per target, best one counts",
        budget_help="unused (every run completes)",
        quick_budget=QUICK_BUDGET,
        full_budget=FULL_BUDGET,
        quick_help="three targets, one repeat: under a minute",
    )


def main(args: argparse.Namespace) -> int:
    return standard_main(args, run, render, QUICK_BUDGET, FULL_BUDGET)
