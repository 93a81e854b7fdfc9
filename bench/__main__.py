"""Command line of the benchmarks: ``python -m bench <bench> [options]``.

Each bench is a module that provides ``add_arguments(parser)`` and ``main(args) -> int``;
adding a bench means adding one entry to ``BENCHES``.
"""

from __future__ import annotations

import argparse
import sys

from . import (
    analyze,
    codegen,
    cubature,
    hierarchical,
    leap,
    matrix_sensing,
    report,
    scaling,
    simulate,
    staircase,
    state_evolution,
    threshold,
)

#: subcommand -> (module, one-line description)
BENCHES = {
    "analyze": (analyze, "time derive.analyze on the catalog against sympy and mpmath baselines"),
    "leap": (leap, ("time derive.analyze on multi-index polynomial targets, and the first "
                    "information-leap step against a naive entry-by-entry Hermite tensor")),
    "simulate": (simulate, ("online SGD throughput (d = 512, 32 replicas) against a per-sample "
                            "Python loop and against drawing the inputs alone; time of "
                            "derive validate against d")),
    "codegen": (codegen, ("time generated sgd-ode solvers (generation, 100 time units) and their "
                          "closed forms against their Monte Carlo twins at equal accuracy")),
    "state-evolution": (state_evolution, ("time a 50-point overlap curve of the generated "
                                          "state-evolution module against its previous "
                                          "algorithm")),
    "threshold": (threshold, ("time the weak-recovery threshold alpha_c (r <= 2) against a "
                              "binned Monte Carlo estimate run to the same 4 digits")),
    "staircase": (staircase, ("time the later grand-staircase step (one direction left, flat "
                              "pieces) against Gauss-Hermite and Monte Carlo outer rules")),
    "report": (report, ("time derive report per target, split into derivation, rendering, "
                        "figures and LaTeX, against the 20 s goal and a bare LaTeX run")),
    "cubature": (cubature, ("time the nested quadrature of multi-index Hermite coefficients "
                            "(r <= 3, non-separable) against Monte Carlo at equal accuracy")),
    "scaling": (scaling, ("time a 50-point LASSO state-evolution risk curve against "
                          "scikit-learn simulations run to 1%% standard error")),
    "hierarchical": (hierarchical, ("cost of the hierarchical He_2 simulation (dsyrk against a "
                                    "general product, time per n d^2) and of its exact "
                                    "proportional limit against the simulated curve")),
    "matrix-sensing": (matrix_sensing, ("time a 50-point nuclear-norm (quadratic network) "
                                        "state-evolution risk curve against network "
                                        "simulations run to the same accuracy")),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of derive; baselines are measured in the same run.",
    )
    commands = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    for name, (module, summary) in BENCHES.items():
        sub = commands.add_parser(name, help=summary, description=module.__doc__.split("\n\n")[0])
        module.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, _ = BENCHES[args.bench]
    return module.main(args)


if __name__ == "__main__":
    sys.exit(main())
