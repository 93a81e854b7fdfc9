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
            "TARGET is an expression in z (e.g. 'He3(z)', 'relu(z); noise = 0.1'), a catalog "
            "name (see 'derive catalog') or a .toml target file."
        ),
    )
    analyze.add_argument("target", help="expression, catalog name or .toml file")
    analyze.add_argument("--max-order", type=int, default=12, metavar="K",
                         help="highest Hermite order (default 12, at most 100)")
    analyze.add_argument("--noise", default=None, metavar="DELTA",
                         help="label-noise variance: y = g(z) + sqrt(DELTA) xi")
    analyze.add_argument("--digits", type=int, default=30,
                         help="working precision of numeric integrals in digits (default 30)")
    output = analyze.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--latex", action="store_true", help="print a LaTeX fragment")

    catalog = sub.add_parser("catalog", help="list built-in targets with their known values")
    catalog.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _run_analyze(args) -> int:
    from .analysis import analyze
    from .display import analysis_table

    if not 10 <= args.digits <= 200:
        raise DeriveError(f"--digits must be between 10 and 200, got {args.digits}")
    analysis = analyze(args.target, max_order=args.max_order, noise=args.noise,
                       digits=args.digits)
    if args.json:
        print(analysis.to_json())
    elif args.latex:
        print(analysis._repr_latex_())
    else:
        print(analysis_table(analysis))
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
    except DeriveError as exc:
        print(f"derive: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
