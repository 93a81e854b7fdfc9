"""The ``derive`` command line.

Errors a user can cause print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import DeriveError
from .files import write_atomically


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

    lr_phase = sub.add_parser(
        "lr-phase",
        help="sample-complexity exponent e(kappa) against the learning rate eta = d^-kappa",
        description=(
            "Learning-rate phase diagram of a single-index target (Tsiolis, Mousavi-Hosseini, "
            "Erdogdu 2025): T = d^e(kappa) samples at inner learning rate eta = d^-kappa, from "
            "the leading power of eta in each drift coefficient mu_i(eta)."
        ),
    )
    lr_phase.add_argument("target", help="expression, catalog name or .toml file")
    lr_phase.add_argument("--algorithm", choices=["alternating", "batch-reuse"],
                          default="alternating")
    lr_phase.add_argument("--student", default=None, metavar="EXPR",
                          help="student activation in z (default: the target's link)")
    lr_phase.add_argument("--max-order", type=int, default=8, metavar="K",
                          help="highest Hermite order i examined (default 8)")
    lr_phase.add_argument("--json", action="store_true", help="print one JSON object")
    lr_phase.add_argument("-o", "--output", default=None, metavar="PATH",
                          help="also write the plot e(kappa) to PATH (.png or .pdf)")

    report = sub.add_parser(
        "report",
        help="the whole derivation written up in LaTeX and compiled to PDF",
        description=(
            "Writes DIR/report.tex, DIR/refs.bib and DIR/figures/*.pdf, and compiles "
            "DIR/report.pdf with latexmk when a TeX distribution is installed (without one, "
            "the .tex is written and the command says how to compile it)."
        ),
    )
    report.add_argument("target", nargs="?", help="expression, catalog name or .toml file")
    report.add_argument("-o", "--output", default=None, metavar="DIR",
                        help="output folder (default reports/<name>/, reports/catalog/ "
                             "with --catalog)")
    report.add_argument("--no-pdf", action="store_true", help="write the .tex, do not compile")
    report.add_argument("--catalog", action="store_true",
                        help="one document with every catalog target side by side")
    report.add_argument("--max-order", type=int, default=12, metavar="K",
                        help="highest Hermite order (default 12)")
    report.add_argument("--validate", action="store_true",
                        help="also simulate the predictions (derive validate) and include "
                             "the evidence")
    report.add_argument("--quick", action="store_true",
                        help="with --validate: small d and few replicas (about a minute)")

    catalog = sub.add_parser("catalog", help="list built-in targets with their known values")
    catalog.add_argument("--json", action="store_true", help="print JSON")

    _add_scaling_parser(sub)
    _add_validate_parser(sub)
    _add_solver_parser(sub)
    return parser


def _add_scaling_parser(sub) -> None:
    """``derive scaling hierarchical|weight-decay``: scaling-law exponents and phase diagrams."""
    scaling = sub.add_parser(
        "scaling",
        help="scaling laws: hierarchical targets, diagonal/quadratic networks with weight decay",
        description="Exponents of n/d derived with sympy, with regimes and sources.",
    )
    kinds = scaling.add_subparsers(dest="scaling_kind", metavar="KIND", parser_class=_Parser)
    hier = kinds.add_parser(
        "hierarchical", help="y = sum_k k^-gamma sigma(z_k): thresholds, k*(n), error exponent")
    hier.add_argument("--sigma", required=True, metavar="EXPR",
                      help="the link sigma(z): expression in z or catalog name")
    hier.add_argument("--gamma", required=True, metavar="G", help="lambda_k = k^-G")
    hier.add_argument("--noise", default=None, metavar="DELTA", help="label-noise variance")
    out = hier.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--latex", action="store_true", help="print a LaTeX fragment")
    hier.add_argument("--validate", action="store_true",
                      help="simulate the spectral estimator + ridge readout and fit the slope")
    hier.add_argument("--d", type=int, default=400, help="dimension for --validate (400)")
    hier.add_argument("--directions", type=int, default=20,
                      help="number of directions P for --validate (20)")
    hier.add_argument("--points", type=int, default=10, help="values of n/d for --validate")
    hier.add_argument("--seed", type=int, default=0, help="seed of --validate")
    hier.add_argument("--max-alpha", type=float, default=None, metavar="A",
                      help="largest n/d of --validate (default: n d <= 2.5e7; the samples "
                      "are streamed, so this bounds time, not memory)")
    hier.add_argument("--min-alpha", type=float, default=2.0, metavar="A",
                      help="smallest n/d of --validate (2)")
    hier.add_argument("--figure", default=None, metavar="PDF",
                      help="with --validate: write the risk curve to PDF")
    wd = kinds.add_parser(
        "weight-decay", help="phase diagram of diagonal (LASSO) / quadratic (nuclear norm) nets")
    wd.add_argument("--model", required=True, choices=["diagonal", "quadratic"])
    wd.add_argument("--gamma", required=True, metavar="G", help="teacher spectrum k^-G")
    wd.add_argument("--noise", default="1", metavar="DELTA", help="label-noise variance (1)")
    out = wd.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--latex", action="store_true", help="print a LaTeX fragment")
    wd.add_argument("--phase-diagram", default=None, metavar="PDF",
                    help="write the phase diagram (vector PDF)")
    wd.add_argument("--risk-curve", default=None, metavar="PDF",
                    help="diagonal: write the state-evolution risk curve in n at --d, --lam")
    wd.add_argument("--spectrum", default=None, metavar="PDF",
                    help="write the learned weight spectrum at two weight decays (simulation)")
    wd.add_argument("--d", type=int, default=None,
                    help="dimension of --risk-curve (1000 diagonal, 30 quadratic)")
    wd.add_argument("--lam", type=float, default=None,
                    help="weight decay of --risk-curve (default: sqrt(noise))")


def _add_validate_parser(sub) -> None:
    validate = sub.add_parser(
        "validate",
        help="train real networks and test a prediction of the claims registry",
        description=(
            "Simulates ALGORITHM on the target at each d (replicas batched), fits the "
            "measured quantity against d with a bootstrap 95%% interval and compares it with "
            "the registry's prediction: consistent / inconsistent / inconclusive."
        ),
    )
    validate.add_argument("target", help="expression, catalog name or .toml file")
    validate.add_argument("--algorithm", required=True,
                          choices=["online-sgd", "batch-reuse", "giant-step", "spectral",
                                   "alternating"])
    validate.add_argument("--d", default=None, metavar="D1,D2,...",
                          help="input dimensions (default 32,64,128,256; spectral 1000)")
    validate.add_argument("--seeds", type=int, default=8, metavar="R",
                          help="independent replicas per d (default 8)")
    validate.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    validate.add_argument("--backend", choices=["numpy", "torch"], default="numpy")
    validate.add_argument("--lr", type=float, default=None,
                          help="learning rate (online SGD: lr0 of lr = lr0 d^-(IE-2)/2)")
    validate.add_argument("--eta", default=None, metavar="ETA|LOW:HIGH:COUNT",
                          help="batch reuse: look-ahead step eta (default 1); alternating: "
                               "grid of inner rates, LOW:HIGH:COUNT log-spaced or a comma "
                               "list (default 0.25 d^-1/2 ... 0.08, 8 values)")
    validate.add_argument("--simulation", choices=["chain", "full"], default=None,
                          help="alternating: exact overlap chain (default, numpy) or the "
                               "full d-dimensional simulation")
    validate.add_argument("--threshold", type=float, default=None,
                          help="overlap that counts as weak recovery (default 0.5)")
    validate.add_argument("--budget", type=float, default=None,
                          help="at most BUDGET x d^e samples per replica (default 50)")
    validate.add_argument("--steps", type=int, default=None, help="giant steps (default 2)")
    validate.add_argument("--batch", default=None, metavar="EXPR",
                          help="giant-step batch as an expression in d (default 4*d)")
    validate.add_argument("--protocol", choices=["sphere", "dandi2024"], default=None,
                          help="giant-step: unit neurons and correlational steps (sphere, "
                               "default) or the square-loss protocol of Dandi et al. 2024 "
                               "(fixed +-1/sqrt(p) second layer, lr = 2p, width 64)")
    validate.add_argument("--width", type=int, default=None,
                          help="giant-step: number of neurons p (default 8; dandi2024: 64)")
    validate.add_argument("--alpha", default=None, metavar="LOW:HIGH:COUNT",
                          help="spectral: grid of n/d (default 0.3:1.2:10) or a comma list")
    validate.add_argument("--preprocessing", default=None, metavar="EXPR",
                          help="spectral: label preprocessing T(y), an expression in y")
    validate.add_argument("--store", default=None, metavar="PATH",
                          help="SQLite results store: finished points are reused")
    validate.add_argument("--workers", type=int, default=1,
                          help="local processes for the sweep (default 1)")
    validate.add_argument("--scheduler", default=None, metavar="ADDRESS",
                          help="Dask distributed scheduler address for the sweep")
    validate.add_argument("--quiet", action="store_true", help="no progress bar")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.add_argument("--out", default=None, metavar="DIR",
                          help="write the plot (PNG, PDF) and the JSON record into DIR")


def _add_solver_parser(sub) -> None:
    solver = sub.add_parser(
        "solver",
        help="generate a standalone numeric solver (ODE, giant steps, state evolution)",
        description=(
            "Derives the Gaussian expectations of the dynamics of TARGET symbolically and "
            "writes a standalone Python module (numpy/scipy only, or torch with --backend "
            "torch) with a command line: "
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
    solver.add_argument("--backend", choices=["numpy", "torch"], default="numpy",
                        help="array library of the generated module (default numpy); torch "
                             "runs its array code on a torch device (the module's --device, "
                             "float64 unless --dtype float32), and only then imports torch")


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
            write_atomically(args.output, Path(produced).read_bytes())
        print(f"wrote {args.output}")
        return 0
    text = {"tikz": to_tikz, "dot": to_dot, "json": to_json}[args.format](graph)
    if args.output:
        write_atomically(args.output, text.encode("utf-8"))
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
            f"single-index targets, noisy targets with r <= 3, noiseless polynomials in "
            f"two variables of degree <= 2 in one of them or affine in one of them or "
            f"positively homogeneous, and noiseless r = 3 quadratic forms, monomials "
            f"z1*z2*z3 and a*zi + (even rest); other noiseless targets with r <= 3 get "
            f"the class of each step from their generative filtration and alpha_c from "
            f"level sets, both undetermined here"
        )
    if args.json:
        print(json.dumps({"target": analysis.target.to_dict(),
                          "weak_recovery": analysis.weak_recovery_record()}, indent=2))
    else:
        print(threshold_table(analysis))
    return 0


def _run_lr_phase(args) -> int:
    import tempfile
    from pathlib import Path

    from .analysis import analyze
    from .display import lr_phase_table
    from .lr_phase import learning_rate_phase

    if args.output and Path(args.output).suffix.lower() not in (".png", ".pdf"):
        raise DeriveError(f"-o must end in .png or .pdf, got '{args.output}'")
    phase = learning_rate_phase(analyze(args.target), args.algorithm, student=args.student,
                                max_order=args.max_order)
    if args.json:
        print(json.dumps(phase.to_dict(), indent=2))
    else:
        print(lr_phase_table(phase))
    if args.output:
        from .lr_phase_figure import plot_learning_rate_phase

        with tempfile.TemporaryDirectory() as folder:
            produced = plot_learning_rate_phase(
                phase, Path(folder) / f"phase{Path(args.output).suffix.lower()}")
            write_atomically(args.output, Path(produced).read_bytes())
        print(f"wrote {args.output}", file=sys.stderr if args.json else sys.stdout)
    return 0
def _run_report(args) -> int:
    from pathlib import Path

    from .report import (
        default_directory,
        is_scaling_file,
        render_catalog,
        render_report,
        render_scaling_report,
        write_report,
    )

    if args.catalog == (args.target is not None):
        raise DeriveError("give either a TARGET or --catalog")
    if args.catalog:
        source = render_catalog(max_order=args.max_order)
        directory = Path(args.output) if args.output else Path("reports") / "catalog"
    elif is_scaling_file(args.target):
        from .scaling.targets import load_scaling_file

        source = render_scaling_report(load_scaling_file(args.target))
        directory = (Path(args.output) if args.output
                     else Path("reports") / Path(args.target).stem)
    else:
        from .analysis import analyze

        analysis = analyze(args.target, max_order=args.max_order)
        extras = {}
        if args.validate:
            from .report import run_validations

            extras["validation"] = run_validations(analysis, quick=args.quick)
        elif args.quick:
            raise DeriveError("--quick goes with --validate")
        source = render_report(analysis, extras)
        directory = Path(args.output) if args.output else default_directory(analysis.target)
    result = write_report(source, directory, pdf=not args.no_pdf)
    print(f"wrote {result.tex}")
    if result.compiled:
        print(f"wrote {result.pdf}")
        if result.overfull:
            print(f"derive: warning: LaTeX reports {len(result.overfull)} overfull box(es): "
                  + "; ".join(result.overfull[:3]), file=sys.stderr)
        return 0
    if args.no_pdf:
        return 0
    if not result.tex_available:
        print(result.message)
        return 0
    print(f"derive: error: LaTeX failed on {result.tex}; the relevant lines of "
          f"{result.directory / 'report.log'}:", file=sys.stderr)
    print(result.excerpt, file=sys.stderr)
    return 1


def _run_solver(args) -> int:
    from .catalog import resolve
    from .codegen.generate import generate_solver

    target = resolve(args.target)
    student, width = args.student, args.width
    if args.kind == "state-evolution":
        student, width = None, None
    elif width is None:
        width = target.index_dimension
    source = generate_solver(target, args.kind, student, width, use_cache=not args.no_cache,
                             backend=args.backend)
    write_atomically(args.output, source.encode("utf-8"))
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


def _run_scaling(args) -> int:
    if args.scaling_kind is None:
        raise DeriveError("scaling needs a kind: hierarchical or weight-decay")
    if args.scaling_kind == "hierarchical":
        return _run_scaling_hierarchical(args)
    return _run_scaling_weight_decay(args)


def _run_scaling_hierarchical(args) -> int:
    from .scaling.display import hierarchical_table, validation_table
    from .scaling.hierarchical import hierarchical_scaling
    from .scaling.latex import hierarchical_latex

    scaling = hierarchical_scaling(args.sigma, args.gamma, noise=args.noise)
    validation = None
    if args.validate:
        from .scaling.validate import validate_hierarchical

        if not 10 <= args.d <= 4000:
            raise DeriveError(f"--d must be between 10 and 4000, got {args.d}")
        if not 1 <= args.directions <= args.d:
            raise DeriveError(f"--directions must be between 1 and --d, got {args.directions}")
        if not 3 <= args.points <= 100:
            raise DeriveError(f"--points must be between 3 and 100, got {args.points}")
        if args.max_alpha is not None and not 1 <= args.max_alpha <= 1e5:
            raise DeriveError(f"--max-alpha must be between 1 and 1e5, got {args.max_alpha}")
        if not 0 < args.min_alpha <= 1e5:
            raise DeriveError(f"--min-alpha must be in (0, 1e5], got {args.min_alpha}")
        validation = validate_hierarchical(scaling, d=args.d, directions=args.directions,
                                           points=args.points, seed=args.seed,
                                           max_alpha=args.max_alpha, min_alpha=args.min_alpha)
        if args.figure:
            write_atomically(args.figure, validation.figure_pdf())
    elif args.figure:
        raise DeriveError("--figure needs --validate")
    if args.json:
        data = scaling.to_dict()
        if validation is not None:
            data["validation"] = validation.to_dict()
        print(json.dumps(data, indent=2))
    elif args.latex:
        print(hierarchical_latex(scaling, figure=args.figure))
    else:
        print(hierarchical_table(scaling))
        if validation is not None:
            print(validation_table(validation))
    if args.figure:
        print(f"wrote {args.figure}", file=sys.stderr)
    return 0


def _run_scaling_weight_decay(args) -> int:
    from .scaling.display import phase_table
    from .scaling.latex import weight_decay_latex
    from .scaling.weight_decay import phase_diagram

    diagram = phase_diagram(args.model, args.gamma, noise=args.noise)
    if args.phase_diagram:
        from .scaling.figures import phase_diagram_pdf

        write_atomically(args.phase_diagram, phase_diagram_pdf(diagram))
    if args.risk_curve:
        from .scaling.validate import lasso_risk_curve_pdf, quadratic_risk_curve_pdf

        d = args.d if args.d is not None else (1000 if args.model == "diagonal" else 30)
        low, high = (10, 100000) if args.model == "diagonal" else (4, 80)
        if not low <= d <= high:
            raise DeriveError(f"--d must be between {low} and {high} for --model "
                              f"{args.model}, got {d}")
        lam = args.lam if args.lam is not None else float(diagram.noise) ** 0.5
        if not lam > 0:
            raise DeriveError(f"--lam must be positive, got {lam}")
        curve_pdf = lasso_risk_curve_pdf if args.model == "diagonal" else quadratic_risk_curve_pdf
        write_atomically(args.risk_curve, curve_pdf(diagram, d, lam))
    if args.spectrum:
        from .scaling.validate import weight_spectrum_pdf

        write_atomically(args.spectrum, weight_spectrum_pdf(diagram))
    if args.json:
        print(diagram.to_json())
    elif args.latex:
        print(weight_decay_latex(diagram, figure=args.phase_diagram))
    else:
        print(phase_table(diagram))
    for path in (args.phase_diagram, args.risk_curve, args.spectrum):
        if path:
            print(f"wrote {path}", file=sys.stderr)
def _run_validate(args) -> int:
    from .analysis import analyze
    from .validate import summary_table, validate, write_outputs

    default = {"spectral": "1000", "alternating": "1024"}.get(args.algorithm, "32,64,128,256")
    try:
        ds = [int(part) for part in (args.d or default).split(",")]
    except ValueError:
        raise DeriveError(f"--d must be a comma-separated list of integers, got '{args.d}'")
    if args.workers < 1:
        raise DeriveError("--workers must be at least 1")
    eta = args.eta
    if args.algorithm == "alternating":
        if len(ds) != 1:
            raise DeriveError("--algorithm alternating sweeps eta at one d: give a single --d")
    elif eta is not None:
        try:
            eta = float(eta)
        except ValueError:
            raise DeriveError(f"--eta must be a number, got '{args.eta}'")
    elif args.simulation is not None:
        raise DeriveError("--simulation goes with --algorithm alternating")
    for name in ("lr", "threshold", "budget"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise DeriveError(f"--{name} must be positive")
    if isinstance(eta, float) and not eta > 0:
        raise DeriveError("--eta must be positive")
    if args.width is not None and args.width < 1:
        raise DeriveError("--width must be at least 1")
    if args.steps is not None and args.steps < 1:
        raise DeriveError("--steps must be at least 1")
    analysis = analyze(args.target)
    evidence = validate(
        analysis, args.algorithm, ds=ds, replicas=args.seeds, seed=args.seed,
        backend=args.backend, lr=args.lr, threshold=args.threshold,
        **({"etas": eta, "simulation": args.simulation} if args.algorithm == "alternating"
           else {"eta": eta}),
        budget=args.budget, steps=args.steps, batch=args.batch, alphas=args.alpha,
        preprocessing=args.preprocessing, protocol=args.protocol, width=args.width,
        store=args.store, workers=args.workers,
        scheduler=args.scheduler, progress=False if args.quiet else None,
    )
    written = write_outputs(evidence, args.out) if args.out else []
    if args.json:
        print(evidence.to_json())
    else:
        print(summary_table(evidence))
        for path in written:
            print(f"wrote {path}")
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
        if args.command == "validate":
            return _run_validate(args)
        if args.command == "lr-phase":
            return _run_lr_phase(args)
        if args.command == "report":
            return _run_report(args)
        if args.command == "scaling":
            return _run_scaling(args)
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
