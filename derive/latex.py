"""LaTeX fragments of an analysis (Jupyter ``_repr_latex_`` and ``derive analyze --latex``)."""

from __future__ import annotations

import sympy

from .resources import latex_environment

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def escape(text: str) -> str:
    r"""Escape user text for LaTeX so it prints literally.

    >>> escape(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    """
    return "".join(_SPECIALS.get(ch, ch) for ch in str(text))


def analysis_latex(analysis) -> str:
    """A self-contained LaTeX fragment: expansion table and exponents."""
    expansion = analysis.hermite
    rows = []
    for c in expansion.coefficients:
        exact = sympy.latex(c.exact) if c.exact is not None else None
        rows.append({
            "order": c.order,
            "exact": exact,
            "value": f"{float(c.value):.12g}",
            "status": c.status,
            "certificate": escape(c.certificate.label),
        })
    fields = {
        "expression": sympy.latex(analysis.target.expression),
        "name": escape(analysis.target.name or analysis.target.text),
        "rows": rows,
        "information": _exponent(analysis.information_exponent),
        "generative": _exponent(analysis.generative_exponent),
        "max_order": expansion.max_order,
    }
    template = latex_environment().get_template("analysis_summary.tex.j2")
    return template.render(**fields)


def _exponent(result) -> dict:
    return {
        "value": "undetermined" if result.value is None else str(result.value),
        "certificate": escape(result.certificate),
        "reason": escape(result.summary),
    }
