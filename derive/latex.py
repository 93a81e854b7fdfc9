"""LaTeX fragments of an analysis (Jupyter ``_repr_latex_`` and ``derive analyze --latex``)."""

from __future__ import annotations

import sympy

from .resources import latex_environment


def escape(text: str) -> str:
    r"""Escape user text for LaTeX so it prints literally.

    >>> escape(r"50% of \input{x}")
    '50\\% of \\textbackslash{}input\\{x\\}'
    """
    from .latex_text import literal  # one escaping table for every LaTeX output

    return literal(str(text))


def analysis_latex(analysis) -> str:
    """A self-contained LaTeX fragment: expansion table, exponents and (r > 1) leaps."""
    rows = []
    leaps = []
    if analysis.multi_index is None:
        index_label = "k"
        for c in analysis.hermite.coefficients:
            rows.append({
                "order": str(c.order),
                "exact": sympy.latex(c.exact) if c.exact is not None else None,
                "value": f"{float(c.value):.12g}",
                "status": c.status,
                "certificate": escape(c.certificate.label),
            })
    else:
        index_label = "\\alpha"
        m = analysis.multi_index
        bounds = m.bounds or {}
        # the labels of the JSON rows (numeric, quadrature, Monte Carlo or exact; unresolved
        # quadrature rows as 'undetermined')
        labels = {tuple(row["multi_index"]): row for row in m.hermite_dict()["coefficients"]}
        entries = [(a, v, "nonzero") for a, v in m.coefficients.items()]
        entries += [(a, v, "undetermined") for a, (v, _) in (m.unresolved or {}).items()]
        for alpha, value, status in entries:
            numeric = alpha in bounds or status == "undetermined"
            rows.append({
                "order": "(" + ", ".join(map(str, alpha)) + ")",
                "exact": None if numeric else sympy.latex(value),
                "value": f"{float(value):.12g}",
                "status": status,
                "certificate": escape(labels[alpha]["certificate"]),
            })
        for filtration in (m.information, m.generative, m.linear_giant_steps):
            orders = ", ".join(f"{s.order} (+{s.dimension_added})" for s in filtration.steps)
            leaps.append({
                "name": escape(filtration.name),
                "value": str(filtration.leap) if filtration.leap is not None else (
                    "does not reach every direction" if filtration.stopped else "undetermined"),
                "steps": escape(orders or "none"),
            })
    fields = {
        "expression": sympy.latex(analysis.target.expression),
        "name": escape(analysis.target.name or analysis.target.text),
        "rows": rows,
        "index_label": index_label,
        "leaps": leaps,
        "information": _exponent(analysis.information_exponent),
        "generative": _exponent(analysis.generative_exponent),
    }
    template = latex_environment().get_template("analysis_summary.tex.j2")
    return template.render(**fields)


def _exponent(result) -> dict:
    return {
        "value": "undetermined" if result.value is None else str(result.value),
        "certificate": escape(result.certificate),
        "reason": escape(result.summary),
    }
