"""The ``derive`` command line.

Errors a user can cause print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import DeriveError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2, no usage dump
        self.exit(2, f"derive: error: {message} (see 'derive --help')\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="derive",
        description="Derivations for feature learning in shallow networks on Gaussian data.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    analyze = sub.add_parser(
        "analyze",
        help="Hermite expansion, information and generative exponents of a target",
        description=(
            "TARGET is an expression in z or z1..zr (e.g. 'He3(z)', 'relu(z); noise = 0.1', "
            "'z1 + z1*z2'), a catalog name (see 'derive catalog') or a .toml target file."
        ),
    )
    analyze.add_argument("target", help="expression, catalog name or .toml file")
    analyze.add_argument("--max-order", type=int, default=12, metavar="K",
                         help="highest Hermite order (default 12, at most 100)")
    analyze.add_argument("--noise", default=None, metavar="DELTA",
                         help="label-noise variance: y = g(z) + sqrt(DELTA) xi")
    analyze.add_argument("--conditional", action="store_true",
                         help="also compute lambda_k^2 = E[E[h_k(z)|y]^2] for every order")
    analyze.add_argument("--digits", type=int, default=30,
                         help="working precision of numeric integrals in digits (default 30)")
    output = analyze.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--latex", action="store_true", help="print a LaTeX fragment")

    predict = sub.add_parser(
        "predict",
        help="sample complexity of each algorithm from the literature's theorems",
        description="Applies every entry of the claims registry to the target.",
    )
    predict.add_argument("target", help="expression, catalog name or .toml file")
    predict.add_argument("--json", action="store_true", help="print one JSON object")

    threshold = sub.add_parser(
        "threshold",
        help="weak-recovery threshold alpha_c of optimal first-order methods",
    )
    threshold.add_argument("target", help="expression, catalog name or .toml file")
    threshold.add_argument("--json", action="store_true", help="print one JSON object")

    staircase = sub.add_parser(
        "staircase",
        help="graph of the learning order (which directions, at which order, by which family)",
        description=(
            "Nodes are learned subspaces, edges the steps of the information-leap "
            "(correlational), generative-leap and linear-batch giant-step filtrations."
        ),
    )
    staircase.add_argument("target", help="expression, catalog name or .toml file")
    staircase.add_argument("--format", choices=["tikz", "dot", "json", "png"], default="tikz")
    staircase.add_argument("-o", "--output", default=None, metavar="PATH",
                           help="write to PATH (required for png; text formats print otherwise)")

    catalog = sub.add_parser("catalog", help="list built-in targets with their known values")
    catalog.add_argument("--json", action="store_true", help="print JSON")
    _add_solver_parser(sub)
    return parser


def _add_solver_parser(sub) -> None:
    solver = sub.add_parser(
        "solver",
        help="generate a standalone numeric solver (ODE, giant steps, state evolution)",
        description=(
            "Derives the Gaussian expectations of the dynamics of TARGET symbolically and "
            "writes a standalone Python module (numpy/scipy only) with a command line: "
            "'python FILE --help'. sgd-ode: online SGD of a committee in the d -> infinity "
            "limit; giant-step: overlap recursion of large-batch GD with n = c d^ell; "
            "state-evolution: Bayes-optimal GAMP overlap versus alpha and its threshold."
        ),
    )
    solver.add_argument("target", help="expression, catalog name or .toml file")
    solver.add_argument("--kind", required=True,
                        choices=["sgd-ode", "giant-step", "state-evolution"])
    solver.add_argument("--student", default="relu",
                        help="student activation: relu, erf (erf(x/sqrt 2)), tanh, He2, He3, "
                             "linear (default relu; not used by state-evolution)")
    solver.add_argument("--width", type=int, default=None, metavar="K",
                        help="number of hidden units (default: the number of target variables)")
    solver.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="where to write the module")
    solver.add_argument("--no-cache", action="store_true",
                        help="regenerate even if a cached module exists (and do not cache)")


def _run_analyze(args) -> int:
    from .analysis import analyze
    from .display import analysis_table

    if not 10 <= args.digits <= 200:
        raise DeriveError(f"--digits must be between 10 and 200, got {args.digits}")
    analysis = analyze(args.target, max_order=args.max_order, noise=args.noise,
                       digits=args.digits, conditional=args.conditional)
    if args.json:
        print(analysis.to_json())
    elif args.latex:
        print(analysis.to_latex())
    else:
        print(analysis_table(analysis))
    return 0


def _filtrations_for(analysis) -> dict:
    from .certificates import Certificate
    from .leap import Filtration, FiltrationStep

    if analysis.multi_index is not None:
        m = analysis.multi_index
        return {"correlational": m.information, "generative": m.generative,
                "giant-step": m.linear_giant_steps}

    def single(name, result, only_order_one=False):
        steps = ()
        if result.value is not None and (not only_order_one or result.value == 1):
            steps = (FiltrationStep(result.value, ((1,),),
                                    Certificate(result.certificate, result.summary)),)
        return Filtration(name, steps, len(steps), 1,
                          None if result.value is not None else result.summary)

    return {
        "correlational": single("information leap", analysis.information_exponent),
        "generative": single("generative leap", analysis.generative_exponent),
        "giant-step": single("giant steps with batch n = Theta(d)",
                             analysis.information_exponent, only_order_one=True),
    }


def _write_atomically(path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename: never a half-written file."""
    import os
    import tempfile
    from pathlib import Path

    path = Path(path)
    if path.parent and not path.parent.exists():
        raise DeriveError(f"output folder does not exist: {path.parent}")
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _run_staircase(args) -> int:
    import tempfile
    from pathlib import Path

    from .analysis import analyze
    from .staircase import staircase_graph, to_dot, to_json, to_png, to_tikz

    analysis = analyze(args.target)
    graph = staircase_graph(_filtrations_for(analysis), analysis.target.index_dimension)
    if args.format == "png":
        if not args.output:
            raise DeriveError("--format png needs -o PATH")
        with tempfile.TemporaryDirectory() as folder:
            produced = to_png(graph, Path(folder) / "staircase.png")
            _write_atomically(args.output, Path(produced).read_bytes())
        print(f"wrote {args.output}")
        return 0
    text = {"tikz": to_tikz, "dot": to_dot, "json": to_json}[args.format](graph)
    if args.output:
        _write_atomically(args.output, text.encode("utf-8"))
        print(f"wrote {args.output}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _run_predict(args) -> int:
    from .analysis import analyze
    from .display import predictions_table

    analysis = analyze(args.target)
    if args.json:
        data = analysis.to_dict()
        keys = ("target", "information_exponent", "generative_exponent", "information_leap",
                "generative_leap", "weak_recovery", "predictions")
        print(json.dumps({k: data[k] for k in keys if k in data}, indent=2))
    else:
        print(predictions_table(analysis))
    return 0


def _run_threshold(args) -> int:
    from .analysis import analyze
    from .display import threshold_table

    analysis = analyze(args.target)
    recovery = analysis.recovery()
    if recovery is None:
        raise DeriveError(
            f"'{analysis.target.text}': weak-recovery thresholds are implemented for "
            f"single-index targets and for polynomials in two variables of degree <= 2 in "
            f"one of them"
        )
    if args.json:
        print(json.dumps({"target": analysis.target.to_dict(),
                          "weak_recovery": recovery.to_dict()}, indent=2))
    else:
        print(threshold_table(analysis))
    return 0


def _run_solver(args) -> int:
    from .catalog import resolve
    from .codegen.generate import generate_solver

    target = resolve(args.target)
    student, width = args.student, args.width
    if args.kind == "state-evolution":
        student, width = None, None
    elif width is None:
        width = target.index_dimension
    source = generate_solver(target, args.kind, student, width, use_cache=not args.no_cache)
    _write_atomically(args.output, source.encode("utf-8"))
    print(f"wrote {args.output}")
    return 0


def _run_catalog(args) -> int:
    from .catalog import entries
    from .display import catalog_table

    if args.json:
        data = [
            {
                "name": e.name,
                "expression": e.target.text,
                "index_dimension": e.target.index_dimension,
                "notes": e.target.notes,
                "literature": e.literature,
            }
            for e in entries()
        ]
        print(json.dumps(data, indent=2))
    else:
        print(catalog_table(entries()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "analyze":
            return _run_analyze(args)
        if args.command == "catalog":
            return _run_catalog(args)
        if args.command == "staircase":
            return _run_staircase(args)
        if args.command == "predict":
            return _run_predict(args)
        if args.command == "threshold":
            return _run_threshold(args)
        if args.command == "solver":
            return _run_solver(args)
    except DeriveError as exc:
        print(f"derive: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `derive ... | head`: the reader left, nothing to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
